import pytest

from consent.tests.factories import (
    PartnerFactory,
    PrivacyNoticeFactory,
    PurposeFactory,
    client_on_caseload,
)


@pytest.fixture
def jordan(caseworker, team_a):
    """A client on `caseworker`'s caseload in team_a (managed by `manager`)."""
    return client_on_caseload(caseworker=caseworker, team=team_a)


@pytest.fixture
def riverside(db):
    return PartnerFactory(name="Riverside Housing")


@pytest.fixture
def northside(db):
    return PartnerFactory(name="Northside Drug and Alcohol Service", kind="substance_use")


@pytest.fixture
def housing(db):
    return PurposeFactory(key="referral-housing", name="Referral to housing")


@pytest.fixture
def notice(db):
    return PrivacyNoticeFactory()


@pytest.fixture
def private_root(settings, tmp_path):
    """Evidence goes to a fresh folder per test, so "nothing stored" can be checked."""
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    return root


def stored_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []
