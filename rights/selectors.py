"""Reads for clients' rights: who handles them, the subject access register.

One rule for lists and single requests, so the register and a request's page cannot
disagree (`handled_q`): the information security officer handles every client's
requests; a service manager their teams' clients'. Nobody else sees the register.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, TeamMembership

from .models import ErasureRequest, SarPack, SarRelease, SubjectAccessRequest


def _role(user) -> str:
    return getattr(user, "role", "") if getattr(user, "pk", None) else ""


def _team_ids(user):
    return TeamMembership.objects.filter(user_id=user.pk).values("team_id")


def is_rights_role(user) -> bool:
    """Service managers and the ISO: the people who handle rights requests."""
    return _role(user) in (Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER)


def handled_q(user, *, prefix: str = "") -> Q:
    """The rows (of a model with a `client`) this person handles: ISO all; a manager their teams' clients."""
    role = _role(user)
    if role == Role.INFORMATION_SECURITY_OFFICER:
        return Q()
    if role == Role.SERVICE_MANAGER:
        return Q(**{f"{prefix}client__team_id__in": _team_ids(user)})
    return Q(pk__in=[])


def can_handle(user, team_id: int) -> bool:
    """The ISO, or a service manager of this team."""
    role = _role(user)
    if role == Role.INFORMATION_SECURITY_OFFICER:
        return True
    return role == Role.SERVICE_MANAGER and TeamMembership.objects.filter(user_id=user.pk, team_id=team_id).exists()


@dataclass(frozen=True)
class RegisterRow:
    sar: SubjectAccessRequest
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.sar.is_open and self.days_left < 0

    @property
    def time_left(self) -> str:
        if not self.sar.is_open:
            return "Answered"
        if self.days_left < 0:
            return f"{-self.days_left} day{'s' if self.days_left != -1 else ''} overdue"
        if self.days_left == 0:
            return "Due today"
        return f"{self.days_left} day{'s' if self.days_left != 1 else ''} left"

    @property
    def urgent(self) -> bool:
        return self.sar.is_open and self.days_left <= 7


def sar_register(user, *, include_answered: bool = False, today: dt.date | None = None) -> list[RegisterRow]:
    """The register this person handles: open requests soonest deadline first (then answered ones, if asked).

    One query. `today` is the local date the days left are counted from (default: today).
    """
    today = today or timezone.localdate()
    rows = SubjectAccessRequest.objects.filter(handled_q(user)).select_related("client__team", "logged_by")
    if not include_answered:
        rows = rows.filter(status=SubjectAccessRequest.Status.OPEN)
    rows = rows.order_by("status", "due_on", "id")
    return [RegisterRow(sar, sar.days_left(today)) for sar in rows]


def sar_for(user, client_id, sar_id) -> SubjectAccessRequest | None:
    """One request of this client that `user` handles, else None (unknown and forbidden look the same)."""
    return (
        SubjectAccessRequest.objects.filter(handled_q(user), pk=sar_id, client_id=client_id)
        .select_related("client__team", "logged_by", "release__released_by")
        .first()
    )


def sars_for_client(user, client) -> QuerySet[SubjectAccessRequest]:
    return SubjectAccessRequest.objects.filter(handled_q(user), client=client).select_related("logged_by")


def erasure_requests_for_client(user, client) -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.filter(handled_q(user), client=client).select_related("logged_by", "decided_by")


def erasure_request_for(user, client_id, erasure_id) -> ErasureRequest | None:
    """One erasure request of this client that `user` handles, else None."""
    return (
        ErasureRequest.objects.filter(handled_q(user), pk=erasure_id, client_id=client_id)
        .select_related("client__team", "logged_by", "decided_by")
        .first()
    )


def pack_for(user, client_id, pack_id) -> SarPack | None:
    """One subject access pack of this client that `user` handles, else None.

    Its release (if any) comes in the same query: `pack.sar.release` or `pack.release`.
    """
    return (
        SarPack.objects.filter(handled_q(user), pk=pack_id, client_id=client_id)
        .select_related("sar__release__released_by", "client__team", "release__released_by")
        .first()
    )


# --- Review before release ----------------------------------------------------------------


class PackUnreadable(Exception):
    """A pack's stored file is missing, or its bytes no longer match the SHA-256 recorded when it was written."""


def _stored_bytes(name: str, sha256: str) -> bytes:
    from consent.evidence import private_storage

    try:
        with private_storage().open(name, "rb") as stored:
            data = stored.read()
    except (OSError, ValueError) as exc:
        raise PackUnreadable(f"The stored file {name!r} cannot be read.") from exc
    if not sha256 or hashlib.sha256(data).hexdigest() != sha256:
        raise PackUnreadable(f"The stored file {name!r} does not match its recorded SHA-256.")
    return data


def compiled_pack(pack: SarPack) -> dict:
    """The compiled pack's data (`rights.pack.pack_sections` output, with review keys), read back
    from its archive after checking the archive's SHA-256. Raises PackUnreadable."""
    from .pack import pack_from_archive

    try:
        return pack_from_archive(_stored_bytes(pack.archive_name, pack.archive_sha256))
    except PackUnreadable:
        raise
    except Exception as exc:
        raise PackUnreadable("The compiled archive is not a subject access pack.") from exc


def pack_item_keys(pack: SarPack) -> set[str]:
    """Every item key of a compiled pack. Raises PackUnreadable."""
    from .pack import KEY

    return {row[KEY] for rows in compiled_pack(pack)["sections"].values() for row in rows if KEY in row}


@dataclass(frozen=True)
class ReviewItem:
    key: str
    text: str
    withholding: object | None  # SarWithholding


@dataclass(frozen=True)
class ReviewSection:
    key: str
    title: str
    items: list[ReviewItem]

    @property
    def withheld_count(self) -> int:
        return sum(1 for item in self.items if item.withholding is not None)


def pack_review(pack: SarPack) -> list[ReviewSection]:
    """The compiled pack item by item, each with its withholding (or None), in the pack's order.

    Two reads whatever the size of the pack: the archive, and one query for the
    withholdings. Raises PackUnreadable.
    """
    from .pack import KEY, SECTION_TITLES, item_text

    withheld = {w.item_key: w for w in pack.withholdings.select_related("withheld_by")}
    return [
        ReviewSection(
            key=name,
            title=SECTION_TITLES.get(name, name),
            items=[ReviewItem(row[KEY], item_text(row), withheld.get(row[KEY])) for row in rows if KEY in row],
        )
        for name, rows in compiled_pack(pack)["sections"].items()
    ]


def pack_item(pack: SarPack, item_key: str) -> tuple[str, dict] | None:
    """(section title, row) of one item of a compiled pack, or None. Raises PackUnreadable."""
    from .pack import KEY, SECTION_TITLES

    for name, rows in compiled_pack(pack)["sections"].items():
        for row in rows:
            if row.get(KEY) == item_key:
                return SECTION_TITLES.get(name, name), row
    return None


def release_file(release: SarRelease, *, pdf: bool) -> bytes:
    """The released PDF or archive, checked against the SHA-256 frozen at release. Raises PackUnreadable."""
    if pdf:
        return _stored_bytes(release.pdf_name, release.pdf_sha256)
    return _stored_bytes(release.archive_name, release.archive_sha256)
