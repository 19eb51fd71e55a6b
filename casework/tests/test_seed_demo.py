"""`seed_demo` twice in a row succeeds and leaves exactly the same data."""

import io

from django.apps import apps
from django.core.management import call_command


def snapshot():
    """Every row of every model, as plain values, keyed by model."""
    return {
        model._meta.label: sorted(map(repr, model._base_manager.order_by("pk").values_list()))
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def test_seed_demo_twice_leaves_the_same_data(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    second = snapshot()

    changed = [label for label in first if first[label] != second[label]]
    assert changed == []
    assert "Demo logins" in out.getvalue()


def test_seed_demo_creates_teams_staff_and_about_thirty_clients(db):
    call_command("seed_demo", stdout=io.StringIO())
    Team = apps.get_model("accounts", "Team")
    User = apps.get_model("accounts", "User")
    Client = apps.get_model("clients", "Client")
    assert Team.objects.count() == 2
    assert set(User.objects.values_list("role", flat=True)) == {"caseworker", "service_manager", "iso", "admin"}
    assert 25 <= Client.objects.count() <= 40
