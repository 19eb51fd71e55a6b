import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from access.models import AccessEvent
from clients.categories import Selection
from clients.tests.factories import InformationEntryFactory
from consent.models import ConsentRecord
from consent.services import consent_withdraw
from consent.tests.factories import ConsentRecordFactory, MeetingGroupFactory, PartnerFactory
from sharing import services, tasks
from sharing.models import Disclosure, RecipientNotice, Referral, SharingPolicy

from .conftest import DA_DETAIL, DA_SUMMARY, SU_SELECTION
from .factories import DataSharingAgreementFactory, PurposeTemplateFactory, ReferralFactory, purpose

SU_REASONS = {
    "substance_use": "The service needs the pattern of use to plan treatment.",
    "domestic_abuse": "They must offer single-gender groups and keep her address safe.",
}


def form_data(selection: dict, reasons: dict, *, action: str = "send") -> dict:
    from clients.categories import CATEGORIES

    data = {f"level_{c.key}": selection.get(c.key, "") for c in CATEGORIES}
    data.update({f"reason_{key}": text for key, text in reasons.items()})
    data["action"] = action
    return data


def draft(client, partner, purpose, selection, *, actor, reasons=None):
    return ReferralFactory(
        client=client,
        partner=partner,
        purpose=purpose,
        selection=Selection(selection).to_json(),
        reasons=reasons or {},
        created_by=actor,
    )


def url(name, *args):
    return reverse(f"sharing:{name}", args=args)


def shows(response, text: str) -> bool:
    """The exact explanation is on the page (as HTML-escaped text)."""
    return escape(text) in response.content.decode()


@pytest.fixture
def su_referral(jordan, su_service, su_purpose, caseworker):
    return draft(jordan, su_service, su_purpose, SU_SELECTION, actor=caseworker, reasons=SU_REASONS)


@pytest.fixture
def sent(su_referral, su_consent, caseworker):
    return services.referral_send(actor=caseworker, referral=su_referral)


# --- Who may see what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["history", "referral_new", "meeting_new", "referral", "referral_pdf", "disclosure", "notice"]
)
def test_a_caseworker_cannot_open_another_teams_client_sharing_pages(
    name, sent, su_consent, jordan, other_caseworker, manager, login
):
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    notice = RecipientNotice.objects.get()
    args = {
        "history": [jordan.pk],
        "referral_new": [jordan.pk],
        "meeting_new": [jordan.pk],
        "referral": [jordan.pk, sent.pk],
        "referral_pdf": [jordan.pk, sent.pk],
        "disclosure": [jordan.pk, sent.disclosure.pk],
        "notice": [jordan.pk, notice.pk],
    }[name]
    client = login(other_caseworker)

    response = client.get(url(name, *args))

    # Outside the caseload: the reason page (break the glass), never the page itself.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:reason", args=[jordan.pk]))


@pytest.mark.parametrize("name", ["referral", "referral_pdf", "disclosure", "notice"])
def test_an_object_of_another_client_is_not_found(name, sent, caseworker, team_a, login):
    from consent.tests.factories import client_on_caseload

    other = client_on_caseload(caseworker=caseworker, team=team_a, first_name="Sam", last_name="Other")
    object_id = sent.disclosure.pk if name == "disclosure" else sent.pk
    client = login(caseworker)

    response = client.get(url(name, other.pk, object_id))

    assert response.status_code == 404


def test_an_unknown_client_and_a_forbidden_one_look_the_same(jordan, other_caseworker, login):
    client = login(other_caseworker)

    response = client.post(url("referral_new", jordan.pk), {})
    unknown = client.post(url("referral_new", jordan.pk + 1000), {})

    assert response.status_code == unknown.status_code == 404


# --- The sharing history -------------------------------------------------------------------------


def test_the_sharing_history_lists_every_disclosure_with_its_basis(sent, jordan, caseworker, login):
    client = login(caseworker)

    response = client.get(url("history", jordan.pk))

    assert response.status_code == 200
    assert sent.disclosure.reference in response.content.decode()
    assert shows(response, sent.disclosure.basis_label)
    assert shows(response, "No data-sharing agreement")
    assert AccessEvent.objects.filter(
        action=AccessEvent.Action.VIEW, client=jordan, actor=caseworker, purpose="sharing history"
    ).exists()


def test_the_sharing_history_is_a_tab_of_the_client(jordan, caseworker, login):
    client = login(caseworker)

    response = client.get(url("history", jordan.pk))

    assert f'href="{url("history", jordan.pk)}" aria-current="page">Sharing history' in response.content.decode()
    assert f'href="{url("referral_new", jordan.pk)}"' in response.content.decode()


