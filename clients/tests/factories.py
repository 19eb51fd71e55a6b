"""Factories that leave the database as the services would: a client's team managers are
granted access when the client is made, and an assignment grants its caseworker access.
"""

import datetime

import factory
from django.utils import timezone

from accounts.models import TeamMembership
from accounts.tests.factories import TeamFactory, UserFactory
from clients import services
from clients.models import Alert, Assignment, CaseNote, Client, InformationEntry


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    reference = factory.Sequence(lambda n: f"C{n:06d}")
    team = factory.SubFactory(TeamFactory)
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    phone = factory.Faker("phone_number", locale="en_GB")
    opened_on = factory.LazyFunction(lambda: datetime.date(2026, 1, 5))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        client = super()._create(model_class, *args, **kwargs)
        services.team_grant(client=client)
        return client


class InformationEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InformationEntry

    client = factory.SubFactory(ClientFactory)
    category = "housing_history"
    summary = "Sleeping rough since March."
    detail = "Evicted from a private let after rent arrears; two nights in a shelter."
    recorded_by = factory.SubFactory(UserFactory)


class CaseNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseNote

    client = factory.SubFactory(ClientFactory)
    category = "support_needs"
    text = "Met at the drop-in; wants help with a housing application."
    author = factory.SubFactory(UserFactory)


class AssignmentFactory(factory.django.DjangoModelFactory):
    """Made through clients.services.assignment_start, so the caseworker gains access.

    The caseworker is made a member of the client's team first if they are not one.
    """

    class Meta:
        model = Assignment

    client = factory.SubFactory(ClientFactory)
    caseworker = factory.SubFactory(UserFactory)
    started_on = factory.LazyFunction(lambda: datetime.date(2026, 1, 5))
    started_by = factory.SelfAttribute("caseworker")
    is_key_worker = True

    @classmethod
    def _create(cls, model_class, *, client, caseworker, started_on, started_by, is_key_worker=True, **kwargs):
        TeamMembership.objects.get_or_create(user=caseworker, team=client.team)
        return services.assignment_start(
            actor=started_by, client=client, caseworker=caseworker, started_on=started_on, is_key_worker=is_key_worker
        )


class AlertFactory(factory.django.DjangoModelFactory):
    """An active alert, as `clients.services.alert_raise` leaves it (without its timeline event)."""

    class Meta:
        model = Alert

    client = factory.SubFactory(ClientFactory)
    kind = Alert.Kind.RISK_TO_STAFF
    text = "Has threatened staff with a knife. Visit in pairs."
    raised_by = factory.SubFactory(UserFactory)
    raised_at = factory.LazyFunction(timezone.now)
