"""A client restricted for sharing (UK GDPR Art. 18): statutory disclosures pass only where
consent.selectors.restriction_allows_statutory says they may — a warrant or court order, or
a genuine emergency, decided by a manager. A discretionary Schedule 2 request or one only
consent could cover is refused and audited; a caseworker's emergency disclosure (life at
risk, no manager reachable) goes ahead but is flagged for the manager's review."""

import pytest
from django.urls import reverse

from access.models import AccessEvent
from clients.categories import Selection
from consent.services import restriction_record
from consent.tests.factories import ConsentRecordFactory
from sharing.models import Disclosure
from statutory import services
from statutory.models import StatutoryRequest

from .factories import court_order_request, statutory_purpose
from .test_services import decide, eager_celery, emergency_disclose, home_office, immigration_request, log, order_copy

__all__ = ["eager_celery", "home_office"]  # fixtures, imported for these tests

SR = StatutoryRequest


@pytest.fixture
def restricted(jordan, manager):
    restriction_record(actor=manager, client=jordan, reason="She asked us to stop sharing while she checks a record.")
    return jordan


def denied_shares():
    return list(
        AccessEvent.objects.filter(action=AccessEvent.Action.SHARE, outcome=AccessEvent.Outcome.DENIED).order_by("id")
    )


def test_a_court_order_decided_by_a_manager_passes_the_restriction(restricted, caseworker, manager):
    request = court_order_request(client=restricted, actor=caseworker)

    decided = decide(request, manager)

    assert decided.disclosures.count() == 1


def test_a_schedule_2_request_for_a_restricted_client_is_refused_and_audited(restricted, caseworker, manager):
    request = log(
        restricted,
        caseworker,
        basis=SR.Basis.SCHEDULE_2,
        emergency_kind="",
        emergency_urgency="",
        authorising_officer_rank="Superintendent",
        schedule_2_form=order_copy(),
        why_not_otherwise="She is the only witness.",
    )

    with pytest.raises(services.StatutoryRefused, match="restricted") as refused:
        decide(request, manager)

    assert "Only a disclosure the law requires can be made." in refused.value.explanation
    assert not Disclosure.objects.exists()
    [denied] = denied_shares()
    assert "restricted (UK GDPR Article 18)" in denied.detail
    request.refresh_from_db()
    assert request.is_open


def test_even_the_clients_consent_does_not_pass_the_restriction(restricted, caseworker, manager, home_office):
    request = immigration_request(restricted, caseworker, home_office)
    ConsentRecordFactory(
        client=restricted,
        partners=[home_office],
        purposes=[statutory_purpose()],
        selection={"identity": "summary", "immigration_status": "detail"},
        recorded_by=caseworker,
    )

    with pytest.raises(services.StatutoryRefused, match="restricted"):
        decide(request, manager, client_told=True)
    assert not Disclosure.objects.exists()


def test_an_emergency_decided_by_a_manager_passes_the_restriction(restricted, caseworker, manager):
    request = log(restricted, caseworker)

    decided = decide(request, manager, outcome=SR.Outcome.DISCLOSED_PART, selection=Selection({"contact": "detail"}))

    assert decided.disclosures.count() == 1


def test_a_caseworkers_emergency_disclosure_goes_ahead_flagged_for_the_review(restricted, caseworker):
    request = log(restricted, caseworker)

    emergency_disclose(request, caseworker)

    assert Disclosure.objects.count() == 1
    [share] = AccessEvent.objects.filter(action=AccessEvent.Action.SHARE, outcome=AccessEvent.Outcome.ALLOWED)
    assert "Flagged for the review" in share.detail
    assert "must be decided by a service manager" in share.detail
    statutory = AccessEvent.objects.filter(action=AccessEvent.Action.STATUTORY).latest("id")
    assert "Flagged for the review" in statutory.detail


def test_the_managers_review_page_shows_the_restriction_was_passed(restricted, caseworker, manager, login):
    request = log(restricted, caseworker)
    emergency_disclose(request, caseworker)
    test_client = login(manager)

    review = test_client.get(reverse("statutory:review", args=[restricted.pk, request.pk])).content.decode()
    detail = test_client.get(reverse("statutory:request", args=[restricted.pk, request.pk])).content.decode()

    assert "Flagged for the review: the client is restricted for sharing." in review
    assert "must be decided by a service manager" in review
    assert "Flagged for the review:" in detail


def test_the_flag_stays_on_the_review_page_after_the_restriction_is_lifted(restricted, caseworker, manager, login):
    from consent.selectors import restriction_for_client
    from consent.services import restriction_lift

    request = log(restricted, caseworker)
    emergency_disclose(request, caseworker)
    restriction_lift(actor=manager, restriction=restriction_for_client(restricted), note="She has checked it.")

    review = login(manager).get(reverse("statutory:review", args=[restricted.pk, request.pk]))

    assert "Flagged for the review" in review.content.decode()


def test_an_unrestricted_clients_emergency_disclosure_carries_no_flag(jordan, caseworker):
    emergency_disclose(log(jordan, caseworker), caseworker)

    [share] = AccessEvent.objects.filter(action=AccessEvent.Action.SHARE, outcome=AccessEvent.Outcome.ALLOWED)
    assert "Flagged" not in share.detail
    assert StatutoryRequest.objects.get().emergency_restriction_passed == ""


def test_the_review_email_says_the_restriction_was_passed(
    restricted, caseworker, manager, eager_celery, django_capture_on_commit_callbacks
):
    from django.core import mail

    request = log(restricted, caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        emergency_disclose(request, caseworker)

    [review_email] = [m for m in mail.outbox if m.subject.startswith("Emergency disclosure made")]
    assert "Flagged for the review: the client is restricted for sharing" in review_email.body