def make_history(client, partner, purpose, actor, count):
    for _ in range(count):
        referral = draft(client, partner, purpose, {"identity": "summary"}, actor=actor)
        services.referral_send(actor=actor, referral=referral)
        draft(client, partner, purpose, {"identity": "summary"}, actor=actor)


def test_the_sharing_history_runs_the_same_queries_however_long_it_is(
    jordan, su_service, su_purpose, su_consent, caseworker, manager, login, django_assert_num_queries
):
    make_history(jordan, su_service, su_purpose, caseworker, 1)
    client = login(caseworker)
    with django_assert_num_queries(QUERIES["history"]):
        client.get(url("history", jordan.pk))

    make_history(jordan, su_service, su_purpose, caseworker, 5)
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    with django_assert_num_queries(QUERIES["history"]):
        response = client.get(url("history", jordan.pk))
    assert response.content.decode().count("Consent withdrawn") == 6


# The gate (session, user, client with its permission rows, audit row) plus the page's own reads.
# transmissions; case notes, restriction, policy; the client's active alerts (the warnings banner)
QUERIES = {"history": 12, "draft": 16, "sent": 12}


# --- Making a referral ---------------------------------------------------------------------------


def test_it_starts_a_referral_from_the_purpose_template(jordan, su_service, su_purpose, caseworker, login):
    PurposeTemplateFactory(purpose=su_purpose)
    client = login(caseworker)

    response = client.post(url("referral_new", jordan.pk), {"partner": su_service.pk, "purpose": su_purpose.pk})

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("referral", jordan.pk, referral.pk)
    assert referral.selection_obj == Selection(SU_SELECTION)
    assert referral.created_by == caseworker


def test_starting_a_referral_without_a_partner_shows_the_error_beside_the_field(jordan, su_purpose, caseworker, login):
    client = login(caseworker)

    response = client.post(url("referral_new", jordan.pk), {"purpose": su_purpose.pk})

    assert response.status_code == 400
    assert 'id="id_partner_error"' in response.content.decode()
    assert not Referral.objects.exists()


def test_the_draft_shows_which_basis_covers_each_item(su_referral, su_consent, jordan, caseworker, login):
    client = login(caseworker)

    response = client.get(url("referral", jordan.pk, su_referral.pk))

    assert response.status_code == 200
    assert shows(response, "Covered: this can be sent")
    assert shows(response, "Covered by consent to Northside Drug and Alcohol Service")
    assert shows(
        response,
        "Northside Drug and Alcohol Service has no data-sharing agreement in force for referral to a substance-use "
        "service. A referral can still be made when the client's consent covers it; "
        "service managers see every referral sent without an agreement.",
    )


def test_the_draft_page_runs_the_same_queries_however_many_bases_and_agreements(
    su_referral, su_consent, su_service, su_purpose, jordan, caseworker, login, django_assert_num_queries
):
    PurposeTemplateFactory(purpose=su_purpose)
    SharingPolicy.current()  # the organisation's policy row, made on first use
    client = login(caseworker)
    with django_assert_num_queries(QUERIES["draft"]):
        client.get(url("referral", jordan.pk, su_referral.pk))

    for _ in range(4):
        ConsentRecordFactory(client=jordan, partners=[su_service], purposes=[su_purpose], selection=SU_SELECTION)
        DataSharingAgreementFactory(partner=su_service, selection={**SU_SELECTION, "domestic_abuse": "detail"})
        InformationEntryFactory(client=jordan, category="domestic_abuse", recorded_by=caseworker)
    with django_assert_num_queries(QUERIES["draft"]):
        client.get(url("referral", jordan.pk, su_referral.pk))


def test_it_sends_the_referral_from_the_draft_page(su_referral, su_consent, jordan, caseworker, login):
    client = login(caseworker)

    response = client.post(url("referral", jordan.pk, su_referral.pk), form_data(SU_SELECTION, SU_REASONS))

    assert response.status_code == 302
    su_referral.refresh_from_db()
    assert su_referral.status == Referral.Status.SENT
    page = client.get(response["Location"])
    assert shows(page, DA_SUMMARY)
    assert not shows(page, DA_DETAIL)
    assert shows(page, "had no data-sharing agreement in force for this purpose")


