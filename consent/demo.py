"""Demo partners, purposes, a privacy notice, a meeting group, consents and other bases.

Idempotent: reference data is found by its natural key, and a demo client that already
has any consent is left alone, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from clients.categories import Selection
from clients.models import Assignment

from . import evidence, services
from .models import ConsentRecord, LawfulBasis, LawfulBasisRecord, MeetingGroup, Partner, PrivacyNotice, Purpose

PARTNERS = [
    ("Riverside Housing Association", Partner.Kind.HOUSING, "referrals@riverside-housing.example.org", "0161 496 0101"),
    (
        "Northside Drug and Alcohol Service",
        Partner.Kind.SUBSTANCE_USE,
        "intake@northside-recovery.example.org",
        "0161 496 0202",
    ),
    (
        "Safe Haven Domestic Abuse Service",
        Partner.Kind.DOMESTIC_ABUSE,
        "referrals@safe-haven.example.org",
        "0808 196 0303",
    ),
    ("St Mary's GP Surgery", Partner.Kind.HEALTH, "stmarys.gp@nhs.example.org", "0161 496 0404"),
    (
        "City Council Housing Options",
        Partner.Kind.LOCAL_AUTHORITY,
        "housing.options@council.example.org",
        "0161 496 0505",
    ),
]

NOTICE_V1 = "\n\n".join(
    [
        "How we use your information",
        "We keep information about you so that we can support you: your contact details, your housing "
        "situation, your support needs and, only where it helps your support, information about your health, "
        "substance use, experiences of abuse or offending.",
        "We share your information with other organisations only when you agree, for the reasons you agree to, "
        "and only what they need. You can change your mind at any time by telling any member of staff, and we "
        "will stop straight away.",
        "Sometimes the law allows or requires us to share without asking you first, for example to protect "
        "someone's life, to protect a child or adult at risk, or when a court orders it. We will tell you when we "
        "have done this unless that would put someone at risk.",
        "You can ask for a copy of the information we hold about you, ask us to correct it, or complain to the "
        "Information Commissioner's Office (ico.org.uk).",
    ]
)


def _key_workers(limit: int) -> list[Assignment]:
    return list(
        Assignment.objects.filter(ended_on__isnull=True, is_key_worker=True, client__status="open")
        .select_related("client", "caseworker")
        .order_by("client__reference")[:limit]
    )


def _signed_form_pdf(name: str) -> evidence.CheckedUpload:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from weasyprint import HTML

    pdf = HTML(string=f"<h1>Consent to share information</h1><p>Signed: {name}</p>").write_pdf()
    return evidence.check_upload(SimpleUploadedFile("signed-consent-form.pdf", pdf))


@transaction.atomic
def seed(stdout):
    partners = {}
    for name, kind, email, phone in PARTNERS:
        partners[name], _ = Partner.objects.get_or_create(
            name=name, defaults={"kind": kind, "secure_email": email, "phone": phone, "address": "Manchester"}
        )
    purposes = {purpose.key: purpose for purpose in Purpose.objects.all()}  # created by a migration
    notice, _ = PrivacyNotice.objects.get_or_create(
        version="v1", defaults={"text": NOTICE_V1, "effective_on": dt.date(2026, 1, 1)}
    )
    group, created = MeetingGroup.objects.get_or_create(
        name="Rough Sleeper Action Group",
        defaults={"description": "Monthly multi-agency meeting on people sleeping rough in the city centre."},
    )
    if created:
        group.members.set(
            [
                partners["Riverside Housing Association"],
                partners["Northside Drug and Alcohol Service"],
                partners["City Council Housing Options"],
                partners["St Mary's GP Surgery"],
            ]
        )

    assignments = _key_workers(4)
    if len(assignments) < 4:
        stdout.write("consent: fewer than four demo clients with a key worker; no demo consents added.")
        return
    if ConsentRecord.objects.filter(client__in=[a.client for a in assignments]).exists():
        return

    now = timezone.now()
    today = timezone.localdate()
    a, b, c, d = assignments

    services.consent_record(
        actor=a.caseworker,
        client=a.client,
        partners=[partners["Riverside Housing Association"]],
        purposes=[purposes["referral-housing"]],
        selection=Selection(
            {"identity": "summary", "contact": "detail", "housing_history": "detail", "support_needs": "summary"}
        ),
        method=ConsentRecord.Method.WRITTEN,
        evidence=_signed_form_pdf(a.client.display_name),
        notice=notice,
        has_capacity=True,
        given_at=now - dt.timedelta(days=170),
        review_due=today + dt.timedelta(days=7),  # due for review: on the dashboard
    )
    withdrawn = services.consent_record(
        actor=a.caseworker,
        client=a.client,
        partners=[partners["Northside Drug and Alcohol Service"]],
        purposes=[purposes["referral-substance-use"]],
        selection=Selection({"support_needs": "summary", "substance_use": "detail", "domestic_abuse": "summary"}),
        method=ConsentRecord.Method.VERBAL,
        witness_name="Duty worker at the drop-in",
        explicit_statement="Yes, Northside can know what I use and that I need a women-only group.",
        notice=notice,
        has_capacity=True,
        given_at=now - dt.timedelta(days=60),
        review_due=today + dt.timedelta(days=120),
    )
    services.consent_withdraw(
        actor=a.caseworker,
        consent=withdrawn,
        how=ConsentRecord.WithdrawalMethod.PHONE,
        note="Rang to say she no longer wants Northside to have anything about her.",
        at=now - dt.timedelta(days=10),
    )
    services.consent_record(
        actor=b.caseworker,
        client=b.client,
        partners=[partners["Safe Haven Domestic Abuse Service"]],
        purposes=[purposes["referral-domestic-abuse"]],
        selection=Selection({"identity": "summary", "contact": "detail", "domestic_abuse": "detail"}),
        method=ConsentRecord.Method.ELECTRONIC,
        electronic_reference="Signed on the outreach tablet",
        support_used="Polish interpreter (telephone)",
        notice=notice,
        has_capacity=True,
        given_at=now - dt.timedelta(days=20),
        review_due=today + dt.timedelta(days=160),
    )
    services.consent_record(
        actor=c.caseworker,
        client=c.client,
        meeting_group=group,
        purposes=[purposes["multi-agency-risk-meeting"]],
        selection=Selection({"housing_history": "summary", "support_needs": "summary", "risk_to_staff": "summary"}),
        method=ConsentRecord.Method.ELECTRONIC,
        electronic_reference="Signed on the outreach tablet",
        notice=notice,
        has_capacity=True,
        given_at=now - dt.timedelta(days=200),
        review_due=today - dt.timedelta(days=3),  # overdue review
    )
    services.lawful_basis_record(
        actor=d.caseworker,
        client=d.client,
        basis=LawfulBasis.PUBLIC_TASK,
        partners=[partners["City Council Housing Options"]],
        purposes=[purposes["referral-housing"]],
        selection=Selection({"identity": "summary", "housing_history": "summary"}),
        justification="Duty to refer under the Homelessness Reduction Act 2017 (s.213B).",
    )
    if not LawfulBasisRecord.objects.filter(client=c.client, basis=LawfulBasis.VITAL_INTERESTS).exists():
        services.lawful_basis_record(
            actor=c.caseworker,
            client=c.client,
            basis=LawfulBasis.VITAL_INTERESTS,
            partners=[partners["St Mary's GP Surgery"]],
            purposes=[purposes["referral-health"]],
            selection=Selection({"identity": "summary", "physical_health": "summary"}),
            special_condition="vital_interests",
            justification="Found very unwell in a doorway and unable to talk; the surgery needs to know about "
            "his diabetes to treat him.",
        )
    stdout.write("consent: partners, purposes, privacy notice v1, a meeting group and demo consents added.")
