import io

from access.gate import clients_visible_to
from accounts import demo as accounts_demo
from accounts.models import User
from clients import demo
from clients.models import Assignment, CaseNote, Client, InformationEntry


def counts():
    return (
        Client.objects.count(),
        InformationEntry.objects.count(),
        CaseNote.objects.count(),
        Assignment.objects.count(),
        Client.history.count(),
    )


def test_seeding_twice_adds_the_demo_clients_once(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    accounts_demo.seed(io.StringIO())

    demo.seed(io.StringIO())
    first = counts()
    demo.seed(io.StringIO())

    assert counts() == first
    assert first[0] == 30
    north = User.objects.get(username="caseworker.north")
    manager = User.objects.get(username="manager")
    assert clients_visible_to(north).count() == 14  # one of the 15 is closed
    assert clients_visible_to(manager).count() == 28
    assert InformationEntry.objects.filter(category="domestic_abuse").exclude(detail="").count() >= 2
    assert Client.objects.filter(status="closed").count() == 2


def test_seeding_without_demo_staff_skips_quietly(db):
    out = io.StringIO()

    demo.seed(out)

    assert Client.objects.count() == 0
    assert "missing" in out.getvalue()