def test_saving_a_draft_narrows_the_selection_without_sending(su_referral, su_consent, jordan, caseworker, login):
    client = login(caseworker)
    narrower = {"identity": "summary", "substance_use": "summary"}

    response = client.post(url("referral", jordan.pk, su_referral.pk), form_data(narrower, SU_REASONS, action="save"))

    assert response.status_code == 302
    su_referral.refresh_from_db()
    assert su_referral.is_draft
    assert su_referral.selection_obj == Selection(narrower)
    assert su_referral.reasons == {"substance_use": SU_REASONS["substance_use"]}


def test_the_sent_referral_page_runs_the_same_queries_after_a_withdrawal(
    sent, su_consent, jordan, caseworker, manager, login, django_assert_num_queries
):
    client = login(caseworker)
    with django_assert_num_queries(QUERIES["sent"]):
        client.get(url("referral", jordan.pk, sent.pk))

    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    with django_assert_num_queries(QUERIES["sent"]):
        response = client.get(url("referral", jordan.pk, sent.pk))
    assert shows(response, f"Consent withdrawn on {timezone.localdate():%-d %B %Y}.")
    assert shows(response, "not yet told – tell them")


# --- Refusals, each with the exact explanation on the page ---------------------------------------


def send_from_page(client, referral, selection, reasons):
    return client.post(url("referral", referral.client_id, referral.pk), form_data(selection, reasons))


def test_no_basis_is_refused_with_the_explanation(su_referral, caseworker, login):
    response = send_from_page(login(caseworker), su_referral, SU_SELECTION, SU_REASONS)

    assert response.status_code == 400
    assert shows(
        response,
        "There is no consent or other lawful basis for sharing with Northside Drug and Alcohol Service "
        "for referral to a substance-use service.",
    )
    assert shows(response, "This cannot be sent")
    assert not Disclosure.objects.exists()


def test_a_withdrawn_consent_is_refused_with_the_explanation(su_referral, su_consent, caseworker, manager, login):
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.WRITING)

    response = send_from_page(login(caseworker), su_referral, SU_SELECTION, SU_REASONS)

    today = timezone.localdate()
    assert response.status_code == 400
    assert shows(
        response,
        f"Consent to Northside Drug and Alcohol Service was withdrawn on {today.day} {today:%B %Y}, in writing, "
        "recorded by M. Manager.",
    )
    assert not Disclosure.objects.exists()


def test_a_selection_beyond_the_consent_is_refused_with_the_explanation(su_referral, su_consent, caseworker, login):
    wider = {**SU_SELECTION, "domestic_abuse": "detail"}

    response = send_from_page(login(caseworker), su_referral, wider, SU_REASONS)

    assert response.status_code == 400
    assert shows(
        response,
        "Consent to Northside Drug and Alcohol Service covers identity (summary), contact details (summary), "
        "substance use (detail) but not domestic abuse (detail).",
    )
    assert shows(response, "Consent to Northside Drug and Alcohol Service covers only the summary")
    assert not Disclosure.objects.exists()
    su_referral.refresh_from_db()
    assert su_referral.selection_obj == Selection(wider)  # the draft keeps what was asked for


def test_a_selection_beyond_the_agreement_is_refused_with_the_explanation(
    su_referral, su_consent, su_service, caseworker, login
):
    DataSharingAgreementFactory(partner=su_service, reference="DSA-NDAS-1")

    response = send_from_page(login(caseworker), su_referral, SU_SELECTION, SU_REASONS)

    assert response.status_code == 400
    assert shows(
        response,
        "The data-sharing agreement DSA-NDAS-1 with Northside Drug and Alcohol Service allows identity (summary), "
        "contact details (summary), substance use (detail). It does not allow domestic abuse (summary): "
        "remove or reduce those items.",
    )
    assert shows(response, "Beyond DSA-NDAS-1")
    assert not Disclosure.objects.exists()


def test_a_special_category_item_without_a_reason_is_refused_beside_that_category(
    su_referral, su_consent, caseworker, login
):
    response = send_from_page(
        login(caseworker), su_referral, SU_SELECTION, {"substance_use": SU_REASONS["substance_use"]}
    )

    body = response.content.decode()
    assert response.status_code == 400
    message = escape("Say why domestic abuse is necessary for this share: it is special-category data.")
    error_beside = (
        '<p class="error-message" id="id_reason_domestic_abuse_error">'
        f'<span class="visually-hidden">Error:</span> {message}</p>'
    )
    assert error_beside in body
    # In the error summary too, linking to the field.
    assert f'<a href="#id_reason_domestic_abuse">Why domestic abuse is necessary: {message}</a>' in body
    # Beside that category: the domestic-abuse choice comes right before it.
    assert (
        body.index('name="level_domestic_abuse"')
        < body.index(error_beside)
        < body.index('name="level_adverse_childhood"')
    )
    assert not Disclosure.objects.exists()


