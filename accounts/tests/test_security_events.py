"""Security events shown to the person's manager and the ISO: concurrent logins, failed sign-ins,
lockouts, second-factor failures, password and two-factor resets, backup codes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.selectors import concurrent_logins_for
from accounts.tests.factories import UserFactory

PAGE = "/accounts/security-events/"
Kind = SecurityEvent.Kind


def concurrent_login(user, minutes_ago=0, **extra):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return SecurityEvent.objects.create(
        kind=Kind.CONCURRENT_LOGIN,
        user=user,
        username=user.username,
        at=at,
        ip_address="198.51.100.4",
        user_agent="Phone",
        other_ip_address="192.0.2.1",
        other_user_agent="Desktop",
        other_started_at=at - timedelta(hours=1),
        **extra,
    )


def test_a_manager_sees_concurrent_logins_of_staff_in_their_team_newest_first(caseworker, manager):
    older = concurrent_login(caseworker, minutes_ago=60)
    newer = concurrent_login(caseworker, minutes_ago=5)
    assert list(concurrent_logins_for(manager)) == [newer, older]


def test_a_manager_does_not_see_concurrent_logins_in_another_team(caseworker, other_caseworker, manager):
    concurrent_login(other_caseworker)
    assert list(concurrent_logins_for(manager)) == []


def test_the_iso_sees_every_concurrent_login(caseworker, other_caseworker, iso):
    concurrent_login(caseworker)
    concurrent_login(other_caseworker)
    assert concurrent_logins_for(iso).count() == 2


def test_a_manager_of_two_teams_sees_each_event_once(caseworker, manager, team_a, team_b):
    manager.memberships.create(team=team_b)
    caseworker.memberships.create(team=team_b)
    concurrent_login(caseworker)
    assert concurrent_logins_for(manager).count() == 1


def test_other_security_events_are_not_listed(caseworker, manager):
    SecurityEvent.objects.create(kind=Kind.LOGIN, user=caseworker, at=timezone.now())
    assert list(concurrent_logins_for(manager)) == []


@pytest.mark.parametrize("standing_user", ["caseworker", "admin_user"])
def test_staff_who_review_nothing_get_nothing(request, caseworker, standing_user):
    concurrent_login(caseworker)
    assert list(concurrent_logins_for(request.getfixturevalue(standing_user))) == []


def test_the_page_shows_both_sessions_to_the_manager(client, login, caseworker, manager):
    concurrent_login(caseworker)
    login(manager)
    response = client.get(PAGE)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Casey Worker" in content
    assert "198.51.100.4" in content
    assert "192.0.2.1" in content
    assert "Desktop" in content


def test_the_page_is_empty_for_a_manager_of_another_team(client, login, caseworker, other_manager):
    concurrent_login(caseworker)
    login(other_manager)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "Casey Worker" not in response.content.decode()
    assert "No security events recorded" in response.content.decode()


@pytest.mark.parametrize("standing_user", ["caseworker", "admin_user"])
def test_staff_who_review_nothing_cannot_open_the_page(client, login, request, standing_user):
    login(request.getfixturevalue(standing_user))
    assert client.get(PAGE).status_code == 403


def test_the_page_costs_the_same_queries_however_many_events(client, login, manager, team_a, django_assert_num_queries):
    login(manager)
    staff = [UserFactory(teams=[team_a]) for _ in range(3)]
    for person in staff:
        concurrent_login(person)
    client.get(PAGE)
    # session (with its live-session check), user, device, count, page of events (with their users).
    with django_assert_num_queries(5):
        client.get(PAGE)
    for person in staff * 10:
        concurrent_login(person)
    with django_assert_num_queries(5):
        response = client.get(PAGE)
    assert len(response.context["events"]) == 33


def test_the_page_is_paginated(client, login, caseworker, manager):
    for minutes in range(55):
        concurrent_login(caseworker, minutes_ago=minutes)
    login(manager)
    first = client.get(PAGE)
    assert len(first.context["events"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get(PAGE, {"page": 2}).context["events"]) == 5
    assert client.get(PAGE, {"page": "nonsense"}).status_code == 200


# --- Every reviewed kind, not only concurrent logins (issue 11, item 21) ----------------------


def _event(kind, user=None, *, username="", minutes_ago=0, **extra):
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username or (user.username if user else ""),
        at=timezone.now() - timedelta(minutes=minutes_ago),
        **extra,
    )


REVIEWED = [
    Kind.LOGIN_FAILED,
    Kind.LOCKED_OUT,
    Kind.TWO_FACTOR_FAILED,
    Kind.TWO_FACTOR_RESET,
    Kind.TWO_FACTOR_REMOVED,
    Kind.PASSWORD_RESET,
    Kind.PASSWORD_SET_BY_ADMIN,
    Kind.BACKUP_CODE_USED,
    Kind.CONCURRENT_LOGIN,
]


@pytest.mark.parametrize("kind", REVIEWED)
def test_a_manager_sees_each_kind_for_their_team_and_not_another(
    client, login, caseworker, other_caseworker, manager, kind
):
    _event(kind, caseworker, detail="ours")
    _event(kind, other_caseworker, detail="theirs")
    login(manager)

    response = client.get(PAGE)

    content = response.content.decode()
    assert "Casey Worker" in content
    assert Kind(kind).label in content
    assert "theirs" not in content
    assert other_caseworker.get_full_name() not in content


@pytest.mark.parametrize("kind", REVIEWED)
def test_the_iso_sees_each_kind_for_everyone(caseworker, other_caseworker, iso, kind):
    from accounts.selectors import security_events_for

    events = [_event(kind, caseworker), _event(kind, other_caseworker)]
    assert set(security_events_for(iso)) == set(events)


def test_only_the_iso_sees_failed_sign_ins_under_unknown_usernames(manager, iso):
    from accounts.selectors import security_events_for

    event = _event(Kind.LOGIN_FAILED, username="no-such-person")
    assert list(security_events_for(iso)) == [event]
    assert list(security_events_for(manager)) == []


def test_routine_sign_ins_and_outs_are_not_listed(caseworker, iso):
    from accounts.selectors import security_events_for

    for kind in (Kind.LOGIN, Kind.LOGOUT, Kind.SESSION_EXPIRED):
        _event(kind, caseworker)
    assert list(security_events_for(iso)) == []


def test_an_admin_reset_shows_who_did_it_to_the_persons_manager(client, login, caseworker, manager, admin_user):
    from accounts import services

    services.two_factor_reset(actor=admin_user, user=caseworker)
    login(manager)
    content = client.get(PAGE).content.decode()
    assert "Two-factor reset by an admin" in content
    assert f"By {admin_user}." in content


def test_the_page_can_show_one_kind(client, login, caseworker, manager):
    _event(Kind.LOCKED_OUT, caseworker, detail="locked-row")
    _event(Kind.BACKUP_CODE_USED, caseworker, detail="backup-row")
    login(manager)

    one_kind = client.get(PAGE, {"kind": Kind.BACKUP_CODE_USED}).content.decode()
    unknown_kind = client.get(PAGE, {"kind": "<script>"})

    assert "backup-row" in one_kind
    assert "locked-row" not in one_kind
    assert unknown_kind.status_code == 200
    assert "locked-row" in unknown_kind.content.decode()


def test_every_kind_costs_the_same_queries(
    client, login, caseworker, manager, admin_user, team_a, django_assert_num_queries
):
    login(manager)
    staff = [UserFactory(teams=[team_a]) for _ in range(3)]
    client.get(PAGE)
    for person in staff * 10:
        for kind in REVIEWED:
            _event(kind, person, actor=admin_user)
    # session (with its live-session check), user, device, count, page of events (with person and actor).
    with django_assert_num_queries(5):
        response = client.get(PAGE)
    assert len(response.context["events"]) == 50
    with django_assert_num_queries(5):
        client.get(PAGE, {"page": 3, "kind": Kind.LOCKED_OUT})
