"""The data-category registry and `{category: level}` selections.

Referrals, consents, data-sharing agreements and statutory disclosures all speak in the
same selections, so one comparison (`Selection.covers`) decides what is covered.
A detail level implies its summary; a summary does not imply the detail.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    SUMMARY = 1
    DETAIL = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | int | Level) -> Level:
        if isinstance(value, Level):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[str(value).strip().upper()]
        except KeyError as exc:
            raise ValueError(f"unknown level {value!r}: use 'summary' or 'detail'") from exc


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    summary_help: str
    detail_help: str
    special: bool = False  # UK GDPR Article 9 special-category data
    criminal: bool = False  # criminal-offence data (UK GDPR Article 10)

    @property
    def sensitive(self) -> bool:
        return self.special or self.criminal


CATEGORIES: tuple[Category, ...] = (
    Category("identity", "Identity", "Name and year of birth", "Full identity details and identifiers"),
    Category("contact", "Contact details", "How to reach the client", "All addresses and numbers held"),
    Category("housing_history", "Housing history", "Current housing situation", "Full housing history"),
    Category("support_needs", "Support needs", "Main support needs", "Detailed support plan"),
    Category(
        "physical_health",
        "Physical health",
        "Health needs relevant to support",
        "Conditions and treatment",
        special=True,
    ),
    Category(
        "mental_health",
        "Mental health",
        "Mental-health needs relevant to support",
        "Diagnoses, history, treatment",
        special=True,
    ),
    Category(
        "substance_use",
        "Substance use",
        "Whether substance use is a support need",
        "Substances, patterns, treatment",
        special=True,
    ),
    Category(
        "domestic_abuse",
        "Domestic abuse",
        "Has experienced domestic abuse; safety needs",
        "The account of the abuse",
        special=True,
    ),
    Category(
        "adverse_childhood",
        "Adverse childhood experiences",
        "Whether relevant to support",
        "The experiences",
        special=True,
    ),
    Category(
        "offending_history",
        "Offending history",
        "Relevant risk summary",
        "Convictions and offences",
        criminal=True,
    ),
    Category("immigration_status", "Immigration status", "Recourse to public funds", "Status and case details"),
    Category("finances", "Finances and benefits", "Income and benefit situation", "Benefits, debts, accounts"),
    Category("risk_to_staff", "Risk to staff", "Whether there is a risk to staff", "Incidents and risk assessment"),
)

REGISTRY: dict[str, Category] = {category.key: category for category in CATEGORIES}
CATEGORY_CHOICES = [(category.key, category.label) for category in CATEGORIES]
LEVEL_CHOICES = [(Level.SUMMARY.label, "Summary"), (Level.DETAIL.label, "Detail")]


def category(key: str) -> Category:
    try:
        return REGISTRY[key]
    except KeyError as exc:
        raise ValueError(f"unknown data category {key!r}") from exc


class Selection(Mapping[str, Level]):
    """An immutable `{category key: Level}` mapping, in registry order."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Level | str | int] | Iterable[tuple[str, Level | str | int]] = ()):
        pairs = items.items() if isinstance(items, Mapping) else items
        parsed: dict[str, Level] = {}
        for key, level in pairs:
            category(key)  # validates
            parsed[key] = max(parsed.get(key, Level.SUMMARY), Level.parse(level))
        order = {c.key: i for i, c in enumerate(CATEGORIES)}
        self._items = dict(sorted(parsed.items(), key=lambda kv: order[kv[0]]))

    # Mapping protocol
    def __getitem__(self, key: str) -> Level:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Selection({self.to_json()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Selection):
            return self._items == other._items
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    # Serialisation: stored in JSONField as {"mental_health": "summary", ...}
    def to_json(self) -> dict[str, str]:
        return {key: level.label for key, level in self._items.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, str] | None) -> Selection:
        return cls(data or {})

    # The comparison every lawful-basis decision uses.
    def covers_item(self, key: str, level: Level) -> bool:
        held = self._items.get(key)
        return held is not None and held >= level

    def covers(self, other: Selection) -> bool:
        return all(self.covers_item(key, level) for key, level in other.items())

    def missing(self, other: Selection) -> Selection:
        """The items of `other` that this selection does not cover."""
        return Selection((key, level) for key, level in other.items() if not self.covers_item(key, level))

    def intersection(self, other: Selection) -> Selection:
        return Selection((key, min(level, other[key])) for key, level in self._items.items() if key in other)

    def union(self, other: Selection) -> Selection:
        return Selection(list(self.items()) + list(other.items()))

    def sensitive_keys(self) -> list[str]:
        return [key for key in self._items if REGISTRY[key].sensitive]

    def describe(self) -> str:
        """Plain language, e.g. "housing history (detail), mental health (summary)"."""
        return ", ".join(f"{REGISTRY[key].label.lower()} ({level.label})" for key, level in self._items.items())
