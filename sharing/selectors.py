"""Reads: the share decision (basis, agreement, reasons), and what the sharing pages list.

`decide_referral` and `decide_meeting` are the gate's `decide_share` for sharing: pure
reads that explain every refusal. They ask `consent.selectors` for the basis (two
queries), look up the data-sharing agreement (one), and check that every
special-category or criminal-offence item has a reason. With `lock=True` the basis rows
are locked (SELECT ... FOR UPDATE), for `sharing.services` to re-check inside the
transaction that shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from clients.categories import REGISTRY, Level, Selection
from consent.coverage import ItemAnswer, ShareAnswer, format_date
from consent.models import ConsentRecord, MeetingGroup, Partner, Purpose
from consent.selectors import basis_for_meeting_share, basis_for_share

from .models import DataSharingAgreement, Disclosure, PurposeTemplate, RecipientNotice, Referral

# --- The decision ------------------------------------------------------------------------


def reason_field(key: str) -> str:
    return f"reason_{key}"


def missing_reason_message(key: str) -> str:
    category = REGISTRY[key]
    kind = "criminal-offence data" if category.criminal else "special-category data"
    return f"Say why {category.label.lower()} is necessary for this share: it is {kind}."


def needs_reason(key: str) -> bool:
    return REGISTRY[key].sensitive


def missing_reasons(selection: Selection, reasons: Mapping[str, str]) -> tuple[str, ...]:
    """The special-category and criminal-offence items of the selection without a reason."""
    return tuple(key for key in selection if needs_reason(key) and not (reasons.get(key) or "").strip())


@dataclass(frozen=True)
class AgreementCheck:
    """Whether the partner's data-sharing agreement allows the selection."""

    agreement: DataSharingAgreement | None
    allowed: bool
    explanation: str
    beyond: Selection = field(default_factory=Selection)

    @property
    def has_agreement(self) -> bool:
        return self.agreement is not None

    def item_text(self, key: str, level: Level) -> str:
        if self.agreement is None:
            return "No agreement in force"
        if self.agreement.selection_obj.covers_item(key, level):
            return f"Allowed by {self.agreement.reference}"
        return f"Beyond {self.agreement.reference}"


def agreements_in_force(partner: Partner, purpose: Purpose, *, on: dt.date) -> list[DataSharingAgreement]:
    return list(
        DataSharingAgreement.objects.filter(partner=partner, purposes=purpose, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on))
        .order_by("-starts_on", "-pk")
    )


def check_agreement(
    agreements: Iterable[DataSharingAgreement], *, partner: Partner, purpose: Purpose, selection: Selection
) -> AgreementCheck:
    agreements = list(agreements)
    if not agreements:
        return AgreementCheck(
            None,
            True,
            f"{partner.name} has no data-sharing agreement in force for {purpose.name.lower()}. "
            "A referral can still be made when the client's consent covers it; "
            "service managers see every referral sent without an agreement.",
        )
    covering = next((a for a in agreements if a.selection_obj.covers(selection)), None)
    if covering is not None:
        return AgreementCheck(covering, True, f"The data-sharing agreement {covering.reference} allows this.")
    agreement = agreements[0]
    beyond = agreement.selection_obj.missing(selection)
    allowed = agreement.selection_obj.describe() or "nothing"
    return AgreementCheck(
        agreement,
        False,
        f"The data-sharing agreement {agreement.reference} with {partner.name} allows {allowed}. "
        f"It does not allow {beyond.describe()}: remove or reduce those items.",
        beyond,
    )


@dataclass(frozen=True)
class PanelRow:
    """One item of the share, as the decision panel shows it."""

    item: ItemAnswer
    agreement_text: str
    agreement_ok: bool
    reason_missing: bool


