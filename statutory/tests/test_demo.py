"""The demo's police and statutory requests: made through the services, once."""

import io

from accounts import demo as accounts_demo
from clients import demo as clients_demo
from clients.models import Client
from sharing.models import Disclosure
from statutory import demo
from statutory.models import StatutoryRequest

SR = StatutoryRequest


def test_the_demo_adds_five_requests_in_every_state_once(db, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    accounts_demo.seed(io.StringIO())
    clients_demo.seed(io.StringIO())

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    states = sorted(StatutoryRequest.objects.values_list("basis", "status", "outcome"))
    assert states == [
        (SR.Basis.COURT_ORDER, SR.Status.CLOSED, SR.Outcome.DISCLOSED_PART),
        (SR.Basis.EMERGENCY, SR.Status.AWAITING_REVIEW, SR.Outcome.DISCLOSED_PART),
        (SR.Basis.EMERGENCY, SR.Status.OPEN, ""),
        (SR.Basis.NONE, SR.Status.CLOSED, SR.Outcome.REFUSED),
        (SR.Basis.SCHEDULE_2, SR.Status.OPEN, ""),
    ]
    assert Disclosure.objects.filter(kind=Disclosure.Kind.STATUTORY).count() == 2
    assert Client.objects.get(reference="ON-0004").under_legal_hold


def test_the_demo_skips_requests_without_the_demo_staff_and_clients(db):
    out = io.StringIO()

    demo.seed(out)

    assert not StatutoryRequest.objects.exists()
    assert "no demo staff or clients" in out.getvalue()
