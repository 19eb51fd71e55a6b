import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role, TeamMembership
from accounts.tests.factories import TeamFactory, UserFactory
from clients import services
from clients.models import Assignment, ClientGroupObjectPermission, ClientUserObjectPermission


def user_rows(client):
    return set(
        ClientUserObjectPermission.objects.filter(content_object=client).values_list("user__username", flat=True)
    )


def group_rows(client):
    return set(ClientGroupObjectPermission.objects.filter(content_object=client).values_list("group__name", flat=True))


def test_creating_a_client_grants_its_team_managers_and_puts_it_on_the_creators_caseload(caseworker, team_a):
    client = services.client_create(actor=caseworker, team=team_a, first_name="Ada", last_name="Lovelace")

    assert group_rows(client) == {services.manager_group_name(team_a.pk)}
    assert user_rows(client) == {caseworker.username}
    assignment = client.assignments.get()
    assert assignment.is_key_worker
    assert assignment.started_by == caseworker
    assert client.reference.startswith("CL-")
    assert client.history.get().history_user == caseworker


def test_a_manager_creating_a_client_does_not_become_its_caseworker(manager, team_a):
    client = services.client_create(actor=manager, team=team_a, first_name="Ada", last_name="Lovelace")

    assert user_rows(client) == set()


def test_a_client_cannot_be_born_in_the_future(caseworker, team_a):
    with pytest.raises(ValidationError) as error:
        services.client_create(
            actor=caseworker,
            team=team_a,
            first_name="Ada",
            last_name="Lovelace",
            date_of_birth=datetime.date(2999, 1, 1),
        )
    assert "date_of_birth" in error.value.error_dict


def test_managers_join_and_leave_their_teams_group_with_their_membership(team_a, team_b):
    person = UserFactory(role=Role.SERVICE_MANAGER, teams=[team_a])
    group_a, group_b = services.manager_group_name(team_a.pk), services.manager_group_name(team_b.pk)
    assert set(person.groups.values_list("name", flat=True)) >= {group_a}

    TeamMembership.objects.create(user=person, team=team_b)
    TeamMembership.objects.filter(user=person, team=team_a).delete()

    names = set(person.groups.values_list("name", flat=True))
    assert group_b in names
    assert group_a not in names


def test_caseworkers_are_in_no_managers_group(caseworker):
    assert not caseworker.groups.filter(name__endswith="-managers").exists()


def test_a_demoted_or_deactivated_manager_leaves_the_group(manager, team_a):
    manager.is_active = False
    manager.save()

    assert not manager.groups.filter(name=services.manager_group_name(team_a.pk)).exists()


def test_team_managers_sync_repairs_a_group_after_bulk_changes(manager, team_a):
    manager.groups.clear()  # e.g. a bulk change that bypassed the receivers

    services.team_managers_sync(team=team_a)

    assert manager.groups.filter(name=services.manager_group_name(team_a.pk)).exists()


def test_assignment_start_and_end_grant_and_revoke_the_caseworkers_row(manager, team_a, team_client):
    worker = UserFactory(teams=[team_a])

    assignment = services.assignment_start(actor=manager, client=team_client, caseworker=worker)
    assert worker.username in user_rows(team_client)

    services.assignment_end(actor=manager, assignment=assignment)
    assert worker.username not in user_rows(team_client)
    assignment.refresh_from_db()
    assert assignment.ended_by == manager
    assert assignment.ended_on is not None
    assert [h.history_type for h in assignment.history.order_by("history_date")] == ["+", "~"]


def test_a_caseworker_outside_the_team_cannot_be_assigned(manager, other_caseworker, team_client):
    with pytest.raises(ValidationError) as error:
        services.assignment_start(actor=manager, client=team_client, caseworker=other_caseworker)
    assert "caseworker" in error.value.error_dict
    assert not user_rows(team_client)


