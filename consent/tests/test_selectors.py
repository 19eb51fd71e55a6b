"""basis_for_share: the answer for the gate, its explanations and its cost."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from clients.categories import CATEGORIES, Selection
from consent.models import ConsentRecord, LawfulBasis
from consent.selectors import basis_for_meeting_share, basis_for_share
from consent.services import consent_withdraw

from .factories import (
    ConsentRecordFactory,
    LawfulBasisRecordFactory,
    MeetingGroupFactory,
    PartnerFactory,
    PurposeFactory,
)

AT = dt.datetime(2026, 5, 3, 10, 0, tzinfo=dt.UTC)


def ask(client, partner, purpose, selection, **kwargs):
    return basis_for_share(client=client, partner=partner, purpose=purpose, selection=Selection(selection), **kwargs)


def test_it_names_the_consent_that_covers_the_whole_share(jordan, riverside, housing):
    consent = ConsentRecordFactory(
        client=jordan, selection={"housing_history": "detail", "mental_health": "summary"}, given_at=AT
    )
    answer = ask(jordan, riverside, housing, {"housing_history": "summary", "mental_health": "summary"})
    assert answer.covered
    assert answer.basis == consent
    assert (
        answer.explanation == "Consent to Riverside Housing covers housing history (summary), mental health (summary)."
    )
    assert [(item.key, item.covered, item.basis) for item in answer.items] == [
        ("housing_history", True, consent),
        ("mental_health", True, consent),
    ]


def test_it_says_exactly_what_a_consent_does_not_cover(jordan, riverside, housing):
    ConsentRecordFactory(client=jordan, selection={"housing_history": "detail"}, given_at=AT)
    answer = ask(jordan, riverside, housing, {"housing_history": "detail", "mental_health": "summary"})
    assert not answer.covered
    assert answer.basis is None
    assert answer.explanation == (
        "Consent to Riverside Housing covers housing history (detail) but not mental health (summary)."
    )
    mental_health = answer.items[1]
    assert (mental_health.covered, mental_health.reason) == (False, "Not included in consent to Riverside Housing")


def test_a_summary_consent_does_not_cover_the_detail(jordan, riverside, housing):
    ConsentRecordFactory(client=jordan, selection={"mental_health": "summary"}, given_at=AT)
    answer = ask(jordan, riverside, housing, {"mental_health": "detail"})
    assert answer.explanation == "Consent to Riverside Housing does not cover mental health (detail)."
    assert answer.items[0].reason == "Consent to Riverside Housing covers only the summary"


def test_it_says_when_how_and_by_whom_a_consent_was_withdrawn(jordan, riverside, housing, caseworker):
    consent = ConsentRecordFactory(client=jordan, selection={"housing_history": "detail"}, given_at=AT)
    khan = UserFactory(username="akhan", first_name="Aisha", last_name="Khan")
    consent_withdraw(actor=khan, consent=consent, how="in_person", at=AT + dt.timedelta(hours=2))
    answer = ask(jordan, riverside, housing, {"housing_history": "summary"})
    assert not answer.covered
    assert (
        answer.explanation == "Consent to Riverside Housing was withdrawn on 3 May 2026, verbally, recorded by A. Khan."
    )


def test_it_says_when_a_consent_expired(jordan, riverside, housing):
    ConsentRecordFactory(
        client=jordan, selection={"housing_history": "detail"}, given_at=AT, expires_on=dt.date(2026, 6, 1)
    )
    answer = ask(jordan, riverside, housing, {"housing_history": "summary"}, on=dt.date(2026, 6, 1))
    assert answer.explanation == "Consent to Riverside Housing expired on 1 June 2026."
    assert ask(jordan, riverside, housing, {"housing_history": "summary"}, on=dt.date(2026, 5, 31)).covered


def test_it_says_when_there_is_no_basis_at_all(jordan, riverside, housing):
    answer = ask(jordan, riverside, housing, {"identity": "summary"})
    assert not answer.covered
    assert answer.explanation == (
        "There is no consent or other lawful basis for sharing with Riverside Housing for referral to housing."
    )
    assert answer.items[0].reason == "No consent or other lawful basis"


def test_only_a_consent_naming_this_partner_this_purpose_and_this_client_counts(
    jordan, riverside, northside, housing, caseworker, team_a
):
    from .factories import client_on_caseload

    other_client = client_on_caseload(caseworker=caseworker, team=team_a, first_name="Sam", last_name="Other")
    drugs = PurposeFactory(key="referral-substance-use", name="Referral to a substance-use service")
    ConsentRecordFactory(client=jordan, partners=[northside], selection={"identity": "detail"})
    ConsentRecordFactory(client=jordan, purposes=[drugs], selection={"identity": "detail"})
    ConsentRecordFactory(client=other_client, selection={"identity": "detail"})
    assert not ask(jordan, riverside, housing, {"identity": "summary"}).covered
    assert ask(jordan, northside, drugs, {"identity": "summary"}).explanation.startswith("There is no consent")


def test_verbal_consent_needs_the_clients_words_for_special_category_items(jordan, riverside, housing):
    ConsentRecordFactory(
        client=jordan,
        method=ConsentRecord.Method.VERBAL,
        witness_name="Sam Lee",
        selection={"housing_history": "detail", "mental_health": "summary"},
    )
    answer = ask(jordan, riverside, housing, {"housing_history": "summary", "mental_health": "summary"})
    assert answer.explanation == (
        "Consent to Riverside Housing covers housing history (summary) but not mental health (summary). "
        "Verbal consent without the client's explicit statement cannot cover special-category or "
        "criminal-offence data."
    )


def test_a_basis_awaiting_approval_says_so_and_covers_once_approved(jordan, riverside, housing, manager):
    record = LawfulBasisRecordFactory(
        client=jordan,
        basis=LawfulBasis.VITAL_INTERESTS,
        requires_approval=True,
        selection={"physical_health": "detail"},
        special_condition="vital_interests",
    )
    answer = ask(jordan, riverside, housing, {"physical_health": "summary"})
    assert answer.explanation == "Vital interests basis for Riverside Housing is awaiting a manager's approval."
    from consent.services import lawful_basis_approve

    lawful_basis_approve(actor=manager, record=record)
    answer = ask(jordan, riverside, housing, {"physical_health": "summary"})
    assert answer.covered
    assert answer.basis == record
    assert answer.explanation == "Vital interests basis for Riverside Housing covers physical health (summary)."


def test_bases_are_not_combined_item_by_item(jordan, riverside, housing):
    consent = ConsentRecordFactory(client=jordan, selection={"housing_history": "detail"}, given_at=AT)
    basis = LawfulBasisRecordFactory(client=jordan, selection={"finances": "summary"})
    answer = ask(jordan, riverside, housing, {"housing_history": "summary", "finances": "summary"})
    assert not answer.covered
    assert [(item.key, item.basis) for item in answer.items] == [("housing_history", consent), ("finances", basis)]
    assert answer.explanation == (
        "No single basis covers everything chosen. Not covered: finances and benefits (summary) — by consent to "
        "Riverside Housing given 3 May 2026; housing history (summary) — by public task basis for Riverside Housing "
        f"from {basis.starts_on.day} {basis.starts_on:%B %Y}. "
        "Each item is covered by one of them, but one basis must cover the whole share."
    )


def test_several_consents_that_each_leave_something_out_give_one_grouped_message(jordan, riverside, housing):
    ConsentRecordFactory(client=jordan, selection={"housing_history": "detail"}, given_at=AT)
    ConsentRecordFactory(client=jordan, selection={"identity": "summary"}, given_at=AT + dt.timedelta(days=30))

    answer = ask(
        jordan, riverside, housing, {"housing_history": "summary", "identity": "summary", "mental_health": "summary"}
    )

    assert not answer.covered
    assert answer.explanation == (
        "No single basis covers everything chosen. Not covered: housing history (summary), mental health (summary) "
        "— by consent to Riverside Housing given 2 June 2026; identity (summary), mental health (summary) — by "
        "consent to Riverside Housing given 3 May 2026."
    )
    assert answer.explanation.count("Consent to") == 0  # one message, not one sentence per consent


def test_a_consent_is_preferred_to_another_basis_when_both_cover(jordan, riverside, housing):
    LawfulBasisRecordFactory(client=jordan, selection={"identity": "detail"})
    consent = ConsentRecordFactory(client=jordan, selection={"identity": "detail"})
    assert ask(jordan, riverside, housing, {"identity": "summary"}).basis == consent


def test_it_answers_in_two_queries_whatever_the_size_of_the_selection(jordan, riverside, housing):
    everything = {category.key: "detail" for category in CATEGORIES}
    for _ in range(3):
        ConsentRecordFactory(client=jordan, selection=everything)
        LawfulBasisRecordFactory(client=jordan, selection=everything)
    with CaptureQueriesContext(connection) as queries:
        answer = ask(jordan, riverside, housing, everything)
    assert answer.covered
    assert len(queries) == 2


@pytest.mark.postgres
def test_lock_selects_the_candidate_rows_for_update(jordan, riverside, housing):
    if connection.vendor != "postgresql":
        pytest.skip("SELECT ... FOR UPDATE needs PostgreSQL")
    ConsentRecordFactory(client=jordan, selection={"identity": "detail"})
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert ask(jordan, riverside, housing, {"identity": "summary"}, lock=True).covered
    assert len(queries) == 2
    assert all(query["sql"].endswith(" FOR UPDATE OF b") for query in queries.captured_queries)


def test_locking_outside_a_transaction_is_refused(transactional_db, jordan, riverside, housing):
    with pytest.raises(TransactionManagementError):
        ask(jordan, riverside, housing, {"identity": "summary"}, lock=True)


# --- Meetings -------------------------------------------------------------------------------


def test_a_group_consent_covers_a_meeting_of_its_named_members(jordan, riverside, northside):
    group = MeetingGroupFactory(members=[riverside, northside])
    meeting = PurposeFactory(key="multi-agency-risk-meeting", name="Multi-agency risk meeting")
    consent = ConsentRecordFactory(
        client=jordan, partners=[], meeting_group=group, purposes=[meeting], selection={"support_needs": "summary"}
    )
    answer = basis_for_meeting_share(
        client=jordan,
        group=group,
        present=[riverside, northside],
        purpose=meeting,
        selection=Selection({"support_needs": "summary"}),
    )
    assert answer.covered
    assert answer.basis == consent
    assert answer.explanation == "Consent to Rough Sleeper Action Group covers support needs (summary)."


def test_a_group_consent_does_not_cover_organisations_outside_the_group(jordan, riverside):
    police = PartnerFactory(name="City Police", kind="police")
    group = MeetingGroupFactory(members=[riverside])
    meeting = PurposeFactory(key="multi-agency-risk-meeting", name="Multi-agency risk meeting")
    ConsentRecordFactory(
        client=jordan, partners=[], meeting_group=group, purposes=[meeting], selection={"support_needs": "summary"}
    )
    answer = basis_for_meeting_share(
        client=jordan,
        group=group,
        present=[riverside, police],
        purpose=meeting,
        selection=Selection({"support_needs": "summary"}),
    )
    assert not answer.covered
    assert answer.explanation == (
        "City Police is not a named member of Rough Sleeper Action Group, so nothing can be shared at this meeting. "
        "Consent to Rough Sleeper Action Group covers support needs (summary) for the named members only."
    )


def test_a_group_consent_does_not_cover_a_direct_referral_to_a_member(jordan, riverside, housing):
    group = MeetingGroupFactory(members=[riverside])
    ConsentRecordFactory(client=jordan, partners=[], meeting_group=group, selection={"support_needs": "summary"})
    assert not ask(jordan, riverside, housing, {"support_needs": "summary"}).covered
