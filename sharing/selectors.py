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

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from clients.categories import REGISTRY, Level, Selection
from clients.merge import record_ids
from consent.coverage import ItemAnswer, ShareAnswer, format_date
from consent.models import ConsentRecord, MeetingGroup, Partner, Purpose
from consent.selectors import basis_for_meeting_share, basis_for_share, restriction_problem

from .models import (
    DataSharingAgreement,
    Disclosure,
    PurposeTemplate,
    RecipientNotice,
    Referral,
    SharingPolicy,
    Transmission,
)

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
    # No agreement in force, and the policy asks for a manager's approval (given or not).
    approval_needed: bool = False

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
    agreements: Iterable[DataSharingAgreement],
    *,
    partner: Partner,
    purpose: Purpose,
    selection: Selection,
    policy: str = SharingPolicy.WithoutAgreement.LISTED,
    approval: str = "",
) -> AgreementCheck:
    """Does the partner's agreement in force allow the selection, and if there is none, what
    does the organisation's policy say (`policy`: a SharingPolicy.WithoutAgreement value;
    `approval`: the manager's recorded approval for this referral, "" when none)?"""
    agreements = list(agreements)
    if not agreements:
        none = f"{partner.name} has no data-sharing agreement in force for {purpose.name.lower()}."
        if policy == SharingPolicy.WithoutAgreement.REFUSE:
            return AgreementCheck(None, False, f"{none} The organisation's policy refuses sharing without one.")
        if policy == SharingPolicy.WithoutAgreement.APPROVAL:
            if approval:
                return AgreementCheck(None, True, f"{none} {approval}.", approval_needed=True)
            return AgreementCheck(
                None,
                False,
                f"{none} A service manager must approve sending it without one, with a reason.",
                approval_needed=True,
            )
        return AgreementCheck(
            None,
            True,
            f"{none} A referral can still be made when the client's consent covers it; "
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
    # Why the client's restriction of sharing (UK GDPR Art. 18) stops it; "" when none.
    restriction: str = ""

    @property
    def covered(self) -> bool:
        """A basis covers it, the agreement (if any) allows it, no restriction; reasons aside."""
        agreement_ok = self.agreement is None or self.agreement.allowed
        return bool(self.selection) and self.answer.covered and agreement_ok and not self.restriction

    @property
    def allowed(self) -> bool:
        return self.covered and not self.missing_reasons

    @property
    def basis(self):
        return self.answer.basis

    @property
    def cover_refusals(self) -> list[str]:
        """Why no basis or agreement covers it, basis first."""
        out = [self.restriction] if self.restriction else []
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
    approval: str = "",
) -> ShareDecision:
    """May `selection` about `client` go to `partner` for `purpose`? Five queries.

    With `on=None` the basis is judged as of the moment its rows were read — after the
    lock was granted, when locking — so a withdrawal that committed first is in effect.
    `approval` is a manager's recorded approval to send without an agreement in force
    (`Referral.unagreed_approval`), which the organisation's SharingPolicy may require.
    """
    answer = basis_for_share(client=client, partner=partner, purpose=purpose, selection=selection, on=on, lock=lock)
    agreement = check_agreement(
        agreements_in_force(partner, purpose, on=timezone.localdate(on)),
        partner=partner,
        purpose=purpose,
        selection=selection,
        policy=SharingPolicy.current().without_agreement,
        approval=approval,
    )
    return ShareDecision(selection, answer, agreement, missing_reasons(selection, reasons), restriction_problem(client))


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
    """May `selection` be shared at a meeting of `group` with the organisations `present`?

    Besides the basis, each organisation present is checked against its data-sharing
    agreements in force, as a referral is: one whose agreement does not allow what was
    shared stops it, and so does one with none when the policy refuses sharing without one.
    """
    present = list(present)
    answer = basis_for_meeting_share(
        client=client, group=group, present=present, purpose=purpose, selection=selection, on=on, lock=lock
    )
    policy = SharingPolicy.current().without_agreement
    if policy != SharingPolicy.WithoutAgreement.REFUSE:
        policy = SharingPolicy.WithoutAgreement.LISTED  # a meeting has happened: it cannot wait for approval
    checks = [
        check_agreement(
            agreements_in_force(partner, purpose, on=timezone.localdate(on)),
            partner=partner,
            purpose=purpose,
            selection=selection,
            policy=policy,
        )
        for partner in present
    ]
    failing = [check.explanation for check in checks if not check.allowed]
    agreement = AgreementCheck(
        None,
        not failing,
        " ".join(failing) or "No organisation present has an agreement that forbids this.",
    )
    return ShareDecision(selection, answer, agreement, missing_reasons(selection, reasons), restriction_problem(client))


