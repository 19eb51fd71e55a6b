"""Merging two records of the same person (clients.merge) and its page."""

import csv
import datetime
import io

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.test.utils import isolate_apps
from django.urls import reverse
from django.utils import timezone

from access.models import AccessEvent
from accounts.tests.factories import UserFactory
from clients import merge, selectors, services
from clients.models import Assignment, CaseNote, Client, ClientUserObjectPermission, InformationEntry, TimelineEvent
from clients.tests.factories import CaseNoteFactory, InformationEntryFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def duplicate(team_a, caseworker):
    """A second record of own_client's person, on the same caseworker's caseload."""
    return services.client_create(
        actor=caseworker,
        team=team_a,
        first_name="Liv",
        last_name="Owens",
        nhs_number="4857773457",
        date_of_birth=datetime.date(1990, 2, 3),
        reference="DUP-001",
    )


# --- Every foreign key to Client is handled ----------------------------------------------------


def test_every_foreign_key_to_client_is_handled_by_merge():
    """Walks every installed model (historical and many-to-many tables included): a new
    model pointing at Client must register what a merge does with it (clients.merge.on_merge)."""
    keys = merge.client_foreign_keys()

    assert ("clients.CaseNote", "client") in {(m._meta.label, f.name) for m, f in keys}
    assert merge.unhandled() == [], (
        "Register these with clients.merge.on_merge(...) in their app's AppConfig.ready(): "
        + ", ".join(merge.unhandled())
    )


def test_historical_tables_keep_the_merged_records_id():
    historical = Client.history.model

    registration = merge.registration_for(historical, historical._meta.get_field("merged_into"))

    assert registration.policy == merge.Policy.STAY


@isolate_apps("clients")
def test_an_unregistered_foreign_key_is_found_and_refuses_the_merge(manager, own_client, duplicate, monkeypatch):
    class Unregistered(models.Model):
        client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "clients"

    real = merge.client_foreign_keys
    monkeypatch.setattr(
        merge, "client_foreign_keys", lambda: [*real(), (Unregistered, Unregistered._meta.get_field("client"))]
    )

    assert merge.unhandled() == ["clients.Unregistered.client"]
    with pytest.raises(ImproperlyConfigured, match=r"clients\.Unregistered\.client"):
        merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same NHS number")
    assert Client.objects.get(pk=duplicate.pk).merged_into is None


# --- The service ---------------------------------------------------------------------------------


def test_entries_notes_and_assignments_follow_to_the_survivor(manager, caseworker, own_client, duplicate):
    entry = InformationEntryFactory(client=duplicate)
    note = CaseNoteFactory(client=duplicate)

    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same NHS number")

    assert InformationEntry.objects.get(pk=entry.pk).client == own_client
    assert CaseNote.objects.get(pk=note.pk).client == own_client
    assert not Assignment.objects.filter(client=duplicate).exists()
    # The caseworker had both records: one open assignment remains, on the survivor.
    assert Assignment.objects.filter(client=own_client, caseworker=caseworker, ended_on__isnull=True).count() == 1
    assert not ClientUserObjectPermission.objects.filter(content_object=duplicate).exists()


def test_the_duplicate_becomes_a_closed_tombstone_and_fills_blank_details(manager, own_client, duplicate):
    survivor = merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same NHS number")

    tombstone = Client.objects.get(pk=duplicate.pk)
    assert tombstone.merged_into == survivor
    assert tombstone.is_closed
    assert tombstone.closure_reason == f"Merged into {survivor.reference}"
    assert survivor.nhs_number == "4857773457"
    assert survivor.first_name == "Olivia"  # what the survivor had is kept
    assert "Same NHS number" in tombstone.history.first().history_change_reason
    assert tombstone.history.first().history_user == manager


def test_moves_write_history_rows_naming_who_merged(manager, own_client, duplicate):
    note = CaseNoteFactory(client=duplicate)

    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    latest = CaseNote.history.filter(id=note.pk).first()
    assert (latest.client_id, latest.history_user) == (own_client.pk, manager)


def test_a_record_under_legal_hold_cannot_be_merged(manager, own_client, duplicate):
    Client.objects.filter(pk=duplicate.pk).update(legal_hold_since=timezone.now(), legal_hold_reason="Court order")
    note = CaseNoteFactory(client=duplicate)

    with pytest.raises(merge.MergeRefused, match="under legal hold") as refused:
        merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    assert refused.value.code == "legal_hold"
    assert CaseNote.objects.get(pk=note.pk).client == duplicate
    assert Client.objects.get(pk=duplicate.pk).merged_into is None


def test_the_survivor_under_legal_hold_refuses_too(manager, own_client, duplicate):
    Client.objects.filter(pk=own_client.pk).update(legal_hold_since=timezone.now())

    with pytest.raises(merge.MergeRefused, match="under legal hold"):
        merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")


