"""An anonymised record is closed, on nobody's caseload, and read-only: every URL that names a
client refuses a write about it (the gate), and so does every service that writes about one."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as BrowserlessClient
from django.urls import reverse

from access.models import AccessEvent
from casework.tests.test_url_coverage import CLIENT_URLS, Fixtures, give_reasons
from clients import services as client_services
from clients.models import Assignment, Client, ClientUserObjectPermission
from clients.services import RecordAnonymised
from rights import services as rights_services

# Reads that accept a form post and never reach the record: the reason page keeps a reason in
# the session; "who accessed this record" and its export show the access log.
NOT_ABOUT_THE_RECORD = {"access:reason", "access:client_log", "access:client_log_export"}
WRITES = {AccessEvent.Action.EDIT, AccessEvent.Action.SHARE, AccessEvent.Action.STATUTORY}


@pytest.fixture
def fx(request):
    return Fixtures(request)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anonymised(own_client, manager):
    """own_client (on caseworker's caseload), anonymised by their team's manager."""
    return rights_services.client_anonymise(actor=manager, client=own_client, reason="erasure request granted")


def test_anonymising_closes_the_case_and_ends_every_assignment(own_client, manager, caseworker):
    assert Assignment.objects.filter(client=own_client, ended_on__isnull=True).exists()

    rights_services.client_anonymise(actor=manager, client=own_client, reason="erasure request granted")

    stub = Client.objects.get(pk=own_client.pk)
    assert stub.status == Client.Status.CLOSED
    assert not Assignment.objects.filter(client=own_client, ended_on__isnull=True).exists()
    assert not ClientUserObjectPermission.objects.filter(user=caseworker, content_object=own_client).exists()


def test_every_client_url_refuses_a_post_about_an_anonymised_record(fx, login, own_client, manager, monkeypatch):
    """Walks every URL that names a client (the authorization matrix's table), as the people who
    could otherwise write there, with a break-the-glass reason: none lets a POST through."""
    urls = {name: reverse(name, kwargs=spec.kwargs(own_client, fx)) for name, spec in CLIENT_URLS.items()}
    # A statutory request's production order made above places a legal hold; what a hold refuses
    # is tested in rights/tests/test_anonymise.py, so here it is set aside.
    monkeypatch.setattr(client_services, "client_erasure_check", lambda *, client: None)
    rights_services.client_anonymise(actor=manager, client=own_client, reason="erasure request granted")
    problems = {}
    for user_key in ("manager", "iso", "caseworker", "admin_user"):
        test_client = login(getattr(fx, user_key), BrowserlessClient())
        give_reasons(test_client, [own_client.pk])
        for name, url in urls.items():
            if name in NOT_ABOUT_THE_RECORD:
                continue
            last = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = test_client.post(url, {})
            let_through = AccessEvent.objects.filter(
                id__gt=last, outcome=AccessEvent.Outcome.ALLOWED, client_id=own_client.pk, action__in=WRITES
            )
            to_sign_in = response.status_code == 302 and "login" in response["Location"]  # admin, non-staff
            if (response.status_code not in (403, 404, 405) and not to_sign_in) or let_through.exists():
                problems[(user_key, name)] = response.status_code
    assert not problems, "\n".join(f"{k} {v}" for k, v in problems.items())


def test_no_client_url_opens_the_form_of_a_write_about_an_anonymised_record(
    fx, login, own_client, manager, monkeypatch
):
    """The GET of a write's form (audited as EDIT, SHARE or STATUTORY) is refused too, on every
    URL that names a client, including the one-statement page read of PostgreSQL (access.gate)."""
    urls = {name: reverse(name, kwargs=spec.kwargs(own_client, fx)) for name, spec in CLIENT_URLS.items()}
    monkeypatch.setattr(client_services, "client_erasure_check", lambda *, client: None)
    rights_services.client_anonymise(actor=manager, client=own_client, reason="erasure request granted")
    problems = {}
    for user_key in ("manager", "iso"):
        test_client = login(getattr(fx, user_key), BrowserlessClient())
        give_reasons(test_client, [own_client.pk])
        for name, url in urls.items():
            last = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = test_client.get(url)
            let_through = AccessEvent.objects.filter(
                id__gt=last, outcome=AccessEvent.Outcome.ALLOWED, client_id=own_client.pk, action__in=WRITES
            )
            if let_through.exists():
                problems[(user_key, name)] = response.status_code
    assert not problems, "\n".join(f"{k} {v}" for k, v in problems.items())


def test_the_refusal_says_when_the_record_was_anonymised(login, manager, anonymised):
    test_client = login(manager, BrowserlessClient())
    give_reasons(test_client, [anonymised.pk])

    response = test_client.post(
        reverse("clients:note_add", args=[anonymised.pk]), {"category": "support_needs", "text": "Re-typed name"}
    )

    assert response.status_code == 403
    assert f"anonymised on {anonymised.anonymised_at:%d %B %Y}" in response.content.decode()
    assert not anonymised.notes.exists()


def _writes(client, caseworker, manager):
    from consent.services import restriction_record

    return {
        "details": lambda: client_services.client_update(actor=manager, client=client, first_name="Olivia"),
        "reopen": lambda: client_services.client_reopen(actor=manager, client=client),
        "assignment": lambda: client_services.assignment_start(actor=manager, client=client, caseworker=caseworker),
        "entry": lambda: client_services.entry_create(
            actor=caseworker, client=client, category="housing_history", summary="Owens, 12 Quay St"
        ),
        "note": lambda: client_services.note_create(
            actor=caseworker, client=client, category="support_needs", text="Olivia Owens"
        ),
        "alert": lambda: client_services.alert_raise(actor=manager, client=client, kind="other", text="Owens"),
        "restriction": lambda: restriction_record(actor=manager, client=client, reason="asked"),
    }


@pytest.mark.parametrize("write", ["details", "reopen", "assignment", "entry", "note", "alert", "restriction"])
def test_services_refuse_writes_about_an_anonymised_client(write, anonymised, caseworker, manager):
    with pytest.raises(RecordAnonymised) as refused:
        _writes(anonymised, caseworker, manager)[write]()

    assert refused.value.code == "anonymised"
    assert isinstance(refused.value, ValidationError)
    assert "anonymised on" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("page", "write_urls"),
    [
        ("clients:record", ["clients:note_add", "clients:entry_add", "clients:alert_add"]),
        ("clients:information", ["clients:note_add", "clients:entry_add", "clients:details_edit"]),
        ("clients:assignments", ["clients:close", "clients:reopen", "clients:move", "clients:merge"]),
        ("consent:tab", ["consent:record", "consent:basis_record", "consent:restriction"]),
        ("sharing:history", ["sharing:referral_new", "sharing:meeting_new"]),
        ("rights:client", ["rights:sar_new", "rights:erasure_new"]),
    ],
)
def test_an_anonymised_records_pages_offer_no_writes(page, write_urls, login, manager, anonymised):
    test_client = login(manager, BrowserlessClient())
    give_reasons(test_client, [anonymised.pk])

    response = test_client.get(reverse(page, args=[anonymised.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert [url for url in write_urls if reverse(url, args=[anonymised.pk]) in content] == []
    if page.startswith("clients:"):
        assert "This record was anonymised on" in content
