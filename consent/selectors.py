"""Reads: the answer for the gate, and the lists the consent pages and dashboard show.

`basis_for_share` and `basis_for_meeting_share` are the API `sharing` and the gate call.
Each runs two queries (consents, other bases), three for a meeting, whatever the
selection's size. With `lock=True` they lock the candidate basis rows (SELECT ... FOR
UPDATE) and must be called inside `transaction.atomic()`: a withdrawal that commits
first is then seen, and one that comes later waits for the share to commit.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from accounts.models import Role
from clients.categories import Selection

from .coverage import ShareAnswer, Status, answer, as_moment, format_date, short_name, status
from .models import (
    BasisPolicy,
    ConsentEvidence,
    ConsentRecord,
    LawfulBasisRecord,
    MeetingGroup,
    Partner,
    Purpose,
    SharingRestriction,
)


@functools.cache
def _candidates_sql(model, *, by: str, lock: bool) -> str:
    """Hand-written SQL for the candidate bases: the ORM's query compilation alone costs more
    than the whole answer may (decide_share has a 5 ms budget). Built once per shape, from
    the models' metadata, so it follows field and table names."""
    qn = connection.ops.quote_name
    meta = model._meta
    owner = meta.model_name
    pk = qn(meta.pk.column)
    purposes = model.purposes.through._meta
    partners = model.partners.through._meta
    columns = ", ".join(f"b.{qn(field.column)}" for field in meta.concrete_fields)
    joins = ""
    if model is ConsentRecord:
        user = get_user_model()._meta
        names = ", ".join(f"u.{qn(name)} AS {qn('withdrawn_by_' + name)}" for name in _USER_NAME_FIELDS)
        columns += f", {names}"
        joins = (
            f" LEFT OUTER JOIN {qn(user.db_table)} u"
            f" ON u.{qn(user.pk.column)} = b.{qn(meta.get_field('withdrawn_by').column)}"
        )
    client_col, group_col = qn(meta.get_field("client").column), qn(meta.get_field("meeting_group").column)
    p_table, p_owner, p_purpose = (
        qn(purposes.db_table),
        qn(purposes.get_field(owner).column),
        qn(purposes.get_field("purpose").column),
    )
    r_table, r_owner, r_partner = (
        qn(partners.db_table),
        qn(partners.get_field(owner).column),
        qn(partners.get_field("partner").column),
    )
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    # OFFSET 0 (PostgreSQL) keeps each EXISTS a probe of its unique (basis, purpose or partner) index per
    # candidate row of this client, rather than a semi-join that reads every basis a popular
    # partner or purpose has across the organisation (BENCHMARKS.md, transmission re-check).
    if by == "partner":
        recipient = f"EXISTS (SELECT 1 FROM {r_table} r WHERE r.{r_owner} = b.{pk} AND r.{r_partner} = %s{fence})"  # noqa: S608 (identifiers from model metadata; values are parameters)
    else:
        recipient = f"b.{group_col} = %s"
    newest = qn("given_at" if model is ConsentRecord else "recorded_at")
    # Only identifiers from model metadata are interpolated; every value is a parameter.
    sql = " ".join(
        [
            f"SELECT {columns} FROM {qn(meta.db_table)} b{joins}",  # noqa: S608 (identifiers from model metadata; values are parameters)
            f"WHERE b.{client_col} = %s",
            f"AND EXISTS (SELECT 1 FROM {p_table} p WHERE p.{p_owner} = b.{pk} AND p.{p_purpose} = %s{fence})",  # noqa: S608 (identifiers from model metadata; values are parameters)
            f"AND {recipient}",
            f"ORDER BY b.{newest} DESC, b.{pk} DESC",
        ]
    )
    if lock and connection.features.has_select_for_update:
        # Lock the basis rows only (withdrawn_by is an outer join).
        sql += " FOR UPDATE OF b" if connection.features.has_select_for_update_of else " FOR UPDATE"
    return sql


_USER_NAME_FIELDS = ("first_name", "last_name", "username")


def _attach_withdrawn_by(consent: ConsentRecord) -> ConsentRecord:
    """Give the consent its withdrawn_by user (names only), loaded by the same query."""
    if consent.withdrawn_by_id is not None:
        User = get_user_model()
        # from_db takes values in the model's field order.
        names = [f.attname for f in User._meta.concrete_fields if f.attname in ("id", *_USER_NAME_FIELDS)]
        values = [consent.withdrawn_by_id if n == "id" else getattr(consent, f"withdrawn_by_{n}") for n in names]
        consent.withdrawn_by = User.from_db(connection.alias, names, values)
    return consent