def test_a_sent_referral_cannot_be_posted_again(sent, jordan, caseworker, login):
    client = login(caseworker)

    response = client.post(url("referral", jordan.pk, sent.pk), form_data(SU_SELECTION, SU_REASONS))

    assert response.status_code == 200  # the sent page, unchanged
    assert Disclosure.objects.count() == 1


# --- The PDF and the e-mail ------------------------------------------------------------------------


def test_downloading_the_pdf_passes_the_gate_and_is_audited(sent, jordan, caseworker, login):
    client = login(caseworker)

    response = client.get(url("referral_pdf", jordan.pk, sent.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{sent.disclosure.reference}-referral.pdf"'
    event = AccessEvent.objects.filter(action=AccessEvent.Action.DOWNLOAD).get()
    assert event.client == jordan
    assert event.outcome == AccessEvent.Outcome.ALLOWED
    assert event.object_type == "sharing.Referral"
    assert event.categories == ["identity", "contact", "substance_use", "domestic_abuse"]


def test_a_draft_has_no_pdf(su_referral, jordan, caseworker, login):
    response = login(caseworker).get(url("referral_pdf", jordan.pk, su_referral.pk))

    assert response.status_code == 404


def test_the_email_form_has_no_address_to_type(sent, jordan, caseworker, login):
    response = login(caseworker).get(url("referral", jordan.pk, sent.pk))

    body = response.content.decode()
    form = body[body.index(f'action="{url("referral_email", jordan.pk, sent.pk)}"') :]
    form = form[: form.index("</form>")]
    # Only hidden tokens (CSRF, the form's owner and one-time tokens): nothing to type.
    assert form.count("<input") == form.count('<input type="hidden"') == 3
    assert 'name="csrfmiddlewaretoken"' in form
    assert "<textarea" not in form
    assert sent.partner.secure_email in form


def test_emailing_again_goes_to_the_registered_address_on_commit_and_audits_the_basis(
    sent, jordan, su_service, caseworker, login, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.transmit, "delay", lambda transmission_id: tasks.transmit.apply((transmission_id,)))
    client = login(caseworker)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("referral_email", jordan.pk, sent.pk), {"to": "someone@elsewhere.example.com", "email": "x@y.z"}
        )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [su_service.secure_email]
    [share] = AccessEvent.objects.filter(action=AccessEvent.Action.SHARE, object_type="sharing.Transmission")
    assert share.outcome == AccessEvent.Outcome.ALLOWED
    assert share.basis == sent.disclosure.basis_label


def test_emailing_is_post_only(sent, jordan, caseworker, login):
    response = login(caseworker).get(url("referral_email", jordan.pk, sent.pk))

    assert response.status_code == 405


# --- The task after a withdrawal -------------------------------------------------------------------


def test_the_task_can_be_marked_done_from_its_page(sent, su_consent, jordan, caseworker, manager, login):
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    notice = RecipientNotice.objects.get()
    client = login(caseworker)

    page = client.get(url("notice", jordan.pk, notice.pk))
    response = client.post(url("notice", jordan.pk, notice.pk), {"how": "email", "note": "Sent from Egress"})

    assert page.status_code == 200
    assert shows(page, notice.message.splitlines()[0])
    assert shows(page, notice.to_address)
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.done_how == "email"
    assert notice.done_by == caseworker


def test_marking_done_without_saying_how_is_an_error_beside_the_field(
    sent, su_consent, jordan, caseworker, manager, login
):
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    notice = RecipientNotice.objects.get()

    response = login(caseworker).post(url("notice", jordan.pk, notice.pk), {"how": ""})

    assert response.status_code == 400
    assert 'id="id_how_error"' in response.content.decode()
    notice.refresh_from_db()
    assert not notice.is_done


def test_the_dashboard_lists_the_caseworkers_open_tasks(sent, su_consent, jordan, caseworker, manager, login):
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    notice = RecipientNotice.objects.get()

    response = login(caseworker).get(reverse("home"))

    assert url("notice", jordan.pk, notice.pk) in response.content.decode()
    assert shows(response, "Tell Northside Drug and Alcohol Service to stop using information")


# --- The disclosure log entry and the breach link ---------------------------------------------------


def test_the_disclosure_page_offers_a_prefilled_breach_report(sent, jordan, caseworker, login):
    response = login(caseworker).get(url("disclosure", jordan.pk, sent.disclosure.pk))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Report a breach about this disclosure" in body
    assert f"disclosure={sent.disclosure.pk}" in body
    assert f"client={jordan.pk}" in body
    assert "categories=domestic_abuse" in body


# --- Meetings ----------------------------------------------------------------------------------------


@pytest.fixture
def rsag(su_service, da_service):
    return MeetingGroupFactory(name="Rough Sleeper Action Group", members=[su_service, da_service])


def meeting_data(group, present, selection, reasons=None, **extra):
    data = form_data(selection, reasons or {})
    data.update(
        {
            "meeting_group": group.pk,
            "meeting_on": timezone.localdate().isoformat(),
            "present": [p.pk for p in present],
            "purpose": purpose("multi-agency-risk-meeting").pk,
            **extra,
        }
    )
    return data


def test_a_meeting_is_recorded_in_the_disclosure_log(jordan, rsag, su_service, da_service, caseworker, login):
    ConsentRecordFactory(
        client=jordan,
        partners=[],
        meeting_group=rsag,
        purposes=[purpose("multi-agency-risk-meeting")],
        selection={"identity": "summary", "housing_history": "summary"},
    )
    client = login(caseworker)

    response = client.post(
        url("meeting_new", jordan.pk),
        meeting_data(rsag, [su_service, da_service], {"identity": "summary", "housing_history": "summary"}),
    )

    disclosure = Disclosure.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("disclosure", jordan.pk, disclosure.pk)
    assert disclosure.kind == Disclosure.Kind.MEETING


def test_a_meeting_with_an_outsider_present_is_refused_with_the_explanation(
    jordan, rsag, su_service, caseworker, login
):
    ConsentRecordFactory(
        client=jordan,
        partners=[],
        meeting_group=rsag,
        purposes=[purpose("multi-agency-risk-meeting")],
        selection={"identity": "summary"},
    )
    police = PartnerFactory(name="City Police", kind="police")

    response = login(caseworker).post(
        url("meeting_new", jordan.pk), meeting_data(rsag, [su_service, police], {"identity": "summary"})
    )

    assert response.status_code == 400
    assert shows(
        response,
        "City Police is not a named member of Rough Sleeper Action Group, so nothing can be shared at this meeting.",
    )
    assert not Disclosure.objects.exists()


def test_a_meeting_form_with_bad_input_shows_errors_and_saves_nothing(jordan, rsag, caseworker, login):
    response = login(caseworker).post(
        url("meeting_new", jordan.pk), meeting_data(rsag, [], {}, meeting_on="not a date")
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_meeting_on_error"' in body
    assert 'id="id_present_error"' in body
    assert not Disclosure.objects.exists()


# --- Managers: referrals without an agreement ---------------------------------------------------------


def test_a_manager_sees_referrals_sent_without_an_agreement(sent, manager, login):
    response = login(manager).get(url("without_agreement"))

    assert response.status_code == 200
    assert sent.disclosure.reference in response.content.decode()
    assert AccessEvent.objects.filter(action=AccessEvent.Action.LIST, actor=manager).exists()


def test_a_referral_within_an_agreement_is_not_listed(su_referral, su_consent, su_service, caseworker, manager, login):
    DataSharingAgreementFactory(partner=su_service, selection={**SU_SELECTION})
    referral = services.referral_send(actor=caseworker, referral=su_referral)

    response = login(manager).get(url("without_agreement"))

    assert referral.disclosure.reference not in response.content.decode()


def test_another_teams_manager_does_not_see_them(sent, other_manager, login):
    response = login(other_manager).get(url("without_agreement"))

    assert sent.disclosure.reference not in response.content.decode()


def test_a_caseworker_cannot_see_the_managers_list(caseworker, login):
    response = login(caseworker).get(url("without_agreement"))

    assert response.status_code == 403


def test_the_managers_list_runs_the_same_queries_however_long_it_is(
    jordan, su_service, su_purpose, su_consent, caseworker, manager, login, django_assert_num_queries
):
    make_history(jordan, su_service, su_purpose, caseworker, 1)
    client = login(manager)
    with django_assert_num_queries(QUERIES["managers"]):
        client.get(url("without_agreement"))
    make_history(jordan, su_service, su_purpose, caseworker, 5)
    with django_assert_num_queries(QUERIES["managers"]):
        client.get(url("without_agreement"))


QUERIES["managers"] = 7


def test_an_agreement_that_ended_does_not_count(su_referral, su_consent, su_service, caseworker):
    DataSharingAgreementFactory(
        partner=su_service, starts_on=timezone.localdate() - dt.timedelta(days=60), ends_on=timezone.localdate()
    )

    referral = services.referral_send(actor=caseworker, referral=su_referral)

    assert referral.disclosure.agreement is None
