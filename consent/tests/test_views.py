"""The consent tab and its pages: through the gate, errors beside fields, bounded queries."""

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from access.models import AccessEvent
from clients.categories import Selection
from consent.models import ConsentRecord, LawfulBasis, LawfulBasisRecord
from consent.services import consent_withdraw

from .factories import (
    ConsentRecordFactory,
    LawfulBasisRecordFactory,
    PartnerFactory,
    PurposeFactory,
    client_on_caseload,
)

NOW = dt.datetime(2026, 5, 3, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def tab_url(client):
    return reverse("consent:tab", args=[client.pk])


# --- The tab ----------------------------------------------------------------------------------


def test_it_lists_active_withdrawn_and_expired_consents_and_other_bases(
    client, login, caseworker, jordan, riverside, northside
):
    ConsentRecordFactory(client=jordan, partners=[riverside], selection={"housing_history": "detail"})
    withdrawn = ConsentRecordFactory(client=jordan, partners=[northside], selection={"substance_use": "summary"})
    consent_withdraw(actor=caseworker, consent=withdrawn, how="phone")
    ConsentRecordFactory(
        client=jordan,
        partners=[PartnerFactory(name="St Mary's GP Surgery", kind="health")],
        given_at=NOW - dt.timedelta(days=400),
        expires_on=dt.date(2026, 1, 1),
    )
    LawfulBasisRecordFactory(client=jordan, basis=LawfulBasis.VITAL_INTERESTS, requires_approval=True)
    login(caseworker)
    response = client.get(tab_url(jordan))
    assert response.status_code == 200
    html = response.content.decode()
    active, rest = html.split('id="other-bases"')
    bases, rest = rest.split('id="withdrawn-consents"')
    withdrawn_part, expired = rest.split('id="ended"')
    assert "Consent to Riverside Housing" in active
    assert "Awaiting approval" in bases
    assert "Consent to Northside Drug and Alcohol Service" in withdrawn_part
    assert "by phone, recorded by Casey Worker" in withdrawn_part
    assert "Consent to St Mary&#x27;s GP Surgery" in expired
    assert 'aria-current="page">Consent</a>' in html


def test_the_tab_is_audited_once_as_a_view_of_the_client(client, login, caseworker, jordan):
    login(caseworker)
    client.get(tab_url(jordan))
    event = AccessEvent.objects.get(client=jordan)
    assert (event.actor, event.action, event.outcome) == (caseworker, "view", "allowed")


def test_the_tab_costs_the_same_number_of_queries_however_many_consents(
    client, login, caseworker, jordan, riverside, northside, django_assert_num_queries, django_assert_max_num_queries
):
    ConsentRecordFactory(client=jordan, partners=[riverside])
    LawfulBasisRecordFactory(client=jordan)
    login(caseworker)
    with django_assert_max_num_queries(25) as captured:
        assert client.get(tab_url(jordan)).status_code == 200
    few = len(captured)
    for n in range(8):
        consent = ConsentRecordFactory(client=jordan, partners=[riverside, northside])
        if n % 2:
            consent_withdraw(actor=caseworker, consent=consent, how="in_person")
        LawfulBasisRecordFactory(client=jordan, partners=[northside], requires_approval=bool(n % 2))
    with django_assert_num_queries(few):
        assert client.get(tab_url(jordan)).status_code == 200


def test_the_detail_page_costs_the_same_number_of_queries_however_wide_the_consent(
    client, login, caseworker, jordan, riverside, northside, housing, django_assert_num_queries
):
    narrow = ConsentRecordFactory(client=jordan, partners=[riverside])
    login(caseworker)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("consent:detail", args=[jordan.pk, narrow.pk])).status_code == 200
    others = [PartnerFactory(name=f"Partner {n}") for n in range(5)]
    drugs = PurposeFactory(key="referral-substance-use", name="Referral to a substance-use service")
    wide = ConsentRecordFactory(client=jordan, partners=[riverside, northside, *others], purposes=[housing, drugs])
    consent_withdraw(actor=caseworker, consent=wide, how="phone")
    with django_assert_num_queries(len(captured)):
        assert client.get(reverse("consent:detail", args=[jordan.pk, wide.pk])).status_code == 200


def test_someone_outside_the_caseload_is_sent_to_give_a_reason(client, login, other_caseworker, jordan):
    login(other_caseworker)
    response = client.get(tab_url(jordan))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:reason", args=[jordan.pk]))
    assert AccessEvent.objects.get(client=jordan).outcome == "denied"


def test_an_unknown_client_is_not_found(client, login, caseworker, db):
    login(caseworker)
    assert client.get(reverse("consent:tab", args=[999999])).status_code in (302, 404)