@dataclass(frozen=True)
class ShareDecision:
    """The whole answer: may this be shared, and if not, every reason why in plain English."""

    selection: Selection
    answer: ShareAnswer
    agreement: AgreementCheck | None
    missing_reasons: tuple[str, ...]

    @property
    def covered(self) -> bool:
        """A basis covers it and the agreement (if any) allows it; reasons aside."""
        agreement_ok = self.agreement is None or self.agreement.allowed
        return bool(self.selection) and self.answer.covered and agreement_ok

    @property
    def allowed(self) -> bool:
        return self.covered and not self.missing_reasons

    @property
    def basis(self):
        return self.answer.basis

    @property
    def cover_refusals(self) -> list[str]:
        """Why no basis or agreement covers it, basis first."""
        out = []
        if not self.answer.covered:
            out.append(self.answer.explanation)
        if self.agreement is not None and not self.agreement.allowed:
            out.append(self.agreement.explanation)
        return out

    @property
    def refusals(self) -> list[str]:
        """Every reason it may not be sent."""
        return self.cover_refusals + [missing_reason_message(key) for key in self.missing_reasons]

    @property
    def rows(self) -> list[PanelRow]:
        rows = []
        for item in self.answer.items:
            if self.agreement is None:
                text, ok = "Not applicable", True
            else:
                text = self.agreement.item_text(item.key, item.level)
                ok = self.agreement.agreement is None or self.agreement.agreement.selection_obj.covers_item(
                    item.key, item.level
                )
            rows.append(PanelRow(item, text, ok, item.key in self.missing_reasons))
        return rows


def decide_referral(
    *,
    client,
    partner: Partner,
    purpose: Purpose,
    selection: Selection,
    reasons: Mapping[str, str],
    on: dt.datetime | None = None,
    lock: bool = False,
) -> ShareDecision:
    """May `selection` about `client` go to `partner` for `purpose`? Three queries.

    With `on=None` the basis is judged as of the moment its rows were read — after the
    lock was granted, when locking — so a withdrawal that committed first is in effect.
    """
    answer = basis_for_share(client=client, partner=partner, purpose=purpose, selection=selection, on=on, lock=lock)
    agreement = check_agreement(
        agreements_in_force(partner, purpose, on=timezone.localdate(on)),
        partner=partner,
        purpose=purpose,
        selection=selection,
    )
    return ShareDecision(selection, answer, agreement, missing_reasons(selection, reasons))


def decide_meeting(
    *,
    client,
    group: MeetingGroup,
    present: Iterable[Partner],
    purpose: Purpose,
    selection: Selection,
    reasons: Mapping[str, str],
    on: dt.datetime | None = None,
    lock: bool = False,
) -> ShareDecision:
    """May `selection` be shared at a meeting of `group` with the organisations `present`?"""
    answer = basis_for_meeting_share(
        client=client, group=group, present=list(present), purpose=purpose, selection=selection, on=on, lock=lock
    )
    return ShareDecision(selection, answer, None, missing_reasons(selection, reasons))


def basis_label(basis, recipient: str) -> str:
    """How the log names a basis: "Consent to X (given 3 May 2026, written)"."""
    if isinstance(basis, ConsentRecord):
        return (
            f"{basis.label_for(recipient)}, given {format_date(basis.given_at)} ({basis.get_method_display().lower()})"
        )
    return f"{basis.label_for(recipient)}, recorded {format_date(basis.recorded_at)}"


# --- Pages -------------------------------------------------------------------------------


def template_for(purpose: Purpose) -> PurposeTemplate | None:
    return PurposeTemplate.objects.filter(purpose=purpose).first()


def referral_for_client(client_id, referral_id, *, sent_only: bool = False) -> Referral | None:
    """One referral of this client (None for another client's or an unknown id)."""
    queryset = Referral.objects.filter(client_id=client_id, pk=referral_id).select_related(
        "partner", "purpose", "created_by", "disclosure__consent__withdrawn_by", "disclosure__lawful_basis"
    )
    if sent_only:
        queryset = queryset.filter(status=Referral.Status.SENT)
    return queryset.first()


def disclosure_for_client(client_id, disclosure_id) -> Disclosure | None:
    return (
        Disclosure.objects.filter(client_id=client_id, pk=disclosure_id)
        .exclude(kind=Disclosure.Kind.STATUTORY)  # shown with its request, to those who may see it
        .select_related(
            "partner",
            "meeting_group",
            "purpose",
            "consent__withdrawn_by",
            "lawful_basis",
            "agreement",
            "disclosed_by",
            "referral",
        )
        .prefetch_related(Prefetch("organisations_present", queryset=Partner.objects.order_by("name")))
        .first()
    )