def _candidates(client, purpose: Purpose, *, by: str, recipient_id: int, lock: bool) -> list:
    """Consents then other bases naming this recipient and purpose, newest first.

    Preference when several cover: the client's own most recent consent, then other bases.
    """
    if lock and not connection.in_atomic_block:
        raise TransactionManagementError("lock=True locks basis rows: call it inside transaction.atomic().")
    params = [getattr(client, "pk", client), purpose.pk, recipient_id]
    consents = ConsentRecord.objects.raw(_candidates_sql(ConsentRecord, by=by, lock=lock), params)
    bases = LawfulBasisRecord.objects.raw(_candidates_sql(LawfulBasisRecord, by=by, lock=lock), params)
    return [*(_attach_withdrawn_by(consent) for consent in consents), *bases]


def basis_for_share(
    *,
    client,
    partner: Partner,
    purpose: Purpose,
    selection: Selection,
    on: dt.datetime | dt.date | None = None,
    lock: bool = False,
) -> ShareAnswer:
    """Is sharing `selection` about `client` with `partner` for `purpose` covered, and by what?

    Only bases that name the partner itself count: a basis for a meeting group covers
    sharing at that group's meetings (`basis_for_meeting_share`), not a direct referral.
    """
    records = _candidates(client, purpose, by="partner", recipient_id=partner.pk, lock=lock)
    return answer(records, recipient=partner.name, purpose=purpose.name, selection=selection, at=as_moment(on))


def basis_for_meeting_share(
    *,
    client,
    group: MeetingGroup,
    present: Iterable[Partner],
    purpose: Purpose,
    selection: Selection,
    on: dt.datetime | dt.date | None = None,
    lock: bool = False,
) -> ShareAnswer:
    """Sharing at a meeting of `group` with the organisations `present`.

    Covered only by a basis that names the group, and only when every organisation
    present is a named member of it.
    """
    member_ids = set(group.members.values_list("pk", flat=True))
    outsiders = [partner.name for partner in present if partner.pk not in member_ids]
    records = _candidates(client, purpose, by="group", recipient_id=group.pk, lock=lock)
    return answer(
        records,
        recipient=group.name,
        purpose=purpose.name,
        selection=selection,
        at=as_moment(on),
        outsiders=sorted(outsiders),
    )


def restriction_problem(client) -> str:
    """Why nothing may be shared about `client` under consent or another basis ("" when it may).

    A client who has asked for processing to be restricted (UK GDPR Art. 18) is marked
    restricted for sharing; while restricted only statutory disclosures the law requires,
    decided by a manager, may pass (`statutory_disclosure_allowed`).
    """
    restriction = (
        SharingRestriction.objects.filter(client=client, lifted_at__isnull=True).select_related("recorded_by").first()
    )
    if restriction is None:
        return ""
    return (
        f"Sharing about this client is restricted (UK GDPR Article 18) since "
        f"{format_date(restriction.recorded_at)}, recorded by {short_name(restriction.recorded_by)}: "
        "nothing may be shared on consent or any other basis until the restriction is lifted."
    )


def restriction_allows_statutory(client, *, required_by_law: bool, decided_by) -> str:
    """For the statutory app: may a police or statutory disclosure pass a restriction?

    Returns "" when it may: the client is not restricted, or the disclosure is one the law
    requires (a court order or a statutory duty, `required_by_law`) decided by a service
    manager or the information security officer (`decided_by`). Otherwise why not. UK GDPR
    Article 18(2): restricted data may be processed for legal claims or an important public
    interest; a discretionary disclosure (e.g. DPA 2018 Sch. 2 para 2) is not required.
    """
    problem = restriction_problem(client)
    if not problem:
        return ""
    if not required_by_law:
        return f"{problem} Only a disclosure the law requires can be made."
    if getattr(decided_by, "role", None) not in (Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER):
        return f"{problem} A disclosure the law requires must be decided by a service manager."
    return ""


def restriction_for_client(client) -> SharingRestriction | None:
    return (
        SharingRestriction.objects.filter(client=client, lifted_at__isnull=True).select_related("recorded_by").first()
    )


# --- Pages -----------------------------------------------------------------------------


