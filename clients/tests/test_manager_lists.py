"""The managers' "needs a key worker" list and the idle-assignments page."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.gate import open_client
from access.models import AccessEvent
from accounts.models import SecurityEvent
from accounts.tests.factories import UserFactory
from clients.models import Assignment
from clients.tests.factories import AssignmentFactory, ClientFactory

NEEDS = reverse("clients:needs_key_worker")
IDLE = reverse("clients:idle_assignments")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["page"].object_list)


# --- Needs a key worker ------------------------------------------------------------------------


def test_a_caseworker_leaving_puts_their_clients_on_the_old_teams_managers_list(
    login, manager, other_manager, caseworker, team_a, own_client, team_client, other_team_client
):
    assert own_client not in listed(login(manager).get(NEEDS))

    caseworker.teams.remove(team_a)

    response = login(manager).get(NEEDS)
    assert set(listed(response)) == {own_client, team_client}
    page = response.content.decode()
    assert "Casey Worker, until" in page
    assert "Left Outreach North" in page
    # The staff change is shown to the old team's managers although Casey is no longer a member.
    change = response.context["staff_changes"]
    assert {event.kind for event in change} == {SecurityEvent.Kind.TEAM_LEFT, SecurityEvent.Kind.CASELOAD_ENDED}
    # Another team's manager sees neither.
    other = login(other_manager).get(NEEDS)
    assert own_client not in listed(other)
    assert other.context["staff_changes"] == []


def test_the_list_is_for_service_managers_only(login, caseworker, iso):
    assert login(caseworker).get(NEEDS).status_code == 403
    assert login(iso).get(NEEDS).status_code == 403


def test_the_list_is_audited_as_a_list(login, manager, team_client):
    login(manager).get(NEEDS)

    event = AccessEvent.objects.order_by("-id").first()
    assert (event.action, event.actor, event.detail) == (AccessEvent.Action.LIST, manager, "needs key worker page=1")


def test_the_list_costs_the_same_queries_however_many_clients(login, manager, team_a, django_assert_num_queries):
    ClientFactory(team=team_a)
    test_client = login(manager)
    with CaptureQueriesContext(connection) as first:
        assert test_client.get(NEEDS).status_code == 200
    for _ in range(12):
        client = ClientFactory(team=team_a)
        assignment = AssignmentFactory(client=client, caseworker=UserFactory(teams=[team_a]))
        assignment.caseworker.teams.clear()  # they left: the client needs a key worker again

    with django_assert_num_queries(len(first)):
        response = test_client.get(NEEDS)
    assert len(listed(response)) == 13


# --- Idle assignments ----------------------------------------------------------------------------


def _opened(user, client, when):
    with time_machine.travel(when, tick=False):
        open_client(user, client.pk)


def test_assignments_not_used_for_the_idle_period_are_listed(login, manager, caseworker, team_a, settings):
    settings.ASSIGNMENT_IDLE_DAYS = 90
    now = timezone.now()
    long_ago, lately = ClientFactory(team=team_a), ClientFactory(team=team_a)
    never, new = ClientFactory(team=team_a), ClientFactory(team=team_a)
    for client in (long_ago, lately, never):
        AssignmentFactory(client=client, caseworker=caseworker, started_on=(now - datetime.timedelta(days=200)).date())
    AssignmentFactory(client=new, caseworker=caseworker, started_on=(now - datetime.timedelta(days=10)).date())
    _opened(caseworker, long_ago, now - datetime.timedelta(days=100))
    _opened(caseworker, lately, now - datetime.timedelta(days=100))
    _opened(caseworker, lately, now - datetime.timedelta(days=3))
    _opened(manager, never, now - datetime.timedelta(days=1))  # someone else's use does not count

    rows = listed(login(manager).get(IDLE))

    assert [row.client for row in rows] == [never, long_ago]
    assert rows[0].last_used is None
    assert rows[1].last_used.date() == (now - datetime.timedelta(days=100)).date()


def test_the_idle_period_is_a_setting(login, manager, caseworker, team_a, settings):
    client = ClientFactory(team=team_a)
    now = timezone.now()
    AssignmentFactory(client=client, caseworker=caseworker, started_on=(now - datetime.timedelta(days=200)).date())
    _opened(caseworker, client, now - datetime.timedelta(days=40))

    settings.ASSIGNMENT_IDLE_DAYS = 90
    assert listed(login(manager).get(IDLE)) == []
    settings.ASSIGNMENT_IDLE_DAYS = 30
    assert [row.client for row in listed(login(manager).get(IDLE))] == [client]


def test_a_manager_sees_only_their_teams_idle_assignments(login, other_manager, own_client):
    assert listed(login(other_manager).get(IDLE)) == []


def test_a_manager_ends_an_idle_assignment_from_the_list(login, manager, caseworker, team_a, settings):
    settings.ASSIGNMENT_IDLE_DAYS = 30
    own_client = ClientFactory(team=team_a)
    started = (timezone.now() - datetime.timedelta(days=60)).date()
    assignment = AssignmentFactory(client=own_client, caseworker=caseworker, started_on=started)
    test_client = login(manager)
    assert [row.pk for row in listed(test_client.get(IDLE))] == [assignment.pk]

    response = test_client.post(
        reverse("clients:assignment_end", args=[own_client.pk, assignment.pk]), {"return_to": "idle"}
    )

    assert response.status_code == 302
    assert response["Location"] == IDLE
    assignment.refresh_from_db()
    assert assignment.ended_on is not None
    assert assignment.end_reason == "Not used for 30 days"
    assert listed(test_client.get(IDLE)) == []


def test_the_idle_page_is_for_service_managers_only(login, caseworker, iso):
    assert login(caseworker).get(IDLE).status_code == 403
    assert login(iso).get(IDLE).status_code == 403


def test_the_idle_page_costs_the_same_queries_however_many_assignments(
    login, manager, team_a, settings, django_assert_num_queries
):
    settings.ASSIGNMENT_IDLE_DAYS = 1
    started = (timezone.now() - datetime.timedelta(days=60)).date()

    def idle_one():
        AssignmentFactory(client=ClientFactory(team=team_a), caseworker=UserFactory(teams=[team_a]), started_on=started)

    idle_one()
    test_client = login(manager)
    with CaptureQueriesContext(connection) as first:
        assert test_client.get(IDLE).status_code == 200
    for _ in range(12):
        idle_one()

    with django_assert_num_queries(len(first)):
        response = test_client.get(IDLE)
    assert len(listed(response)) == 13
    assert Assignment.objects.filter(ended_on__isnull=True).count() == 13