def basis_label(basis, recipient: str) -> str:
    """How the log names a basis: "Consent to X (given 3 May 2026, written)"."""
    if isinstance(basis, ConsentRecord):
        return (
            f"{basis.label_for(recipient)}, given {format_date(basis.given_at)} ({basis.get_method_display().lower()})"
        )
    return f"{basis.label_for(recipient)}, recorded {format_date(basis.recorded_at)}"


# --- Pages -------------------------------------------------------------------------------


def case_notes_for(client) -> list:
    """The client's case notes a referral may include, by category then newest first (one query)."""
    from clients.models import CaseNote

    return list(CaseNote.objects.filter(client=client).order_by("category", "-written_at", "-pk"))


def template_for(purpose: Purpose) -> PurposeTemplate | None:
    return PurposeTemplate.objects.filter(purpose=purpose).first()


def referral_for_client(client_id, referral_id, *, sent_only: bool = False) -> Referral | None:
    """One referral of this client (None for another client's, a discarded draft or an unknown id)."""
    queryset = (
        Referral.objects.filter(client_id=client_id, pk=referral_id).exclude(status=Referral.Status.DISCARDED)
    ).select_related(
        "partner",
        "purpose",
        "created_by",
        "unagreed_approved_by",
        "disclosure__consent__withdrawn_by",
        "disclosure__lawful_basis",
    )
    if sent_only:
        queryset = queryset.filter(status=Referral.Status.SENT)
    return queryset.first()


