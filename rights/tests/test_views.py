"""The subject access register and a request's pages."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccessEvent
from clients.models import Client
from rights.models import ErasureRequest, SubjectAccessRequest

from .factories import SubjectAccessRequestFactory

SAR = SubjectAccessRequest
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield


def sar_for(client, manager, received_on):
    return SubjectAccessRequestFactory(client=client, logged_by=manager, received_on=received_on)


def test_the_register_shows_deadlines_and_days_left_soonest_first(
    manager, own_client, team_client, login, django_assert_num_queries
):
    later = sar_for(own_client, manager, dt.date(2026, 3, 1))  # due 1 April: 22 days
    client = login(manager)
    client.get(reverse("rights:register"))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("rights:register"))
    sooner = sar_for(team_client, manager, dt.date(2026, 2, 5))  # due 5 March: 5 days overdue
    today = sar_for(team_client, manager, dt.date(2026, 2, 10))  # due today

    # As many queries for three rows as for one.
    with django_assert_num_queries(len(one_row)):
        response = client.get(reverse("rights:register"))

    page = response.content.decode()
    assert page.index(sooner.reference) < page.index(today.reference) < page.index(later.reference)
    assert "5 days overdue" in page
    assert "Due today" in page
    assert "22 days left" in page
    assert "Wed 1 Apr 2026" in page


def test_the_register_lists_only_the_managers_teams_clients_and_audits_the_list(
    manager, other_manager, own_client, other_team_client, login
):
    mine = sar_for(own_client, manager, dt.date(2026, 3, 1))
    theirs = sar_for(other_team_client, other_manager, dt.date(2026, 3, 1))

    page = login(manager).get(reverse("rights:register")).content.decode()

    assert mine.reference in page
    assert theirs.reference not in page
    assert AccessEvent.objects.filter(actor=manager, detail="subject access register").exists()


def test_the_iso_sees_every_teams_requests(iso, manager, other_manager, own_client, other_team_client, login):
    a = sar_for(own_client, manager, dt.date(2026, 3, 1))
    b = sar_for(other_team_client, other_manager, dt.date(2026, 3, 1))

    page = login(iso).get(reverse("rights:register")).content.decode()

    assert a.reference in page
    assert b.reference in page


def test_a_caseworker_cannot_see_the_register(caseworker, login):
    assert login(caseworker).get(reverse("rights:register")).status_code == 403


def test_a_manager_logs_a_request_and_sees_its_deadline(manager, own_client, login):
    client = login(manager)
    response = client.post(
        reverse("rights:sar_new", args=[own_client.pk]),
        {
            "requester": "client",
            "verification": "photo_id",
            "asked_for": "Copies of my case notes.",
            "received_on": "2026-01-31",
        },
    )

    sar = SAR.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rights:sar", args=[own_client.pk, sar.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Saturday 28 February 2026" in page
    assert "10 days overdue" in page


def test_the_log_form_shows_each_problem_beside_its_field_and_saves_nothing(manager, own_client, login):
    response = login(manager).post(
        reverse("rights:sar_new", args=[own_client.pk]), {"requester": "representative", "received_on": "2026-04-01"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_requester_name"' in page
    assert "Say what authority they have to act for the client." in page
    assert "cannot be in the future" in page
    assert not SAR.objects.exists()


def test_extending_from_the_page_moves_the_deadline(manager, own_client, login):
    sar = sar_for(own_client, manager, dt.date(2026, 2, 20))

    response = login(manager).post(
        reverse("rights:sar", args=[own_client.pk, sar.pk]),
        {"step": "extend", "extend-months": "1", "extend-reason": "Complex.", "extend-told_on": "2026-03-09"},
    )

    assert response.status_code == 302
    sar.refresh_from_db()
    assert sar.due_on == dt.date(2026, 4, 20)


def test_extending_an_overdue_request_is_refused_beside_the_date_told(manager, own_client, login):
    sar = sar_for(own_client, manager, dt.date(2026, 1, 31))  # the first month ended 28 Feb

    response = login(manager).post(
        reverse("rights:sar", args=[own_client.pk, sar.pk]),
        {"step": "extend", "extend-months": "1", "extend-reason": "Complex.", "extend-told_on": "2026-02-10"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_extend-told_on"' in page
    assert "can no longer be extended" in page
    sar.refresh_from_db()
    assert sar.due_on == dt.date(2026, 2, 28)


def test_a_bad_answer_date_is_shown_beside_the_field(manager, own_client, login):
    sar = sar_for(own_client, manager, dt.date(2026, 2, 20))

    response = login(manager).post(
        reverse("rights:sar", args=[own_client.pk, sar.pk]), {"step": "complete", "complete-completed_on": ""}
    )

    assert response.status_code == 400
    assert 'href="#id_complete-completed_on"' in response.content.decode()


def test_another_teams_manager_gets_not_found_for_a_request(manager, other_manager, own_client, login):
    sar = sar_for(own_client, manager, dt.date(2026, 2, 20))

    response = login(other_manager).get(reverse("rights:sar", args=[own_client.pk, sar.pk]))

    assert response.status_code == 404
    assert AccessEvent.objects.filter(actor=other_manager, outcome="denied", client=own_client).exists()


def test_the_iso_opens_a_request_after_giving_a_reason(iso, manager, own_client, login):
    sar = sar_for(own_client, manager, dt.date(2026, 2, 20))
    client = login(iso)
    url = reverse("rights:sar", args=[own_client.pk, sar.pk])

    assert client.get(url).status_code == 302  # to the reason page
    client.post(reverse("access:reason", args=[own_client.pk]), {"category": "other", "text": "Answering a SAR"})

    response = client.get(url)
    assert response.status_code == 200
    assert sar.reference in response.content.decode()


def test_a_manager_logs_and_grants_an_erasure_request_which_anonymises_the_client(manager, own_client, login):
    client = login(manager)
    logged = client.post(
        reverse("rights:erasure_new", args=[own_client.pk]),
        {"received_on": "2026-03-09", "asked_by": "The client, by phone", "asked_text": "Please delete my file."},
    )
    erasure = ErasureRequest.objects.get()
    assert logged["Location"] == reverse("rights:erasure", args=[own_client.pk, erasure.pk])

    decided = client.post(
        logged["Location"], {"decision": "grant", "ground": "no_longer_necessary", "note": "Case long closed."}
    )

    assert decided.status_code == 302
    own_client.refresh_from_db()
    assert own_client.anonymised_at is not None
    assert own_client.last_name == "client"


def test_granting_under_legal_hold_shows_the_holds_reason_and_changes_nothing(manager, own_client, login):
    Client.objects.filter(pk=own_client.pk).update(
        legal_hold_since=NOW, legal_hold_reason="Production order PO-2026-0412"
    )
    erasure = ErasureRequest.objects.create(
        client=own_client,
        received_on=NOW.date(),
        asked_by="The client",
        asked_text="Delete.",
        logged_by=manager,
        logged_at=NOW,
    )

    response = login(manager).post(
        reverse("rights:erasure", args=[own_client.pk, erasure.pk]),
        {"decision": "grant", "ground": "no_longer_necessary", "note": "Closed."},
    )

    assert response.status_code == 400
    assert "Production order PO-2026-0412" in response.content.decode()
    own_client.refresh_from_db()
    assert own_client.anonymised_at is None
    assert ErasureRequest.objects.get(pk=erasure.pk).status == ErasureRequest.Status.OPEN


def test_the_clients_rights_tab_needs_as_many_queries_for_many_requests_as_for_one(
    manager, own_client, login, django_assert_num_queries
):
    sar_for(own_client, manager, dt.date(2026, 3, 1))
    client = login(manager)
    url = reverse("rights:client", args=[own_client.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for day in (2, 3, 4):
        sar_for(own_client, manager, dt.date(2026, 3, day))

    with django_assert_num_queries(len(one)):
        response = client.get(url)

    assert response.content.decode().count("days left") == 4
