"""Demo subject access requests: one from a client due soon, one from a solicitor, extended.

Made through the same services as the pages; idempotent (a demo client with a request
already logged gets no second one).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from clients.models import Client

from . import services
from .models import SubjectAccessRequest as SAR


@transaction.atomic
def seed(stdout) -> None:
    manager = User.objects.filter(username="manager").first()
    clients = {c.reference: c for c in Client.objects.filter(reference__in=["ON-0003", "RH-0002"])}
    if manager is None or len(clients) < 2:
        stdout.write("rights: no demo staff or clients, so no demo subject access requests.")
        return
    today = timezone.localdate()
    made = 0
    if not SAR.objects.filter(client=clients["ON-0003"]).exists():
        services.sar_log(
            actor=manager,
            client=clients["ON-0003"],
            requester=SAR.Requester.CLIENT,
            verification=SAR.Verification.KNOWN_IN_PERSON,
            asked_for="A copy of everything you hold about me, and who you have given it to.",
            received_on=today - dt.timedelta(days=24),
        )
        made += 1
    if not SAR.objects.filter(client=clients["RH-0002"]).exists():
        sar = services.sar_log(
            actor=manager,
            client=clients["RH-0002"],
            requester=SAR.Requester.REPRESENTATIVE,
            requester_name="Priya Shah",
            requester_relationship="Solicitor, Shah & Co",
            authority=SAR.Authority.SOLICITOR,
            authority_note="Signed authority from the client, dated last month.",
            verification=SAR.Verification.OTHER_DOCUMENTS,
            verification_note="Solicitors Regulation Authority number checked.",
            asked_for="All records since 2019, including case notes and referrals.",
            received_on=today - dt.timedelta(days=10),
        )
        services.sar_extend(
            actor=manager,
            sar=sar,
            months=1,
            reason="Seven years of records across two services.",
            told_on=today - dt.timedelta(days=3),
        )
        made += 1
    stdout.write(f"rights: {made} demo subject access requests.")
