"""Agreements in force, not just listed: the organisation's policy for referrals to a partner
without a data-sharing agreement (default: a manager's approval with a reason), and
multi-agency meetings checked against the agreements of every organisation present."""

import html
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from clients.categories import Selection
from consent.tests.factories import ConsentRecordFactory, MeetingGroupFactory
from sharing import services
from sharing.models import Disclosure, SharingPolicy

from .conftest import SU_SELECTION
from .factories import DataSharingAgreementFactory, ReferralFactory, purpose
from .test_views import meeting_data

SU_REASONS = {"substance_use": "To plan treatment.", "domestic_abuse": "Single-gender groups."}


@pytest.fixture(autouse=True)
def _the_default_policy(monkeypatch):
    field = SharingPolicy._meta.get_field("without_agreement")
    monkeypatch.setattr(field, "default", SharingPolicy.WithoutAgreement.APPROVAL)


@pytest.fixture
def su_referral(jordan, su_service, su_purpose, su_consent, caseworker):
    return ReferralFactory(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        selection=Selection(SU_SELECTION).to_json(),
        reasons=SU_REASONS,
        created_by=caseworker,
    )


def test_the_default_policy_is_a_managers_approval(db):
    assert SharingPolicy.current().without_agreement == SharingPolicy.WithoutAgreement.APPROVAL


def test_without_an_agreement_a_referral_waits_for_a_managers_approval_with_a_reason(su_referral, caseworker, manager):
    with pytest.raises(services.ShareRefused) as refused:
        services.referral_send(actor=caseworker, referral=su_referral)
    assert "A service manager must approve sending it without one, with a reason." in str(refused.value)

    services.referral_approve_without_agreement(
        actor=manager, referral=su_referral, reason="Urgent detox place; the agreement is being signed."
    )
    sent = services.referral_send(actor=caseworker, referral=su_referral)

    assert sent.disclosure.agreement is None
    assert sent.unagreed_approved_by == manager


def test_only_a_manager_of_the_team_other_than_the_referrer_approves_and_says_why(
    su_referral, caseworker, manager, other_manager
):
    for who in (caseworker, other_manager):
        with pytest.raises(ValidationError, match="Only a service manager"):
            services.referral_approve_without_agreement(actor=who, referral=su_referral, reason="Because.")
    with pytest.raises(ValidationError) as no_reason:
        services.referral_approve_without_agreement(actor=manager, referral=su_referral, reason=" ")
    assert "reason" in no_reason.value.message_dict
    su_referral.created_by = manager
    with pytest.raises(ValidationError, match="Only a service manager"):
        services.referral_approve_without_agreement(actor=manager, referral=su_referral, reason="Mine.")


def test_a_refusing_policy_refuses_even_an_approved_referral(su_referral, caseworker, manager):
    services.referral_approve_without_agreement(actor=manager, referral=su_referral, reason="Urgent.")
    policy = SharingPolicy.current()
    policy.without_agreement = SharingPolicy.WithoutAgreement.REFUSE
    policy.save()

    with pytest.raises(services.ShareRefused) as refused:
        services.referral_send(actor=caseworker, referral=su_referral)

    assert "The organisation's policy refuses sharing without one." in " ".join(refused.value.decision.refusals)


def test_an_agreement_in_force_needs_no_approval(su_referral, su_service, su_purpose, caseworker):
    DataSharingAgreementFactory(partner=su_service, selection=Selection(SU_SELECTION).to_json(), purposes=[su_purpose])

    sent = services.referral_send(actor=caseworker, referral=su_referral)

    assert sent.disclosure.agreement is not None


def test_the_manager_approves_on_the_referral_page(su_referral, jordan, caseworker, manager, login):
    page = login(caseworker).get(reverse("sharing:referral", args=[jordan.pk, su_referral.pk])).content.decode()
    assert "a manager&#x27;s approval is needed" in page or "a manager's approval is needed" in page
    assert "Approve sending without an agreement" not in page

    browser = login(manager)
    assert (
        "Approve sending without an agreement"
        in browser.get(reverse("sharing:referral", args=[jordan.pk, su_referral.pk])).content.decode()
    )
    response = browser.post(
        reverse("sharing:referral_approve", args=[jordan.pk, su_referral.pk]), {"reason": "Urgent detox place."}
    )

    assert response.status_code == 302
    su_referral.refresh_from_db()
    assert su_referral.unagreed_reason == "Urgent detox place."


# --- Meetings ---------------------------------------------------------------------------------


@pytest.fixture
def rsag(jordan, su_service, da_service, caseworker):
    group = MeetingGroupFactory(name="Rough Sleeper Action Group", members=[su_service, da_service])
    ConsentRecordFactory(
        client=jordan,
        partners=[],
        meeting_group=group,
        purposes=[purpose("multi-agency-risk-meeting")],
        selection={"identity": "summary", "housing_history": "detail"},
        recorded_by=caseworker,
    )
    return group


