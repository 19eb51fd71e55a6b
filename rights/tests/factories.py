"""Factories for clients' rights requests."""

import datetime as dt

import factory
from django.utils import timezone

from rights.calendar import response_due
from rights.models import SubjectAccessRequest


class SubjectAccessRequestFactory(factory.django.DjangoModelFactory):
    """An open request from the client, received today. Pass client= and logged_by=."""

    class Meta:
        model = SubjectAccessRequest

    reference = factory.Sequence(lambda n: f"SAR-TEST-{n:04d}")
    client = None
    requester = SubjectAccessRequest.Requester.CLIENT
    verification = SubjectAccessRequest.Verification.KNOWN_IN_PERSON
    asked_for = "Everything you hold about me, and who you have shared it with."
    received_on = factory.LazyFunction(timezone.localdate)
    due_on = factory.LazyAttribute(lambda o: response_due(o.received_on))
    logged_by = None
    logged_at = factory.LazyFunction(timezone.now)


def received_days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def ready_pack(*, client, actor):
    """A compiled pack (small stand-in files) for a new request about `client`."""
    from django.core.files.base import ContentFile

    from consent.evidence import private_storage
    from rights.models import SarPack

    sar = SubjectAccessRequestFactory(client=client, logged_by=actor)
    storage = private_storage()
    return SarPack.objects.create(
        sar=sar,
        client=client,
        requested_by=actor,
        requested_at=timezone.now(),
        status=SarPack.Status.READY,
        progress=100,
        pdf_name=storage.save("sar/test.pdf", ContentFile(b"%PDF-1.4 test")),
        archive_name=storage.save("sar/test.zip", ContentFile(b"PK test")),
    )
