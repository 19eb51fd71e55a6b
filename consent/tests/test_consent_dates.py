"""Consent dated before the client was known, or before the privacy notice it cites, is refused."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from .factories import PrivacyNoticeFactory
from .test_services import record


def test_consent_given_before_the_case_opened_is_refused(jordan, caseworker, riverside, housing, notice):
    jordan.opened_on = timezone.localdate() - dt.timedelta(days=10)
    jordan.save(update_fields=["opened_on"])

    with pytest.raises(ValidationError) as excinfo:
        record(jordan, caseworker, riverside, housing, notice, given_at=timezone.now() - dt.timedelta(days=11))

    assert "before the client was known" in excinfo.value.message_dict["given_at"][0]


def test_consent_cannot_cite_a_notice_that_did_not_exist_yet(jordan, caseworker, riverside, housing):
    later = PrivacyNoticeFactory(version="v9", effective_on=timezone.localdate() + dt.timedelta(days=1))

    with pytest.raises(ValidationError) as excinfo:
        record(jordan, caseworker, riverside, housing, later)

    assert "Privacy notice v9 took effect" in excinfo.value.message_dict["notice"][0]
