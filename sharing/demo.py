"""Demo purpose templates, data-sharing agreements, two sent referrals and a meeting.

Idempotent: templates and agreements are found by their natural keys (purpose, reference);
a referral or meeting already made for a demo client is not made again. The referrals go
through the same services as the pages (lock, re-check, disclosure log, audit row), on
the consents the consent demo recorded; if those are missing, the referrals are skipped.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from clients.categories import Selection
from consent.models import ConsentRecord, MeetingGroup, Partner, Purpose

from . import selectors, services
from .models import DataSharingAgreement, Disclosure, PurposeTemplate, Referral

TEMPLATES = {
    "referral-domestic-abuse": (
        {"identity": "summary", "contact": "summary", "domestic_abuse": "detail", "support_needs": "detail"},
        "A specialist domestic-abuse service needs the account of the abuse to assess risk and plan safety.",
    ),
    "referral-substance-use": (
        {"identity": "summary", "contact": "summary", "substance_use": "detail", "domestic_abuse": "summary"},
        "A substance-use service needs the pattern of use, and to know about safety needs (for example a "
        "single-gender group) — not the account of any abuse.",
    ),
    "referral-housing": (
        {
            "identity": "summary",
            "contact": "summary",
            "housing_history": "detail",
            "finances": "summary",
            "support_needs": "summary",
        },
        "Housing providers need the housing history, income and the main support needs.",
    ),
}

# reference, partner, purposes, selection allowed
AGREEMENTS = [
    (
        "DSA-2026-01",
        "Riverside Housing Association",
        ["referral-housing"],
        {
            "identity": "detail",
            "contact": "detail",
            "housing_history": "detail",
            "support_needs": "summary",
            "finances": "summary",
        },
    ),
    (
        "DSA-2026-02",
        "Northside Drug and Alcohol Service",
        ["referral-substance-use"],
        {"identity": "summary", "contact": "summary", "substance_use": "detail", "domestic_abuse": "summary"},
    ),
    (
        "DSA-2026-03",
        "City Council Housing Options",
        ["referral-housing"],
        {"identity": "detail", "contact": "detail", "housing_history": "detail", "finances": "summary"},
    ),
]

REASONS = {
    "domestic_abuse": "Safe Haven assesses the risk and plans her safety from the account of the abuse.",
    "substance_use": "The service needs the pattern of use to plan treatment.",
}


def _purposes() -> dict[str, Purpose]:
    return {purpose.key: purpose for purpose in Purpose.objects.all()}


def _seed_reference_data(stdout) -> None:
    purposes = _purposes()
    for key, (selection, note) in TEMPLATES.items():
        if key in purposes:
            PurposeTemplate.objects.get_or_create(
                purpose=purposes[key], defaults={"selection": Selection(selection).to_json(), "note": note}
            )
    today = timezone.localdate()
    for reference, partner_name, purpose_keys, selection in AGREEMENTS:
        partner = Partner.objects.filter(name=partner_name).first()
        if partner is None or DataSharingAgreement.objects.filter(reference=reference).exists():
            continue
        agreement = DataSharingAgreement.objects.create(
            partner=partner,
            reference=reference,
            selection=Selection(selection).to_json(),
            starts_on=today.replace(month=1, day=1),
            ends_on=today.replace(month=1, day=1) + dt.timedelta(days=3 * 365),
            notes="Signed by both organisations' data protection leads.",
        )
        agreement.purposes.set([purposes[key] for key in purpose_keys if key in purposes])


def _active_consent(partner_name: str, purpose_key: str) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(
            partners__name=partner_name, purposes__key=purpose_key, withdrawn_at__isnull=True, client__status="open"
        )
        .select_related("client", "recorded_by")
        .order_by("client__reference")
        .first()
    )


def _refer(stdout, consent: ConsentRecord, partner_name: str, purpose_key: str) -> None:
    partner = Partner.objects.get(name=partner_name)
    purpose = Purpose.objects.get(key=purpose_key)
    client, actor = consent.client, consent.recorded_by
    if Referral.objects.filter(client=client, partner=partner, purpose=purpose).exists():
        return
    selection = consent.selection_obj
    reasons = {key: REASONS.get(key, "Needed for this referral.") for key in selection.sensitive_keys()}
    referral = services.referral_start(actor=actor, client=client, partner=partner, purpose=purpose)
    services.referral_update(actor=actor, referral=referral, selection=selection, reasons=reasons)
    if not selectors.agreements_in_force(partner, purpose, on=timezone.localdate()):
        # No agreement with this partner yet: the policy's default asks a team manager to approve.
        manager = (
            User.objects.filter(role=Role.SERVICE_MANAGER, memberships__team_id=client.team_id)
            .exclude(pk=actor.pk)
            .first()
        )
        if manager is not None:
            services.referral_approve_without_agreement(
                actor=manager, referral=referral, reason="Urgent refuge place; the agreement is being signed."
            )
    try:
        services.referral_send(actor=actor, referral=referral)
    except services.ShareRefused as refused:
        stdout.write(f"sharing: the demo referral to {partner_name} was refused: {refused}")


def _meeting(stdout) -> None:
    group = MeetingGroup.objects.filter(name="Rough Sleeper Action Group").first()
    if group is None:
        return
    consent = (
        ConsentRecord.objects.filter(meeting_group=group, withdrawn_at__isnull=True, client__status="open")
        .select_related("client", "recorded_by")
        .order_by("client__reference")
        .first()
    )
    if consent is None or Disclosure.objects.filter(client=consent.client, meeting_group=group).exists():
        return
    try:
        services.meeting_disclosure_record(
            actor=consent.recorded_by,
            client=consent.client,
            group=group,
            meeting_on=timezone.localdate() - dt.timedelta(days=7),
            present=list(group.members.all()),
            purpose=Purpose.objects.get(key="multi-agency-risk-meeting"),
            selection=Selection({"housing_history": "summary", "support_needs": "summary"}),
            reasons={},
        )
    except services.ShareRefused as refused:
        stdout.write(f"sharing: the demo meeting was refused: {refused}")


@transaction.atomic
def seed(stdout):
    _seed_reference_data(stdout)
    housing = _active_consent("Riverside Housing Association", "referral-housing")
    domestic_abuse = _active_consent("Safe Haven Domestic Abuse Service", "referral-domestic-abuse")
    if housing is None or domestic_abuse is None:
        stdout.write("sharing: purpose templates and agreements added; no demo consents, so no demo referrals.")
        return
    # Within Riverside's agreement; Safe Haven has none, so that one is on the managers' list.
    _refer(stdout, housing, "Riverside Housing Association", "referral-housing")
    _refer(stdout, domestic_abuse, "Safe Haven Domestic Abuse Service", "referral-domestic-abuse")
    _meeting(stdout)
    stdout.write("sharing: purpose templates, agreements, two sent referrals and a meeting in the disclosure log.")
