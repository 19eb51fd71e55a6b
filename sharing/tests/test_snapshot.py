"""Whatever the selection, the snapshot carries exactly the chosen categories at the chosen levels."""

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import services as client_services
from clients.categories import CATEGORIES, Level, Selection
from consent.tests.factories import client_on_caseload
from sharing.snapshot import build_snapshot, canonical, snapshot_hash

selections = st.dictionaries(
    st.sampled_from([c.key for c in CATEGORIES]), st.sampled_from([Level.SUMMARY, Level.DETAIL])
).map(Selection)


@pytest.fixture
def recorded(caseworker, team_a):
    """A client with one entry in every category, each text unique to its category and level."""
    client = client_on_caseload(caseworker=caseworker, team=team_a)
    client_services.client_update(
        actor=caseworker,
        client=client,
        national_insurance_number="AB123456C",
        address="Flat 2, 10 Mill Lane",
        preferred_contact="Text",
    )
    for category in CATEGORIES:
        client_services.entry_create(
            actor=caseworker,
            client=client,
            category=category.key,
            summary=f"summary-of-{category.key}",
            detail=f"detail-of-{category.key}",
        )
    client.refresh_from_db()
    return client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(selection=selections)
def test_the_snapshot_holds_exactly_the_selection(recorded, selection):
    snapshot = build_snapshot(
        client=recorded,
        selection=selection,
        reference="D-TEST",
        recipient="A partner",
        purpose="A purpose",
        basis="A basis",
        sent_at=timezone.now(),
        sent_by="A caseworker",
    )
    text = canonical(snapshot).decode()

    for category in CATEGORIES:
        level = selection.get(category.key)
        assert (f"summary-of-{category.key}" in text) == (level is not None)
        assert (f"detail-of-{category.key}" in text) == (level is Level.DETAIL)
    assert ("AB123456C" in text) == (selection.get("identity") is Level.DETAIL)
    assert ("Flat 2, 10 Mill Lane" in text) == (selection.get("contact") is Level.DETAIL)
    assert [section["key"] for section in snapshot["sections"]] == list(selection)
    assert snapshot_hash(snapshot) == snapshot_hash(dict(reversed(list(snapshot.items()))))
