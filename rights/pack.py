"""The contents of a subject access pack (UK GDPR Art 15), and its PDF and archive.

`pack_sections(client)` gathers, for one client only: identity and contact details, every
information entry (summary and detail), case notes, consents and other lawful bases with
the privacy notice the client was given, every disclosure (partners, meetings and statutory
bodies: who received what, when, why, under which basis), the corrections passed on to those
recipients (Art 19: what was corrected, who was told, when and how), the record of who accessed the
record (by role and team; staff names only when `SAR_PACK_STAFF_NAMES` is on), and the
sources of the information. `COVERED` names every model with a foreign key to Client and
where it goes (or why it is left out), and a test fails when a new one is not named.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML, URLFetcher

from access.models import AccessEvent
from clients.categories import REGISTRY, Selection
from clients.models import Alert, CaseNote, Client, ClientMove, InformationEntry
from consent.models import ConsentRecord, LawfulBasisRecord, SharingRestriction
from sharing.models import Disclosure

from .models import RectificationNotice

# Every model holding a foreign key to Client, and the section of the pack it feeds (or why not).
COVERED = {
    "clients.Client": "identity (a record merged into this one is the same person's, listed under sources)",
    "clients.InformationEntry": "entries",
    "clients.CaseNote": "notes",
    "clients.Alert": "alerts",
    "clients.TimelineEvent": "left out: the timeline repeats what the other sections hold",
    "consent.ConsentRecord": "consents",
    "consent.LawfulBasisRecord": "bases",
    "consent.SharingRestriction": "restrictions",
    "sharing.Transmission": "disclosures (how each disclosure was sent to the partner's registered address)",
    "sharing.Disclosure": "disclosures",
    "access.AccessEvent": "access",
    "consent.ConsentEvidence": "consents (the signed form is named; a copy is given on request)",
    "clients.Assignment": "sources (key workers by role)",
    "clients.ClientMove": "sources (moves between services, with the reason)",
    "sharing.Referral": "disclosures (a sent referral is its disclosure; drafts were never shared)",
    "sharing.RecipientNotice": "disclosures (a notice tells a recipient to stop using a disclosure)",
    "statutory.StatutoryRequest": "disclosures (what was disclosed; the request itself may be withheld)",
    "statutory.StatutoryDocument": "withheld: the requesting body's documents",
    "rights.SubjectAccessRequest": "left out: the request being answered",
    "rights.ErasureRequest": "left out: the client's own requests",
    "rights.SarPack": "left out: the pack itself",
    "rights.RetentionBatchItem": "left out: a retention batch's working list (an anonymised client has no pack)",
    "rights.RectificationRequest": "left out: the client's own requests",
    "rights.RectificationNotice": "corrections (what was corrected, who was told and how; the corrected "
    "values are the record's own, in the sections above)",
    "clients.ClientUserObjectPermission": "left out: permission rows (access is reported instead)",
    "clients.ClientGroupObjectPermission": "left out: permission rows (access is reported instead)",
}
# History tables repeat their live model's rows.
HISTORY_PREFIX = "Historical"
# Each row's stable key ("notes:12", "access:3456", "identity:phone"): what a reviewer withholds.
# It is in the compiled (draft) pack only; the released copy leaves it out.
KEY = "key"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else ""


def _day(value) -> str:
    return value.strftime("%d %b %Y") if value else ""


def _staff(user, *, names: bool) -> str:
    if user is None:
        return ""
    role = user.get_role_display() if hasattr(user, "get_role_display") else ""
    return f"{user.get_full_name() or user.get_username()} ({role})" if names else role or "Staff member"


# What a correction notice's item key ("entry:12", "facts:contact", "note:5") names.
CORRECTED_KINDS = {"entry": "information we hold", "facts": "your details", "note": "a case note"}


def _corrected_item(notice: RectificationNotice) -> str:
    kind = CORRECTED_KINDS.get(notice.item_key.partition(":")[0], "")
    category = REGISTRY[notice.category].label if notice.category in REGISTRY else notice.category
    return f"{category} ({kind})" if kind else category


def _values_sent(notice: RectificationNotice) -> str:
    """Whether the notice carried the corrected values: "No: <why>", "Yes" (e-mailed), "" (told another way)."""
    if notice.withheld_reason:
        return f"No: {notice.withheld_reason}"
    return "Yes" if notice.how == RectificationNotice.How.EMAIL else ""


def pack_sections(client: Client, *, on_progress=None) -> dict:
    """Everything the pack holds about `client`, as plain data (lists of dicts of strings).

    `on_progress(percent, step)` is called as each part is gathered. Reads only rows of
    this client. Returns a dict: title, generated_at and `sections` (key -> rows).
    """
    names = settings.SAR_PACK_STAFF_NAMES
    progress = on_progress or (lambda percent, step: None)
    sections: dict[str, list[dict]] = {}

    progress(5, "Identity")
    identity = [
        ("reference", "Reference", client.reference),
        ("name", "Name", f"{client.first_name} {client.last_name}".strip()),
        ("preferred_name", "Preferred name", client.preferred_name),
        ("date_of_birth", "Date of birth", _day(client.date_of_birth)),
        ("gender", "Gender", client.gender),
        ("pronouns", "Pronouns", client.pronouns),
        ("national_insurance_number", "National Insurance number", client.national_insurance_number),
        ("nhs_number", "NHS number", client.nhs_number),
        ("phone", "Phone", client.phone),
        ("email", "E-mail", client.email),
        ("address", "Address", client.address),
        ("preferred_contact", "Preferred contact", client.preferred_contact),
        ("team", "Service", str(client.team)),
        ("opened_on", "Case opened", _day(client.opened_on)),
        ("closed_on", "Case closed", _day(client.closed_on)),
    ]
    sections["identity"] = [{KEY: f"identity:{name}", "item": k, "value": v} for name, k, v in identity if v]

    progress(15, "Information held")
    entries = InformationEntry.objects.filter(client=client).select_related("recorded_by").order_by("category", "pk")
    sections["entries"] = [
        {
            KEY: f"entries:{e.pk}",
            "category": REGISTRY[e.category].label,
            "summary": e.summary,
            "detail": e.detail,
            "recorded": _when(e.recorded_at),
            "source": _staff(e.recorded_by, names=names),
        }
        for e in entries
    ]

    progress(30, "Case notes")
    notes = CaseNote.objects.filter(client=client).select_related("author").order_by("written_at", "pk")
    sections["notes"] = [
        {
            KEY: f"notes:{n.pk}",
            "category": REGISTRY[n.category].label,
            "written": _when(n.written_at),
            "text": n.text,
            "source": _staff(n.author, names=names),
        }
        for n in notes.iterator(chunk_size=500)
    ]

    alerts = Alert.objects.filter(client=client).order_by("raised_at", "pk")
    sections["alerts"] = [
        {
            KEY: f"alerts:{a.pk}",
            "kind": a.get_kind_display(),
            "raised": _when(a.raised_at),
            "what": a.text,
            "ended": a.end_reason,
        }
        for a in alerts
    ]

    progress(50, "Consents and other bases")
    consents = (
        ConsentRecord.objects.filter(client=client)
        .select_related("notice", "evidence", "meeting_group")
        .prefetch_related("partners", "purposes")
    )
    sections["consents"] = [
        {
            KEY: f"consents:{c.pk}",
            "given": _when(c.given_at),
            "how": c.get_method_display(),
            "to": c.recipients_text,
            "purposes": ", ".join(p.name for p in c.purposes.all()),
            "information": Selection.from_json(c.selection).describe(),
            "withdrawn": _when(c.withdrawn_at),
            "privacy_notice": f"{c.notice.version}: {c.notice.text}",
            "signed_form": c.evidence.display_name if c.evidence_id else "",
        }
        for c in consents
    ]
    bases = LawfulBasisRecord.objects.filter(client=client).select_related("meeting_group")
    sections["bases"] = [
        {
            KEY: f"bases:{b.pk}",
            "basis": b.get_basis_display(),
            "to": b.recipients_text,
            "information": Selection.from_json(b.selection).describe(),
            "why": b.justification,
            "from": _day(b.starts_on),
            "until": _day(b.ends_on),
        }
        for b in bases.prefetch_related("partners")
    ]

    restrictions = SharingRestriction.objects.filter(client=client).order_by("recorded_at", "pk")
    sections["restrictions"] = [
        {
            KEY: f"restrictions:{r.pk}",
            "asked": _when(r.recorded_at),
            "what": r.reason,
            "lifted": _when(r.lifted_at),
            "note": r.lift_note,
        }
        for r in restrictions
    ]

    progress(65, "Disclosures")
    disclosures = Disclosure.objects.filter(client=client).order_by("disclosed_at", "pk")
    sections["disclosures"] = [
        {
            KEY: f"disclosures:{d.pk}",
            "reference": d.reference,
            "when": _when(d.disclosed_at),
            "kind": d.get_kind_display(),
            "to": d.recipient_label,
            "why": d.purpose_label,
            "basis": d.basis_label,
            "information": Selection.from_json(d.selection).describe(),
        }
        for d in disclosures.iterator(chunk_size=500)
    ]

    progress(75, "Corrections passed on")
    notices = RectificationNotice.objects.filter(client=client).select_related("disclosure").order_by("told_at", "pk")
    sections["corrections"] = [
        {
            KEY: f"corrections:{n.pk}",
            "told": _when(n.told_at),
            "corrected": _corrected_item(n),
            "to": n.recipient_label,
            "disclosure": n.disclosure.reference,
            "how": n.get_how_display(),
            "corrected_information_sent": _values_sent(n),
            "note": n.note,
        }
        for n in notices
    ]

    progress(80, "Who accessed the record")
    events = (
        AccessEvent.objects.filter(client=client)
        .select_related("actor")
        .prefetch_related("actor__teams")
        .order_by("at", "pk")
    )
    # Per person, not per row: a prefetched `teams.all()` still builds a queryset each time.
    staff: dict[int | None, tuple[str, str]] = {None: ("", "")}

    def who(event) -> tuple[str, str]:
        if event.actor_id not in staff:
            teams = ", ".join(t.name for t in event.actor.teams.all())
            staff[event.actor_id] = (_staff(event.actor, names=names), teams)
        return staff[event.actor_id]

    sections["access"] = [
        {
            KEY: f"access:{e.pk}",
            "when": _when(e.at),
            "who": who(e)[0],
            "team": who(e)[1],
            "what": e.get_action_display(),
            "outcome": e.get_outcome_display(),
        }
        for e in events.iterator(chunk_size=2000)
    ]

    progress(90, "Sources")
    sources = {row["source"] for key in ("entries", "notes") for row in sections[key] if row["source"]}
    sections["sources"] = [
        {
            KEY: "sources:staff",
            "source": "Recorded by our staff from what you told us and what we observed: " + ", ".join(sorted(sources))
            if sources
            else "Recorded by our staff.",
        }
    ]
    forms = [c["signed_form"] for c in sections["consents"] if c["signed_form"]]
    if forms:
        sections["sources"].append({KEY: "sources:forms", "source": "Your signed consent forms: " + ", ".join(forms)})
    if client.source:
        sections["sources"].append({KEY: "sources:client", "source": client.source})
    sections["sources"] += [
        {
            KEY: f"sources:merged:{old.pk}",
            "source": f"A second record of you ({old.reference}) was merged into this one on {_when(old.merged_at)}",
        }
        for old in Client.objects.filter(merged_into=client).order_by("merged_at", "pk")
    ]
    moves = ClientMove.objects.filter(client=client).select_related("from_team", "to_team").order_by("moved_at")
    sections["sources"] += [
        {
            KEY: f"sources:move:{m.pk}",
            "source": f"Moved from {m.from_team} to {m.to_team} on {_day(m.moved_at)}: {m.reason}",
        }
        for m in moves
    ]
    return {
        "draft": True,
        "title": f"Information we hold about you ({client.reference})",
        "organisation": settings.ORGANISATION_NAME,
        "generated_at": _when(timezone.now()),
        "sections": sections,
    }


SECTION_TITLES = {
    "identity": "Your details",
    "entries": "Information we hold about you",
    "notes": "Case notes",
    "alerts": "Alerts on your record",
    "consents": "Your consents and the privacy notice you were given",
    "bases": "Other lawful bases we rely on",
    "restrictions": "Restrictions you asked for on sharing",
    "disclosures": "Who we shared your information with",
    "corrections": "Corrections we passed on to those who had your information",
    "access": "Who looked at your record",
    "sources": "Where the information came from",
}


def _shown(row: dict) -> dict:
    """A row as the client reads it: without its review key."""
    return {name: value for name, value in row.items() if name != KEY}


# How the PDF lays out the sections that grow with the record (any other section: one labelled
# line per field). "notes": a bold line of the heading fields, then the text fields (one as it
# is, several labelled on one line); "days": the access record as one paragraph per day.
# WeasyPrint's time grows with the lines and elements it lays out (about half a millisecond a
# line on these machines), so these sections spend as few of both as reads well: a case note
# is one paragraph, and 5,000 access rows, one line each, would be 5,000 lines where days are
# about half that (BENCHMARKS.md, "SAR pack").
PDF_LAYOUT = {
    "notes": ("notes", ("written", "category", "source"), ("text",)),
    "disclosures": ("notes", ("when", "reference", "kind"), ("to", "why", "basis", "information")),
    "access": ("days", (), ()),
}
PDF_INTRO = {
    "access": "One paragraph for each day: who opened your record (their role) and their team, what they did, "
    "and at what times. Anything they were not allowed to do says so.",
}
SEPARATOR = " · "


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _note_item(heading: tuple, text: tuple, row: dict) -> dict:
    return {
        "heading": SEPARATOR.join(str(row[name]) for name in heading if row.get(name)),
        "text": str(row.get(text[0], ""))
        if len(text) == 1
        else SEPARATOR.join(f"{_label(name)}: {row[name]}" for name in text if row.get(name)),
    }


def _times(times: list[str]) -> str:
    return times[0] if len(times) == 1 else f"{', '.join(times[:-1])} and {times[-1]}"


def _access_days(rows: list[dict]) -> list[dict]:
    """Access rows (in time order) as one item per day: heading the date, text what was done that day.

    Within a day, the same person's (or role's) same action is one entry with its times
    ("Caseworker, North: Viewed record at 09:10 and 14:02"), in the order first done. Each
    row's "when" is `_when`'s "%d %b %Y %H:%M". An allowed access says nothing of its
    outcome; any other says it ("Denied").
    """
    allowed = str(AccessEvent.Outcome.ALLOWED.label)
    days: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        day, _, time = row["when"].rpartition(" ")
        who = (row.get("who") or "Someone") + (f" in {row['team']}" if row.get("team") else "")
        outcome = "" if row.get("outcome") in ("", allowed) else f" ({row['outcome']})"
        days.setdefault(day, {}).setdefault(f"{who}: {row.get('what', '')}{outcome}", []).append(time)
    return [
        {"heading": day, "text": "; ".join(f"{entry} at {_times(times)}" for entry, times in entries.items()) + "."}
        for day, entries in days.items()
    ]


def _pdf_section(key: str, rows: list[dict]) -> dict:
    """One section as the PDF template lays it out: title, intro, layout and items (strings only)."""
    layout, heading, text = PDF_LAYOUT.get(key, ("fields", (), ()))
    if layout == "days":
        items = _access_days(rows)
    elif layout == "notes":
        items = [_note_item(heading, text, row) for row in rows]
    else:
        items = [
            {"fields": [(_label(name), value) for name, value in row.items() if name != KEY and value]} for row in rows
        ]
    return {"title": SECTION_TITLES[key], "intro": PDF_INTRO.get(key, ""), "layout": layout, "items": items}


def pack_pdf(pack: dict) -> bytes:
    """The client's copy as PDF bytes, rendered with WeasyPrint from `pack_sections` data; nothing is fetched.

    A compiled pack (`pack["draft"]` true) says that it is a draft for review. Review keys
    never reach the PDF. The long sections (case notes, disclosures, the access record) are
    laid out as plain paragraphs, one or two per row: WeasyPrint's time grows with the
    number of elements and lines, and a table of thousands of rows costs minutes.
    """
    sections = [_pdf_section(key, rows) for key, rows in pack["sections"].items()]
    html = render_to_string("rights/pack_pdf.html", {"pack": pack, "sections": sections})
    return HTML(string=html, base_url=None, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def pack_archive(pack: dict) -> bytes:
    """The machine-readable copy (Art 20 portability): pack.json and one CSV per section, zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pack.json", json.dumps(pack, indent=2, ensure_ascii=False))
        for key, rows in pack["sections"].items():
            out = io.StringIO()
            fields = list(rows[0]) if rows else ["none"]
            writer = csv.DictWriter(out, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr(f"{key}.csv", out.getvalue())
    return buffer.getvalue()


def pack_from_archive(data: bytes) -> dict:
    """The pack data (as `pack_sections` returned it) read back from a compiled archive's pack.json.

    Raises zipfile.BadZipFile, KeyError or ValueError when the bytes are not such an archive.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pack = json.loads(archive.read("pack.json"))
    if not isinstance(pack, dict) or not isinstance(pack.get("sections"), dict):
        raise ValueError("not a subject access pack")
    return pack


def item_text(row: dict) -> str:
    """One line describing a pack row for the reviewer: its non-empty values, in order."""
    return " · ".join(f"{name.replace('_', ' ').capitalize()}: {value}" for name, value in _shown(row).items() if value)


def released_pack(pack: dict, *, withheld: set[str], explained: list[str], released_at: str) -> dict:
    """What is released to the requester: the compiled `pack` without the rows whose key is in `withheld`.

    Takes the compiled pack data, the keys withheld, the exemptions the client is told were
    relied on (labels; UK GDPR Art 15(4) and the ICO's guidance: explain a refusal unless
    that would itself prejudice the exemption's purpose) and the local release time as text.
    Returns new pack data without review keys, marked final. The compiled data is not changed.
    """
    sections = {
        name: [_shown(row) for row in rows if row.get(KEY) not in withheld] for name, rows in pack["sections"].items()
    }
    return {**pack, "draft": False, "released_at": released_at, "withheld": explained, "sections": sections}
