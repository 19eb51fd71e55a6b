"""A consent changed at review (a new consent replaces the old) asks the worker to tell a
recipient to stop only when the new consent no longer covers what that recipient was sent."""

import datetime as dt

import pytest
from django.utils import timezone

from clients.categories import Selection
from consent import services as consent_services
from consent.models import ConsentRecord
from consent.tests.factories import PrivacyNoticeFactory
from sharing import services
from sharing.models import RecipientNotice

from .conftest import SU_SELECTION
from .factories import ReferralFactory

SU_REASONS = {"substance_use": "To plan treatment.", "domestic_abuse": "Single-gender groups."}


@pytest.fixture
def sent(jordan, su_service, su_purpose, su_consent, caseworker):
    referral = ReferralFactory(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        selection=Selection(SU_SELECTION).to_json(),
        reasons=SU_REASONS,
        created_by=caseworker,
    )
    return services.referral_send(actor=caseworker, referral=referral)


def change_at_review(consent, actor, *, partners, purposes, selection):
    return consent_services.consent_replace_at_review(
        actor=actor,
        consent=consent,
        how="in_person",
        partners=partners,
        purposes=purposes,
        selection=Selection(selection),
        method=ConsentRecord.Method.ELECTRONIC,
        electronic_reference="Signed on the tablet at the review.",
        notice=PrivacyNoticeFactory(),
        given_at=timezone.now() - dt.timedelta(minutes=1),
        has_capacity=True,
    )


def test_a_change_that_still_covers_the_recipient_creates_no_stop_task(
    sent, su_consent, su_service, su_purpose, da_service, caseworker
):
    # Widened: the same partner, purpose and items, and now a second partner too.
    change_at_review(
        su_consent,
        caseworker,
        partners=[su_service, da_service],
        purposes=[su_purpose],
        selection={**SU_SELECTION, "housing_history": "summary"},
    )

    assert not RecipientNotice.objects.exists()


def test_a_change_that_narrows_what_the_recipient_was_sent_asks_to_tell_it(
    sent, su_consent, su_service, su_purpose, caseworker
):
    narrower = {key: level for key, level in SU_SELECTION.items() if key != "substance_use"}

    change_at_review(su_consent, caseworker, partners=[su_service], purposes=[su_purpose], selection=narrower)

    [notice] = RecipientNotice.objects.all()
    assert (notice.partner, notice.disclosure) == (su_service, sent.disclosure)


def test_a_change_that_drops_the_recipient_asks_to_tell_it(
    sent, su_consent, su_service, da_service, su_purpose, caseworker
):
    change_at_review(su_consent, caseworker, partners=[da_service], purposes=[su_purpose], selection=SU_SELECTION)

    assert RecipientNotice.objects.get().partner == su_service


def test_a_change_that_drops_the_purpose_asks_to_tell_it(sent, su_consent, su_service, da_purpose, caseworker):
    change_at_review(su_consent, caseworker, partners=[su_service], purposes=[da_purpose], selection=SU_SELECTION)

    assert RecipientNotice.objects.get().partner == su_service


def test_a_plain_withdrawal_still_asks_to_tell_every_recipient(sent, su_consent, caseworker):
    consent_services.consent_withdraw(actor=caseworker, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    assert RecipientNotice.objects.count() == 1
