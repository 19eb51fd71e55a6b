"""A client with domestic-abuse and substance-use information, two partner services and
consents to each, for the referral tests.

`jordan` is on `caseworker`'s caseload in team_a. The substance-use service may have the
domestic-abuse SUMMARY only; the domestic-abuse service may have the DETAIL.
"""

import pytest

from clients import services as client_services
from consent.tests.factories import ConsentRecordFactory, client_on_caseload

from .factories import DomesticAbuseServiceFactory, SubstanceUseServiceFactory, purpose

DA_SUMMARY = "Has experienced domestic abuse from a former partner; needs single-gender support."
DA_DETAIL = "Account of the abuse: controlling behaviour and assaults over three years, last in January."
SU_SUMMARY = "Uses alcohol daily; wants help to cut down."
SU_DETAIL = "Drinks about two litres of cider a day; previous detox in 2023 at Hope House."
HOUSING_SUMMARY = "Sleeping rough since March."
SUPPORT_SUMMARY = "Needs help with a benefits claim and a GP registration."
SUPPORT_DETAIL = "Support plan: weekly key-work sessions, GP registration, Universal Credit claim."

SU_SELECTION = {"identity": "summary", "contact": "summary", "substance_use": "detail", "domestic_abuse": "summary"}
DA_SELECTION = {"identity": "summary", "contact": "summary", "support_needs": "detail", "domestic_abuse": "detail"}


@pytest.fixture(autouse=True)
def _referrals_without_an_agreement_go_and_are_listed(monkeypatch):
    """These tests are about the basis, and their partners have no data-sharing agreement: the
    policy row is made (lazily) with "sent and listed for managers". test_agreements.py sets
    the default policy, a manager's approval, itself."""
    from sharing.models import SharingPolicy

    field = SharingPolicy._meta.get_field("without_agreement")
    monkeypatch.setattr(field, "default", SharingPolicy.WithoutAgreement.LISTED)


@pytest.fixture
def jordan(caseworker, team_a):
    client = client_on_caseload(caseworker=caseworker, team=team_a)
    client_services.client_update(
        actor=caseworker, client=client, phone="07700 900123", address="Flat 2, 10 Mill Lane", preferred_contact="Text"
    )
    for category, summary, detail in (
        ("domestic_abuse", DA_SUMMARY, DA_DETAIL),
        ("substance_use", SU_SUMMARY, SU_DETAIL),
        ("housing_history", HOUSING_SUMMARY, "Evicted in February after arrears."),
        ("support_needs", SUPPORT_SUMMARY, SUPPORT_DETAIL),
    ):
        client_services.entry_create(actor=caseworker, client=client, category=category, summary=summary, detail=detail)
    client.refresh_from_db()
    return client


@pytest.fixture
def su_service(db):
    return SubstanceUseServiceFactory()


@pytest.fixture
def da_service(db):
    return DomesticAbuseServiceFactory()


@pytest.fixture
def su_purpose(db):
    return purpose("referral-substance-use")


@pytest.fixture
def da_purpose(db):
    return purpose("referral-domestic-abuse")


@pytest.fixture
def su_consent(jordan, su_service, su_purpose, caseworker):
    return ConsentRecordFactory(
        client=jordan, partners=[su_service], purposes=[su_purpose], selection=SU_SELECTION, recorded_by=caseworker
    )


@pytest.fixture
def da_consent(jordan, da_service, da_purpose, caseworker):
    return ConsentRecordFactory(
        client=jordan, partners=[da_service], purposes=[da_purpose], selection=DA_SELECTION, recorded_by=caseworker
    )