def disclosure_for_client(client_id, disclosure_id) -> Disclosure | None:
    return (
        # Disclosures are append-only: a merged record's stay under its id (clients.merge).
        Disclosure.objects.filter(client_id__in=record_ids(client_id), pk=disclosure_id)
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
    """The client's sharing tab: disclosures, drafts, open tasks, deliveries. Five queries at any size.

    Police and statutory disclosures are not listed here: they are shown with their request
    (`statutory.selectors`), to its team managers, the ISO and whoever logged it, because
    knowing the police asked is itself sensitive.
    """
    disclosures = list(
        Disclosure.objects.filter(client_id__in=record_ids(client))
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
    referral_ids = [d.pk for d in disclosures if d.kind == Disclosure.Kind.REFERRAL]
    deliveries: dict[int, list[Transmission]] = {pk: [] for pk in referral_ids}
    if referral_ids:
        for transmission in Transmission.objects.filter(
            disclosure_id__in=referral_ids, kind=Transmission.Kind.REFERRAL
        ).order_by("-requested_at", "-pk"):
            deliveries[transmission.disclosure_id].append(transmission)
    for disclosure in disclosures:
        disclosure.delivery = delivery_state(deliveries[disclosure.pk]) if disclosure.pk in deliveries else None
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


def transmissions_of(referral: Referral) -> list[Transmission]:
    """A referral's deliveries, newest first (one query)."""
    if referral.pk is None or referral.disclosure_id is None:
        return []
    return list(
        Transmission.objects.filter(disclosure_id=referral.disclosure_id, kind=Transmission.Kind.REFERRAL)
        .select_related("requested_by")
        .order_by("-requested_at", "-pk")
    )


@dataclass(frozen=True)
class Delivery:
    """What a referral page and the sharing history say about transmission."""

    transmitted: bool
    text: str


def delivery_state(transmissions: list[Transmission]) -> Delivery:
    """ "Sent" only when a transmission was sent; otherwise what is happening, in words."""
    sent = [t for t in transmissions if t.status == Transmission.Status.SENT]
    if sent:
        last = sent[0]
        return Delivery(True, f"Transmitted: e-mailed to {last.to_address} on {format_date(last.sent_at)}.")
    if not transmissions:
        return Delivery(False, "Recorded, not yet transmitted.")
    last = transmissions[0]
    texts = {
        Transmission.Status.QUEUED: "Recorded, not yet transmitted: queued for e-mail.",
        Transmission.Status.SENDING: "Recorded, not yet transmitted: being e-mailed now.",
        Transmission.Status.FAILED: f"Recorded, not yet transmitted: the e-mail failed ({last.failure_reason}); "
        "it is retried automatically.",
        Transmission.Status.CANCELLED: f"Recorded, not transmitted: cancelled. {last.cancel_reason}",
        Transmission.Status.UNKNOWN: "Recorded; transmission outcome unknown (the e-mail may have gone). "
        "Check with the partner before sending again.",
    }
    return Delivery(False, texts[last.status])


def untransmitted_referrals_for(user, *, limit: int = 50) -> list[Referral]:
    """Referrals this person sent that no transmission has yet delivered (dashboard)."""
    return list(
        Referral.objects.filter(created_by=user, status=Referral.Status.SENT)
        .exclude(transmissions__status=Transmission.Status.SENT)
        .select_related("partner", "client", "disclosure")
        .order_by("-updated_at", "-pk")[:limit]
    )


def stopped_transmissions_for(user, *, limit: int = 50) -> list[Transmission]:
    """Transmissions this person asked for that were cancelled, failed for good or are unknown."""
    return list(
        Transmission.objects.filter(
            requested_by=user,
            dismissed_at__isnull=True,
            status__in=[Transmission.Status.CANCELLED, Transmission.Status.UNKNOWN, Transmission.Status.FAILED],
        )
        .select_related("partner", "disclosure", "client")
        .order_by("-requested_at", "-pk")[:limit]
    )


def transmissions_needing_attention(*, limit: int = 50) -> list[Transmission]:
    """For the information security officer: transmissions whose outcome nobody knows.

    "unknown" (the connection broke, or the worker died, mid-send) and "sending" for longer
    than TRANSMISSION_CLAIM_TIMEOUT_SECONDS (left by a worker that died; the next sweep
    calls it unknown). Neither is ever sent again automatically. Newest claim first; no
    client details beyond the disclosure reference.
    """
    stale = timezone.now() - dt.timedelta(seconds=settings.TRANSMISSION_CLAIM_TIMEOUT_SECONDS)
    return list(
        Transmission.objects.filter(
            Q(status=Transmission.Status.UNKNOWN) | Q(status=Transmission.Status.SENDING, claimed_at__lt=stale)
        )
        .select_related("partner", "disclosure", "requested_by")
        .order_by("-claimed_at", "-pk")[:limit]
    )


def stopped_transmission_of(user, transmission_id) -> Transmission | None:
    """One of this person's own transmissions (None for anyone else's or an unknown id)."""
    return Transmission.objects.filter(pk=transmission_id, requested_by=user).first()


def active_partners() -> QuerySet[Partner]:
    return Partner.objects.filter(is_active=True).order_by("name")


def active_purposes() -> QuerySet[Purpose]:
    return Purpose.objects.filter(is_active=True).order_by("name")


def active_groups() -> QuerySet[MeetingGroup]:
    return MeetingGroup.objects.filter(is_active=True).order_by("name")


def dashboard_panel(*, user) -> dict:
    """The dashboard's sharing panel: this person's open tasks; for managers, the unagreed referrals."""
    panel = {
        "notices": open_notices_for(user),
        "can_review_unagreed": can_review_unagreed(user),
        "stopped": stopped_transmissions_for(user),
        "untransmitted": untransmitted_referrals_for(user),
    }
    if getattr(user, "role", None) == Role.INFORMATION_SECURITY_OFFICER:
        panel["uncertain"] = transmissions_needing_attention()
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
