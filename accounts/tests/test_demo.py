import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import demo
from accounts.models import Role, SecurityEvent, Team, User


def test_it_seeds_two_teams_and_one_login_per_role(db, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    logins = demo.seed(io.StringIO())
    assert [(username, role) for username, role, _ in logins] == [
        ("caseworker.north", "Caseworker"),
        ("caseworker.river", "Caseworker"),
        ("manager", "Service manager"),
        ("iso", "Information security officer"),
        ("admin", "Admin"),
    ]
    assert set(Team.objects.values_list("name", flat=True)) == {"Outreach North", "Riverside Hostel"}
    manager = User.objects.get(username="manager")
    assert manager.check_password("demo-password-2026")
    assert set(manager.teams.values_list("name", flat=True)) == {"Outreach North", "Riverside Hostel"}
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.role == Role.ADMIN
    assert set(TOTPDevice.objects.filter(confirmed=True).values_list("user__username", flat=True)) == {
        "manager",
        "iso",
        "admin",
    }


def test_seeding_twice_changes_nothing(db):
    demo.seed(io.StringIO())
    before = (
        list(User.objects.order_by("pk").values()),
        list(TOTPDevice.objects.order_by("pk").values()),
        SecurityEvent.objects.count(),
    )
    demo.seed(io.StringIO())
    after = (
        list(User.objects.order_by("pk").values()),
        list(TOTPDevice.objects.order_by("pk").values()),
        SecurityEvent.objects.count(),
    )
    assert before == after


def test_the_demo_password_comes_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another demo passphrase")
    out = io.StringIO()
    demo.seed(out)
    assert User.objects.get(username="iso").check_password("another demo passphrase")
    assert "another demo passphrase" in out.getvalue()


def test_demo_totp_prints_a_code_that_signs_the_manager_in(db):
    demo.seed(io.StringIO())
    out = io.StringIO()
    call_command("demo_totp", "manager", stdout=out, stderr=io.StringIO())
    code = out.getvalue().strip()
    client = Client()
    client.post("/accounts/login/", {"username": "manager", "password": demo.DEFAULT_PASSWORD})
    response = client.post("/accounts/two-factor/verify/", {"token": code})
    assert response["Location"] == "/"


def test_demo_totp_refuses_people_without_a_demo_authenticator(manager):
    TOTPDevice.objects.create(user=manager, name="Real phone", confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_totp", "morgan", stdout=io.StringIO())
