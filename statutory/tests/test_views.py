"""The statutory-request pages: logging, the request, deciding, the exception, the queue, the report."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pypdf import PdfReader

from access.models import AccessEvent
from clients.categories import CATEGORIES, Selection
from consent.tests.factories import PDF_BYTES, PartnerFactory, client_on_caseload
from consent.tests.hostile_pdfs import HOSTILE
from sharing.models import Disclosure
from sharing.tests.conftest import DA_SUMMARY, HOUSING_SUMMARY, SUPPORT_DETAIL, SUPPORT_SUMMARY
from statutory import services
from statutory.models import StatutoryRequest

from .factories import StatutoryRequestFactory, court_order_request, emergency_disclosed_request

SR = StatutoryRequest
WARRANT_SCOPE = Selection({"identity": "summary", "housing_history": "detail", "support_needs": "detail"})


def url(name, *args):
    return reverse(name if ":" in name else f"statutory:{name}", args=args)


def page(response) -> str:
    return response.content.decode()


def shows(response, text: str) -> bool:
    return escape(text) in page(response)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


def intake(**overrides) -> dict:
    """The intake form, filled in for a production order shown at the door."""
    data = {
        "body": "police",
        "body_name": "Greater Manchester Police",
        "requester_name": "Sam Patel",
        "requester_rank": "Detective Constable",
        "requester_number": "4471",
        "requester_contact": "0161 496 0999",
        "verification": "id_seen",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "channel": "in_person",
        "asked_text": "Her housing history and support needs since January.",
        "basis": "court_order",
        "order_kind": "production_order",
        "order_reference": "PO-2026-118",
        "order_court": "Manchester Crown Court",
        "order_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "order_copy": SimpleUploadedFile("order.pdf", PDF_BYTES, content_type="application/pdf"),
        "why_needed": "An investigation into the landlord.",
        "why_not_otherwise": "Only we hold it.",
        "prejudice": "yes",
    }
    for key, level in WARRANT_SCOPE.to_json().items():
        data[f"scope_{key}"] = level
        data[f"asked_selection_{key}"] = level
    data.update(overrides)
    return data


def decision(selection: dict, **overrides) -> dict:
    data = {f"level_{c.key}": selection.get(c.key, "") for c in CATEGORIES}
    data.update(
        {
            "outcome": "disclosed_part",
            "decision_reasons": "The order names these; the rest is not needed.",
            "client_told": "no",
            "client_not_told_reason": "It would prejudice the investigation.",
        }
    )
    data.update(overrides)
    return data


# --- Logging a request ------------------------------------------------------------------------


def test_a_caseworker_logs_a_warrant_at_the_door(jordan, caseworker, login):
    client = login(caseworker)

    response = client.post(url("new", jordan.pk), intake())

    logged = StatutoryRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("request", jordan.pk, logged.pk)
    assert logged.received_by == caseworker
    assert logged.scope_obj == WARRANT_SCOPE
    assert logged.documents.count() == 1
    jordan.refresh_from_db()
    assert jordan.under_legal_hold
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert shows(detail, "Production order PO-2026-118, Manchester Crown Court")
    assert shows(detail, "A service manager or the information security officer decides this request.")
    assert url("decide", jordan.pk, logged.pk) not in page(detail)


def test_the_intake_form_shows_each_problem_beside_its_field_and_saves_nothing(jordan, caseworker, login):
    client = login(caseworker)

    response = client.post(url("new", jordan.pk), intake(order_reference="", order_copy="", basis="court_order"))

    assert response.status_code == 400
    assert 'id="id_order_reference_error"' in page(response)
    assert 'id="id_order_copy_error"' in page(response)
    assert shows(response, "Upload a copy of the warrant or court order")
    assert not StatutoryRequest.objects.exists()


def test_an_upload_that_is_not_a_pdf_or_image_is_refused_beside_the_field(jordan, caseworker, login):
    client = login(caseworker)
    fake = SimpleUploadedFile("order.pdf", b"MZ not a pdf", content_type="application/pdf")

    response = client.post(url("new", jordan.pk), intake(order_copy=fake))

    assert response.status_code == 400
    assert 'id="id_order_copy_error"' in page(response)
    assert not StatutoryRequest.objects.exists()


@pytest.mark.parametrize("name", ["script with an escaped name", "launch in a compressed object stream"])
def test_an_order_pdf_with_active_content_is_refused_beside_the_field(jordan, caseworker, login, name):
    client = login(caseworker)
    upload = SimpleUploadedFile("order.pdf", HOSTILE[name], content_type="application/pdf")

    response = client.post(url("new", jordan.pk), intake(order_copy=upload))

    assert response.status_code == 400
    assert 'id="id_order_copy_error"' in page(response)
    assert "This PDF is not accepted" in page(response)
    assert not StatutoryRequest.objects.exists()


def test_the_intake_page_says_what_the_law_allows(jordan, caseworker, login):
    response = login(caseworker).get(url("new", jordan.pk))

    assert response.status_code == 200
    assert shows(response, "Immigration Enforcement has no power to demand information")
    assert 'src="/static/js/reveal.js"' in page(response)


# --- Who sees a request -----------------------------------------------------------------------


def test_a_caseworker_sees_the_requests_they_logged_but_not_others_about_their_client(
    jordan, caseworker, team_a, login
):
    from accounts.tests.factories import UserFactory

    colleague = UserFactory(teams=[team_a])
    mine = StatutoryRequestFactory(client=jordan, received_by=caseworker)
    theirs = StatutoryRequestFactory(client=jordan, received_by=colleague)
    client = login(caseworker)

    listing = client.get(url("client", jordan.pk))
    other = client.get(url("request", jordan.pk, theirs.pk))

    assert mine.reference in page(listing)
    assert theirs.reference not in page(listing)
    assert other.status_code == 404
    denied = AccessEvent.objects.filter(outcome="denied", actor=caseworker).latest("id")
    assert denied.client_id == jordan.pk


def test_a_request_of_another_client_is_not_found(jordan, caseworker, manager, team_a, login):
    other = client_on_caseload(caseworker=caseworker, team=team_a, first_name="Sam", last_name="Other")
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)

    response = login(manager).get(url("request", other.pk, request.pk))

    assert response.status_code == 404


def test_an_immigration_request_says_plainly_there_is_no_obligation(jordan, caseworker, manager, login):
    request = StatutoryRequestFactory(
        client=jordan, received_by=caseworker, body=SR.Body.IMMIGRATION, basis=SR.Basis.NONE, scope={}
    )

    response = login(manager).get(url("request", jordan.pk, request.pk))

    assert shows(response, "There is no legal obligation to disclose to Immigration Enforcement")


def test_confidential_notes_are_flagged_as_likely_excluded_material(jordan, caseworker, manager, login):
    from clients import services as client_services

    client_services.note_create(
        actor=caseworker, client=jordan, category="mental_health", text="Counselling.", held_in_confidence=True
    )
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)

    response = login(manager).get(url("request", jordan.pk, request.pk))

    assert shows(response, "likely excluded material")
    assert shows(response, "production order from a court")


# --- Deciding ---------------------------------------------------------------------------------


def test_a_caseworker_cannot_open_the_decision_or_post_one(jordan, caseworker, login):
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)
    client = login(caseworker)

    shown = client.get(url("decide", jordan.pk, request.pk))
    posted = client.post(url("decide", jordan.pk, request.pk), decision({"identity": "summary"}))

    assert shown.status_code == posted.status_code == 404
    request.refresh_from_db()
    assert request.is_open
    assert not Disclosure.objects.exists()


def test_a_manager_of_another_team_cannot_decide_for_this_client(jordan, caseworker, other_manager, login):
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)

    response = login(other_manager).post(url("decide", jordan.pk, request.pk), decision({}, outcome="refused"))

    assert response.status_code == 404
    request.refresh_from_db()
    assert request.is_open


def test_the_manager_decides_a_partial_disclosure_and_the_pdf_holds_only_that_part(jordan, caseworker, manager, login):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)
    client = login(manager)

    response = client.post(
        url("decide", jordan.pk, warrant.pk), decision({"identity": "summary", "housing_history": "summary"})
    )

    assert response.status_code == 302
    warrant.refresh_from_db()
    assert warrant.outcome == SR.Outcome.DISCLOSED_PART
    assert warrant.client_told is False
    detail = client.get(url("request", jordan.pk, warrant.pk))
    assert shows(detail, "identity (summary), housing history (summary)")
    pdf = client.get(url("pdf", jordan.pk, warrant.pk))
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert HOUSING_SUMMARY in text
    assert "Evicted in February" not in text
    assert SUPPORT_SUMMARY not in text
    assert SUPPORT_DETAIL not in text
    assert DA_SUMMARY not in text
    download = AccessEvent.objects.filter(action="download", actor=manager).latest("id")
    assert download.categories == ["identity", "housing_history"]


def test_a_selection_wider_than_the_warrant_is_refused_with_the_items_named_beside_them(
    jordan, caseworker, manager, login
):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)

    response = login(manager).post(
        url("decide", jordan.pk, warrant.pk),
        decision({"identity": "summary", "mental_health": "detail"}, reason_mental_health="They said it is relevant."),
    )

    assert response.status_code == 400
    assert shows(response, "It does not cover mental health (detail)")
    assert 'id="id_level_mental_health_error"' in page(response)
    assert not Disclosure.objects.exists()
    assert AccessEvent.objects.filter(action="share", outcome="denied", actor=manager).exists()


def test_the_decision_page_starts_from_the_warrants_scope(jordan, caseworker, manager, login):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)

    response = login(manager).get(url("decide", jordan.pk, warrant.pk))

    form = response.context["form"]
    assert form["level_housing_history"].value() == "detail"
    assert form["level_mental_health"].value() == ""
    assert shows(response, "identity (summary), housing history (detail), support needs (detail)")


def test_an_immigration_request_defaults_to_refusal_with_the_reason(jordan, caseworker, manager, login):
    home_office = PartnerFactory(name="Home Office Immigration Enforcement", kind="other")
    request = StatutoryRequestFactory(
        client=jordan,
        received_by=caseworker,
        body=SR.Body.IMMIGRATION,
        body_name="Home Office Immigration Enforcement",
        partner=home_office,
        basis=SR.Basis.NONE,
        scope={},
    )
    client = login(manager)

    shown = client.get(url("decide", jordan.pk, request.pk))
    form = shown.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"client_told": "yes"})
    posted = client.post(url("decide", jordan.pk, request.pk), data)

    assert form["outcome"].value() == SR.Outcome.REFUSED
    assert posted.status_code == 302
    request.refresh_from_db()
    assert request.outcome == SR.Outcome.REFUSED
    assert request.decision_reasons.startswith("There is no legal obligation to disclose information to Immigration")
    assert "has not consented" in request.decision_reasons


def test_the_immigration_decision_page_says_the_client_has_not_consented_to_what_was_asked(
    jordan, caseworker, manager, login
):
    home_office = PartnerFactory(name="Home Office Immigration Enforcement", kind="other")
    request = StatutoryRequestFactory(
        client=jordan,
        received_by=caseworker,
        body=SR.Body.IMMIGRATION,
        body_name="Home Office Immigration Enforcement",
        partner=home_office,
        basis=SR.Basis.NONE,
        scope={},
    )
    assert request.limit  # something was asked for from the record

    response = login(manager).get(url("decide", jordan.pk, request.pk))

    assert shows(response, request.limit.describe())  # the page lists what was asked for
    assert shows(response, "No consent can cover it:")
    assert shows(response, "the client has not consented to this disclosure.")
    assert not shows(response, "nothing was asked for")


# --- The emergency exception and its review -----------------------------------------------------


def test_a_caseworker_makes_an_emergency_disclosure_within_what_the_emergency_needs(jordan, caseworker, login):
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)
    client = login(caseworker)
    data = decision({"contact": "detail"})
    data.update({"life_at_risk": "Threats to kill.", "managers_tried": "Both managers and the ISO at 02:10."})

    response = client.post(url("emergency", jordan.pk, request.pk), data)

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == SR.Status.AWAITING_REVIEW
    assert request.disclosures.get().selection_obj == Selection({"contact": "detail"})


def test_a_manager_is_sent_to_the_decision_instead_of_the_exception(jordan, caseworker, manager, login):
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)

    response = login(manager).get(url("emergency", jordan.pk, request.pk))

    assert response.status_code == 302
    assert response["Location"] == url("decide", jordan.pk, request.pk)


def test_the_manager_reviews_an_emergency_disclosure(jordan, caseworker, manager, login):
    disclosed = emergency_disclosed_request(client=jordan, caseworker=caseworker)

    response = login(manager).post(
        url("review", jordan.pk, disclosed.pk),
        {"upheld": "yes", "note": "Life was at risk.", "client_told": "no", "client_not_told_reason": "Prejudice."},
    )

    assert response.status_code == 302
    disclosed.refresh_from_db()
    assert disclosed.status == SR.Status.CLOSED
    assert disclosed.review_upheld is True


# --- The queue ----------------------------------------------------------------------------------


def test_the_queue_puts_the_oldest_emergency_first_and_flags_overdue_reviews(
    jordan, team_client, caseworker, manager, login
):
    now = timezone.now()
    routine = StatutoryRequestFactory(
        client=jordan, received_by=caseworker, basis=SR.Basis.NONE, scope={}, received_at=now - dt.timedelta(days=3)
    )
    newer = StatutoryRequestFactory(client=jordan, received_by=caseworker, received_at=now - dt.timedelta(hours=1))
    older = StatutoryRequestFactory(client=team_client, received_by=caseworker, received_at=now - dt.timedelta(hours=5))
    overdue = emergency_disclosed_request(client=jordan, caseworker=caseworker)
    StatutoryRequest.objects.filter(pk=overdue.pk).update(
        received_at=now - dt.timedelta(days=2), decided_at=now - dt.timedelta(hours=25)
    )

    response = login(manager).get(url("queue"))

    html = page(response)
    order = [html.index(r.reference) for r in (overdue, older, newer, routine)]
    assert order == sorted(order)
    assert html.count("Review overdue") == 1
    assert AccessEvent.objects.filter(action="list", actor=manager, detail="statutory request queue").exists()


def test_another_teams_manager_does_not_see_the_request_on_their_queue(jordan, caseworker, other_manager, login):
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)

    response = login(other_manager).get(url("queue"))

    assert request.reference not in page(response)


def test_a_caseworker_has_no_queue(caseworker, login):
    assert login(caseworker).get(url("queue")).status_code == 403


def _requests(team_a, manager, caseworker, count):
    for n in range(count):
        client = client_on_caseload(caseworker=caseworker, team=team_a, first_name=f"Q{n}", last_name="Client")
        StatutoryRequestFactory(client=client, received_by=caseworker)


@pytest.mark.parametrize("count", [1, 6])
def test_the_queue_costs_the_same_number_of_queries_at_any_size(
    count, team_a, caseworker, manager, login, django_assert_num_queries
):
    _requests(team_a, manager, caseworker, count)
    client = login(manager)

    # Session (with its live-session check), user, 2FA device; the queue; the audit row. (Emergency e-mails
    # are the deadline sweep's, so the page no longer retries them.)
    with django_assert_num_queries(7):
        response = client.get(url("queue"))

    assert response.status_code == 200
    assert page(response).count("SR-TEST-") == count


@pytest.mark.parametrize("documents", [False, True])
def test_the_request_page_costs_a_fixed_number_of_queries(
    documents, jordan, caseworker, manager, login, django_assert_num_queries
):
    request = (
        court_order_request(client=jordan, actor=caseworker)
        if documents
        else StatutoryRequestFactory(client=jordan, received_by=caseworker)
    )
    services.statutory_request_decide(
        actor=manager,
        statutory_request=request,
        outcome=SR.Outcome.DISCLOSED_FULL,
        decision_reasons="Needed.",
        client_told=True,
    )
    client = login(manager)

    # 14, and the client's active alerts for the warnings banner.
    with django_assert_num_queries(15):
        response = client.get(url("request", jordan.pk, request.pk))

    assert response.status_code == 200


# --- The transparency report --------------------------------------------------------------------


def test_the_report_counts_by_body_basis_and_outcome_and_searches(jordan, caseworker, manager, iso, login):
    StatutoryRequestFactory(client=jordan, received_by=caseworker)
    StatutoryRequestFactory(
        client=jordan, received_by=caseworker, body=SR.Body.IMMIGRATION, basis=SR.Basis.NONE, body_name="Home Office"
    )
    warrant = court_order_request(client=jordan, actor=caseworker)
    services.statutory_request_decide(
        actor=manager,
        statutory_request=warrant,
        outcome=SR.Outcome.REFUSED,
        decision_reasons="Out of scope.",
        client_told=True,
    )
    client = login(iso)

    response = client.get(url("report"))
    searched = client.get(url("report"), {"q": "PO-2026-118", "outcome": "refused"})

    counts = response.context["counts"]
    assert counts.total == 3
    assert {row.key: row.count for row in counts.by_body}["police"] == 2
    assert {row.key: row.count for row in counts.by_basis}["court_order"] == 1
    assert {row.key: row.count for row in counts.by_outcome} == {
        "refused": 1,
        "disclosed_full": 0,
        "disclosed_part": 0,
        "open": 2,
    }
    assert [r.pk for r in searched.context["results"]] == [warrant.pk]
    assert AccessEvent.objects.filter(action="search", actor=iso).exists()


def test_the_report_refuses_a_period_that_ends_before_it_starts(manager, login):
    response = login(manager).get(url("report"), {"date_from": "2026-05-01", "date_to": "2026-04-01"})

    assert response.status_code == 400
    assert 'id="id_date_to_error"' in page(response)


# --- The legal hold page ------------------------------------------------------------------------


def test_a_manager_lifts_the_legal_hold_once_the_order_is_decided(jordan, caseworker, manager, login):
    warrant = court_order_request(client=jordan, actor=caseworker)
    client = login(manager)

    refused = client.post(url("legal_hold", jordan.pk), {"reason": "Over."})
    services.statutory_request_decide(
        actor=manager, statutory_request=warrant, outcome="refused", decision_reasons="No.", client_told=True
    )
    lifted = client.post(url("legal_hold", jordan.pk), {"reason": "The case has concluded."})

    assert refused.status_code == 400
    assert shows(refused, "Decide the open warrant or court-order request first")
    assert lifted.status_code == 302
    jordan.refresh_from_db()
    assert not jordan.under_legal_hold


def test_a_caseworker_cannot_lift_a_legal_hold(jordan, caseworker, login):
    court_order_request(client=jordan, actor=caseworker)

    response = login(caseworker).post(url("legal_hold", jordan.pk), {"reason": "Over."})

    assert response.status_code == 404
    jordan.refresh_from_db()
    assert jordan.under_legal_hold


def test_a_statutory_disclosure_is_not_in_the_general_sharing_history(jordan, caseworker, team_a, login):
    from accounts.tests.factories import UserFactory

    from .factories import decided_request

    colleague = UserFactory(teams=[team_a])
    decided = decided_request(client=jordan, logged_by=colleague, decided_by=_manager_of(team_a))
    disclosure = decided.disclosures.get()
    client = login(caseworker)

    history = client.get(url("sharing:history", jordan.pk))
    opened = client.get(url("sharing:disclosure", jordan.pk, disclosure.pk))

    assert disclosure.reference not in page(history)
    assert opened.status_code == 404


def _manager_of(team):
    from accounts.models import Role
    from accounts.tests.factories import UserFactory

    return UserFactory(role=Role.SERVICE_MANAGER, teams=[team])
