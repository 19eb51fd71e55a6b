"""The gate's rule, its audit rows and its list counterpart."""

import datetime

import pytest
from django.db import DatabaseError
from django.test import RequestFactory
from guardian.core import ObjectPermissionChecker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access import gate
from access.gate import AccessDenied, Action, AuditUnavailable, clients_visible_to, open_client, record_list
from access.models import AccessEvent
from accounts.models import Role
from accounts.tests.factories import UserFactory
from clients import services


def events():
    return list(AccessEvent.objects.order_by("id"))


def test_caseworker_opens_own_client_and_one_allowed_row_is_written(caseworker, own_client):
    access = open_client(caseworker, own_client.pk, action=Action.VIEW, categories=["identity"])

    assert access.client == own_client
    assert access.relationship == "caseload"
    assert not access.break_glass
    [event] = events()
    assert (event.actor, event.client, event.action, event.outcome) == (caseworker, own_client, "view", "allowed")
    assert event.categories == ["identity"]
    assert event.at.tzinfo is not None


def test_manager_opens_any_client_of_their_team(manager, team_client):
    access = open_client(manager, team_client.pk)

    assert access.relationship == "team"
    assert access.is_team_manager
    assert events()[0].outcome == "allowed"


@pytest.mark.parametrize("who", ["caseworker", "manager", "iso", "admin_user"])
def test_nobody_opens_another_teams_client_without_a_reason(request, who, other_team_client):
    user = request.getfixturevalue(who)

    with pytest.raises(AccessDenied) as denied:
        open_client(user, other_team_client.pk)

    assert denied.value.needs_reason
    [event] = events()
    assert (event.outcome, event.client, event.actor) == ("denied", other_team_client, user)
    assert "outside caseload" in event.detail


def test_a_reason_opens_another_teams_client_as_break_the_glass(caseworker, other_team_client):
    access = open_client(
        caseworker, other_team_client.pk, reason="Covering the duty desk today", reason_category="duty"
    )

    assert access.break_glass
    [event] = events()
    assert event.break_glass
    assert event.outcome == "allowed"
    assert (event.reason, event.reason_category, event.detail) == (
        "Covering the duty desk today",
        "duty",
        "outside caseload",
    )


@pytest.mark.parametrize("who", ["caseworker", "manager"])
def test_a_closed_case_needs_a_reason_even_for_its_key_worker_and_manager(request, who, closed_client):
    user = request.getfixturevalue(who)

    with pytest.raises(AccessDenied) as denied:
        open_client(user, closed_client.pk)
    assert denied.value.needs_reason

    access = open_client(user, closed_client.pk, reason="Former client called the office", reason_category="other")
    assert access.break_glass
    assert events()[-1].detail == "closed case"


def test_an_unknown_id_is_refused_like_a_forbidden_one(caseworker, other_team_client):
    with pytest.raises(AccessDenied) as unknown:
        open_client(caseworker, 987654)
    with pytest.raises(AccessDenied) as forbidden:
        open_client(caseworker, other_team_client.pk)

    assert unknown.value.needs_reason == forbidden.value.needs_reason is True
    assert str(unknown.value) == str(forbidden.value)
    assert [e.outcome for e in events()] == ["denied", "denied"]


def test_an_unknown_id_with_a_reason_is_simply_not_found(caseworker):
    with pytest.raises(AccessDenied) as denied:
        open_client(caseworker, 987654, reason="Looking for someone", reason_category="other")

    assert not denied.value.needs_reason
    assert events()[0].outcome == "denied"


@pytest.mark.parametrize("bad_id", ["abc", None, -3, "1; DROP TABLE"])
def test_malformed_ids_are_denied_not_errors(caseworker, bad_id):
    with pytest.raises(AccessDenied):
        open_client(caseworker, bad_id)
    assert events()[0].outcome == "denied"


def test_ending_an_assignment_denies_the_very_next_open(caseworker, manager, own_client):
    open_client(caseworker, own_client.pk)
    assignment = own_client.assignments.get(caseworker=caseworker)

    services.assignment_end(actor=manager, assignment=assignment)

    with pytest.raises(AccessDenied):
        open_client(caseworker, own_client.pk)
    assert own_client not in clients_visible_to(caseworker)


def test_leaving_a_team_takes_a_managers_access_to_its_clients(manager, team_a, team_client):
    assert team_client in clients_visible_to(manager)

    manager.memberships.filter(team=team_a).delete()

    assert team_client not in clients_visible_to(manager)
    with pytest.raises(AccessDenied):
        open_client(manager, team_client.pk)


def test_a_caseworker_promoted_to_manager_sees_their_teams_clients(caseworker, team_client):
    from accounts.services import staff_set_role

    assert team_client not in clients_visible_to(caseworker)

    staff_set_role(actor=None, user=caseworker, role=Role.SERVICE_MANAGER)

    assert team_client in clients_visible_to(caseworker)


def test_team_only_actions_refuse_everyone_but_the_teams_managers(caseworker, manager, own_client):
    with pytest.raises(AccessDenied) as denied:
        open_client(caseworker, own_client.pk, team_manager_only=True)
    assert not denied.value.needs_reason

    assert open_client(manager, own_client.pk, team_manager_only=True).is_team_manager


