"""The coverage rule, property by property (no database: unsaved records are enough)."""

import datetime as dt

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import User
from clients.categories import CATEGORIES, REGISTRY, Level, Selection
from consent.coverage import Status, answer, covers, status
from consent.models import ConsentRecord, LawfulBasis, LawfulBasisRecord

AT = dt.datetime(2026, 5, 3, 12, 0, tzinfo=dt.UTC)
KEYS = [category.key for category in CATEGORIES]
levels = st.sampled_from([Level.SUMMARY, Level.DETAIL])
selections = st.dictionaries(st.sampled_from(KEYS), levels).map(Selection)
non_empty_selections = st.dictionaries(st.sampled_from(KEYS), levels, min_size=1).map(Selection)


def consent(selection: Selection, **fields) -> ConsentRecord:
    defaults = {
        "method": ConsentRecord.Method.WRITTEN,
        "given_at": AT - dt.timedelta(days=30),
        "selection": selection.to_json(),
    }
    return ConsentRecord(**{**defaults, **fields})


def lawful_basis(selection: Selection, **fields) -> LawfulBasisRecord:
    defaults = {
        "basis": LawfulBasis.PUBLIC_TASK,
        "starts_on": dt.date(2026, 1, 1),
        "selection": selection.to_json(),
        "special_condition": "safeguarding",
        "criminal_condition": "safeguarding",
    }
    return LawfulBasisRecord(**{**defaults, **fields})


def decide(records, selection):
    return answer(records, recipient="Riverside Housing", purpose="Referral to housing", selection=selection, at=AT)


@given(held=selections, asked=non_empty_selections)
def test_a_basis_covers_a_selection_exactly_when_it_covers_every_item(held, asked):
    for record in (consent(held), lawful_basis(held)):
        every_item = all(covers(record, Selection({key: level}), AT) for key, level in asked.items())
        assert covers(record, asked, AT) == every_item == held.covers(asked)
        assert decide([record], asked).covered == every_item


@given(held=selections, asked=non_empty_selections, days_ago=st.integers(min_value=0, max_value=400))
def test_a_withdrawn_consent_never_covers_anything(held, asked, days_ago):
    withdrawn = consent(held, withdrawn_at=AT - dt.timedelta(days=days_ago), withdrawal_method="phone")
    withdrawn.withdrawn_by = User(first_name="Aisha", last_name="Khan")
    assert status(withdrawn, AT) is Status.WITHDRAWN
    assert not covers(withdrawn, asked, AT)
    decision = decide([withdrawn], asked)
    assert not decision.covered
    assert decision.basis is None
    assert not any(item.covered for item in decision.items)


@given(held=selections, asked=non_empty_selections, days_ago=st.integers(min_value=0, max_value=400))
def test_an_expired_consent_or_ended_basis_never_covers_anything(held, asked, days_ago):
    ended_on = timezone.localtime(AT).date() - dt.timedelta(days=days_ago)
    for record in (consent(held, expires_on=ended_on), lawful_basis(held, ends_on=ended_on)):
        assert status(record, AT) is Status.EXPIRED
        assert not covers(record, asked, AT)
        assert not decide([record], asked).covered


@given(key=st.sampled_from(KEYS))
def test_a_detail_level_covers_its_summary_but_a_summary_does_not_cover_the_detail(key):
    detail, summary = Selection({key: "detail"}), Selection({key: "summary"})
    for make in (consent, lawful_basis):
        assert covers(make(detail), summary, AT)
        assert covers(make(detail), detail, AT)
        assert covers(make(summary), summary, AT)
        assert not covers(make(summary), detail, AT)


@given(records=st.lists(selections, max_size=4), asked=non_empty_selections)
def test_a_share_is_covered_only_by_one_basis_covering_all_of_it(records, asked):
    made = [consent(held) for held in records]
    decision = decide(made, asked)
    assert decision.covered == any(held.covers(asked) for held in records)
    if decision.covered:
        assert decision.basis is next(r for r, held in zip(made, records, strict=True) if held.covers(asked))
    else:
        assert decision.basis is None


@given(held=selections, asked=non_empty_selections)
def test_verbal_consent_without_the_clients_words_never_covers_sensitive_items(held, asked):
    verbal = consent(held, method=ConsentRecord.Method.VERBAL, witness_name="Sam Lee")
    sensitive = any(REGISTRY[key].sensitive for key in asked)
    assert covers(verbal, asked, AT) == (held.covers(asked) and not sensitive)
    explicit = consent(held, method=ConsentRecord.Method.VERBAL, explicit_statement="Yes, tell them about my health.")
    assert covers(explicit, asked, AT) == held.covers(asked)


@given(held=selections, asked=non_empty_selections)
def test_another_basis_needs_a_condition_for_special_and_criminal_items(held, asked):
    bare = lawful_basis(held, special_condition="", criminal_condition="")
    sensitive = any(REGISTRY[key].sensitive for key in asked)
    assert covers(bare, asked, AT) == (held.covers(asked) and not sensitive)


@settings(max_examples=50)
@given(held=non_empty_selections)
def test_a_basis_awaiting_approval_covers_nothing_until_approved(held):
    pending = lawful_basis(held, basis=LawfulBasis.VITAL_INTERESTS, requires_approval=True)
    assert status(pending, AT) is Status.AWAITING_APPROVAL
    assert not covers(pending, held, AT)
    pending.approved_at = AT - dt.timedelta(minutes=1)
    assert covers(pending, held, AT)


def test_nothing_chosen_is_not_a_share():
    decision = decide([consent(Selection({"identity": "detail"}))], Selection())
    assert not decision.covered
    assert decision.explanation == "Nothing has been chosen to share."


def test_a_consent_given_after_the_moment_asked_about_does_not_cover_it():
    later = consent(Selection({"identity": "detail"}), given_at=AT + dt.timedelta(hours=1))
    assert status(later, AT) is Status.NOT_STARTED
    assert not covers(later, Selection({"identity": "summary"}), AT)
