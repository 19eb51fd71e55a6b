"""accounts.session_store reads sessions as Django's database store does."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.utils import timezone

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
