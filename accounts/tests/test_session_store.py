"""accounts.session_store reads sessions as Django's database store does."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.urls import reverse
from django.utils import timezone

from accounts.models import ActiveSession
from accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db


def test_it_is_the_configured_engine():
    assert settings.SESSION_ENGINE == "accounts.session_store"


def test_a_live_session_loads_as_django_loads_it():
    saved = SessionStore()
    saved["answer"] = 42
    saved.set_expiry(3600)
    saved.save()

    ours, django = SessionStore(saved.session_key), DjangoStore(saved.session_key)

    assert ours.load() == django.load() == {"answer": 42, "_session_expiry": 3600}
    row = ours._get_session_from_db()
    assert row.session_key == saved.session_key
    assert abs(row.expire_date - (timezone.now() + datetime.timedelta(seconds=3600))) < datetime.timedelta(seconds=60)


def test_an_expired_or_unknown_session_loads_empty_and_its_key_is_forgotten():
    saved = SessionStore()
    saved["answer"] = 42
    saved.set_expiry(60)
    saved.save()

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        expired = SessionStore(saved.session_key)
        assert expired.load() == {}
        assert expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None


def test_reading_a_session_tells_whose_one_live_session_it_is(caseworker, other_caseworker):
    saved = SessionStore()
    saved["answer"] = 42
    saved.save()
    ActiveSession.objects.create(user=caseworker, session_key=saved.session_key, started_at=timezone.now())

    loaded = SessionStore(saved.session_key)
    loaded.load()

    assert loaded.active_for(caseworker.pk)
    assert not loaded.active_for(other_caseworker.pk)


def test_a_session_no_live_session_names_is_nobodys(caseworker):
    saved = SessionStore()
    saved.save()
    ActiveSession.objects.create(user=caseworker, session_key="a-newer-login", started_at=timezone.now())

    loaded = SessionStore(saved.session_key)
    loaded.load()

    assert not loaded.active_for(caseworker.pk)
    assert not SessionStore().active_for(caseworker.pk)


def test_the_one_session_check_costs_no_query_of_its_own(login, caseworker, django_assert_num_queries):
    test_client = login(caseworker)
    test_client.get("/healthz")

    # The session (with whose live session it is), the person, and the page's own query.
    with django_assert_num_queries(3):
        response = test_client.get("/healthz")

    assert response.status_code == 200


def test_a_session_replaced_by_a_newer_login_still_ends(login, caseworker):
    test_client = login(caseworker)
    ActiveSession.objects.filter(user=caseworker).update(session_key="a-newer-login")

    response = test_client.get(reverse("home"))

    assert response.status_code == 302
    assert "ended=elsewhere" in response["Location"]
