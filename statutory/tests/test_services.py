"""Police and statutory requests: logging, deciding, the emergency exception, the legal hold."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from access.models import AccessEvent
from clients import services as client_services
from clients.categories import CATEGORIES, Level, Selection
from clients.models import Client
from consent.evidence import check_upload, private_storage
from consent.tests.factories import PDF_BYTES, ConsentRecordFactory, PartnerFactory
from deadlines import enqueue
from deadlines.models import Alert, OutboxEmail
from deadlines.services import deadlines_sweep
from sharing.models import Disclosure
from sharing.snapshot import snapshot_hash
from sharing.tests.conftest import DA_DETAIL, DA_SUMMARY, HOUSING_SUMMARY, SU_SUMMARY, SUPPORT_DETAIL, SUPPORT_SUMMARY
from statutory import services
from statutory import tasks as tasks_statutory
from statutory.deadlines import EMERGENCY_REQUEST, EMERGENCY_REVIEW
from statutory.documents import statutory_disclosure_pdf
from statutory.models import StatutoryDocument, StatutoryRequest
from statutory.selectors import is_broad, queue

from .factories import (
    StatutoryRequestFactory,
    court_order_request,
    emergency_disclosed_request,
    statutory_purpose,
)

SR = StatutoryRequest
WARRANT_SCOPE = Selection({"identity": "summary", "housing_history": "detail", "support_needs": "detail"})


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def statutory_events(**filters):
    return list(AccessEvent.objects.filter(action=AccessEvent.Action.STATUTORY, **filters).order_by("id"))


def share_events(**filters):
    return list(AccessEvent.objects.filter(action=AccessEvent.Action.SHARE, **filters).order_by("id"))


def log(client, actor, **overrides):
    """Log an emergency police request through the service; override any argument."""
    arguments = {
        "actor": actor,
        "client": client,
        "body": SR.Body.POLICE,
        "body_name": "Greater Manchester Police",
        "requester_name": "Sam Patel",
        "requester_rank": "Detective Constable",
        "requester_number": "4471",
        "requester_contact": "0161 496 0999",
        "verification": SR.Verification.CALL_BACK,
        "received_at": timezone.now() - dt.timedelta(minutes=20),
        "channel": SR.Channel.IN_PERSON,
        "asked_text": "Where she is staying.",
        "asked_selection": Selection({"identity": "summary", "contact": "detail"}),
        "basis": SR.Basis.EMERGENCY,
        "emergency_kind": SR.EmergencyKind.LOCATE_VICTIM,
        "emergency_urgency": "Threats to kill made last night.",
        "scope": Selection({"identity": "summary", "contact": "detail"}),
        "why_needed": "To find her and check she is safe.",
        "prejudice": SR.Prejudice.NO,
    }
    arguments.update(overrides)
    return services.statutory_request_log(**arguments)


def decide(statutory_request, actor, **overrides):
    arguments = {
        "actor": actor,
        "statutory_request": statutory_request,
        "outcome": SR.Outcome.DISCLOSED_FULL,
        "decision_reasons": "The order requires it.",
        "client_told": False,
        "client_not_told_reason": "It would prejudice the investigation.",
    }
    arguments.update(overrides)
    return services.statutory_request_decide(**arguments)


def order_copy():
    return check_upload(SimpleUploadedFile("warrant.pdf", PDF_BYTES, content_type="application/pdf"))


@pytest.fixture
def eager_celery():
    conf = tasks_statutory.send_statutory_alert.app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = previous


# --- Logging --------------------------------------------------------------------------------------


def test_any_staff_member_can_log_a_request_and_it_goes_to_the_teams_managers_and_the_iso(
    jordan, caseworker, manager, other_manager, iso
):
    logged = log(jordan, caseworker, basis=SR.Basis.NONE, scope=Selection())

    assert logged.status == SR.Status.OPEN
    assert logged.received_by == caseworker
    assert list(queue(manager)) == [logged]
    assert list(queue(iso)) == [logged]
    assert list(queue(other_manager)) == []
    assert list(queue(caseworker)) == []


def test_logging_writes_its_audit_row(jordan, caseworker):
    logged = log(jordan, caseworker)

    [event] = statutory_events(client=jordan)
    assert event.actor == caseworker
    assert event.outcome == AccessEvent.Outcome.ALLOWED
    assert (event.object_type, event.object_id) == ("statutory.StatutoryRequest", str(logged.pk))
    assert logged.reference in event.detail
    assert event.basis == "Emergency: to locate a victim"


def test_an_emergency_request_emails_the_teams_managers_and_the_iso_once_on_commit(
    jordan, caseworker, manager, other_manager, iso, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        logged = log(jordan, caseworker)

    [message] = mail.outbox
    assert sorted(message.to) == sorted([manager.email, iso.email])
    assert logged.reference in message.subject
    assert jordan.last_name not in message.subject + message.body  # no client names in e-mail
    [alert] = Alert.objects.filter(clock=EMERGENCY_REQUEST, object_id=logged.pk)
    assert alert.threshold == "logged"
    assert alert.email.status == OutboxEmail.Status.SENT
    # Later sweeps (and a redelivered task) send nothing more.
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    assert len(mail.outbox) == 1


def test_a_routine_request_emails_nobody(jordan, caseworker, manager, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        log(jordan, caseworker, basis=SR.Basis.NONE)
        deadlines_sweep()

    assert mail.outbox == []
    assert not Alert.objects.exists()


def test_an_alert_the_worker_never_got_is_sent_by_the_next_sweep(
    jordan, caseworker, manager, iso, monkeypatch, eager_celery, django_capture_on_commit_callbacks
):
    def broker_down(outbox_ids):
        raise ConnectionError("redis is down")

    with monkeypatch.context() as patched:
        patched.setattr(enqueue, "send_soon", broker_down)
        log(jordan, caseworker)  # on_commit callbacks do not run: as if the worker never got it
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
        deadlines_sweep()
    assert len(mail.outbox) == 1
    # Through the outbox: claimed before it was sent, and recorded as sent.
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT


def test_an_emergency_disclosure_not_reviewed_within_24_hours_emails_once_more(
    jordan, caseworker, manager, iso, eager_celery, django_capture_on_commit_callbacks
):
    request = log(jordan, caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        disclosed = emergency_disclose(request, caseworker)
    assert [m.subject for m in mail.outbox] == [
        f"Emergency disclosure made: review {disclosed.reference} within 24 hours"
    ]

    for hours in (23, 25, 26):
        with (
            time_machine.travel(disclosed.decided_at + dt.timedelta(hours=hours)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            deadlines_sweep()

    assert [m.subject for m in mail.outbox][1:] == [f"Review overdue: emergency disclosure {disclosed.reference}"]
    assert "The review of this emergency disclosure is overdue" in mail.outbox[1].body


def test_a_reviewed_emergency_disclosure_stops_its_clock(
    jordan, caseworker, manager, eager_celery, django_capture_on_commit_callbacks
):
    disclosed = emergency_disclose(log(jordan, caseworker), caseworker)
    services.statutory_emergency_review(
        actor=manager, statutory_request=disclosed, upheld=True, note="Justified.", client_told=True
    )
    mail.outbox.clear()

    with (
        time_machine.travel(disclosed.decided_at + dt.timedelta(hours=30)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        deadlines_sweep()

    # The "disclosed" e-mail queued before the review is no longer sent, and nothing is overdue.
    assert mail.outbox == []
    assert not Alert.objects.filter(clock=EMERGENCY_REVIEW, threshold="overdue").exists()


def test_a_warrant_places_the_clients_records_under_legal_hold_and_keeps_the_copy(jordan, caseworker):
    logged = court_order_request(client=jordan, actor=caseworker)

    jordan.refresh_from_db()
    assert jordan.under_legal_hold
    assert "PO-2026-118" in jordan.legal_hold_reason
    assert logged.placed_legal_hold
    [document] = logged.documents.all()
    assert document.kind == StatutoryDocument.Kind.ORDER
    assert private_storage().open(document.stored_name).read() == PDF_BYTES
    details = [e.detail for e in statutory_events(client=jordan)]
    assert details[0].startswith(f"Logged {logged.reference}")
    assert details[1].startswith("Legal hold placed")
    assert jordan.history.first().legal_hold_since is not None  # the client's history names who


def test_a_second_warrant_leaves_the_existing_hold_as_it_was(jordan, caseworker):
    court_order_request(client=jordan, actor=caseworker)
    jordan.refresh_from_db()
    since = jordan.legal_hold_since

    second = court_order_request(client=jordan, actor=caseworker)

    jordan.refresh_from_db()
    assert jordan.legal_hold_since == since
    assert not second.placed_legal_hold


@pytest.mark.parametrize(
    ("basis", "missing"),
    [
        (SR.Basis.COURT_ORDER, {"order_kind", "order_reference", "order_court", "order_date", "scope", "order_copy"}),
        (SR.Basis.EMERGENCY, {"emergency_kind", "emergency_urgency", "scope"}),
        (SR.Basis.SCHEDULE_2, {"authorising_officer_rank", "schedule_2_form", "why_not_otherwise"}),
    ],
)
def test_each_basis_needs_its_own_details(jordan, caseworker, basis, missing):
    with pytest.raises(ValidationError) as error:
        log(jordan, caseworker, basis=basis, emergency_kind="", emergency_urgency="", scope=Selection())

    assert set(error.value.message_dict) == missing
    assert not StatutoryRequest.objects.exists()


def test_bad_input_saves_nothing_and_keeps_no_file(jordan, caseworker):
    with pytest.raises(ValidationError) as error:
        log(
            jordan,
            caseworker,
            basis=SR.Basis.COURT_ORDER,
            order_kind=SR.OrderKind.SEARCH_WARRANT,
            order_reference="W-1",
            order_court="Manchester Magistrates' Court",
            order_date=timezone.localdate(),
            scope=WARRANT_SCOPE,
            order_copy=order_copy(),
            requester_name="",
            received_at=timezone.now() + dt.timedelta(hours=2),
        )

    assert set(error.value.message_dict) == {"requester_name", "received_at"}
    assert not StatutoryRequest.objects.exists()
    assert not StatutoryDocument.objects.exists()
    jordan.refresh_from_db()
    assert not jordan.under_legal_hold


def test_a_request_keeps_only_the_details_of_the_basis_claimed(jordan, caseworker):
    logged = log(jordan, caseworker, order_reference="W-1", authorising_officer_rank="Inspector")

    assert (logged.order_reference, logged.authorising_officer_rank) == ("", "")
    assert logged.scope_obj == Selection({"identity": "summary", "contact": "detail"})


def test_a_request_for_everything_is_flagged_as_broad(jordan, caseworker):
    in_words = log(jordan, caseworker, asked_text="Everything you hold on her, please.")
    by_selection = log(
        jordan, caseworker, asked_text="Her file.", asked_selection=Selection({c.key: "detail" for c in CATEGORIES})
    )
    narrow = log(jordan, caseworker, asked_text="Where she is staying.")

    assert in_words.broad
    assert by_selection.broad
    assert not narrow.broad


@given(st.sets(st.sampled_from([c.key for c in CATEGORIES])))
def test_asking_for_most_categories_is_broad_and_fewer_is_not(keys):
    selection = Selection({key: "summary" for key in keys})

    assert is_broad(selection, "Where is she?") == (len(keys) >= len(CATEGORIES) * 2 / 3)


def test_confidential_case_notes_are_counted_as_likely_excluded_material(jordan, caseworker):
    client_services.note_create(
        actor=caseworker, client=jordan, category="mental_health", text="Counselling session.", held_in_confidence=True
    )
    client_services.note_create(actor=caseworker, client=jordan, category="housing_history", text="Viewed a flat.")

    assert log(jordan, caseworker).confidential_notes == 1


# --- Who decides --------------------------------------------------------------------------------


def test_a_caseworker_cannot_decide(jordan, caseworker):
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)

    with pytest.raises(services.NotADecider):
        decide(request, caseworker, outcome=SR.Outcome.REFUSED)

    request.refresh_from_db()
    assert request.is_open
    assert not Disclosure.objects.exists()


def test_a_manager_of_another_team_cannot_decide_for_this_client(jordan, caseworker, other_manager):
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)

    with pytest.raises(services.NotADecider):
        decide(request, other_manager)

    request.refresh_from_db()
    assert request.is_open
    assert not Disclosure.objects.exists()


def test_the_iso_and_the_clients_team_manager_can_decide(jordan, team_client, caseworker, manager, iso):
    first = decide(StatutoryRequestFactory(client=jordan, received_by=caseworker), manager)
    second = decide(StatutoryRequestFactory(client=team_client, received_by=caseworker), iso)

    assert first.outcome == second.outcome == SR.Outcome.DISCLOSED_FULL
    assert (first.decided_by, second.decided_by) == (manager, iso)


def test_a_decided_request_cannot_be_decided_again(jordan, caseworker, manager):
    request = decide(StatutoryRequestFactory(client=jordan, received_by=caseworker), manager)

    with pytest.raises(ValidationError, match="already been decided"):
        decide(request, manager, outcome=SR.Outcome.REFUSED)

    assert Disclosure.objects.count() == 1


def test_a_decision_needs_reasons_and_says_whether_the_client_is_told(jordan, caseworker, manager):
    request = StatutoryRequestFactory(client=jordan, received_by=caseworker)

    with pytest.raises(ValidationError) as error:
        decide(request, manager, decision_reasons=" ", client_told=False, client_not_told_reason="")
    with pytest.raises(ValidationError) as unsaid:
        decide(request, manager, client_told=None)

    assert set(error.value.message_dict) == {"decision_reasons", "client_not_told_reason"}
    assert set(unsaid.value.message_dict) == {"client_told"}


# --- Scope --------------------------------------------------------------------------------------


def test_a_selection_outside_the_warrants_scope_is_refused_naming_the_items(jordan, caseworker, manager):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)
    wider = Selection({"identity": "summary", "housing_history": "detail", "domestic_abuse": "detail"})

    with pytest.raises(services.StatutoryRefused) as refused:
        decide(
            warrant,
            manager,
            outcome=SR.Outcome.DISCLOSED_PART,
            selection=wider,
            reasons={"domestic_abuse": "They asked."},
        )

    assert "does not cover domestic abuse (detail)" in refused.value.explanation
    assert refused.value.outside == Selection({"domestic_abuse": "detail"})
    assert not Disclosure.objects.exists()
    warrant.refresh_from_db()
    assert warrant.is_open
    [denied] = share_events(outcome=AccessEvent.Outcome.DENIED)
    assert denied.detail == refused.value.explanation
    assert denied.actor == manager


def test_the_detail_of_an_item_the_warrant_names_only_in_summary_is_refused(jordan, caseworker, manager):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)

    with pytest.raises(services.StatutoryRefused, match=r"does not cover identity \(detail\)"):
        decide(warrant, manager, outcome=SR.Outcome.DISCLOSED_PART, selection=Selection({"identity": "detail"}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(st.sampled_from([c.key for c in CATEGORIES]), st.sampled_from(list(Level)), max_size=6),
    st.dictionaries(st.sampled_from([c.key for c in CATEGORIES]), st.sampled_from(list(Level)), min_size=1),
)
def test_a_selection_is_refused_exactly_when_it_is_not_within_the_limit(scope, chosen):
    statutory_request = StatutoryRequest(basis=SR.Basis.COURT_ORDER, scope=Selection(scope).to_json())
    selection = Selection(chosen)

    refusal = services._limit_refusal(statutory_request, selection)

    assert (refusal is None) == Selection(scope).covers(selection)
    if refusal is not None:
        assert refusal.outside == Selection(scope).missing(selection)
        assert refusal.outside.describe() in refusal.explanation


def test_a_partial_disclosure_shares_exactly_the_chosen_part(jordan, caseworker, manager):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)
    part = Selection({"identity": "summary", "housing_history": "summary"})

    decided = decide(warrant, manager, outcome=SR.Outcome.DISCLOSED_PART, selection=part)

    [disclosure] = decided.disclosures.all()
    assert disclosure.kind == Disclosure.Kind.STATUTORY
    assert disclosure.statutory_link.statutory_request == decided
    assert disclosure.selection_obj == part
    assert [s["key"] for s in disclosure.snapshot["sections"]] == ["identity", "housing_history"]
    assert disclosure.snapshot_sha256 == snapshot_hash(disclosure.snapshot)
    assert "PO-2026-118" in disclosure.basis_label
    text = pdf_text(statutory_disclosure_pdf(disclosure))
    assert HOUSING_SUMMARY in text
    assert "Evicted in February" not in text  # the housing detail was not chosen
    for withheld in (SUPPORT_SUMMARY, SUPPORT_DETAIL, DA_SUMMARY, DA_DETAIL, SU_SUMMARY):
        assert withheld not in text
    assert "Disclosed in part" in text
    assert warrant.reference in text


def test_disclose_in_full_discloses_exactly_the_warrants_scope(jordan, caseworker, manager):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)

    decided = decide(warrant, manager, selection=Selection({"mental_health": "detail"}))  # ignored: full is full

    assert decided.disclosures.get().selection_obj == WARRANT_SCOPE
    text = pdf_text(statutory_disclosure_pdf(decided.disclosures.get()))
    assert SUPPORT_DETAIL in text
    assert DA_SUMMARY not in text


def test_in_part_means_less_than_the_whole_limit(jordan, caseworker, manager):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)

    with pytest.raises(ValidationError, match="Disclose in full"):
        decide(warrant, manager, outcome=SR.Outcome.DISCLOSED_PART, selection=WARRANT_SCOPE)


def test_in_part_with_nothing_selected_asks_for_a_selection_with_every_other_problem_at_once(
    jordan, caseworker, manager
):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)

    with pytest.raises(ValidationError) as refused:
        decide(
            warrant,
            manager,
            outcome=SR.Outcome.DISCLOSED_PART,
            selection=Selection(),
            decision_reasons="",
            client_told=None,
        )

    problems = refused.value.message_dict
    assert problems["outcome"] == ["Choose the part of the information to disclose: nothing is selected."]
    assert {"outcome", "decision_reasons", "client_told"} <= set(problems)
    warrant.refresh_from_db()
    assert warrant.is_open


def test_a_disclosure_passes_the_gate_with_the_request_as_its_basis(jordan, caseworker, manager):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)

    decided = decide(warrant, manager)

    disclosure = decided.disclosures.get()
    [share] = share_events(outcome=AccessEvent.Outcome.ALLOWED)
    assert share.basis == disclosure.basis_label[:200]
    assert warrant.reference in share.basis
    assert (share.object_type, share.object_id) == ("sharing.Disclosure", str(disclosure.pk))
    assert share.categories == list(WARRANT_SCOPE)
    assert statutory_events(client=jordan)[-1].detail.startswith("Decided: disclosed in full")


# --- Immigration Enforcement and requests with no basis ------------------------------------------


@pytest.fixture
def home_office(db):
    return PartnerFactory(name="Home Office Immigration Enforcement", kind="other")


def immigration_request(client, actor, partner):
    return log(
        client,
        actor,
        body=SR.Body.IMMIGRATION,
        body_name="Home Office Immigration Enforcement",
        partner=partner,
        basis=SR.Basis.NONE,
        asked_selection=Selection({"identity": "summary", "immigration_status": "detail"}),
        asked_text="Her current address and immigration status.",
    )


def test_immigration_enforcement_without_consent_is_refused_with_the_reason_recorded(
    jordan, caseworker, manager, home_office
):
    request = immigration_request(jordan, caseworker, home_office)

    with pytest.raises(services.StatutoryRefused) as refused:
        decide(request, manager, selection=request.limit)

    assert "There is no legal obligation to disclose to Immigration Enforcement" in refused.value.explanation
    assert not Disclosure.objects.exists()
    [denied] = share_events(outcome=AccessEvent.Outcome.DENIED)
    assert "no legal obligation" in denied.detail


def test_immigration_enforcement_is_refused_and_the_refusal_records_why(jordan, caseworker, manager, home_office):
    request = immigration_request(jordan, caseworker, home_office)
    reason = "There is no legal obligation to disclose to Immigration Enforcement and she has not consented."

    decided = decide(request, manager, outcome=SR.Outcome.REFUSED, decision_reasons=reason)

    assert decided.outcome == SR.Outcome.REFUSED
    assert decided.decision_reasons == reason
    assert not Disclosure.objects.exists()
    assert reason in statutory_events(client=jordan)[-1].detail


def test_immigration_enforcement_gets_what_the_clients_consent_covers(jordan, caseworker, manager, home_office):
    request = immigration_request(jordan, caseworker, home_office)
    consent = ConsentRecordFactory(
        client=jordan,
        partners=[home_office],
        purposes=[statutory_purpose()],
        selection={"identity": "summary", "immigration_status": "detail"},
        recorded_by=caseworker,
    )

    decided = decide(request, manager, client_told=True)

    disclosure = decided.disclosures.get()
    assert disclosure.consent == consent
    assert disclosure.partner == home_office
    assert request.reference in disclosure.basis_label


def test_a_body_not_registered_as_a_partner_cannot_be_covered_by_consent(jordan, caseworker, manager):
    request = log(jordan, caseworker, basis=SR.Basis.NONE, partner=None)

    with pytest.raises(services.StatutoryRefused, match="no consent can name it"):
        decide(request, manager, selection=request.limit)


# --- The emergency exception --------------------------------------------------------------------


def emergency_disclose(statutory_request, actor, **overrides):
    arguments = {
        "actor": actor,
        "statutory_request": statutory_request,
        "selection": Selection({"contact": "detail"}),
        "reasons": {},
        "life_at_risk": "Threats to kill; not seen since last night.",
        "managers_tried": "Called both managers and the ISO at 02:10; no answer.",
    }
    arguments.update(overrides)
    return services.statutory_emergency_disclose(**arguments)


def test_a_caseworker_may_disclose_what_the_emergency_needs_when_no_manager_is_reachable(
    jordan, caseworker, manager, iso, eager_celery, django_capture_on_commit_callbacks
):
    request = log(jordan, caseworker)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        disclosed = emergency_disclose(request, caseworker)

    assert disclosed.status == SR.Status.AWAITING_REVIEW
    assert disclosed.emergency_exception
    assert disclosed.outcome == SR.Outcome.DISCLOSED_PART
    disclosure = disclosed.disclosures.get()
    assert disclosure.selection_obj == Selection({"contact": "detail"})
    assert disclosure.basis_label.startswith("Emergency exception")
    assert list(queue(manager)) == [disclosed]  # stays on the queue until reviewed
    [message] = mail.outbox
    assert sorted(message.to) == sorted([manager.email, iso.email])
    assert "review" in message.subject
    assert "emergency exception" in statutory_events(client=jordan)[-1].detail


def test_the_emergency_exception_discloses_nothing_beyond_what_the_emergency_needs(jordan, caseworker):
    request = log(jordan, caseworker)

    with pytest.raises(services.StatutoryRefused, match="does not cover mental health"):
        emergency_disclose(request, caseworker, selection=Selection({"contact": "detail", "mental_health": "summary"}))

    request.refresh_from_db()
    assert request.is_open
    assert not Disclosure.objects.exists()
    assert share_events(outcome=AccessEvent.Outcome.DENIED)


def test_the_emergency_exception_is_for_emergencies_only(jordan, caseworker):
    request = log(jordan, caseworker, basis=SR.Basis.NONE)

    with pytest.raises(ValidationError, match="Only an emergency request"):
        emergency_disclose(request, caseworker)


def test_a_manager_decides_rather_than_using_the_exception(jordan, caseworker, manager):
    request = log(jordan, caseworker)

    with pytest.raises(ValidationError, match="use the decision page"):
        emergency_disclose(request, manager)


def test_an_emergency_disclosure_must_say_why_and_whom_was_tried(jordan, caseworker):
    request = log(jordan, caseworker)

    with pytest.raises(ValidationError) as error:
        emergency_disclose(request, caseworker, life_at_risk="", managers_tried=" ", selection=Selection())

    assert set(error.value.message_dict) == {"life_at_risk", "managers_tried", "selection"}


def test_a_manager_reviews_the_emergency_disclosure_and_the_request_leaves_the_queue(jordan, caseworker, manager):
    disclosed = emergency_disclosed_request(client=jordan, caseworker=caseworker)

    reviewed = services.statutory_emergency_review(
        actor=manager,
        statutory_request=disclosed,
        upheld=True,
        note="Life was at risk; only her whereabouts went.",
        client_told=True,
    )

    assert reviewed.status == SR.Status.CLOSED
    assert reviewed.reviewed_by == manager
    assert list(queue(manager)) == []
    assert statutory_events(client=jordan)[-1].detail.startswith("Emergency disclosure reviewed: justified")


def test_a_caseworker_cannot_review_an_emergency_disclosure(jordan, caseworker):
    disclosed = emergency_disclosed_request(client=jordan, caseworker=caseworker)

    with pytest.raises(services.NotADecider):
        services.statutory_emergency_review(
            actor=caseworker, statutory_request=disclosed, upheld=True, note="Fine.", client_told=True
        )


def test_an_emergency_disclosure_is_overdue_for_review_after_24_hours(jordan, caseworker, manager):
    disclosed = emergency_disclosed_request(client=jordan, caseworker=caseworker)

    assert not disclosed.review_overdue(timezone.now() + dt.timedelta(hours=23, minutes=59))
    assert disclosed.review_overdue(timezone.now() + dt.timedelta(hours=24, minutes=1))
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        reviewed = services.statutory_emergency_review(
            actor=manager, statutory_request=disclosed, upheld=False, note="Could have waited.", client_told=True
        )
    assert "more than 24 hours" in statutory_events(client=jordan)[-1].detail
    assert reviewed.review_upheld is False


# --- Legal hold ---------------------------------------------------------------------------------


def test_deleting_or_anonymising_a_client_under_legal_hold_is_refused(jordan, caseworker):
    from django.db import transaction

    court_order_request(client=jordan, actor=caseworker)

    with transaction.atomic(), pytest.raises(client_services.UnderLegalHold):
        client_services.client_erasure_check(client=jordan)


def test_a_client_not_under_legal_hold_may_be_erased(jordan):
    from django.db import transaction

    with transaction.atomic():
        client_services.client_erasure_check(client=jordan)  # does not raise


def test_the_hold_cannot_be_lifted_while_the_order_is_undecided(jordan, caseworker, manager):
    court_order_request(client=jordan, actor=caseworker)

    with pytest.raises(ValidationError, match="Decide the open warrant"):
        services.legal_hold_lift(actor=manager, client=jordan, reason="Case over.")

    jordan.refresh_from_db()
    assert jordan.under_legal_hold


def test_a_manager_lifts_the_hold_with_a_reason_and_it_is_audited(jordan, caseworker, manager):
    warrant = court_order_request(client=jordan, actor=caseworker)
    decide(warrant, manager, outcome=SR.Outcome.REFUSED)

    services.legal_hold_lift(actor=manager, client=jordan, reason="The prosecution has concluded.")

    jordan.refresh_from_db()
    assert not jordan.under_legal_hold
    event = statutory_events(client=jordan)[-1]
    assert event.detail == "Legal hold lifted: The prosecution has concluded."
    assert event.object_type == "clients.Client"


def test_a_caseworker_or_another_teams_manager_cannot_lift_the_hold(jordan, caseworker, other_manager):
    court_order_request(client=jordan, actor=caseworker)

    for person in (caseworker, other_manager):
        with pytest.raises(services.NotADecider):
            services.legal_hold_lift(actor=person, client=jordan, reason="Done.")

    assert Client.objects.get(pk=jordan.pk).under_legal_hold


# --- Every step is audited ----------------------------------------------------------------------


def test_every_step_writes_its_audit_row(jordan, caseworker, manager):
    warrant = court_order_request(client=jordan, actor=caseworker, scope=WARRANT_SCOPE)
    decide(warrant, manager, outcome=SR.Outcome.DISCLOSED_PART, selection=Selection({"identity": "summary"}))
    emergency = log(jordan, caseworker)
    emergency_disclose(emergency, caseworker)
    services.statutory_emergency_review(
        actor=manager, statutory_request=emergency, upheld=True, note="Justified.", client_told=True
    )
    services.legal_hold_lift(actor=manager, client=jordan, reason="Concluded.")

    steps = [(e.actor.username, e.detail.split(":")[0].split(" ")[0]) for e in statutory_events(client=jordan)]
    assert steps == [
        ("casey", "Logged"),
        ("casey", "Legal"),  # hold placed
        ("morgan", "Decided"),
        ("casey", "Logged"),
        ("casey", "Emergency"),  # disclosure under the exception
        ("morgan", "Emergency"),  # review
        ("morgan", "Legal"),  # hold lifted
    ]
    assert [(e.actor.username, e.outcome) for e in share_events(client=jordan)] == [
        ("morgan", "allowed"),
        ("casey", "allowed"),
    ]
