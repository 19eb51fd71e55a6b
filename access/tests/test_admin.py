"""Django admin: client pages pass the gate; the audit log is read-only."""

import pytest
from django.urls import reverse

from access.models import AccessEvent


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_client_list_in_admin_shows_references_not_names_and_is_audited(login, admin_user, own_client):
    response = login(admin_user).get(reverse("admin:clients_client_changelist"))

    assert response.status_code == 200
    assert b"OWN-001" in response.content
    assert b"Owens" not in response.content
    event = AccessEvent.objects.get()
    assert (event.action, event.client) == ("admin", None)


def test_opening_a_client_in_admin_needs_a_reason_like_anywhere_else(login, admin_user, own_client):
    test_client = login(admin_user)
    url = reverse("admin:clients_client_change", args=[own_client.pk])

    refused = test_client.get(url)
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("access:reason", args=[own_client.pk]))
    assert AccessEvent.objects.get().outcome == "denied"

    test_client.post(
        reverse("access:reason", args=[own_client.pk]),
        {"category": "data_protection", "text": "Subject access request SAR-12"},
    )
    opened = test_client.get(url)

    assert opened.status_code == 200
    assert b"Owens" in opened.content
    event = AccessEvent.objects.order_by("-id").first()
    assert (event.action, event.outcome, event.break_glass) == ("admin", "allowed", True)


def test_client_data_cannot_be_changed_added_or_deleted_in_admin(login, admin_user, own_client):
    test_client = login(admin_user)
    test_client.post(
        reverse("access:reason", args=[own_client.pk]), {"category": "other", "text": "Checking the admin"}
    )

    assert test_client.get(reverse("admin:clients_client_add")).status_code == 403
    assert test_client.post(reverse("admin:clients_client_delete", args=[own_client.pk])).status_code == 403
    test_client.post(reverse("admin:clients_client_change", args=[own_client.pk]), {"last_name": "Changed"})
    own_client.refresh_from_db()
    assert own_client.last_name == "Owens"


def test_the_audit_log_is_read_only_in_admin(login, admin_user, caseworker, own_client):
    from access.gate import open_client

    event = open_client(caseworker, own_client.pk).event
    test_client = login(admin_user)

    assert test_client.get(reverse("admin:access_accessevent_changelist")).status_code == 200
    assert test_client.get(reverse("admin:access_accessevent_change", args=[event.pk])).status_code == 200
    assert test_client.get(reverse("admin:access_accessevent_add")).status_code == 403
    assert (
        test_client.post(reverse("admin:access_accessevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    test_client.post(reverse("admin:access_accessevent_change", args=[event.pk]), {"reason": "tampered"})
    event.refresh_from_db()
    assert event.reason == ""


def test_the_audit_log_in_admin_names_clients_by_id_only(login, admin_user, caseworker, own_client):
    from access.gate import open_client

    event = open_client(caseworker, own_client.pk).event

    response = login(admin_user).get(reverse("admin:access_accessevent_change", args=[event.pk]))

    assert b"Owens" not in response.content