def test_a_caseworker_cannot_be_assigned_twice(manager, caseworker, own_client):
    with pytest.raises(ValidationError):
        services.assignment_start(actor=manager, client=own_client, caseworker=caseworker)


def test_an_ended_assignment_cannot_be_ended_again(manager, caseworker, own_client):
    assignment = own_client.assignments.get()
    services.assignment_end(actor=manager, assignment=assignment)

    with pytest.raises(ValidationError):
        services.assignment_end(actor=manager, assignment=assignment)


def test_a_new_key_worker_replaces_the_old_one(manager, caseworker, team_a, own_client):
    colleague = UserFactory(teams=[team_a])

    services.assignment_start(actor=manager, client=own_client, caseworker=colleague, is_key_worker=True)

    key_workers = Assignment.objects.filter(client=own_client, ended_on__isnull=True, is_key_worker=True)
    assert [a.caseworker for a in key_workers] == [colleague]
    assert caseworker.username in user_rows(own_client)  # still on the caseload, no longer key worker


def test_ending_one_of_two_assignments_keeps_the_other_caseworkers_access(manager, caseworker, team_a, own_client):
    colleague = UserFactory(teams=[team_a])
    services.assignment_start(actor=manager, client=own_client, caseworker=colleague, is_key_worker=False)

    services.assignment_end(actor=manager, assignment=own_client.assignments.get(caseworker=colleague))

    assert user_rows(own_client) == {caseworker.username}


def test_moving_a_client_moves_the_managers_access(manager, team_a, team_b, team_client):
    services.client_move(actor=manager, client=team_client, team=team_b, reason="Moved into the hostel")

    assert group_rows(team_client) == {services.manager_group_name(team_b.pk)}


def test_closing_needs_a_reason_and_a_sensible_date(manager, own_client):
    with pytest.raises(ValidationError):
        services.client_close(actor=manager, client=own_client, reason="  ")
    with pytest.raises(ValidationError):
        services.client_close(
            actor=manager, client=own_client, reason="Moved", closed_on=own_client.opened_on - datetime.timedelta(1)
        )

    closed = services.client_close(actor=manager, client=own_client, reason="Moved away")
    assert closed.is_closed
    with pytest.raises(ValidationError):
        services.client_close(actor=manager, client=own_client, reason="Again")

    reopened = services.client_reopen(actor=manager, client=own_client)
    assert not reopened.is_closed
    assert (reopened.closed_on, reopened.closure_reason) == (None, "")


def test_entries_and_notes_keep_their_history(caseworker, own_client):
    entry = services.entry_create(
        actor=caseworker, client=own_client, category="mental_health", summary="Anxiety", detail="Sees GP monthly"
    )
    services.entry_update(actor=caseworker, entry=entry, summary="Anxiety and low mood", detail="")
    note = services.note_create(actor=caseworker, client=own_client, category="support_needs", text="Met at hub")
    services.note_update(
        actor=caseworker, note=note, category="housing_history", text="Met at hub", held_in_confidence=True
    )

    versions = list(entry.history.order_by("history_date").values_list("summary", "history_user"))
    assert versions == [("Anxiety", caseworker.pk), ("Anxiety and low mood", caseworker.pk)]
    assert note.history.count() == 2


def test_an_entry_needs_a_known_category_and_a_summary(caseworker, own_client):
    with pytest.raises(ValidationError):
        services.entry_create(actor=caseworker, client=own_client, category="horoscope", summary="Leo")
    with pytest.raises(ValidationError):
        services.entry_create(actor=caseworker, client=own_client, category="finances", summary="   ")


def test_client_update_changes_only_identity_and_contact(caseworker, own_client):
    services.client_update(actor=caseworker, client=own_client, phone="07700 900123")
    own_client.refresh_from_db()
    assert own_client.phone == "07700 900123"

    with pytest.raises(TypeError):
        services.client_update(actor=caseworker, client=own_client, team=TeamFactory())
