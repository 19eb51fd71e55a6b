"""The records of processing activities (UK GDPR Article 30(1)), generated from what the system knows.

Article 30(1) asks a controller to keep a record of: its name and contact details, the
purposes of processing, the categories of data subjects and of personal data, the
categories of recipients, transfers to a third country, the envisaged time limits for
erasure, and a general description of the technical and organisational security measures.
The ICO's template (the "documentation" pages of its guide to the UK GDPR) adds the lawful
bases and, for special-category and criminal-offence data, the Article 9 and 10 / DPA 2018
Schedule 1 conditions relied on, and the data-sharing agreements in place.

Nothing here is typed in a second time: purposes, partners, agreements, meetings and the
bases in use are read from their tables, the data categories from the registry, the
retention periods from the retention schedule, and the security measures from the
settings the running system enforces. So the record is current whenever it is generated,
and it says when that was.

`processing_record()` runs a fixed number of queries whatever the amount of data (every
list is one query, prefetches included, and counts are aggregates); a test holds it equal
with one partner and with many.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, Value
from django.db.models.functions import Coalesce, NullIf, Trim
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML, URLFetcher

from accounts.models import ROLES_REQUIRING_2FA, Role, User
from clients.categories import CATEGORIES
from clients.models import Client
from consent.models import (
    ConsentRecord,
    CriminalCondition,
    LawfulBasis,
    LawfulBasisRecord,
    MeetingGroup,
    Partner,
    Purpose,
    SpecialCondition,
)
from sharing.models import DataSharingAgreement
from statutory.models import StatutoryDisclosure, StatutoryRequest

# What every cell with nothing in it reads, on the page, in the CSV and in the PDF.
NONE = "None"
NO_RETENTION = "No retention schedule configured"
NO_TRANSFERS = "None: no personal data is transferred outside the UK."


@dataclass(frozen=True)
class Section:
    """One part of the record: a heading, what it answers, and a table (`columns`, `rows` of text)."""

    key: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "None recorded."

    def __post_init__(self):
        # One reading for "nothing here" in every row: never a blank cell beside a "none".
        rows = tuple(tuple(str(cell).strip() or NONE for cell in row) for row in self.rows)
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class ProcessingRecord:
    """The whole record: the controller, when it was generated (aware, UTC-backed), and its sections."""

    controller: str
    generated_at: dt.datetime
    sections: tuple[Section, ...]

    def csv_rows(self) -> Iterator[Sequence[str]]:
        """The record as spreadsheet rows: a title row, then each section's headings and rows.

        Every row starts with the section's title, so the sheet filters by section.
        """
        yield ("Records of processing (UK GDPR Article 30)", self.controller, "Generated", _when(self.generated_at))
        for section in self.sections:
            yield (section.title, *section.columns)
            if not section.rows:
                yield (section.title, section.empty)
            for row in section.rows:
                yield (section.title, *row)


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%d %B %Y %H:%M %Z")


def _day(value: dt.date | None) -> str:
    return value.strftime("%d %B %Y") if value else ""


def _names(items) -> str:
    return "; ".join(str(item) for item in items)


def controller() -> Section:
    """The controller and the information security officers (no query beyond one for the officers)."""
    officers = User.objects.filter(role=Role.INFORMATION_SECURITY_OFFICER, is_active=True).order_by(
        "last_name", "first_name"
    )
    rows = [("Controller", settings.ORGANISATION_NAME)]
    rows += [
        ("Information security officer", f"{officer} <{officer.email}>" if officer.email else str(officer))
        for officer in officers
    ]
    if settings.SITE_URL:
        rows.append(("Casework system", settings.SITE_URL))
    return Section(
        key="controller",
        title="Controller",
        description="The organisation that decides why and how the information is processed, and who to contact "
        "about it (Art 30(1)(a)).",
        columns=("Role", "Who"),
        rows=tuple(rows),
    )


def purposes() -> Section:
    """Every purpose staff may record a basis or a share for (one query)."""
    rows = tuple(
        (purpose.name, purpose.description, "in use" if purpose.is_active else "no longer used")
        for purpose in Purpose.objects.order_by("-is_active", "name")
    )
    return Section(
        key="purposes",
        title="Purposes of processing",
        description="Why client information is used and shared (Art 30(1)(b)). Supporting the client and keeping "
        "their case record is the purpose of every record; the purposes below are those sharing is recorded for.",
        columns=("Purpose", "Description", "Status"),
        rows=(("Support and casework", "Keeping a case record to support the client", "in use"), *rows),
    )


def data_subjects() -> Section:
    """The people the system holds information about, with how many of each (two aggregate queries)."""
    # A record merged into another is the same person: counted once, as the record kept.
    clients = Client.objects.filter(merged_into__isnull=True).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(closed_on__isnull=True)),
        closed=Count("pk", filter=~Q(closed_on=None)),
    )
    staff = User.objects.filter(is_active=True).count()
    return Section(
        key="subjects",
        title="Categories of data subjects",
        description="Whose information is processed (Art 30(1)(c)).",
        columns=("Category", "What is held", "Number now"),
        rows=(
            (
                "Clients (people supported)",
                "Their record by data category, case notes, alerts, consents and disclosures",
                f"{clients['total']} ({clients['open']} open, {clients['closed']} closed)",
            ),
            ("Staff and volunteers", "Name, role, team, work e-mail, sign-in and access records", str(staff)),
            (
                "People acting for clients",
                "Name, relationship and authority of a representative making a request for a client",
                "Not counted",
            ),
            (
                "Staff of partner and statutory bodies",
                "Names, ranks and contact details of officers who ask for or receive information",
                "Not counted",
            ),
        ),
    )


def data_categories() -> Section:
    """The categories of personal data, from the registry (no query)."""
    rows = []
    for category in CATEGORIES:
        if category.special:
            kind = "Special category (Art 9)"
        elif category.criminal:
            kind = "Criminal-offence data (Art 10)"
        else:
            kind = "Personal data"
        rows.append((category.label, kind, category.summary_help, category.detail_help))
    return Section(
        key="categories",
        title="Categories of personal data",
        description="The information held about clients (Art 30(1)(c)), each as a shareable summary and a detail "
        "level. Special-category and criminal-offence data are marked.",
        columns=("Category", "Kind", "Summary level", "Detail level"),
        rows=tuple(rows),
    )


def recipients() -> Section:
    """Partners, multi-agency meetings and statutory bodies that have received disclosures (four queries)."""
    partners = Partner.objects.order_by("name").prefetch_related(
        Prefetch("sharing_agreements", queryset=DataSharingAgreement.objects.order_by("-starts_on"))
    )
    meetings = MeetingGroup.objects.order_by("name").prefetch_related(
        Prefetch("members", queryset=Partner.objects.order_by("name"))
    )
    # The organisation (the force, the council), not the officer who asked: a registered
    # partner by its name, otherwise the body named on the request.
    statutory = (
        StatutoryDisclosure.objects.annotate(
            organisation=Coalesce(
                "statutory_request__partner__name", NullIf(Trim("statutory_request__body_name"), Value(""))
            )
        )
        .values("organisation", "statutory_request__body")
        .annotate(n=Count("pk"), last=Max("disclosure__disclosed_at"))
        .order_by("organisation", "statutory_request__body")
    )
    bodies = dict(StatutoryRequest.Body.choices)
    rows = []
    for partner in partners:
        agreements = _names(agreement.reference for agreement in partner.sharing_agreements.all())
        state = "" if partner.is_active else " (no longer active)"
        detail = f"Agreements: {agreements or NONE}"
        rows.append(("Partner organisation", f"{partner.name}{state}", partner.get_kind_display(), detail))
    for meeting in meetings:
        state = "" if meeting.is_active else " (no longer active)"
        members = _names(member.name for member in meeting.members.all())
        rows.append(
            (
                "Multi-agency meeting",
                f"{meeting.name}{state}",
                "Meeting of member organisations",
                f"Members: {members or NONE}",
            )
        )
    for body in statutory:
        rows.append(
            (
                "Statutory body",
                body["organisation"],
                bodies.get(body["statutory_request__body"], ""),
                f"{body['n']} disclosure(s), last on {_day(timezone.localtime(body['last']).date())}",
            )
        )
    return Section(
        key="recipients",
        title="Recipients",
        description="Who client information is disclosed to (Art 30(1)(d)): partner organisations with their "
        "data-sharing agreements, multi-agency meetings with their member organisations, and police and statutory "
        "bodies that have received a disclosure.",
        columns=("Kind", "Recipient", "Type", "Agreements, members or disclosures"),
        rows=tuple(rows),
    )


def agreements(today: dt.date) -> Section:
    """Every data-sharing agreement with its parties, dates, status and what it allows (two queries)."""
    labels = {category.key: category.label for category in CATEGORIES}
    rows = []
    for agreement in DataSharingAgreement.objects.select_related("partner").prefetch_related("purposes"):
        if agreement.in_force(today):
            status = "In force"
        elif agreement.starts_on > today:
            status = "Not yet in force"
        else:
            status = "Ended"
        allowed = _names(
            f"{labels.get(key, key)} ({level})" for key, level in sorted((agreement.selection or {}).items())
        )
        rows.append(
            (
                agreement.reference,
                f"{settings.ORGANISATION_NAME} and {agreement.partner.name}",
                _day(agreement.starts_on),
                _day(agreement.ends_on) or "open-ended",
                status,
                _names(purpose.name for purpose in agreement.purposes.all()),
                allowed,
            )
        )
    return Section(
        key="agreements",
        title="Data-sharing agreements",
        description="The frameworks agreed with partner organisations: who the parties are, when each runs, and "
        "what it allows for which purposes.",
        columns=("Reference", "Parties", "From", "Until", "Status", "Purposes", "Information allowed"),
        rows=tuple(rows),
    )


def lawful_bases() -> Section:
    """The lawful bases and Art 9 / Sch 1 conditions recorded, with how many of each (two aggregate queries)."""
    consents = ConsentRecord.objects.aggregate(
        total=Count("pk"), current=Count("pk", filter=Q(withdrawn_at__isnull=True))
    )
    rows = [
        (
            "Consent (Art 6(1)(a))",
            "Explicit consent (Art 9(2)(a)) for special-category items",
            f"{consents['total']} recorded, {consents['current']} not withdrawn",
        )
    ]
    bases = dict(LawfulBasis.choices)
    special = dict(SpecialCondition.choices)
    criminal = dict(CriminalCondition.choices)
    in_use = (
        LawfulBasisRecord.objects.values("basis", "special_condition", "criminal_condition")
        .annotate(n=Count("pk"))
        .order_by("basis", "special_condition", "criminal_condition")
    )
    for row in in_use:
        conditions = [special.get(row["special_condition"], ""), criminal.get(row["criminal_condition"], "")]
        rows.append(
            (
                bases.get(row["basis"], row["basis"]),
                _names(c for c in conditions if c),
                f"{row['n']} recorded",
            )
        )
    return Section(
        key="bases",
        title="Lawful bases and conditions",
        description="The lawful bases (Art 6) recorded for clients' information, and the conditions for "
        "special-category data (Art 9(2)) and criminal-offence data (Art 10, DPA 2018 Schedule 1) relied on.",
        columns=("Lawful basis", "Special-category or criminal-offence condition", "In use"),
        rows=tuple(rows),
    )


def _display(obj, field: str) -> str:
    getter = getattr(obj, f"get_{field}_display", None)
    return str(getter() if getter else getattr(obj, field, ""))


def retention_rule_model():
    """`rights.RetentionRule` (kind, period_months, starts_from, note), or None on a system without it."""
    try:
        return apps.get_model("rights", "RetentionRule")
    except LookupError:
        return None


def retention() -> Section:
    """The retention schedule (`rights.RetentionRule` rows), or a plain statement that none is configured."""
    rule_model = retention_rule_model()
    rules = list(rule_model.objects.all()) if rule_model is not None else []
    rows = tuple(
        (
            _display(rule, "kind"),
            getattr(rule, "period_label", f"{rule.period_months} months"),
            _display(rule, "starts_from"),
            getattr(rule, "note", ""),
        )
        for rule in rules
    )
    return Section(
        key="retention",
        title="Retention periods",
        description="How long each kind of record is kept before it is anonymised (Art 30(1)(f)); a legal hold "
        "keeps a record past its period and says why.",
        columns=("Kind of record", "Kept for", "Counted from", "Note"),
        rows=rows,
        empty=NO_RETENTION,
    )


def transfers() -> Section:
    """International transfers named in settings.INTERNATIONAL_TRANSFERS ("what: safeguard"; none by default)."""
    rows = tuple(tuple(part.strip() for part in text.partition(":")[::2]) for text in settings.INTERNATIONAL_TRANSFERS)
    return Section(
        key="transfers",
        title="International transfers",
        description="Transfers of personal data to a third country or an international organisation, with the "
        "safeguard relied on (Art 30(1)(e)).",
        columns=("Transfer", "Safeguard"),
        rows=rows,
        empty=NO_TRANSFERS,
    )


def _minutes(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} hours" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} minutes"


def security_measures() -> Section:
    """The technical and organisational measures the running settings enforce (Art 30(1)(g), Art 32). No query."""
    two_factor = _names(Role(role).label for role in sorted(ROLES_REQUIRING_2FA))
    rows = [
        (
            "Access control",
            "Staff see only the clients on their caseload; any other record opens only with a stated "
            "reason, is audited as such and is reviewed by a service manager.",
        ),
        ("Two-factor authentication", f"Required for: {two_factor} (an authenticator app or one-time backup codes)."),
        ("Single sign-on", f"Through {settings.OIDC_PROVIDER_NAME}." if settings.OIDC_ISSUER else "Not configured."),
        ("Passwords", f"At least {_min_password_length()} characters, hashed with Argon2."),
        (
            "Lockout",
            f"Sign-in locked after {settings.AXES_FAILURE_LIMIT} failed attempts for "
            f"{_minutes(settings.AXES_COOLOFF_TIME)}.",
        ),
        (
            "Sessions",
            f"Signed out after {_minutes(settings.SESSION_IDLE_TIMEOUT)} idle and at most "
            f"{_minutes(settings.SESSION_ABSOLUTE_LIFETIME)} after signing in; one live session per person.",
        ),
        (
            "Audit log",
            "Every view and share of a client is recorded in an append-only log, sealed in hash-chained batches "
            f"about every {settings.AUDIT_SEAL_INTERVAL_SECONDS} seconds, with a copy of the seals kept outside the "
            "database; manage.py verify_audit detects any edit or gap.",
        ),
        (
            "Encryption in transit",
            f"HTTPS enforced, with HSTS for {settings.SECURE_HSTS_SECONDS // 86400} days; secure, HTTP-only cookies."
            if settings.SECURE_SSL_REDIRECT
            else "HTTPS is not enforced by the application (expected to be done by the server in front of it).",
        ),
        (
            "Encryption at rest",
            "Unsent form drafts kept after a session ends are encrypted with the application's secret key. "
            "Encryption of the database and file storage is the hosting's, outside this application.",
        ),
        (
            "Documents",
            "Uploaded documents are checked by content, stored under generated names outside the web root and "
            "served only through the access checks.",
        ),
        (
            "Minimisation",
            "Shares carry only the categories and levels chosen, with a reason for every special-category item; "
            "every disclosure is logged with a snapshot of exactly what was sent.",
        ),
        (
            "Breaches",
            "Any staff member can report a suspected breach; the register runs the 72-hour ICO clock with alerts at "
            f"{', '.join(str(hours) for hours in settings.BREACH_ALERT_HOURS)} hours left.",
        ),
    ]
    return Section(
        key="security",
        title="Technical and organisational security measures",
        description="A general description of the security measures in place (Art 30(1)(g), Art 32), read from the "
        "settings the system is running with.",
        columns=("Measure", "How"),
        rows=tuple(rows),
    )


def _min_password_length() -> int:
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith("MinimumLengthValidator"):
            return validator.get("OPTIONS", {}).get("min_length", 8)
    return 0


def processing_record(now: dt.datetime | None = None) -> ProcessingRecord:
    """The records of processing as they stand at `now` (default: the current time, aware).

    Runs a fixed number of queries whatever the number of partners, agreements, bases or clients.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    return ProcessingRecord(
        controller=settings.ORGANISATION_NAME,
        generated_at=now,
        sections=(
            controller(),
            purposes(),
            data_subjects(),
            data_categories(),
            recipients(),
            agreements(today),
            lawful_bases(),
            retention(),
            transfers(),
            security_measures(),
        ),
    )


def may_see_processing(user) -> bool:
    """The information security officer and admins (the record names no client)."""
    return user.is_superuser or user.role in {Role.INFORMATION_SECURITY_OFFICER, Role.ADMIN}


def processing_pdf(record: ProcessingRecord) -> bytes:
    """The record as a PDF (WeasyPrint, A4), each section a heading and a table. Fetches nothing while rendering."""
    html = render_to_string("reports/processing_pdf.html", {"record": record})
    return HTML(string=html, base_url=None, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
