"""The demo's subject access requests: made through the services, once."""

import io

from accounts import demo as accounts_demo
from clients import demo as clients_demo
from rights import demo
from rights.models import SubjectAccessRequest


def test_the_demo_adds_two_requests_one_extended_once(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    accounts_demo.seed(io.StringIO())
    clients_demo.seed(io.StringIO())

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    assert sorted(SubjectAccessRequest.objects.values_list("extension_months", flat=True)) == [0, 1]


def test_the_demo_skips_requests_without_the_demo_staff_and_clients(db):
    out = io.StringIO()
    demo.seed(out)
    assert not SubjectAccessRequest.objects.exists()
    assert "no demo staff or clients" in out.getvalue()
