"""Moving police and statutory requests out of `sharing` keeps every row, history row and link.

The database is migrated back to the schema before the move (`sharing` 0003), filled there
through the historical models, and migrated forward again.
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from deadlines.models import Alert
from sharing.models import Disclosure
from statutory.models import StatutoryDocument, StatutoryRequest

BEFORE_THE_MOVE = [("sharing", "0003_statutory_purpose"), ("statutory", None)]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("schema_restored")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.migrate(targets)


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _old_schema_with_data():
    """Two requests (one disclosed, with documents, an alert and history) on the old schema."""
    apps = _migrate(BEFORE_THE_MOVE).apps
    Team = apps.get_model("accounts", "Team")
    User = apps.get_model("accounts", "User")
    Client = apps.get_model("clients", "Client")
    Request = apps.get_model("sharing", "StatutoryRequest")
    History = apps.get_model("sharing", "HistoricalStatutoryRequest")
    Document = apps.get_model("sharing", "StatutoryDocument")
    Alert = apps.get_model("sharing", "StatutoryAlert")
    Disclosure = apps.get_model("sharing", "Disclosure")

    now = timezone.now()
    team = Team.objects.create(name="Outreach", slug="outreach")
    user = User.objects.create(username="worker", password="!")
    client = Client.objects.create(
        reference="CL-MIGR01", team=team, first_name="Ada", last_name="Lane", opened_on=dt.date(2026, 1, 5)
    )
    common = {
        "client": client,
        "body": "police",
        "body_name": "Greater Manchester Police",
        "requester_name": "Sam Patel",
        "requester_contact": "0161 496 0999",
        "verification": "call_back",
        "received_at": now,
        "received_by": user,
        "channel": "phone",
        "logged_at": now,
        "asked_text": "Where she is staying.",
        "why_needed": "To find her.",
        "prejudice": "no",
    }
    disclosed = Request.objects.create(
        reference="SR-OLD-1",
        basis="emergency",
        emergency_kind="locate_victim",
        scope={"identity": "summary"},
        status="closed",
        outcome="disclosed_full",
        decided_by=user,
        decided_at=now,
        decision_reasons="Life at risk.",
        **common,
    )
    refused = Request.objects.create(
        reference="SR-OLD-2",
        basis="none",
        status="closed",
        outcome="refused",
        decided_by=user,
        decided_at=now,
        decision_reasons="No basis.",
        **common,
    )
    for request in (disclosed, refused):
        row = {f.attname: getattr(request, f.attname) for f in Request._meta.concrete_fields}
        for kind, status in (("+", "open"), ("~", "closed")):
            History.objects.create(
                **{**row, "status": status}, history_date=now, history_type=kind, history_user_id=user.pk
            )
    Document.objects.create(
        statutory_request=disclosed,
        client=client,
        kind="order",
        stored_name="statutory/abc.pdf",
        display_name="order.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        uploaded_by=user,
    )
    Alert.objects.create(statutory_request=disclosed, kind="emergency_logged", raised_at=now)
    disclosure = Disclosure.objects.create(
        kind="statutory",
        reference="D-OLD-1",
        client=client,
        recipient_label="Greater Manchester Police",
        purpose_label="Police request SR-OLD-1",
        basis_label="Emergency",
        statutory_request=disclosed,
        selection={"identity": "summary"},
        disclosed_by=user,
        disclosed_at=now,
        snapshot={"reference": "D-OLD-1"},
        snapshot_sha256="1" * 64,
    )
    content_type = ContentType.objects.get(app_label="sharing", model="statutoryrequest")
    return {
        "disclosed": disclosed.pk,
        "refused": refused.pk,
        "disclosure": disclosure.pk,
        "content_type": content_type.pk,
        "fields": {f.attname: getattr(disclosed, f.attname) for f in Request._meta.concrete_fields},
    }


def test_moving_statutory_requests_keeps_every_row_history_row_and_link():
    old = _old_schema_with_data()

    _migrate(_latest())

    disclosed = StatutoryRequest.objects.get(pk=old["disclosed"])
    for name, value in old["fields"].items():
        assert getattr(disclosed, name) == value, name
    assert StatutoryRequest.objects.filter(pk__in=[old["disclosed"], old["refused"]]).count() == 2
    assert sorted(disclosed.history.values_list("history_type", "status")) == [("+", "open"), ("~", "closed")]
    assert StatutoryRequest.history.count() == 4
    assert StatutoryDocument.objects.get().statutory_request == disclosed
    # The alert moved to the deadline mechanism (statutory 0004), its e-mail state with it.
    [alert] = Alert.objects.filter(clock="statutory.emergency_request")
    assert (alert.object_id, alert.threshold, alert.due_at) == (disclosed.pk, "logged", disclosed.logged_at)
    assert alert.email.status == "pending"
    disclosure = Disclosure.objects.get(pk=old["disclosure"])
    assert list(disclosed.disclosures.all()) == [disclosure]
    assert disclosure.statutory_link.statutory_request == disclosed
    assert not StatutoryRequest.objects.get(pk=old["refused"]).disclosures.exists()
    # The content type moved (so permissions and role groups still point at it), not recreated.
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(StatutoryRequest).pk == old["content_type"]


def test_new_requests_after_the_move_do_not_reuse_ids():
    old = _old_schema_with_data()

    _migrate(_latest())

    fields = {**old["fields"], "id": None, "reference": "SR-NEW-1"}
    created = StatutoryRequest.objects.create(**fields)
    assert created.pk > old["refused"]
