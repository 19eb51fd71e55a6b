"""THE GATE: the one permission check every read of client data passes.

Every page, fragment, download and admin view that shows client information calls
`open_client` (or, for lists, `clients_visible_to` + `record_list`). Each decision,
allowed or denied, writes one AccessEvent in the same transaction as the work it guards;
if that row cannot be written, the caller gets an exception and shows nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Role
from clients.models import Assignment, Client

from .models import AccessEvent

Action = AccessEvent.Action


class AccessDenied(Http404):
    """Raised for a client the user may not open. Looks like "not found" to outsiders."""

    def __init__(self, message: str = "No client found.", *, needs_reason: bool = False):
        super().__init__(message)
        self.needs_reason = needs_reason


@dataclass
class Access:
    """Proof that the gate let `user` open `client`; carries the audit row it wrote."""

    user: object
    client: Client
    event: AccessEvent
    relationship: str
    break_glass: bool = False
    categories: list[str] = field(default_factory=list)


def relationship(user, client: Client) -> str:
    """'caseload', 'team' or 'outside' — how this person stands to this client."""
    if Assignment.objects.filter(client=client, caseworker=user, ended_on__isnull=True).exists():
        return "caseload"
    if user.role == Role.SERVICE_MANAGER and user.memberships.filter(team_id=client.team_id).exists():
        return "team"
    return "outside"


def clients_visible_to(user) -> QuerySet[Client]:
    """The list counterpart of `open_client`: the same rule, as one EXISTS."""
    open_assignment = Assignment.objects.filter(client=OuterRef("pk"), caseworker=user, ended_on__isnull=True)
    if user.role == Role.SERVICE_MANAGER:
        return Client.objects.filter(team__memberships__user=user) | Client.objects.filter(Exists(open_assignment))
    return Client.objects.filter(Exists(open_assignment))


def _request_meta(request) -> dict:
    if request is None:
        return {}
    session_key = getattr(getattr(request, "session", None), "session_key", None) or ""
    return {
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "session_hash": hashlib.sha256(session_key.encode()).hexdigest() if session_key else "",
    }


def record(
    user,
    *,
    action: str,
    outcome: str,
    client: Client | None = None,
    request=None,
    obj=None,
    categories: Iterable[str] = (),
    purpose: str = "",
    reason: str = "",
    reason_category: str = "",
    break_glass: bool = False,
    basis: str = "",
    detail: str = "",
) -> AccessEvent:
    """Write one audit row. Any failure propagates: the caller must show nothing."""
    return AccessEvent.objects.create(
        at=timezone.now(),
        actor=user if getattr(user, "pk", None) else None,
        action=action,
        outcome=outcome,
        client=client,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        categories=list(categories),
        purpose=purpose,
        reason=reason,
        reason_category=reason_category,
        break_glass=break_glass,
        basis=basis,
        detail=detail,
        **_request_meta(request),
    )


def open_client(
    user,
    client_id,
    *,
    action: str = Action.VIEW,
    request=None,
    obj=None,
    categories: Iterable[str] = (),
    purpose: str = "",
    reason: str = "",
    reason_category: str = "",
) -> Access:
    try:
        client = Client.objects.select_related("team").get(pk=client_id)
    except (Client.DoesNotExist, ValueError, TypeError):
        raise AccessDenied() from None
    rel = relationship(user, client)
    needs_reason = rel == "outside" or client.is_closed
    if needs_reason and not reason.strip():
        record(
            user,
            action=action,
            outcome=AccessEvent.Outcome.DENIED,
            client=client,
            request=request,
            obj=obj,
            categories=categories,
            purpose=purpose,
            detail="outside caseload without a reason",
        )
        raise AccessDenied(needs_reason=True)
    event = record(
        user,
        action=action,
        outcome=AccessEvent.Outcome.ALLOWED,
        client=client,
        request=request,
        obj=obj,
        categories=categories,
        purpose=purpose,
        reason=reason,
        reason_category=reason_category,
        break_glass=needs_reason,
    )
    return Access(
        user=user, client=client, event=event, relationship=rel, break_glass=needs_reason, categories=list(categories)
    )
