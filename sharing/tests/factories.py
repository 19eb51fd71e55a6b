import datetime as dt
import importlib

import factory
from django.utils import timezone

from clients.categories import Selection
from consent.models import Partner, Purpose
from consent.tests.factories import PartnerFactory
from sharing.models import DataSharingAgreement, PurposeTemplate, Referral


def purpose(key: str) -> Purpose:
    """One of the standard purposes (consent's data migration creates them).

    Made again if missing: a transactional test's flush removes what migrations created.
    """
    standard = importlib.import_module("consent.migrations.0002_standard_purposes_and_policies").PURPOSES
    name, description = next((name, description) for k, name, description in standard if k == key)
    return Purpose.objects.get_or_create(key=key, defaults={"name": name, "description": description})[0]


class SubstanceUseServiceFactory(PartnerFactory):
    name = "Northside Drug and Alcohol Service"
    kind = Partner.Kind.SUBSTANCE_USE


class DomesticAbuseServiceFactory(PartnerFactory):
    name = "Safe Haven Domestic Abuse Service"
    kind = Partner.Kind.DOMESTIC_ABUSE


class DataSharingAgreementFactory(factory.django.DjangoModelFactory):
    """purposes=[...] sets the purposes (default: referral to a substance-use service)."""

    class Meta:
        model = DataSharingAgreement
        skip_postgeneration_save = True

    partner = factory.SubFactory(SubstanceUseServiceFactory)
    reference = factory.Sequence(lambda n: f"DSA-{n:03d}")
    selection = factory.LazyFunction(
        lambda: Selection({"identity": "summary", "contact": "summary", "substance_use": "detail"}).to_json()
    )
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))

    @factory.post_generation
    def purposes(self, create, extracted, **kwargs):
        self.purposes.set(extracted if extracted is not None else [purpose("referral-substance-use")])


class PurposeTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurposeTemplate
        django_get_or_create = ("purpose",)

    purpose = factory.LazyFunction(lambda: purpose("referral-substance-use"))
    selection = factory.LazyFunction(
        lambda: Selection(
            {"identity": "summary", "contact": "summary", "substance_use": "detail", "domestic_abuse": "summary"}
        ).to_json()
    )
    note = "Substance-use services need the pattern of use and to know about safety needs, not the account of abuse."


class ReferralFactory(factory.django.DjangoModelFactory):
    """A draft. Pass client= (required), and partner/purpose/selection/reasons as needed."""

    class Meta:
        model = Referral

    client = None
    partner = factory.SubFactory(SubstanceUseServiceFactory)
    purpose = factory.LazyFunction(lambda: purpose("referral-substance-use"))
    selection = factory.LazyFunction(lambda: Selection({"identity": "summary"}).to_json())
    reasons = factory.LazyFunction(dict)
    created_by = None


def sent_referral(*, client, actor) -> Referral:
    """A referral sent through the service on a consent that covers it (identity summary)."""
    from consent.tests.factories import ConsentRecordFactory
    from sharing import services

    partner = SubstanceUseServiceFactory()
    su = purpose("referral-substance-use")
    selection = Selection({"identity": "summary"}).to_json()
    DataSharingAgreementFactory(partner=partner, selection=selection, purposes=[su])
    ConsentRecordFactory(client=client, partners=[partner], purposes=[su], selection=selection, recorded_by=actor)
    referral = ReferralFactory(client=client, partner=partner, purpose=su, selection=selection, created_by=actor)
    return services.referral_send(actor=actor, referral=referral)


def recipient_notice(*, client, actor):
    """A tell-the-recipient task: a referral sent, then its consent withdrawn."""
    from consent.models import ConsentRecord
    from consent.services import consent_withdraw

    referral = sent_referral(client=client, actor=actor)
    consent_withdraw(actor=actor, consent=referral.disclosure.consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    return referral.disclosure.notices.get()


def stopped_transmission(*, client, actor):
    """A referral sent and queued for e-mail, then cancelled by the consent's withdrawal."""
    from consent.models import ConsentRecord
    from consent.services import consent_withdraw

    referral = sent_referral(client=client, actor=actor)
    consent_withdraw(actor=actor, consent=referral.disclosure.consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    return referral.transmissions.get()
