"""Roles map to groups (created by migration) holding permissions (synced after migrate)."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from accounts import roles
from accounts.models import ROLE_GROUP_NAMES, Role, SecurityEvent
from accounts.services import staff_set_role
from accounts.tests.factories import UserFactory


def role_groups(user):
    """The person's role groups (other apps keep groups of their own, e.g. per team)."""
    return list(user.groups.filter(name__in=ROLE_GROUP_NAMES.values()).values_list("name", flat=True))


def codes(group_name):
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_each_role_has_a_group_after_migrate(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_GROUP_NAMES.values())


def test_the_groups_hold_the_permissions_named_for_them(db):
    assert {"clients.open_client", "clients.add_casenote"} <= codes("Caseworker")
    assert "access.view_accessevent" not in codes("Caseworker")
    assert {"access.view_accessevent", "accounts.view_securityevent"} <= codes("Service manager")
    assert {"access.view_auditseal", "axes.view_accessattempt"} <= codes("Information security officer")
    assert {"accounts.change_user", "axes.delete_accessattempt"} <= codes("Admin")


CLIENT_DATA_MODELS = (
    "client",
    "informationentry",
    "casenote",
    "assignment",
    "consentrecord",
    "consentevidence",
    "lawfulbasisrecord",
    "referral",
    "disclosure",
    "breachreport",
    "accessevent",
)


def test_admins_hold_no_permission_on_client_data(db):
    admin_codes = codes("Admin")
    assert admin_codes
    assert not {code for code in admin_codes if code.split("_", 1)[1] in CLIENT_DATA_MODELS}


def test_the_sync_skips_permissions_of_models_that_do_not_exist_yet(db, monkeypatch):
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, Role.CASEWORKER, ("clients.open_client", "future.view_thing"))
    roles.sync_role_permissions()
    assert codes("Caseworker") == {"clients.open_client"}


def test_the_sync_puts_back_permissions_and_removes_extra_ones(db):
    group = Group.objects.get(name="Caseworker")
    group.permissions.clear()
    group.permissions.add(*Group.objects.get(name="Admin").permissions.all())
    roles.sync_role_permissions()
    assert "accounts.change_user" not in codes("Caseworker")
    assert "clients.open_client" in codes("Caseworker")


def test_apps_can_declare_permissions_for_a_role_without_accounts_importing_them(db, monkeypatch):
    monkeypatch.setattr(
        apps.get_app_config("breaches"), "role_permissions", {Role.CASEWORKER: ("auth.view_group",)}, raising=False
    )
    roles.sync_role_permissions()
    assert "auth.view_group" in codes("Caseworker")


def test_a_later_migration_can_sync_with_historical_models(db):
    from django.db.migrations.executor import MigrationExecutor

    state_apps = MigrationExecutor(connection).loader.project_state().apps
    Group.objects.get(name="Admin").permissions.clear()
    with connection.schema_editor(atomic=False) as editor:
        roles.sync_role_permissions_migration(state_apps, editor)
    assert "accounts.change_user" in codes("Admin")


def test_setting_a_role_moves_the_person_to_that_group_only(caseworker, admin_user):
    staff_set_role(actor=admin_user, user=caseworker, role=Role.CASEWORKER)
    staff_set_role(actor=admin_user, user=caseworker, role=Role.SERVICE_MANAGER)
    caseworker.refresh_from_db()
    assert caseworker.role == Role.SERVICE_MANAGER
    assert role_groups(caseworker) == ["Service manager"]
    assert caseworker.has_perm("access.view_accessevent")
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ROLE_CHANGED)
    assert (event.user, event.actor, event.detail) == (caseworker, admin_user, "Caseworker → Service manager")


def test_only_admins_get_the_admin_site(caseworker):
    staff_set_role(actor=None, user=caseworker, role=Role.ADMIN)
    caseworker.refresh_from_db()
    assert caseworker.is_staff
    staff_set_role(actor=None, user=caseworker, role=Role.INFORMATION_SECURITY_OFFICER)
    caseworker.refresh_from_db()
    assert not caseworker.is_staff


def test_setting_the_same_role_again_records_nothing(caseworker):
    staff_set_role(actor=None, user=caseworker, role=Role.CASEWORKER)
    assert not SecurityEvent.objects.exists()


def test_an_unknown_role_is_refused(caseworker):
    with pytest.raises(ValidationError):
        staff_set_role(actor=None, user=caseworker, role="overlord")


def test_changing_the_role_in_the_admin_goes_through_the_service(login, caseworker, admin_user):
    admin_client = login(admin_user, test_client=Client())
    page = admin_client.get(f"/admin/accounts/user/{caseworker.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "role": Role.SERVICE_MANAGER,
            "date_joined_0": caseworker.date_joined.strftime("%d/%m/%Y"),
            "date_joined_1": caseworker.date_joined.strftime("%H:%M:%S"),
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("teams", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    response = admin_client.post(f"/admin/accounts/user/{caseworker.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    caseworker.refresh_from_db()
    assert caseworker.role == Role.SERVICE_MANAGER
    assert role_groups(caseworker) == ["Service manager"]
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.ROLE_CHANGED).actor == admin_user


def test_an_admin_adds_a_member_of_staff_with_a_role(login, admin_user, team_a):
    admin_client = login(admin_user, test_client=Client())
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "new.starter",
            "first_name": "New",
            "last_name": "Starter",
            "email": "new@example.org",
            "role": Role.CASEWORKER,
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-team": team_a.pk,
        },
    )
    assert response.status_code == 302
    person = UserFactory._meta.model.objects.get(username="new.starter")
    assert role_groups(person) == ["Caseworker"]
    assert list(person.teams.all()) == [team_a]
    assert not person.is_staff


def test_the_staff_list_costs_the_same_queries_however_many_staff(
    login, admin_user, team_a, django_assert_max_num_queries
):
    admin_client = login(admin_user, test_client=Client())
    for _ in range(3):
        UserFactory(teams=[team_a])
    admin_client.get("/admin/accounts/user/")
    with django_assert_max_num_queries(12) as few:
        admin_client.get("/admin/accounts/user/")
    for _ in range(15):
        UserFactory(teams=[team_a])
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get("/admin/accounts/user/")


def test_security_events_are_read_only_in_the_admin(login, admin_user, caseworker):
    admin_client = login(admin_user, test_client=Client())
    event = SecurityEvent.objects.create(kind=SecurityEvent.Kind.LOGIN, user=caseworker, at=caseworker.date_joined)
    assert admin_client.get("/admin/accounts/securityevent/").status_code == 200
    assert admin_client.get("/admin/accounts/securityevent/add/").status_code == 403
    assert admin_client.post(f"/admin/accounts/securityevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_team_admin_lists_teams_with_member_counts(login, admin_user, caseworker, manager):
    admin_client = login(admin_user, test_client=Client())
    response = admin_client.get("/admin/accounts/team/")
    teams = {team.name: team.member_total for team in response.context["cl"].result_list}
    assert teams["Outreach North"] == 2