def test_a_meeting_is_refused_when_an_agreement_of_an_organisation_present_does_not_allow_it(
    rsag, jordan, su_service, da_service, caseworker, login
):
    DataSharingAgreementFactory(
        partner=su_service,
        reference="DSA-NDAS",
        selection=Selection({"identity": "summary"}).to_json(),
        purposes=[purpose("multi-agency-risk-meeting")],
    )
    selection = {"identity": "summary", "housing_history": "detail"}

    response = login(caseworker).post(
        reverse("sharing:meeting_new", args=[jordan.pk]), meeting_data(rsag, [su_service, da_service], selection)
    )

    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert "The data-sharing agreement DSA-NDAS with Northside Drug and Alcohol Service allows" in body
    assert not Disclosure.objects.exists()
    # The page offers to report a possible breach, pre-filled from the meeting.
    start = body.index('href="/breaches/report/?')
    link = urlparse(body[start + 6 : body.index('"', start + 6)])
    params = parse_qs(link.query)
    assert params["client"] == [str(jordan.pk)]
    assert sorted(params["categories"]) == ["housing_history", "identity"]
    assert "At Rough Sleeper Action Group on" in params["what_happened"][0]
    assert "DSA-NDAS" in params["what_happened"][0]


def test_with_a_refusing_policy_every_organisation_present_needs_an_agreement(
    rsag, jordan, su_service, da_service, caseworker
):
    policy = SharingPolicy.current()
    policy.without_agreement = SharingPolicy.WithoutAgreement.REFUSE
    policy.save()

    with pytest.raises(services.ShareRefused) as refused:
        services.meeting_disclosure_record(
            actor=caseworker,
            client=jordan,
            group=rsag,
            meeting_on=timezone.localdate(),
            present=[su_service, da_service],
            purpose=purpose("multi-agency-risk-meeting"),
            selection=Selection({"identity": "summary"}),
            reasons={},
        )

    text = " ".join(refused.value.decision.refusals)
    assert "Northside Drug and Alcohol Service has no data-sharing agreement in force" in text
    assert "Safe Haven Domestic Abuse Service has no data-sharing agreement in force" in text


def test_a_meeting_goes_ahead_under_the_default_policy_when_no_agreement_forbids_it(
    rsag, jordan, su_service, da_service, caseworker
):
    disclosure = services.meeting_disclosure_record(
        actor=caseworker,
        client=jordan,
        group=rsag,
        meeting_on=timezone.localdate(),
        present=[su_service, da_service],
        purpose=purpose("multi-agency-risk-meeting"),
        selection=Selection({"identity": "summary"}),
        reasons={},
    )

    assert disclosure.kind == Disclosure.Kind.MEETING


def test_nobody_outside_the_team_approves(su_referral):
    outsider = UserFactory(role="service_manager")
    assert not services.can_approve_without_agreement(outsider, su_referral)


# --- An approval is for what the draft held when it was given ---------------------------------


def test_changing_the_selection_after_approval_resets_it_and_the_send_waits_for_a_new_one(
    su_referral, caseworker, manager
):
    services.referral_approve_without_agreement(actor=manager, referral=su_referral, reason="Urgent detox place.")
    changed = Selection({key: level for key, level in SU_SELECTION.items() if key != "contact"})

    updated = services.referral_update(actor=caseworker, referral=su_referral, selection=changed, reasons=SU_REASONS)

    assert updated.approval_reset
    su_referral.refresh_from_db()
    assert (su_referral.unagreed_approved_at, su_referral.unagreed_approved_by, su_referral.unagreed_reason) == (
        None,
        None,
        "",
    )
    with pytest.raises(services.ShareRefused, match="A service manager must approve"):
        services.referral_send(actor=caseworker, referral=su_referral)
    services.referral_approve_without_agreement(actor=manager, referral=su_referral, reason="Still urgent.")
    assert services.referral_send(actor=caseworker, referral=su_referral).disclosure.selection == changed.to_json()


def test_saving_the_draft_without_changing_what_it_shares_keeps_the_approval(su_referral, caseworker, manager):
    services.referral_approve_without_agreement(actor=manager, referral=su_referral, reason="Urgent detox place.")

    updated = services.referral_update(
        actor=caseworker,
        referral=su_referral,
        selection=Selection(SU_SELECTION),
        reasons=SU_REASONS,
        details={"request": "Please offer an assessment this week."},
    )

    assert not updated.approval_reset
    su_referral.refresh_from_db()
    assert su_referral.unagreed_approved_by == manager


def test_dropping_an_item_after_approval_says_the_approval_must_be_given_again(
    su_referral, jordan, caseworker, manager, login
):
    services.referral_approve_without_agreement(actor=manager, referral=su_referral, reason="Urgent detox place.")

    response = login(caseworker).post(
        reverse("sharing:referral_preview", args=[jordan.pk, su_referral.pk]), {"drop": "contact"}, follow=True
    )

    assert "must approve sending it without an agreement again" in response.content.decode()
    su_referral.refresh_from_db()
    assert su_referral.unagreed_approved_at is None