def notices_for_disclosures(disclosures: Iterable[Disclosure]) -> list[RecipientNotice]:
    ids = [d.pk for d in disclosures]
    if not ids:
        return []
    return list(
        RecipientNotice.objects.filter(disclosure_id__in=ids)
        .select_related("partner", "assigned_to", "done_by")
        .order_by("created_at", "pk")
    )


def notice_for_client(client_id, notice_id) -> RecipientNotice | None:
    return (
        RecipientNotice.objects.filter(client_id=client_id, pk=notice_id)
        .select_related("partner", "disclosure", "consent", "assigned_to", "done_by")
        .first()
    )


def sharing_history(client) -> dict:
    """The client's sharing tab: disclosures, drafts, open tasks. Four queries at any size.

    Police and statutory disclosures are not listed here: they are shown with their request
    (`statutory.selectors`), to its team managers, the ISO and whoever logged it, because
    knowing the police asked is itself sensitive.
    """
    disclosures = list(
        Disclosure.objects.filter(client=client)
        .exclude(kind=Disclosure.Kind.STATUTORY)
        .select_related(
            "partner", "meeting_group", "purpose", "consent", "lawful_basis", "agreement", "disclosed_by", "referral"
        )
        .order_by("-disclosed_at", "-pk")
    )
    drafts = list(
        Referral.objects.filter(client=client, status=Referral.Status.DRAFT)
        .select_related("partner", "purpose", "created_by")
        .order_by("-updated_at", "-pk")
    )
    notices = notices_for_disclosures(disclosures)
    by_disclosure: dict[int, list[RecipientNotice]] = {}
    for notice in notices:
        by_disclosure.setdefault(notice.disclosure_id, []).append(notice)
    for disclosure in disclosures:
        disclosure.notice_list = by_disclosure.get(disclosure.pk, [])
    return {
        "disclosures": disclosures,
        "drafts": drafts,
        "open_notices": [notice for notice in notices if not notice.is_done],
    }


def open_notices_for(user, *, limit: int = 50) -> list[RecipientNotice]:
    """The dashboard's tasks: tell a recipient to stop, assigned to this person and not yet done."""
    return list(
        RecipientNotice.objects.filter(assigned_to=user, done_at__isnull=True)
        .select_related("partner", "client")
        .order_by("created_at", "pk")[:limit]
    )


def can_review_unagreed(user) -> bool:
    return getattr(user, "role", None) in (Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER)


def referrals_without_agreement(user) -> QuerySet[Disclosure]:
    """Referrals sent with no data-sharing agreement in force: a manager's teams', or all for the ISO."""
    queryset = Disclosure.objects.filter(kind=Disclosure.Kind.REFERRAL, agreement__isnull=True)
    if getattr(user, "role", None) != Role.INFORMATION_SECURITY_OFFICER:
        queryset = queryset.filter(client__team__memberships__user=user)
    return queryset.select_related("client", "partner", "purpose", "disclosed_by", "consent", "referral").order_by(
        "-disclosed_at", "-pk"
    )


def active_partners() -> QuerySet[Partner]:
    return Partner.objects.filter(is_active=True).order_by("name")


def active_purposes() -> QuerySet[Purpose]:
    return Purpose.objects.filter(is_active=True).order_by("name")


def active_groups() -> QuerySet[MeetingGroup]:
    return MeetingGroup.objects.filter(is_active=True).order_by("name")


def dashboard_panel(*, user) -> dict:
    """The dashboard's sharing panel: this person's open tasks; for managers, the unagreed referrals."""
    panel = {"notices": open_notices_for(user), "can_review_unagreed": can_review_unagreed(user)}
    if panel["can_review_unagreed"]:
        panel["unagreed_count"] = referrals_without_agreement(user).count()
    return panel


def disclosures_of_clients(clients: QuerySet, ids: Iterable) -> QuerySet[Disclosure]:
    """The disclosures with these ids about these clients (for linking a breach report)."""
    ids = [int(value) for value in ids if str(value).isdigit()]
    return (
        Disclosure.objects.filter(pk__in=ids, client__in=clients)
        .select_related("client")
        .order_by("-disclosed_at", "-pk")
    )
