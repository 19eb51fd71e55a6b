"""Moving a client to another team: a manager's decision with a reason, seen by both teams."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access.gate import AccessDenied, clients_visible_to, open_client
from access.models import AccessEvent
from accounts.models import TeamMembership
from accounts.tests.factories import TeamFactory, UserFactory
from clients import services
from clients.models import Assignment, ClientMove, ClientUserObjectPermission


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def can_open(user, client) -> bool:
    try:
        open_client(user, client.pk)
    except AccessDenied:
        return False
    return True


@pytest.fixture
def shared_worker(team_a, team_b, own_client, manager):
    """A second caseworker on own_client who is in both teams."""
    worker = UserFactory(username="sam", first_name="Sam", last_name="Shared", teams=[team_a, team_b])
    services.assignment_start(actor=manager, client=own_client, caseworker=worker, is_key_worker=False)
    return worker


# --- The service ---------------------------------------------------------------------------


def test_a_move_needs_a_reason_and_another_active_team(manager, team_a, team_b, own_client):
    with pytest.raises(ValidationError) as no_reason:
        services.client_move(actor=manager, client=own_client, team=team_b, reason="  ")
    with pytest.raises(ValidationError) as same_team:
        services.client_move(actor=manager, client=own_client, team=team_a, reason="Why not")
    closed_team = TeamFactory(name="Closed service", is_active=False)
    with pytest.raises(ValidationError) as inactive:
        services.client_move(actor=manager, client=own_client, team=closed_team, reason="Why not")

    assert "reason" in no_reason.value.error_dict
    assert "team" in same_team.value.error_dict
    assert "team" in inactive.value.error_dict
    own_client.refresh_from_db()
    assert own_client.team == team_a


def test_moving_ends_every_assignment_by_default(manager, other_manager, caseworker, shared_worker, team_b, own_client):
    move = services.client_move(actor=manager, client=own_client, team=team_b, reason="Moved into the hostel")

    assert (move.assignments_ended, move.assignments_kept) == (2, 0)
    assert not Assignment.objects.filter(client=own_client, ended_on__isnull=True).exists()
    assert set(Assignment.objects.filter(client=own_client).values_list("end_reason", flat=True)) == {
        "Client moved to Riverside Hostel"
    }
    assert not ClientUserObjectPermission.objects.filter(content_object=own_client).exists()
    assert not can_open(manager, own_client)
    assert not can_open(caseworker, own_client)
    assert not can_open(shared_worker, own_client)
    assert can_open(other_manager, own_client)


def test_moving_can_keep_the_caseworkers_who_are_in_the_new_team(
    manager, caseworker, shared_worker, team_b, own_client
):
    move = services.client_move(
        actor=manager, client=own_client, team=team_b, reason="Moved into the hostel", keep_assignments=True
    )

    assert (move.assignments_ended, move.assignments_kept) == (1, 1)
    assert can_open(shared_worker, own_client)
    assert own_client in clients_visible_to(shared_worker)
    assert not can_open(caseworker, own_client)


def test_the_move_is_in_the_clients_history_with_its_reason(manager, team_b, own_client):
    services.client_move(actor=manager, client=own_client, team=team_b, reason="Moved into the hostel")

    newest = own_client.history.order_by("-history_date", "-history_id").first()
    assert newest.team_id == team_b.pk
    assert newest.history_user == manager
    assert newest.history_change_reason == "Moved to Riverside Hostel: Moved into the hostel"
    assert ClientMove.objects.get(client=own_client).reason == "Moved into the hostel"


# --- The page ------------------------------------------------------------------------------


def move_url(client):
    return reverse("clients:move", args=[client.pk])


def test_the_record_links_to_the_move_page_for_its_team_managers_only(login, manager, caseworker, own_client):
    assert move_url(own_client) in login(manager).get(own_client.get_absolute_url()).content.decode()
    assert move_url(own_client) not in login(caseworker).get(own_client.get_absolute_url()).content.decode()


def test_a_manager_moves_a_client_and_both_teams_see_it(
    login, manager, other_manager, team_a, team_b, own_client, caseworker
):
    response = login(manager).post(
        move_url(own_client), {"team": team_b.pk, "reason": "Moved into the hostel", "assignments": "end"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:needs_key_worker")
    own_client.refresh_from_db()
    assert own_client.team == team_b
    audit = AccessEvent.objects.filter(client=own_client, actor=manager).order_by("-id").first()
    assert (audit.action, audit.outcome, audit.purpose) == (
        AccessEvent.Action.EDIT,
        AccessEvent.Outcome.ALLOWED,
        "move to another team",
    )
    assert "Olivia Owens moved to Riverside Hostel" in login(manager).get(response["Location"]).content.decode()
    # The old team's managers: a moved-out notice, by reference only.
    old_list = login(manager).get(reverse("clients:needs_key_worker")).content.decode()
    assert "OWN-001" in old_list
    assert "Moved into the hostel" in old_list
    assert "Olivia" not in old_list
    # The new team's managers: on their list, marked as moved in, and in the record's changes.
    new_list = login(other_manager).get(reverse("clients:needs_key_worker"))
    assert own_client in new_list.context["page"].object_list
    assert "Moved in" in new_list.content.decode()
    changes = login(other_manager).get(reverse("clients:changes", args=[own_client.pk])).content.decode()
    assert "Team: from Outreach North to Riverside Hostel" in changes
    assert "Reason: Moved into the hostel" in changes


def test_a_move_without_a_reason_is_a_form_error(login, manager, team_a, team_b, own_client):
    response = login(manager).post(move_url(own_client), {"team": team_b.pk, "reason": " ", "assignments": "end"})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    own_client.refresh_from_db()
    assert own_client.team == team_a


@pytest.mark.parametrize("team", ["", "abc", "999999", "-1"])
def test_a_bad_team_is_a_form_error_not_a_crash(login, manager, team_a, own_client, team):
    response = login(manager).post(move_url(own_client), {"team": team, "reason": "R", "assignments": "end"})

    assert response.status_code == 200
    assert "team" in response.context["form"].errors


def test_the_clients_own_team_is_not_offered(login, manager, team_a, team_b, own_client):
    response = login(manager).get(move_url(own_client))

    assert list(response.context["form"].fields["team"].queryset) == [team_b]


@pytest.mark.parametrize("who", ["caseworker", "other_manager", "iso"])
def test_only_the_clients_team_managers_can_move_it(request, login, who, team_b, own_client):
    person = request.getfixturevalue(who)
    if who == "other_manager":
        TeamMembership.objects.get_or_create(user=person, team=team_b)

    response = login(person).post(move_url(own_client), {"team": team_b.pk, "reason": "R", "assignments": "end"})

    assert response.status_code == 404
    assert not ClientMove.objects.exists()


def test_the_move_page_costs_the_same_queries_however_many_caseworkers(
    login, manager, team_a, own_client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    test_client = login(manager)
    with CaptureQueriesContext(connection) as first:
        assert test_client.get(move_url(own_client)).status_code == 200
    for _ in range(5):
        worker = UserFactory(teams=[team_a])
        services.assignment_start(actor=manager, client=own_client, caseworker=worker, is_key_worker=False)

    with django_assert_num_queries(len(first)):
        response = test_client.get(move_url(own_client))
    assert len(response.context["current"]) == 6
