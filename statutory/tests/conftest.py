"""The referral tests' client `jordan` (with housing, support, substance-use and
domestic-abuse information) and partners, shared with sharing's tests."""

from sharing.tests.conftest import (  # noqa: F401
    da_consent,
    da_purpose,
    da_service,
    jordan,
    su_consent,
    su_purpose,
    su_service,
)
