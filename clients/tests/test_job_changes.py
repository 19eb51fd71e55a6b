"""Access that outlives the job it came from: every path that changes a person's teams,
account or role ends the caseload assignments (and permission rows) the new job does
not support, in the same transaction, and records it.
"""

import contextlib
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client as BrowserlessClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from access.gate import AccessDenied, clients_visible_to, open_client
from accounts import services as accounts_services
from accounts.models import ActiveSession, Role, SecurityEvent, TeamMembership
from accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from clients import services
from clients.models import Assignment, ClientUserObjectPermission

Kind = SecurityEvent.Kind


def has_access(user, client) -> bool:
    try:
        open_client(user, client.pk)
    except AccessDenied:
        return False
    return True


def assert_caseload_ended(caseworker, client, *, reason_starts: str):
    assignment = Assignment.objects.get(client=client, caseworker=caseworker)
    assert assignment.ended_on is not None
    assert assignment.end_reason.startswith(reason_starts)
    assert not ClientUserObjectPermission.objects.filter(user=caseworker, content_object=client).exists()
    assert client not in clients_visible_to(caseworker)
    assert not has_access(caseworker, client)


def admin_form_data(response) -> dict:
    """The POST data an admin change page would send back unchanged, inlines included."""
    data = {}

    def put(form, name):
        field = form.fields[name]
        if field.disabled:
            return
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
        elif value is not None:
            data[form.add_prefix(name)] = value

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()})
        data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)
        for member in formset.initial_forms:
            for name in member.fields:
                put(member, name)
    return data


@pytest.fixture
def admin_client(login, admin_user):
    return login(admin_user, test_client=BrowserlessClient())


# --- Leaving a team, by every road -----------------------------------------------------------