def test_a_consent_of_another_client_is_not_found(client, login, caseworker, team_a, jordan):
    other = client_on_caseload(caseworker=caseworker, team=team_a, first_name="Sam", last_name="Other")
    consent = ConsentRecordFactory(client=other)
    login(caseworker)
    for name in ("detail", "withdraw"):
        assert client.get(reverse(f"consent:{name}", args=[jordan.pk, consent.pk])).status_code == 404


# --- Recording consent ---------------------------------------------------------------------


def consent_form(riverside, housing, privacy_notice, **overrides):
    data = {
        "partners": [riverside.pk],
        "purposes": [housing.pk],
        "selection_housing_history": "detail",
        "selection_mental_health": "summary",
        "method": "verbal",
        "witness_name": "Sam Lee, support worker",
        "explicit_statement": "Yes, they can know about my mental health.",
        "notice": privacy_notice.pk,
        "has_capacity": "yes",
        "given_at": "2026-05-03T09:15",
        "review_due": "2026-11-03",
    }
    return {**data, **overrides}


def test_a_caseworker_records_verbal_explicit_consent(client, login, caseworker, jordan, riverside, housing, notice):
    login(caseworker)
    response = client.post(reverse("consent:record", args=[jordan.pk]), consent_form(riverside, housing, notice))
    assert response.status_code == 302
    consent = ConsentRecord.objects.get()
    assert consent.selection_obj == Selection({"housing_history": "detail", "mental_health": "summary"})
    assert (consent.recorded_by, consent.witness_name, consent.notice) == (
        caseworker,
        "Sam Lee, support worker",
        notice,
    )
    assert timezone.localtime(consent.given_at).strftime("%Y-%m-%d %H:%M") == "2026-05-03 09:15"
    assert "Consent to Riverside Housing" in client.get(tab_url(jordan)).content.decode()


def test_the_record_form_shows_a_fieldset_per_category(client, login, caseworker, jordan, notice):
    login(caseworker)
    html = client.get(reverse("consent:record", args=[jordan.pk])).content.decode()
    assert html.count('<fieldset class="selection-item">') == 13
    assert "<legend>Mental health <span" in html
    assert 'name="selection_mental_health" value="detail"' in html


def test_without_capacity_consent_is_refused_beside_the_field(
    client, login, caseworker, jordan, riverside, housing, notice
):
    login(caseworker)
    response = client.post(
        reverse("consent:record", args=[jordan.pk]), consent_form(riverside, housing, notice, has_capacity="no")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_has_capacity_error"' in html
    assert "Consent cannot be recorded when the client does not have capacity" in html
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"explicit_statement": ""}, "explicit_statement"),
        ({"witness_name": ""}, "witness_name"),
        ({"partners": []}, "partners"),
        ({"selection_housing_history": "", "selection_mental_health": ""}, "selection"),
        ({"given_at": "yesterday-ish"}, "given_at"),
        ({"given_at": "2026-06-01T10:00"}, "given_at"),
        ({"selection_mental_health": "everything"}, "selection"),
        ({"notice": "999999"}, "notice"),
    ],
)
def test_bad_input_is_explained_beside_the_field_and_nothing_is_saved(
    client, login, caseworker, jordan, riverside, housing, notice, overrides, field
):
    login(caseworker)
    response = client.post(
        reverse("consent:record", args=[jordan.pk]), consent_form(riverside, housing, notice, **overrides)
    )
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not ConsentRecord.objects.exists()


# --- Withdrawing -----------------------------------------------------------------------------


def test_withdrawing_is_one_short_form_and_takes_effect_at_once(client, login, caseworker, jordan, riverside, housing):
    consent = ConsentRecordFactory(client=jordan, partners=[riverside])
    login(caseworker)
    url = reverse("consent:withdraw", args=[jordan.pk, consent.pk])
    assert "Withdraw consent to Riverside Housing" in client.get(url).content.decode()
    response = client.post(url, {"how": "writing", "note": "Letter received today."})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert (consent.withdrawn_at, consent.withdrawal_method, consent.withdrawn_by) == (NOW, "writing", caseworker)
    assert consent.history.count() == 2


def test_withdrawing_without_saying_how_is_refused_beside_the_field(client, login, caseworker, jordan):
    consent = ConsentRecordFactory(client=jordan)
    login(caseworker)
    response = client.post(reverse("consent:withdraw", args=[jordan.pk, consent.pk]), {"note": "?"})
    assert response.status_code == 400
    assert 'id="id_how_error"' in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_the_detail_page_shows_the_exact_notice_text_and_the_history(client, login, caseworker, jordan, notice):
    consent = ConsentRecordFactory(client=jordan, notice=notice)
    consent_withdraw(actor=caseworker, consent=consent, how="in_person")
    login(caseworker)
    html = client.get(reverse("consent:detail", args=[jordan.pk, consent.pk])).content.decode()
    assert "We share it only with your agreement, unless the law says we must." in html
    assert html.count("<tr>") == 3  # header, recorded, withdrawn


