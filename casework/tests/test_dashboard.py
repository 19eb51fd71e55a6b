from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import AccessEvent
from consent.tests.factories import client_on_caseload


def dashboard_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_audits_its_client_lists_once_per_view(client, login, caseworker, team_a):
    client_on_caseload(caseworker=caseworker, team=team_a)
    login(caseworker)
    before = AccessEvent.objects.count()

    response = client.get("/")

    assert response.status_code == 200
    events = AccessEvent.objects.order_by("-id")[: AccessEvent.objects.count() - before]
    assert [(e.action, e.outcome, e.detail, e.actor_id) for e in events] == [
        ("list", "allowed", "dashboard", caseworker.pk)
    ]


def test_dashboard_queries_do_not_grow_with_the_caseload(client, login, caseworker, manager, team_a):
    client_on_caseload(caseworker=caseworker, team=team_a)
    login(caseworker)
    small = dashboard_queries(client)
    for n in range(8):
        client_on_caseload(caseworker=caseworker, team=team_a, first_name=f"Alex{n}")

    assert dashboard_queries(client) == small

    login(manager)
    manager_small = dashboard_queries(client)
    client_on_caseload(caseworker=caseworker, team=team_a, first_name="Sam")
    assert dashboard_queries(client) == manager_small


def test_the_iso_sees_emails_whose_delivery_is_unknown_and_others_do_not(login, iso, manager):
    from django.utils import timezone

    from deadlines.models import OutboxEmail

    OutboxEmail.objects.create(
        status="unknown",
        subject="[Casework] Breach BR-00007: 24 hours to the ICO deadline",
        recipients="iso@example.org",
        message_id="<outbox-1.1@example.org>",
        created_at=timezone.now(),
        claimed_at=timezone.now(),
        attempts=1,
    )
    OutboxEmail.objects.create(status="sent", subject="Delivered fine", created_at=timezone.now())

    as_iso = login(iso).get("/").content.decode()
    as_manager = login(manager).get("/").content.decode()

    assert "E-mails that need checking" in as_iso
    assert "BR-00007: 24 hours" in as_iso
    assert "&lt;outbox-1.1@example.org&gt;" in as_iso
    assert "Delivered fine" not in as_iso
    assert "E-mails that need checking" not in as_manager