def test_only_a_manager_of_both_teams_merges(manager, caseworker, own_client, team_client, other_team_client):
    with pytest.raises(merge.MergeRefused, match="both records' teams"):
        merge.client_merge(actor=manager, survivor=own_client, duplicate=other_team_client, reason="Same person")
    with pytest.raises(merge.MergeRefused, match="both records' teams"):
        merge.client_merge(actor=caseworker, survivor=own_client, duplicate=team_client, reason="x")


def test_a_manager_of_both_teams_merges_across_teams(team_a, team_b, own_client, other_team_client):
    both = UserFactory(username="bo", role="service_manager", teams=[team_a, team_b])

    merge.client_merge(actor=both, survivor=own_client, duplicate=other_team_client, reason="Same person")

    assert Client.objects.get(pk=other_team_client.pk).merged_into == own_client


def test_a_merged_record_cannot_be_merged_again(manager, own_client, duplicate, team_client):
    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    with pytest.raises(merge.MergeRefused, match="already been merged"):
        merge.client_merge(actor=manager, survivor=team_client, duplicate=duplicate, reason="Same person")


def test_records_merged_earlier_follow_to_the_new_survivor(manager, own_client, duplicate, team_client):
    merge.client_merge(actor=manager, survivor=duplicate, duplicate=team_client, reason="Same person")
    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    assert set(Client.objects.filter(pk__in=merge.record_ids(own_client)).values_list("reference", flat=True)) == {
        "OWN-001",
        "DUP-001",
        "TEAM-001",
    }


# --- Pages ------------------------------------------------------------------------------------


def test_links_to_the_merged_record_lead_to_the_survivor(login, manager, caseworker, own_client, duplicate):
    note = CaseNoteFactory(client=duplicate)
    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")
    browser = login(caseworker)

    record = browser.get(reverse("clients:record", args=[duplicate.pk]) + "?tab=x")
    edit = browser.get(reverse("clients:note_edit", args=[duplicate.pk, note.pk]))
    posted = browser.post(reverse("clients:note_add", args=[duplicate.pk]), {"text": "typed"})

    assert record.status_code == 302
    assert record["Location"] == reverse("clients:record", args=[own_client.pk]) + "?tab=x"
    assert edit["Location"] == reverse("clients:note_edit", args=[own_client.pk, note.pk])
    assert (posted.status_code, posted["Location"]) == (307, reverse("clients:note_add", args=[own_client.pk]))
    assert browser.get(record["Location"]).status_code == 200


def test_both_access_logs_stay_readable(login, manager, caseworker, own_client, duplicate):
    browser = login(caseworker)
    browser.get(reverse("clients:record", args=[duplicate.pk]))
    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")
    before = AccessEvent.objects.filter(client=duplicate).count()

    manager_browser = login(manager)
    old_log = manager_browser.get(reverse("access:client_log", args=[duplicate.pk]))
    survivor_log = manager_browser.get(reverse("access:client_log", args=[own_client.pk]))

    assert before == 1
    assert old_log.status_code == 200
    assert {event.client_id for event in old_log.context["page"].object_list} >= {duplicate.pk}
    assert {event.client_id for event in survivor_log.context["page"].object_list} >= {duplicate.pk, own_client.pk}


def test_the_survivors_access_log_says_which_record_each_row_was_about(
    login, manager, caseworker, own_client, duplicate
):
    browser = login(caseworker)
    browser.get(reverse("clients:record", args=[duplicate.pk]))
    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    manager_browser = login(manager)
    html = manager_browser.get(reverse("access:client_log", args=[own_client.pk])).content.decode()
    exported = manager_browser.get(reverse("access:client_log_export", args=[own_client.pk, "csv"])).content.decode()

    assert '<th scope="col">Record</th>' in html
    assert "DUP-001" in html
    assert "This record" in html
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0][-1] == "Record"
    assert {row[-1] for row in rows[1:]} >= {"This record", "DUP-001 (merged into this one)"}


def test_manager_merges_on_the_merge_page(login, manager, own_client, duplicate):
    browser = login(manager)
    url = reverse("clients:merge", args=[own_client.pk])

    found = browser.post(url, {"reference": "dup-001", "reason": "Same NHS number"})
    merged = browser.post(url, {"reference": "dup-001", "reason": "Same NHS number", "confirm": "merge"})

    assert found.status_code == 200
    assert found.context["other"] == duplicate
    assert Client.objects.get(pk=duplicate.pk).merged_into is None or merged.status_code == 302
    assert merged["Location"] == reverse("clients:record", args=[own_client.pk])
    assert Client.objects.get(pk=duplicate.pk).merged_into == own_client
    assert AccessEvent.objects.filter(client=duplicate, action="edit", purpose__startswith="merge into").exists()


