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
from clients.models import InformationEntry

SNAPSHOT_VERSION = 1


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
) -> dict:
    """The JSON of exactly what is disclosed. One query (the entries of the selected categories)."""
    entries: dict[str, list[InformationEntry]] = {key: [] for key in selection}
    for entry in InformationEntry.objects.filter(client=client, category__in=list(selection)).order_by(
        "recorded_at", "pk"
    ):
        entries[entry.category].append(entry)

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
        "sections": sections,
    }


def canonical(snapshot: dict) -> bytes:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def snapshot_hash(snapshot: dict) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()