def _scope_prefetch(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("meeting_group").prefetch_related(
        Prefetch("partners", queryset=Partner.objects.order_by("name")),
        Prefetch("purposes", queryset=Purpose.objects.order_by("name")),
    )


def consents_for_client(client) -> list[ConsentRecord]:
    """Every consent of a client with what the consent tab shows, in three queries."""
    queryset = ConsentRecord.objects.filter(client=client).select_related(
        "recorded_by", "withdrawn_by", "notice", "evidence"
    )
    return list(_scope_prefetch(queryset).order_by("-given_at", "-id"))


def bases_for_client(client) -> list[LawfulBasisRecord]:
    queryset = LawfulBasisRecord.objects.filter(client=client).select_related("recorded_by", "approved_by")
    return list(_scope_prefetch(queryset).order_by("-recorded_at", "-id"))


def group_by_status(records: Iterable, *, on: dt.datetime | dt.date | None = None) -> dict[Status, list]:
    at = as_moment(on)
    groups: dict[Status, list] = {state: [] for state in Status}
    for record in records:
        record.status = status(record, at)
        groups[record.status].append(record)
    return groups


def status_now(record, *, on: dt.datetime | dt.date | None = None) -> Status:
    return status(record, as_moment(on))


def basis_policies() -> list[BasisPolicy]:
    return list(BasisPolicy.objects.order_by("basis"))


def consent_for_client(client, consent_id) -> ConsentRecord | None:
    """One consent of this client (None for another client's or an unknown id)."""
    try:
        queryset = ConsentRecord.objects.filter(client=client, pk=int(consent_id))
    except (TypeError, ValueError):
        return None
    queryset = queryset.select_related("recorded_by", "withdrawn_by", "notice", "evidence")
    return _scope_prefetch(queryset).first()


def basis_for_client(client, basis_id) -> LawfulBasisRecord | None:
    try:
        queryset = LawfulBasisRecord.objects.filter(client=client, pk=int(basis_id))
    except (TypeError, ValueError):
        return None
    return _scope_prefetch(queryset.select_related("recorded_by", "approved_by")).first()


def evidence_for_client(client, consent_id) -> ConsentEvidence | None:
    """The signed form of one of this client's consents (None for anyone else's)."""
    return ConsentEvidence.objects.filter(client=client, consent__pk=consent_id).first()


def consent_history(consent: ConsentRecord) -> list:
    return list(consent.history.select_related("history_user").order_by("history_date", "history_id"))


def active_purposes() -> QuerySet[Purpose]:
    return Purpose.objects.filter(is_active=True).order_by("name")


def active_partners() -> QuerySet[Partner]:
    return Partner.objects.filter(is_active=True).order_by("name")


# --- Dashboard -------------------------------------------------------------------------


def consents_due_for_review(*, clients: QuerySet, today: dt.date | None = None, limit: int = 50) -> list:
    """Consents in force whose review is due within CONSENT_REVIEW_WINDOW_DAYS or overdue, for these clients."""
    today = today or timezone.localdate()
    queryset = (
        ConsentRecord.objects.filter(
            client__in=clients,
            withdrawn_at__isnull=True,
            review_due__isnull=False,
            review_due__lte=today + dt.timedelta(days=settings.CONSENT_REVIEW_WINDOW_DAYS),
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=today))
        .select_related("client", "meeting_group")
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
        .order_by("review_due", "id")
    )
    return list(queryset[:limit])


def consents_expiring(*, clients: QuerySet, today: dt.date | None = None, limit: int = 50) -> list:
    """Consents not withdrawn that expire within CONSENT_REVIEW_WINDOW_DAYS (or expired in that time), soonest first."""
    today = today or timezone.localdate()
    window = dt.timedelta(days=settings.CONSENT_REVIEW_WINDOW_DAYS)
    queryset = (
        ConsentRecord.objects.filter(
            client__in=clients,
            withdrawn_at__isnull=True,
            expires_on__isnull=False,
            expires_on__gt=today - window,
            expires_on__lte=today + window,
        )
        .select_related("client", "meeting_group")
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
        .order_by("expires_on", "id")
    )
    return list(queryset[:limit])


def bases_ending(*, clients: QuerySet, today: dt.date | None = None, limit: int = 50) -> list:
    """Other lawful bases whose end date falls within CONSENT_REVIEW_WINDOW_DAYS (or fell in that time)."""
    today = today or timezone.localdate()
    window = dt.timedelta(days=settings.CONSENT_REVIEW_WINDOW_DAYS)
    queryset = (
        LawfulBasisRecord.objects.filter(
            client__in=clients,
            ended_at__isnull=True,
            ends_on__isnull=False,
            ends_on__gt=today - window,
            ends_on__lte=today + window,
        )
        .select_related("client", "meeting_group")
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
        .order_by("ends_on", "id")
    )
    return list(queryset[:limit])


def bases_awaiting_approval(*, clients: QuerySet, exclude_recorded_by=None, limit: int = 50) -> list:
    """Other lawful bases that need a manager's approval before they cover anything."""
    queryset = LawfulBasisRecord.objects.filter(
        client__in=clients, requires_approval=True, approved_at__isnull=True
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=timezone.localdate()))
    if exclude_recorded_by is not None:
        queryset = queryset.exclude(recorded_by=exclude_recorded_by)
    queryset = (
        queryset.select_related("client", "meeting_group", "recorded_by")
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
        .order_by("recorded_at", "id")
    )
    return list(queryset[:limit])


def dashboard_panel(*, user, clients: QuerySet, today: dt.date | None = None) -> dict:
    """What the dashboard's consent panel shows `user`, for the clients the gate lists for them."""
    today = today or timezone.localdate()
    awaiting = []
    if getattr(user, "role", None) == Role.SERVICE_MANAGER:
        awaiting = bases_awaiting_approval(clients=clients, exclude_recorded_by=user)
    return {
        "today": today,
        "consents_due": consents_due_for_review(clients=clients, today=today),
        "consents_expiring": consents_expiring(clients=clients, today=today),
        "bases_ending": bases_ending(clients=clients, today=today),
        "bases_awaiting": awaiting,
    }
