"""A referral refused under several consents, each leaving something out, says so in one
grouped message: what is not covered, by which consent (told apart by date)."""

import datetime as dt

import pytest
from django.utils import timezone

from clients.categories import Selection
from consent.tests.factories import ConsentRecordFactory
from sharing import services

from .conftest import SU_SELECTION
from .factories import ReferralFactory

SU_REASONS = {"substance_use": "To plan treatment.", "domestic_abuse": "Single-gender groups."}


def test_a_referral_refused_under_two_consents_gets_one_grouped_message(jordan, su_service, su_purpose, caseworker):
    first = timezone.now() - dt.timedelta(days=10)
    without_substance_use = {k: v for k, v in SU_SELECTION.items() if k != "substance_use"}
    without_domestic_abuse = {k: v for k, v in SU_SELECTION.items() if k != "domestic_abuse"}
    for given_at, selection in ((first, without_substance_use), (first + dt.timedelta(days=2), without_domestic_abuse)):
        ConsentRecordFactory(
            client=jordan,
            partners=[su_service],
            purposes=[su_purpose],
            selection=selection,
            recorded_by=caseworker,
            given_at=given_at,
        )
    referral = ReferralFactory(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        selection=Selection(SU_SELECTION).to_json(),
        reasons=SU_REASONS,
        created_by=caseworker,
    )

    with pytest.raises(services.ShareRefused) as refused:
        services.referral_send(actor=caseworker, referral=referral)

    message = str(refused.value)
    assert message.count("Not covered:") == 1
    assert message.count(f"Consent to {su_service.name}") == 0  # not one sentence per consent
    assert "substance use (detail) — by consent to" in message
    assert "domestic abuse (summary) — by consent to" in message
    assert "one basis must cover the whole share" in message
