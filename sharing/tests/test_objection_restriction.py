"""Objection and restriction (UK GDPR Articles 21 and 18) stop sharing exactly as a withdrawal
does: a lawful basis ended, or a client restricted, cancels the transmissions waiting on it,
refuses new ones and is audited as a denied SHARE naming why."""

import pytest
from django.core import mail
from django.urls import reverse

from access.models import AccessEvent
from accounts.models import Role
from clients.categories import Selection
from consent import selectors as consent_selectors
from consent.models import BasisEndReason, LawfulBasis, SpecialCondition
from consent.services import lawful_basis_end, restriction_lift, restriction_record
from consent.tests.factories import LawfulBasisRecordFactory
from sharing import services
from sharing.models import Transmission

from .conftest import SU_SELECTION
from .factories import ReferralFactory

SU_REASONS = {"substance_use": "To plan treatment.", "domestic_abuse": "Single-gender groups."}


@pytest.fixture
def public_task(jordan, su_service, su_purpose, caseworker):
    return LawfulBasisRecordFactory(
        client=jordan,
        basis=LawfulBasis.PUBLIC_TASK,
        partners=[su_service],
        purposes=[su_purpose],
        selection=SU_SELECTION,
        special_condition=SpecialCondition.HEALTH_SOCIAL_CARE,
        recorded_by=caseworker,
    )


def new_referral(jordan, su_service, su_purpose, caseworker):
    return ReferralFactory(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        selection=Selection(SU_SELECTION).to_json(),
        reasons=SU_REASONS,
        created_by=caseworker,
    )


@pytest.fixture
def sent_on_basis(public_task, jordan, su_service, su_purpose, caseworker):
    return services.referral_send(actor=caseworker, referral=new_referral(jordan, su_service, su_purpose, caseworker))


def partner_mail(partner):
    return [message for message in mail.outbox if partner.secure_email in message.to]


def test_an_objection_ends_the_basis_and_cancels_the_transmission_waiting_on_it(
    sent_on_basis, public_task, su_service, manager
):
    transmission = sent_on_basis.transmissions.get()
    assert transmission.lawful_basis == public_task

    lawful_basis_end(
        actor=manager, record=public_task, why=BasisEndReason.OBJECTION, note="Does not want NDAS to have it."
    )

    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.CANCELLED
    assert "the client objected (UK GDPR Article 21)" in transmission.cancel_reason
    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.CANCELLED
    assert partner_mail(su_service) == []
    denied = AccessEvent.objects.get(action=AccessEvent.Action.SHARE, outcome=AccessEvent.Outcome.DENIED)
    assert denied.basis.startswith("Public task basis for Northside")
    assert "the client objected" in denied.detail


def test_an_ended_basis_refuses_a_resend_and_a_new_referral(
    sent_on_basis, public_task, jordan, su_service, su_purpose, caseworker, manager
):
    lawful_basis_end(
        actor=manager, record=public_task, why=BasisEndReason.NEED_PASSED, note="Housed; no longer needed."
    )

    with pytest.raises(services.TransmissionRefused, match="the need had passed"):
        services.referral_transmit(actor=caseworker, referral=sent_on_basis)
    with pytest.raises(services.ShareRefused):
        services.referral_send(actor=caseworker, referral=new_referral(jordan, su_service, su_purpose, caseworker))
    assert partner_mail(su_service) == []


def test_ending_a_basis_needs_a_reason_and_happens_once(public_task, manager):
    with pytest.raises(Exception) as missing:
        lawful_basis_end(actor=manager, record=public_task, why="", note="")
    assert set(missing.value.message_dict) == {"why", "note"}

    lawful_basis_end(actor=manager, record=public_task, why=BasisEndReason.OBJECTION, note="Objected.")
    with pytest.raises(Exception, match="already ended"):
        lawful_basis_end(actor=manager, record=public_task, why=BasisEndReason.OBJECTION, note="Again.")


def test_a_restriction_cancels_pending_transmissions_and_refuses_every_share(
    sent_on_basis, public_task, jordan, su_service, su_purpose, caseworker, manager
):
    transmission = sent_on_basis.transmissions.get()

    restriction_record(actor=manager, client=jordan, reason="Contests the accuracy of her record.")

    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.CANCELLED
    assert "restricted (UK GDPR Article 18)" in transmission.cancel_reason
    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.CANCELLED
    with pytest.raises(services.TransmissionRefused, match="restricted"):
        services.referral_transmit(actor=caseworker, referral=sent_on_basis)
    with pytest.raises(services.ShareRefused) as refused:
        services.referral_send(actor=caseworker, referral=new_referral(jordan, su_service, su_purpose, caseworker))
    assert "restricted (UK GDPR Article 18)" in refused.value.decision.refusals[0]
    assert partner_mail(su_service) == []


def test_a_lifted_restriction_lets_sharing_resume(public_task, jordan, su_service, su_purpose, caseworker, manager):
    restriction = restriction_record(actor=manager, client=jordan, reason="Contests accuracy.")
    restriction_lift(actor=manager, restriction=restriction, note="Record corrected; she agrees.")

    sent = services.referral_send(actor=caseworker, referral=new_referral(jordan, su_service, su_purpose, caseworker))

    assert services.transmission_send(transmission_id=sent.transmissions.get().pk) == Transmission.Status.SENT


@pytest.mark.parametrize(
    ("required_by_law", "role", "passes"),
    [
        (True, Role.SERVICE_MANAGER, True),
        (True, Role.INFORMATION_SECURITY_OFFICER, True),
        (True, Role.CASEWORKER, False),
        (False, Role.SERVICE_MANAGER, False),
    ],
)
def test_while_restricted_only_a_statutory_disclosure_the_law_requires_decided_by_a_manager_passes(
    jordan, manager, required_by_law, role, passes
):
    from accounts.tests.factories import UserFactory

    decider = UserFactory(role=role)
    assert consent_selectors.restriction_allows_statutory(jordan, required_by_law=False, decided_by=decider) == ""

    restriction_record(actor=manager, client=jordan, reason="Objects to any sharing.")

    problem = consent_selectors.restriction_allows_statutory(
        jordan, required_by_law=required_by_law, decided_by=decider
    )
    assert (problem == "") is passes


def test_the_consent_tab_ends_a_basis_and_restricts_sharing(public_task, jordan, caseworker, login):
    browser = login(caseworker)
    tab = browser.get(reverse("consent:tab", args=[jordan.pk])).content.decode()
    assert reverse("consent:basis_end", args=[jordan.pk, public_task.pk]) in tab

    response = browser.post(
        reverse("consent:basis_end", args=[jordan.pk, public_task.pk]),
        {"why": "objection", "note": "She does not want them to have it."},
    )
    assert response.status_code == 302
    public_task.refresh_from_db()
    assert public_task.end_reason == "objection"
    assert public_task.ended_by == caseworker

    empty = browser.post(reverse("consent:restriction", args=[jordan.pk]), {"reason": ""})
    assert empty.status_code == 400
    assert "Say what the client asked for and why." in empty.content.decode()
    response = browser.post(reverse("consent:restriction", args=[jordan.pk]), {"reason": "Contests accuracy."})
    assert response.status_code == 302
    assert consent_selectors.restriction_for_client(jordan) is not None
    assert "Sharing is restricted" in browser.get(reverse("consent:tab", args=[jordan.pk])).content.decode()
