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


def _stand_in_pack(client) -> dict:
    """A small compiled pack's data: two items with review keys."""
    return {
        "draft": True,
        "title": f"Information we hold about you ({client.reference})",
        "organisation": "Test",
        "generated_at": "",
        "sections": {
            "identity": [{"key": "identity:reference", "item": "Reference", "value": client.reference}],
            "notes": [{"key": "notes:0", "category": "Support needs", "written": "", "text": "A note", "source": ""}],
        },
    }


def ready_pack(*, client, actor, sar=None):
    """A compiled pack (a small real archive, a stand-in PDF) for a new request about `client`."""
    import hashlib

    from django.core.files.base import ContentFile

    from consent.evidence import private_storage
    from rights.models import SarPack
    from rights.pack import pack_archive

    sar = sar or SubjectAccessRequestFactory(client=client, logged_by=actor)
    storage = private_storage()
    pdf, archive = b"%PDF-1.4 test", pack_archive(_stand_in_pack(client))
    return SarPack.objects.create(
        sar=sar,
        client=client,
        requested_by=actor,
        requested_at=timezone.now(),
        status=SarPack.Status.READY,
        progress=100,
        pdf_name=storage.save("sar/test.pdf", ContentFile(pdf)),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        archive_name=storage.save("sar/test.zip", ContentFile(archive)),
        archive_sha256=hashlib.sha256(archive).hexdigest(),
    )


def released_pack(*, client, actor):
    """A released pack (stand-in files, written directly: no PDF is rendered) for a new request."""
    import hashlib

    from django.core.files.base import ContentFile

    from consent.evidence import private_storage
    from rights.models import SarRelease

    pack = ready_pack(client=client, actor=actor)
    storage = private_storage()
    pdf, archive = b"%PDF-1.4 released", b"PK released"
    SarRelease.objects.create(
        sar=pack.sar,
        pack=pack,
        released_by=actor,
        released_at=timezone.now(),
        content={"sections": {}},
        content_sha256="0" * 64,
        pdf_name=storage.save("sar/released.pdf", ContentFile(pdf)),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        archive_name=storage.save("sar/released.zip", ContentFile(archive)),
        archive_sha256=hashlib.sha256(archive).hexdigest(),
    )
    return pack
