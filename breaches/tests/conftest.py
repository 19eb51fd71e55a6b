import pytest
from django.utils import timezone

from deadlines.models import SweepHeartbeat


@pytest.fixture
def make_client():
    """A client opened through the clients service, so the gate's permission rows exist."""
    from clients.services import client_create

    def _make(*, actor, team, first_name="Jo", last_name="Bloggs", **kwargs):
        return client_create(actor=actor, team=team, first_name=first_name, last_name=last_name, **kwargs)

    return _make


@pytest.fixture
def fresh_heartbeat(db):
    """The deadline sweep ran just now (so pages show no stale-timer warning)."""
    SweepHeartbeat.objects.update_or_create(pk=1, defaults={"last_sweep_at": timezone.now()})


@pytest.fixture
def eager_celery():
    """Run tasks inline for the length of a test, as a worker would."""
    from deadlines.tasks import sweep_deadlines

    conf = sweep_deadlines.app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = previous