# --- Other lawful bases ----------------------------------------------------------------------


def test_a_caseworker_records_a_basis_and_a_manager_approves_it(
    client, login, caseworker, manager, jordan, riverside, housing
):
    login(caseworker)
    response = client.post(
        reverse("consent:basis_record", args=[jordan.pk]),
        {
            "basis": "vital_interests",
            "partners": [riverside.pk],
            "purposes": [housing.pk],
            "selection_physical_health": "summary",
            "justification": "Found unconscious; the hostel needs to know about his diabetes.",
            "special_condition": "vital_interests",
        },
    )
    assert response.status_code == 302
    record = LawfulBasisRecord.objects.get()
    assert record.awaiting_approval
    client.logout()

    login(manager)
    assert "Lawful bases awaiting your approval" in client.get(reverse("home")).content.decode()
    url = reverse("consent:basis_approve", args=[jordan.pk, record.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    record.refresh_from_db()
    assert record.approved_by == manager


def test_a_caseworker_cannot_approve_a_basis(client, login, caseworker, jordan):
    record = LawfulBasisRecordFactory(client=jordan, requires_approval=True)
    login(caseworker)
    assert client.post(reverse("consent:basis_approve", args=[jordan.pk, record.pk])).status_code == 404
    record.refresh_from_db()
    assert record.approved_at is None


def test_a_special_category_basis_without_a_condition_is_refused_beside_the_field(
    client, login, caseworker, jordan, riverside, housing
):
    login(caseworker)
    response = client.post(
        reverse("consent:basis_record", args=[jordan.pk]),
        {
            "basis": "public_task",
            "partners": [riverside.pk],
            "purposes": [housing.pk],
            "selection_mental_health": "summary",
            "justification": "Housing duty.",
        },
    )
    assert response.status_code == 400
    assert 'id="id_special_condition_error"' in response.content.decode()
    assert not LawfulBasisRecord.objects.exists()


# --- The summary PDF -------------------------------------------------------------------------


def pdf_text(response) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_summary_pdf_lists_only_what_is_in_force_and_withdrawn_consents_as_withdrawn(
    client, login, caseworker, jordan, riverside, northside
):
    ConsentRecordFactory(client=jordan, partners=[riverside], selection={"housing_history": "detail"})
    withdrawn = ConsentRecordFactory(
        client=jordan, partners=[northside], selection={"substance_use": "detail", "domestic_abuse": "summary"}
    )
    consent_withdraw(actor=caseworker, consent=withdrawn, how="phone")
    login(caseworker)
    response = client.get(reverse("consent:summary_pdf", args=[jordan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response).split())
    agreed, rest = text.split("No longer agreed")
    assert "Riverside Housing" in agreed
    assert "Housing history: the full details" in agreed
    assert "Northside" not in agreed
    assert "Substance use" not in text
    assert "Domestic abuse" not in text
    assert "Northside Drug and Alcohol Service: withdrawn on 3 May 2026" in rest
    assert "How to change your mind" in rest
    event = AccessEvent.objects.get(action="download")
    assert (event.actor, event.client, event.purpose) == (caseworker, jordan, "consent summary for the client")


# --- The dashboard ------------------------------------------------------------------------------


def test_consents_due_for_review_within_two_weeks_appear_on_the_caseworkers_dashboard(
    client, login, caseworker, other_caseworker, team_b, jordan, riverside, northside
):
    ConsentRecordFactory(client=jordan, partners=[riverside], review_due=dt.date(2026, 5, 17))
    ConsentRecordFactory(client=jordan, partners=[northside], review_due=dt.date(2026, 5, 18))
    overdue = client_on_caseload(caseworker=caseworker, team=jordan.team, first_name="Ali", last_name="Overdue")
    ConsentRecordFactory(client=overdue, partners=[riverside], review_due=dt.date(2026, 4, 1))
    withdrawn = ConsentRecordFactory(client=jordan, partners=[riverside], review_due=dt.date(2026, 5, 4))
    consent_withdraw(actor=caseworker, consent=withdrawn, how="phone")
    elsewhere = client_on_caseload(caseworker=other_caseworker, team=team_b, first_name="Not", last_name="Mine")
    ConsentRecordFactory(client=elsewhere, partners=[riverside], review_due=dt.date(2026, 5, 4))

    login(caseworker)
    html = client.get(reverse("home")).content.decode()
    panel = html.split('id="consent-panel-title"')[1]
    assert "Consents due for review" in panel
    assert "consent to Riverside Housing, review by 17 May 2026" in panel
    assert "review overdue since 1 April 2026" in panel
    assert "Northside" not in panel
    assert "Not Mine" not in panel
    assert panel.count("<li>") == 2
