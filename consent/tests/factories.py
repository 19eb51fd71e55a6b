import datetime as dt

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from clients.categories import Selection
from consent.models import (
    ConsentRecord,
    LawfulBasis,
    LawfulBasisRecord,
    MeetingGroup,
    Partner,
    PrivacyNotice,
    Purpose,
    consent_history,
    lawful_basis_history,
)

# A minimal, complete PDF (header, one empty page, xref, trailer, %%EOF).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)


def client_on_caseload(*, caseworker, team, first_name="Jordan", last_name="Reed"):
    """A client in `team` on `caseworker`'s caseload, made the way the product makes one.

    clients.services.client_create grants the caseworker's and the team managers'
    permission rows that the gate reads.
    """
    from clients.services import client_create

    return client_create(actor=caseworker, team=team, first_name=first_name, last_name=last_name)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("name",)

    name = "Riverside Housing"
    kind = Partner.Kind.HOUSING
    secure_email = factory.LazyAttribute(lambda o: f"referrals@{o.name.lower().replace(' ', '-')}.example.org")
    phone = "0161 496 0000"
    address = "1 River Street, Manchester"


class PurposeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Purpose
        django_get_or_create = ("key",)

    key = "referral-housing"
    name = "Referral to housing"


class PrivacyNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrivacyNotice
        django_get_or_create = ("version",)

    version = "v1"
    text = (
        "We keep information about you to support you. "
        "We share it only with your agreement, unless the law says we must."
    )
    effective_on = dt.date(2026, 1, 1)


class MeetingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingGroup
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = "Rough Sleeper Action Group"

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if extracted:
            self.members.set(extracted)


class ScopeFactory(factory.django.DjangoModelFactory):
    """partners=[...] and purposes=[...] set the many-to-many scope (defaults: Riverside, housing).

    Like the services, it writes one creation history row that includes the scope.
    """

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        instance = model_class(*args, **kwargs)
        instance.skip_history_when_saving = True
        instance.save()
        return instance

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            del instance.skip_history_when_saving
            instance._history_user = instance.recorded_by
            history = consent_history if isinstance(instance, ConsentRecord) else lawful_basis_history
            history.create_historical_record(instance, "+")

    selection = factory.LazyFunction(lambda: Selection({"housing_history": "detail"}).to_json())

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if extracted is None and self.meeting_group_id is None:
            extracted = [PartnerFactory()]
        if extracted:
            self.partners.set(extracted)

    @factory.post_generation
    def purposes(self, create, extracted, **kwargs):
        self.purposes.set(extracted if extracted is not None else [PurposeFactory()])


class ConsentRecordFactory(ScopeFactory):
    class Meta:
        model = ConsentRecord

    client = None  # required: pass the client
    method = ConsentRecord.Method.ELECTRONIC
    electronic_reference = "Signed on the tablet"
    notice = factory.SubFactory(PrivacyNoticeFactory)
    given_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    recorded_by = factory.SubFactory(UserFactory)
    review_due = None


class LawfulBasisRecordFactory(ScopeFactory):
    class Meta:
        model = LawfulBasisRecord

    client = None
    basis = LawfulBasis.PUBLIC_TASK
    justification = "Our housing duty contract requires the referral."
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    recorded_by = factory.SubFactory(UserFactory)


def consent_with_evidence(*, client, actor) -> ConsentRecord:
    """A written consent whose signed form is stored, as the record-consent page leaves it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from consent.evidence import check_upload
    from consent.services import consent_record

    return consent_record(
        actor=actor,
        client=client,
        partners=[PartnerFactory()],
        purposes=[PurposeFactory()],
        selection=Selection({"housing_history": "summary"}),
        method=ConsentRecord.Method.WRITTEN,
        evidence=check_upload(SimpleUploadedFile("signed.pdf", PDF_BYTES)),
        notice=PrivacyNoticeFactory(),
        given_at=timezone.now() - dt.timedelta(hours=1),
        has_capacity=True,
    )