def test_a_reason_does_not_make_someone_a_teams_manager(other_manager, own_client):
    with pytest.raises(AccessDenied) as denied:
        open_client(other_manager, own_client.pk, team_manager_only=True, reason="Cover", reason_category="covering")
    assert not denied.value.needs_reason


def test_a_superuser_has_no_free_pass(admin_user, own_client):
    assert admin_user.is_superuser
    assert not clients_visible_to(admin_user).exists()
    with pytest.raises(AccessDenied):
        open_client(admin_user, own_client.pk)


def test_a_reason_given_in_the_session_is_used_and_recorded(caseworker, other_team_client):
    request = RequestFactory().get("/")
    request.user = caseworker
    request.session = {}
    gate.session_reason_store(request, other_team_client.pk, category="safeguarding", text="Police welfare call")

    access = gate.gate_client(request, other_team_client.pk)

    assert access.break_glass
    assert (access.reason_category, access.reason) == ("safeguarding", "Police welfare call")


def test_a_session_reason_expires(caseworker, other_team_client, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    request = RequestFactory().get("/")
    request.user = caseworker
    request.session = {}
    gate.session_reason_store(request, other_team_client.pk, category="duty", text="Duty desk")

    time_machine.move_to(datetime.datetime(2026, 3, 1, 9, gate.BREAK_GLASS_MINUTES + 1, tzinfo=datetime.UTC))

    with pytest.raises(AccessDenied):
        gate.gate_client(request, other_team_client.pk)


def test_a_session_reason_opens_only_the_client_it_was_given_for(caseworker, other_team_client, team_client):
    request = RequestFactory().get("/")
    request.user = caseworker
    request.session = {}
    gate.session_reason_store(request, other_team_client.pk, category="duty", text="Duty desk")

    with pytest.raises(AccessDenied):
        gate.gate_client(request, team_client.pk)


def test_it_fails_closed_when_the_audit_row_cannot_be_written(caseworker, own_client, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(AccessEvent.objects, "create", broken)

    with pytest.raises(AuditUnavailable):
        open_client(caseworker, own_client.pk)
    with pytest.raises(AuditUnavailable):
        open_client(caseworker, 987654)  # a refusal that cannot be recorded is not a quiet refusal either


def test_record_list_audits_the_query_once(caseworker):
    record_list(caseworker, action=Action.SEARCH, detail="search q='smith'")

    [event] = events()
    assert (event.action, event.client, event.detail) == ("search", None, "search q='smith'")


def test_the_rows_are_guardians_own_object_permissions(caseworker, manager, own_client, team_client):
    """Guardian's checker reads the same rows the gate reads."""
    assert ObjectPermissionChecker(caseworker).has_perm("open_client", own_client)
    assert not ObjectPermissionChecker(caseworker).has_perm("open_client", team_client)
    assert ObjectPermissionChecker(manager).has_perm("open_client", team_client)


# --- The list and the record can never disagree -------------------------------------------


@pytest.fixture
def people(db):
    from accounts.tests.factories import TeamFactory

    a, b = TeamFactory(name="Hypothesis A"), TeamFactory(name="Hypothesis B")
    return {
        "teams": {"a": a, "b": b},
        "cw_a": UserFactory(username="h_cw_a", teams=[a]),
        "cw_b": UserFactory(username="h_cw_b", teams=[b]),
        "cw_ab": UserFactory(username="h_cw_ab", teams=[a, b]),
        "mgr_a": UserFactory(username="h_mgr_a", role=Role.SERVICE_MANAGER, teams=[a]),
        "mgr_ab": UserFactory(username="h_mgr_ab", role=Role.SERVICE_MANAGER, teams=[a, b]),
        "iso": UserFactory(username="h_iso", role=Role.INFORMATION_SECURITY_OFFICER),
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),  # the client's team
            st.sets(st.sampled_from(["cw_a", "cw_b", "cw_ab"])),  # caseworkers assigned
            st.booleans(),  # one assignment ended again
            st.booleans(),  # case closed
        ),
        min_size=1,
        max_size=5,
    )
)
def test_clients_visible_to_and_open_client_agree(people, plan):
    teams = people["teams"]
    staff = {key: user for key, user in people.items() if key != "teams"}
    boss = staff["mgr_ab"]
    made = []
    for team_key, assigned, end_one, closed in plan:
        client = services.client_create(actor=boss, team=teams[team_key], first_name="H", last_name="Y")
        assignments = [
            services.assignment_start(actor=boss, client=client, caseworker=staff[key])
            for key in sorted(assigned)
            if staff[key].memberships.filter(team=teams[team_key]).exists()
        ]
        if end_one and assignments:
            services.assignment_end(actor=boss, assignment=assignments[0])
        if closed:
            client = services.client_close(actor=boss, client=client, reason="Done")
        made.append(client)

    for user in staff.values():
        visible = set(clients_visible_to(user).filter(pk__in=[c.pk for c in made]))
        for client in made:
            try:
                open_client(user, client.pk)
                opened = True
            except AccessDenied:
                opened = False
            assert opened == (client in visible), (user.username, client.reference)
