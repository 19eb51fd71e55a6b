"""The coverage rule: does a basis cover a share, item by item, and why not.

Pure functions over already-loaded records, so the rule can be tested exhaustively
(hypothesis) without a database and the selectors stay at a fixed number of queries.

The rule:
- A basis covers a share when it is in force (not withdrawn, not expired or ended, not
  awaiting a manager's approval, already given or started) and covers every item of the
  selection at the level asked for. A detail level covers its summary; a summary does not
  cover the detail (`Selection.covers_item`).
- Special-category and criminal-offence items need more: a consent must be explicit
  (written, electronic, or verbal with the client's own words recorded); another lawful
  basis must record a condition (Article 9 for special category, a DPA 2018 Schedule 1
  condition for criminal-offence data).
- One basis must cover the whole share. Bases are not combined item by item: the
  disclosure then names one basis the client can be told about, and withdrawing that one
  basis stops the whole share. The item panel still shows what each basis would cover.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils import timezone

from clients.categories import REGISTRY, Level, Selection


class Status(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    AWAITING_APPROVAL = "awaiting_approval"


@dataclass(frozen=True)
class ItemAnswer:
    """One category of the share: which basis covers it, or why none does."""

    key: str
    level: Level
    covered: bool
    basis: object | None
    reason: str

    @property
    def label(self) -> str:
        return REGISTRY[self.key].label

    @property
    def text(self) -> str:
        return f"{self.label.lower()} ({self.level.label})"


@dataclass(frozen=True)
class ShareAnswer:
    """The answer for the gate: covered or not, by which basis, and a plain-English why."""

    covered: bool
    basis: object | None
    items: tuple[ItemAnswer, ...]
    explanation: str
    # Every record considered (in force or not), for panels and for locking.
    candidates: tuple = field(default=(), repr=False)

    def __bool__(self) -> bool:
        return self.covered


def as_moment(on: dt.datetime | dt.date | None) -> dt.datetime:
    """The moment a question is asked about. A bare date means the end of that day."""
    if on is None:
        return timezone.now()
    if isinstance(on, dt.datetime):
        return on
    return timezone.make_aware(dt.datetime.combine(on, dt.time.max))


def format_date(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return f"{value.day} {value:%B %Y}"


def short_name(user) -> str:
    """'A. Khan' from Aisha Khan; the username when no name is recorded."""
    if user is None:
        return "an unknown person"
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if first and last:
        return f"{first[0]}. {last}"
    return last or first or user.get_username()


def status(record, at: dt.datetime) -> Status:
    today = timezone.localtime(at).date()
    if record.kind == "consent":
        if record.withdrawn_at is not None and record.withdrawn_at <= at:
            return Status.WITHDRAWN
        if record.given_at > at:
            return Status.NOT_STARTED
        if record.expires_on is not None and today >= record.expires_on:
            return Status.EXPIRED
        return Status.ACTIVE
    if record.starts_on > today:
        return Status.NOT_STARTED
    if record.ends_on is not None and today >= record.ends_on:
        return Status.EXPIRED
    if record.requires_approval and (record.approved_at is None or record.approved_at > at):
        return Status.AWAITING_APPROVAL
    return Status.ACTIVE


# Why an in-force record does not cover one item.
NOT_INCLUDED = "not_included"
SUMMARY_ONLY = "summary_only"
NOT_EXPLICIT = "not_explicit"
NO_SPECIAL_CONDITION = "no_special_condition"
NO_CRIMINAL_CONDITION = "no_criminal_condition"


def item_problem(record, held: Selection, key: str, level: Level) -> str | None:
    """None when the (in-force) record covers this item; otherwise why not."""
    if not held.covers_item(key, level):
        return SUMMARY_ONLY if key in held else NOT_INCLUDED
    category = REGISTRY[key]
    if record.kind == "consent":
        if category.sensitive and not record.is_explicit:
            return NOT_EXPLICIT
        return None
    if category.special and not record.special_condition:
        return NO_SPECIAL_CONDITION
    if category.criminal and not record.criminal_condition:
        return NO_CRIMINAL_CONDITION
    return None


def covers(record, selection: Selection, at: dt.datetime) -> bool:
    """The rule in one line: in force, and no item with a problem."""
    if not selection or status(record, at) is not Status.ACTIVE:
        return False
    held = record.selection_obj
    return all(item_problem(record, held, key, level) is None for key, level in selection.items())


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _status_sentence(record, state: Status, label: str) -> str:
    if state is Status.WITHDRAWN:
        return (
            f"{label} was withdrawn on {format_date(record.withdrawn_at)}, {record.withdrawal_phrase}, "
            f"recorded by {short_name(record.withdrawn_by)}."
        )
    if state is Status.EXPIRED:
        if record.kind == "consent":
            return f"{label} expired on {format_date(record.expires_on)}."
        if getattr(record, "end_reason", ""):
            why = {"objection": "the client objected (UK GDPR Article 21)", "need_passed": "the need had passed"}
            return (
                f"{label} was ended on {format_date(record.ends_on)}: {why.get(record.end_reason, record.end_reason)}."
            )
        return f"{label} ended on {format_date(record.ends_on)}."
    if state is Status.AWAITING_APPROVAL:
        return f"{label} is awaiting a manager's approval."
    start = record.given_at if record.kind == "consent" else record.starts_on
    return f"{label} does not start until {format_date(start)}."


def status_now(record) -> Status:
    """The record's status at this moment (UTC now)."""
    return status(record, timezone.now())


