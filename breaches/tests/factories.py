import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import TeamFactory, UserFactory
from breaches.clock import deadline_for, threshold_label
from breaches.deadlines import CLOCK, threshold_key
from breaches.models import BreachNotification, BreachReport
from deadlines.models import Alert


class BreachReportFactory(factory.django.DjangoModelFactory):
    """A breach row as it would be after `breach_report` (without its "reported" alert)."""

    class Meta:
        model = BreachReport
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    # "!" is an unusable password: no slow hashing for people who never log in.
    reported_by = factory.LazyAttribute(lambda o: UserFactory(teams=[o.team] if o.team else [], password="!"))
    reported_at = factory.LazyFunction(timezone.now)
    became_aware_at = factory.LazyAttribute(lambda o: o.reported_at - datetime.timedelta(minutes=30))
    deadline_at = factory.LazyAttribute(lambda o: deadline_for(o.became_aware_at))
    what_happened = "A notebook with visit notes was left on the number 42 bus."
    categories = factory.LazyFunction(lambda: ["identity", "housing_history", "mental_health"])

    @factory.post_generation
    def affected_clients(self, create, extracted, **kwargs):
        if extracted:
            self.affected_clients.set(extracted)


class BreachAlertFactory(factory.django.DjangoModelFactory):
    """An alert of a breach's current deadline, `threshold_hours` before it (as the sweep records it)."""

    class Meta:
        model = Alert
        exclude = ["breach", "threshold_hours"]

    breach = factory.SubFactory(BreachReportFactory)
    threshold_hours = 48
    clock = CLOCK
    object_id = factory.LazyAttribute(lambda o: o.breach.pk)
    due_at = factory.LazyAttribute(lambda o: o.breach.deadline_at)
    threshold = factory.LazyAttribute(lambda o: threshold_key(o.threshold_hours))
    label = factory.LazyAttribute(lambda o: threshold_label(o.threshold_hours))
    fire_at = factory.LazyAttribute(lambda o: o.breach.deadline_at - datetime.timedelta(hours=o.threshold_hours))
    raised_at = factory.LazyFunction(timezone.now)


class BreachNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BreachNotification

    breach = factory.SubFactory(BreachReportFactory)
    kind = BreachNotification.Kind.INITIAL
    notified_at = factory.LazyFunction(timezone.now)
    reference = factory.Sequence(lambda n: f"IC-{400000 + n}")
    recorded_by = factory.SubFactory(UserFactory, password="!")
    recorded_at = factory.LazyFunction(timezone.now)