def test_the_merge_page_says_why_a_record_under_legal_hold_is_refused(login, manager, own_client, duplicate):
    Client.objects.filter(pk=duplicate.pk).update(legal_hold_since=timezone.now())

    response = login(manager).post(
        reverse("clients:merge", args=[own_client.pk]), {"reference": "DUP-001", "reason": "Same", "confirm": "merge"}
    )

    assert response.status_code == 200
    assert "under legal hold" in response.content.decode()
    assert Client.objects.get(pk=duplicate.pk).merged_into is None


def test_the_merge_page_does_not_find_a_record_in_another_team(login, manager, own_client, other_team_client):
    response = login(manager).post(
        reverse("clients:merge", args=[own_client.pk]), {"reference": other_team_client.reference, "reason": "x"}
    )

    assert response.context["other"] is None
    assert "no other record with this reference" in response.content.decode()
    assert AccessEvent.objects.filter(client=other_team_client, outcome="denied").exists()


def test_merged_records_are_not_found_by_search_or_the_duplicate_check(login, manager, own_client, duplicate):
    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    response = login(manager).get(reverse("clients:search"), {"q": "Owens"})

    assert [row["client"] for row in response.context["rows"]] == [own_client]


# --- What the survivor shows of the merge ------------------------------------------------------


def test_the_survivors_timeline_records_the_merge_with_who_when_and_why(manager, own_client, duplicate):
    with time_machine.travel(datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC), tick=False):
        merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same NHS number")

    event = TimelineEvent.objects.get(client=own_client, kind=TimelineEvent.Kind.CASE_MERGED)
    assert event.summary == f"Record {duplicate.reference} merged into this one: Same NHS number"
    assert event.actor == manager
    assert event.at == datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
    assert (event.object_type, event.object_id) == ("clients.client", duplicate.pk)


def test_a_refused_merge_leaves_no_timeline_event(manager, own_client, duplicate):
    Client.objects.filter(pk=duplicate.pk).update(legal_hold_since=timezone.now())

    with pytest.raises(merge.MergeRefused):
        merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.CASE_MERGED).exists()


def test_the_changes_tab_shows_the_merge_with_its_reason(login, manager, own_client, duplicate):
    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same NHS number")

    merged = [c for c in selectors.change_history(own_client) if c.what == "Client details" and c.kind == "changed"]
    page = login(manager).get(reverse("clients:changes", args=[own_client.pk])).content.decode()

    assert [c.note for c in merged] == [
        f"merged from {duplicate.reference} into {own_client.reference}: Same NHS number"
    ]
    assert "Reason: merged from DUP-001 into OWN-001: Same NHS number" in page


def test_a_long_merge_reason_fits_the_history_row(manager, own_client, duplicate):
    reason = "Same person, confirmed in person at the drop-in with photo ID. " * 5

    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason=reason)

    assert len(Client.history.filter(id=own_client.pk).first().history_change_reason) <= 100
    assert TimelineEvent.objects.get(kind=TimelineEvent.Kind.CASE_MERGED).summary.startswith("Record DUP-001 merged")


def test_the_duplicates_differing_details_are_kept_on_the_survivor(manager, own_client, duplicate):
    Client.objects.filter(pk=own_client.pk).update(phone="07700 900123")
    Client.objects.filter(pk=duplicate.pk).update(
        first_name="Walter", last_name="Test-Person", phone="07700 900999", email="walt@example.org"
    )
    own_client.refresh_from_db()
    duplicate.refresh_from_db()

    survivor = merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    kept = {e.category: e.summary for e in InformationEntry.objects.filter(client=survivor)}
    assert kept["identity"].startswith("From merged record DUP-001:")
    assert "other name Walter Test-Person" in kept["identity"]
    assert "4857773457" not in kept["identity"]  # the survivor had none: filled in, not repeated
    assert survivor.nhs_number == "4857773457"
    assert "07700 900999" in kept["contact"]
    assert survivor.email == "walt@example.org"  # blank on the survivor: filled in
    assert survivor.phone == "07700 900123"


def test_nothing_is_kept_as_information_when_the_details_are_the_same(manager, own_client, caseworker, team_a):
    same = services.client_create(actor=caseworker, team=team_a, first_name="Olivia", last_name="Owens")

    merge.client_merge(actor=manager, survivor=own_client, duplicate=same, reason="Same person")

    assert not InformationEntry.objects.filter(client=own_client).exists()


def test_the_merge_page_shows_the_legal_hold_before_confirming_and_no_button(login, manager, own_client, duplicate):
    Client.objects.filter(pk=duplicate.pk).update(legal_hold_since=timezone.now(), legal_hold_reason="Court order")

    response = login(manager).post(
        reverse("clients:merge", args=[own_client.pk]), {"reference": "DUP-001", "reason": "Same"}
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert "DUP-001 is under legal hold" in page
    assert "Court order" in page
    assert 'value="merge"' not in page