def why_not(record, selection: Selection, *, recipient: str, at: dt.datetime) -> str:
    """Why `record` no longer covers `selection` at `at` ("" when it does), in a sentence.

    For a record sharing relied on earlier: "Consent to X was withdrawn on 3 May 2026, by
    phone, recorded by A. Khan.", or the end, expiry or approval sentence; a record still in
    force that no longer covers every item is named as such.
    """
    if covers(record, selection, at):
        return ""
    label = record.label_for(recipient)
    state = status(record, at)
    if state is not Status.ACTIVE:
        return _status_sentence(record, state, label)
    return f"{label} no longer covers {selection.describe()}."


_PROBLEM_SENTENCES = {
    NOT_EXPLICIT: "Verbal consent without the client's explicit statement cannot cover special-category "
    "or criminal-offence data.",
    NO_SPECIAL_CONDITION: "It records no condition for special-category data.",
    NO_CRIMINAL_CONDITION: "It records no condition for criminal-offence data.",
}


def _item_reason(problem: str, label: str) -> str:
    return {
        NOT_INCLUDED: f"Not included in {_lower_first(label)}",
        SUMMARY_ONLY: f"{label} covers only the summary",
        NOT_EXPLICIT: f"{label} is verbal without the client's explicit statement",
        NO_SPECIAL_CONDITION: f"{label} records no condition for special-category data",
        NO_CRIMINAL_CONDITION: f"{label} records no condition for criminal-offence data",
    }[problem]


def _dated(record) -> str:
    """A record's label told apart from others of the same kind: "consent given 3 May 2026"."""
    if hasattr(record, "given_at"):
        return f"given {format_date(record.given_at)}"
    return f"from {format_date(record.starts_on)}"


def _grouped_gaps(active: list, selection: Selection) -> str:
    """One message for several bases in force, none covering everything: what each leaves out.

    "No single basis covers everything chosen. Not covered: mental health (summary) — by
    consent to Riverside Housing given 3 May 2026; housing history (summary) — by public
    task basis for Riverside Housing from 1 April 2026."
    """
    gaps = []
    for record, _state, label, problems in active:
        missing = Selection((k, lv) for k, lv in selection.items() if problems[k] is not None)
        gaps.append(f"{missing.describe()} — by {_lower_first(label)} {_dated(record)}")
    return f"No single basis covers everything chosen. Not covered: {'; '.join(gaps)}."


def answer(
    records: Iterable,
    *,
    recipient: str,
    purpose: str,
    selection: Selection,
    at: dt.datetime,
    outsiders: Sequence[str] = (),
) -> ShareAnswer:
    """Decide a share from candidate records, in order of preference (first covering wins).

    `recipient` and `purpose` are names for sentences; `outsiders` are organisations at a
    meeting that the group's basis does not name (their presence stops the share).
    """
    records = tuple(records)
    if not selection:
        return ShareAnswer(False, None, (), "Nothing has been chosen to share.", records)

    evaluated = []  # (record, status, label, {key: problem or None})
    for record in records:
        state = status(record, at)
        label = record.label_for(recipient)
        problems = {}
        if state is Status.ACTIVE:
            held = record.selection_obj
            problems = {key: item_problem(record, held, key, level) for key, level in selection.items()}
        evaluated.append((record, state, label, problems))
    active = [entry for entry in evaluated if entry[1] is Status.ACTIVE]
    inactive = [entry for entry in evaluated if entry[1] is not Status.ACTIVE]

    items = []
    for key, level in selection.items():
        covering = next((e for e in active if e[3][key] is None), None)
        if covering is not None:
            items.append(ItemAnswer(key, level, True, covering[0], f"Covered by {_lower_first(covering[2])}"))
        elif active:
            record, _, label, problems = active[0]
            items.append(ItemAnswer(key, level, False, None, _item_reason(problems[key], label)))
        elif inactive:
            record, state, label, _ = inactive[0]
            items.append(ItemAnswer(key, level, False, None, _status_sentence(record, state, label).rstrip(".")))
        else:
            items.append(ItemAnswer(key, level, False, None, "No consent or other lawful basis"))
    items = tuple(items)

    whole = next((e for e in active if all(p is None for p in e[3].values())), None)
    if whole is not None and not outsiders:
        return ShareAnswer(True, whole[0], items, f"{whole[2]} covers {selection.describe()}.", records)

    sentences = []
    if outsiders:
        names = ", ".join(outsiders[:-1]) + " and " + outsiders[-1] if len(outsiders) > 1 else outsiders[0]
        verb = "are not named members" if len(outsiders) > 1 else "is not a named member"
        sentences.append(f"{names} {verb} of {recipient}, so nothing can be shared at this meeting.")
    if whole is not None:
        sentences.append(f"{whole[2]} covers {selection.describe()} for the named members only.")
        return ShareAnswer(False, None, items, " ".join(sentences), records)

    if len(active) == 1:
        _record, _state, label, problems = active[0]
        covered = Selection((k, lv) for k, lv in selection.items() if problems[k] is None)
        missing = Selection((k, lv) for k, lv in selection.items() if problems[k] is not None)
        if covered:
            sentences.append(f"{label} covers {covered.describe()} but not {missing.describe()}.")
        else:
            sentences.append(f"{label} does not cover {missing.describe()}.")
    elif active:
        sentences.append(_grouped_gaps(active, selection))
    for problem in (NOT_EXPLICIT, NO_SPECIAL_CONDITION, NO_CRIMINAL_CONDITION):
        if any(problem in entry[3].values() for entry in active):
            sentences.append(_PROBLEM_SENTENCES[problem])
    for record, state, label, _ in inactive:
        sentences.append(_status_sentence(record, state, label))
    if len(active) > 1 and all(item.covered for item in items):
        sentences.append("Each item is covered by one of them, but one basis must cover the whole share.")
    if not evaluated:
        sentences.append(
            f"There is no consent or other lawful basis for sharing with {recipient} for {_lower_first(purpose)}."
        )
    return ShareAnswer(False, None, items, " ".join(sentences), records)
