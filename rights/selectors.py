"""Reads for clients' rights: who handles them, the subject access register.

One rule for lists and single requests, so the register and a request's page cannot
disagree (`handled_q`): the information security officer handles every client's
requests; a service manager their teams' clients'. Nobody else sees the register.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, TeamMembership

from .models import ErasureRequest, SarPack, SubjectAccessRequest


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
        .select_related("client__team", "logged_by")
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
    """One subject access pack of this client that `user` handles, else None."""
    return (
        SarPack.objects.filter(handled_q(user), pk=pack_id, client_id=client_id)
        .select_related("sar", "client__team")
        .first()
    )