def test_removing_a_team_on_the_staff_admin_page_ends_that_teams_caseload(
    admin_client, admin_user, caseworker, team_a, team_b, own_client, manager
):
    TeamMembership.objects.create(user=caseworker, team=team_b)
    url = f"/admin/accounts/user/{caseworker.pk}/change/"
    data = admin_form_data(admin_client.get(url))
    index = next(i for i in range(int(data["memberships-TOTAL_FORMS"])) if data[f"memberships-{i}-team"] == team_a.pk)
    data[f"memberships-{index}-DELETE"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert list(caseworker.teams.all()) == [team_b]
    assert_caseload_ended(caseworker, own_client, reason_starts="Left Outreach North")
    left = SecurityEvent.objects.get(kind=Kind.TEAM_LEFT, user=caseworker)
    assert (left.actor, left.team) == (admin_user, team_a)
    ended = SecurityEvent.objects.get(kind=Kind.CASELOAD_ENDED, user=caseworker)
    assert (ended.actor, ended.team) == (admin_user, team_a)
    assert Assignment.objects.get(client=own_client).ended_by == admin_user


def test_removing_a_member_on_the_team_admin_page_ends_their_caseload_there(
    admin_client, caseworker, team_a, own_client
):
    url = f"/admin/accounts/team/{team_a.pk}/change/"
    data = admin_form_data(admin_client.get(url))
    index = next(
        i for i in range(int(data["memberships-TOTAL_FORMS"])) if data[f"memberships-{i}-user"] == caseworker.pk
    )
    data[f"memberships-{index}-DELETE"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert_caseload_ended(caseworker, own_client, reason_starts="Left Outreach North")
    assert SecurityEvent.objects.filter(kind=Kind.TEAM_LEFT, user=caseworker, team=team_a).count() == 1


def test_moving_a_membership_row_to_another_team_ends_the_old_teams_caseload(caseworker, team_a, team_b, own_client):
    membership = TeamMembership.objects.get(user=caseworker, team=team_a)
    membership.team = team_b
    membership.save()

    assert_caseload_ended(caseworker, own_client, reason_starts="Left Outreach North")


@pytest.mark.parametrize(
    "leave",
    [
        pytest.param(lambda user, team: user.teams.remove(team), id="user.teams.remove"),
        pytest.param(lambda user, team: user.teams.clear(), id="user.teams.clear"),
        pytest.param(lambda user, team: user.teams.set([]), id="user.teams.set"),
        pytest.param(lambda user, team: team.members.remove(user), id="team.members.remove"),
        pytest.param(lambda user, team: TeamMembership.objects.filter(user=user).delete(), id="queryset.delete"),
        pytest.param(
            lambda user, team: accounts_services.membership_end(
                actor=None, membership=TeamMembership.objects.get(user=user, team=team)
            ),
            id="membership_end",
        ),
    ],
)
def test_every_way_of_leaving_a_team_ends_the_caseload_in_the_same_transaction(leave, caseworker, team_a, own_client):
    assert has_access(caseworker, own_client)

    with transaction.atomic():
        leave(caseworker, team_a)
        # Already over inside the transaction that removed the membership.
        assert not ClientUserObjectPermission.objects.filter(user=caseworker, content_object=own_client).exists()

    assert_caseload_ended(caseworker, own_client, reason_starts="Left Outreach North")
    assert SecurityEvent.objects.filter(kind=Kind.TEAM_LEFT, user=caseworker, team=team_a).exists()
    assert SecurityEvent.objects.filter(kind=Kind.CASELOAD_ENDED, user=caseworker, team=team_a).count() == 1


def test_a_failed_change_keeps_the_membership_and_the_caseload_together(caseworker, team_a, own_client):
    def remove_then_fail():
        with transaction.atomic():
            caseworker.teams.remove(team_a)
            raise RuntimeError("the admin save failed later on")

    with pytest.raises(RuntimeError):
        remove_then_fail()

    assert has_access(caseworker, own_client)
    assert Assignment.objects.get(client=own_client).ended_on is None


def test_leaving_one_team_keeps_the_caseload_in_another(caseworker, team_a, team_b, own_client, manager):
    TeamMembership.objects.create(user=caseworker, team=team_b)
    client_b = services.client_create(actor=caseworker, team=team_b, first_name="Bea", last_name="Bee")

    caseworker.teams.remove(team_a)

    assert not has_access(caseworker, own_client)
    assert has_access(caseworker, client_b)


# --- Deactivation ----------------------------------------------------------------------------


def _signed_in(user):
    browser = BrowserlessClient()
    response = browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def _session_exists(key) -> bool:
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(key)


@pytest.mark.parametrize(
    "deactivate",
    [
        pytest.param(lambda user: accounts_services.staff_deactivate(actor=None, user=user), id="staff_deactivate"),
        pytest.param(lambda user: (setattr(user, "is_active", False), user.save()), id="save"),
        pytest.param(
            lambda user: (setattr(user, "is_active", False), user.save(update_fields=["is_active"])),
            id="save(update_fields)",
        ),
    ],
)
def test_deactivating_a_person_ends_their_sessions_and_caseload(deactivate, caseworker, own_client):
    browser = _signed_in(caseworker)
    session_key = ActiveSession.objects.get(user=caseworker).session_key

    deactivate(caseworker)

    assert not _session_exists(session_key)
    assert not ActiveSession.objects.filter(user=caseworker).exists()
    assert browser.get("/clients/").status_code == 302  # back to sign in
    assert_caseload_ended(caseworker, own_client, reason_starts="Account deactivated")
    event = SecurityEvent.objects.get(kind=Kind.DEACTIVATED, user=caseworker)
    assert event.detail == "1 session(s) ended"


def test_deactivating_twice_records_it_once_and_reactivating_is_recorded(caseworker, own_client):
    accounts_services.staff_deactivate(actor=None, user=caseworker)
    accounts_services.staff_deactivate(actor=None, user=caseworker)
    caseworker.refresh_from_db()
    caseworker.save()
    assert SecurityEvent.objects.filter(kind=Kind.DEACTIVATED, user=caseworker).count() == 1

    caseworker.is_active = True
    caseworker.save()

    assert SecurityEvent.objects.filter(kind=Kind.REACTIVATED, user=caseworker).count() == 1
    # Coming back does not bring the old caseload back: a manager assigns again.
    assert not has_access(caseworker, own_client)


def test_unticking_active_in_the_staff_admin_deactivates(admin_client, admin_user, caseworker, own_client):
    url = f"/admin/accounts/user/{caseworker.pk}/change/"
    data = admin_form_data(admin_client.get(url))
    data.pop("is_active")

    assert admin_client.post(url, data).status_code == 302

    assert_caseload_ended(caseworker, own_client, reason_starts="Account deactivated")
    assert SecurityEvent.objects.get(kind=Kind.DEACTIVATED, user=caseworker).actor == admin_user


def test_deleting_a_person_with_no_caseload_records_no_team_change(team_a):
    person = UserFactory(teams=[team_a])

    person.delete()

    assert not SecurityEvent.objects.filter(kind=Kind.TEAM_LEFT).exists()


# --- Role changes ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER, Role.ADMIN])
def test_a_caseworker_whose_role_changes_leaves_their_caseload(role, admin_user, caseworker, own_client):
    accounts_services.staff_set_role(actor=admin_user, user=caseworker, role=role)

    assignment = Assignment.objects.get(client=own_client, caseworker=caseworker)
    assert assignment.ended_on is not None
    assert assignment.end_reason.startswith("Role changed")
    assert not ClientUserObjectPermission.objects.filter(user=caseworker, content_object=own_client).exists()
    assert SecurityEvent.objects.get(kind=Kind.CASELOAD_ENDED, user=caseworker).actor == admin_user


def test_changing_the_role_in_the_staff_admin_ends_the_caseload(admin_client, caseworker, own_client):
    url = f"/admin/accounts/user/{caseworker.pk}/change/"
    data = admin_form_data(admin_client.get(url))
    data["role"] = Role.INFORMATION_SECURITY_OFFICER

    assert admin_client.post(url, data).status_code == 302

    assert_caseload_ended(caseworker, own_client, reason_starts="Role changed")


def test_only_caseworkers_can_be_given_a_caseload(manager, team_client):
    with pytest.raises(ValidationError):
        services.assignment_start(actor=manager, client=team_client, caseworker=manager)


def test_a_repair_after_a_bulk_update_ends_what_signals_never_saw(caseworker, team_a, own_client):
    get_user_model().objects.filter(pk=caseworker.pk).update(is_active=False)  # no signals
    assert Assignment.objects.get(client=own_client).ended_on is None

    services.team_managers_sync(team=team_a)

    assert Assignment.objects.get(client=own_client).ended_on is not None


# --- The invariant, whatever happens -----------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["join", "leave", "deactivate", "reactivate", "promote", "demote", "assign"]),
        st.sampled_from(["w1", "w2"]),
        st.sampled_from(["a", "b"]),
    ),
    min_size=1,
    max_size=8,
)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_no_open_assignment_outlives_the_job_it_came_from(db, steps):
    teams = {"a": TeamFactory(name="Inv A"), "b": TeamFactory(name="Inv B")}
    boss = UserFactory(username="inv_boss", role=Role.SERVICE_MANAGER, teams=list(teams.values()))
    workers = {key: UserFactory(username=f"inv_{key}", teams=[teams["a"]]) for key in ("w1", "w2")}
    clients = {
        key: services.client_create(actor=boss, team=team, first_name="Inv", last_name=key)
        for key, team in teams.items()
    }
    for action, worker_key, team_key in steps:
        worker, team = workers[worker_key], teams[team_key]
        worker.refresh_from_db()
        if action == "join":
            TeamMembership.objects.get_or_create(user=worker, team=team)
        elif action == "leave":
            worker.teams.remove(team)
        elif action == "deactivate":
            accounts_services.staff_deactivate(actor=boss, user=worker)
        elif action == "reactivate":
            worker.is_active = True
            worker.save()
        elif action == "promote":
            accounts_services.staff_set_role(actor=boss, user=worker, role=Role.SERVICE_MANAGER)
        elif action == "demote":
            accounts_services.staff_set_role(actor=boss, user=worker, role=Role.CASEWORKER)
        elif action == "assign":
            # Refused when not a member, not active, not a caseworker, or already assigned.
            with contextlib.suppress(ValidationError):
                services.assignment_start(actor=boss, client=clients[team_key], caseworker=worker, is_key_worker=False)

    for assignment in Assignment.objects.filter(ended_on__isnull=True).select_related("caseworker", "client"):
        worker = assignment.caseworker
        assert worker.is_active
        assert worker.role == Role.CASEWORKER
        assert TeamMembership.objects.filter(user=worker, team_id=assignment.client.team_id).exists()
    rows = set(ClientUserObjectPermission.objects.values_list("user_id", "content_object_id"))
    open_pairs = set(Assignment.objects.filter(ended_on__isnull=True).values_list("caseworker_id", "client_id"))
    assert rows == open_pairs


def test_sync_access_ends_what_bulk_changes_left_behind(caseworker, team_a, own_client):
    from io import StringIO

    from django.core.management import call_command

    TeamMembership.objects.filter(user=caseworker).update(team=TeamFactory(name="Elsewhere"))  # no signals
    out = StringIO()

    call_command("sync_access", stdout=out)
    call_command("sync_access", stdout=out)

    assert_caseload_ended(caseworker, own_client, reason_starts="Left Outreach North")
    assert out.getvalue().splitlines() == [
        "Manager groups in step; 1 outdated caseload assignment(s) ended.",
        "Manager groups in step; 0 outdated caseload assignment(s) ended.",
    ]
