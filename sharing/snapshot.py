"""What exactly leaves the organisation: the client's information filtered by a selection.

`build_snapshot` reads the client's record and keeps, per selected category, the facts and
entry texts at the level chosen — a summary level carries each entry's summary only; a
detail level carries the summary and the detail. Nothing outside the selection is read
into it. The snapshot is stored on the `Disclosure` with its SHA-256 (`snapshot_hash`),
and the referral PDF is rendered from it, never from the live record.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings

from clients.categories import REGISTRY, Level, Selection
from clients.models import CaseNote, InformationEntry

# 2: a referral's request, referrer contact details, safe-contact instructions and chosen case notes.
SNAPSHOT_VERSION = 2


def _identity_facts(client, level: Level) -> list[list[str]]:
    names = f"{client.first_name} {client.last_name}".strip()
    facts = [["Name", names]]
    if client.preferred_name:
        facts.append(["Preferred name", client.preferred_name])
    if level is Level.SUMMARY:
        if client.date_of_birth:
            facts.append(["Year of birth", str(client.date_of_birth.year)])
        return facts
    if client.date_of_birth:
        facts.append(["Date of birth", f"{client.date_of_birth.day} {client.date_of_birth:%B %Y}"])
    for label, value in (
        ("Gender", client.gender),
        ("Pronouns", client.pronouns),
        ("National Insurance number", client.national_insurance_number),
        ("NHS number", client.nhs_number),
    ):
        if value:
            facts.append([label, value])
    return facts


def _contact_facts(client, level: Level) -> list[list[str]]:
    if level is Level.SUMMARY:
        # "How to reach the client": their preferred way, else a phone number.
        if client.preferred_contact:
            return [["How to reach them", client.preferred_contact]]
        return [["Phone", client.phone]] if client.phone else []
    facts = []
    for label, value in (
        ("Phone", client.phone),
        ("E-mail", client.email),
        ("Address", client.address),
        ("Preferred contact", client.preferred_contact),
    ):
        if value:
            facts.append([label, value])
    return facts


_FACTS = {"identity": _identity_facts, "contact": _contact_facts}


def _notes(client, selection: Selection, note_ids) -> dict[str, list[dict]]:
    """The chosen case notes, by category: only notes of this client in a category chosen at detail."""
    note_ids = [int(pk) for pk in note_ids]
    detail_keys = [key for key, level in selection.items() if level is Level.DETAIL]
    if not note_ids or not detail_keys:
        return {}
    out: dict[str, list[dict]] = {}
    for note in CaseNote.objects.filter(client=client, pk__in=note_ids, category__in=detail_keys).order_by(
        "written_at", "pk"
    ):
        written = note.written_at
        out.setdefault(note.category, []).append(
            {"id": note.pk, "written_on": f"{written.day} {written:%B %Y}", "text": note.text}
        )
    return out


def build_snapshot(
    *,
    client,
    selection: Selection,
    reference: str,
    recipient: str,
    purpose: str,
    basis: str,
    sent_at,
    sent_by: str,
    note_ids=(),
    request: str = "",
    referrer: dict | None = None,
    safe_contact: list[list[str]] | None = None,
) -> dict:
    """The JSON of exactly what is disclosed (a referral's preview is the same call, unsent).

    Reads the entries of the selected categories (one query) and, when `note_ids` are given,
    those case notes of this client whose category is selected at detail level (one more).
    `request`, `referrer` ({name, team, phone, email}) and `safe_contact` ([[label, value]])
    are a referral's own text, carried as they are.
    """
    entries: dict[str, list[InformationEntry]] = {key: [] for key in selection}
    for entry in InformationEntry.objects.filter(client=client, category__in=list(selection)).order_by(
        "recorded_at", "pk"
    ):
        entries[entry.category].append(entry)
    notes = _notes(client, selection, note_ids)

    sections = []
    for key, level in selection.items():
        category = REGISTRY[key]
        texts = []
        for entry in entries[key]:
            item = {"summary": entry.summary}
            if level is Level.DETAIL and entry.detail:
                item["detail"] = entry.detail
            texts.append(item)
        facts = _FACTS[key](client, level) if key in _FACTS else []
        sections.append(
            {
                "key": key,
                "label": category.label,
                "level": level.label,
                "special": category.special,
                "criminal": category.criminal,
                "facts": facts,
                "entries": texts,
                "notes": notes.get(key, []),
            }
        )
    return {
        "version": SNAPSHOT_VERSION,
        "organisation": settings.ORGANISATION_NAME,
        "reference": reference,
        "recipient": recipient,
        "purpose": purpose,
        "basis": basis,
        "sent_at": sent_at.isoformat(),
        "sent_by": sent_by,
        "selection": selection.to_json(),
        "request": request,
        "referrer": referrer or {},
        "safe_contact": safe_contact or [],
        "sections": sections,
    }


def empty_sections(snapshot: dict) -> list[dict]:
    """Selected categories that would carry nothing (no facts, entries or notes)."""
    return [s for s in snapshot.get("sections", []) if not (s["facts"] or s["entries"] or s.get("notes"))]


def canonical(snapshot: dict) -> bytes:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def snapshot_hash(snapshot: dict) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def client_facts(client, key: str, level: Level) -> list[list[str]]:
    """The facts a snapshot carries about `client` for category `key` at `level`, as [[label, value]].

    Identity and contact carry facts from the client row (the other categories carry
    entries, so [] for them). The same functions `build_snapshot` uses, so a later reader
    (rights' rectification notices) can tell whether what a recipient was sent still holds.
    """
    return _FACTS[key](client, level) if key in _FACTS else []


# What a snapshot keeps once its personal content is removed (docs/decisions/0014): what
# identifies the disclosure, who sent it to whom under which basis, and which categories at
# which level; never a fact, an entry, a note or the referral's own text about the client.
KEPT_AFTER_REMOVAL = ("version", "organisation", "reference", "recipient", "purpose", "basis", "sent_at", "sent_by")
SECTION_KEPT = ("key", "label", "level", "special", "criminal")


def content_removed(snapshot: dict, *, removed_at) -> dict:
    """`snapshot` without its personal content: the keys of KEPT_AFTER_REMOVAL and the selection,
    each section reduced to its category and level (with empty facts, entries and notes, so
    pages and the PDF still render), and `content_removed_at` (ISO 8601, UTC). Any other key
    (a referral's request and safe-contact text, a statutory request's facts) is dropped."""
    kept = {key: snapshot[key] for key in KEPT_AFTER_REMOVAL if key in snapshot}
    return {
        **kept,
        "selection": snapshot.get("selection", {}),
        "sections": [
            {**{key: section.get(key) for key in SECTION_KEPT}, "facts": [], "entries": [], "notes": []}
            for section in snapshot.get("sections", [])
        ],
        "content_removed_at": removed_at.isoformat(),
    }
