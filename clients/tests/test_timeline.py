"""The record's timeline: notes and key events in one story, newest first, filterable and
paginated, in the same number of queries however long the story."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from clients import selectors, services
from clients.models import Alert, CaseNote, TimelineEvent
from clients.tests.factories import AssignmentFactory, CaseNoteFactory, ClientFactory, InformationEntryFactory

# After the standing clients' "case opened" events, which are written at the real now.
T0 = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _note_at(client, when, **kwargs):
    with time_machine.travel(when, tick=False):
        return CaseNoteFactory(client=client, **kwargs)


def test_case_opening_closing_and_moving_are_events_on_the_timeline(manager, team_a, team_b):
    client = services.client_create(actor=manager, team=team_a, first_name="Ann", last_name="Lee")
    services.client_move(actor=manager, client=client, team=team_b, reason="Moved to the north of the city")
    services.client_close(actor=manager, client=client, reason="Moved away")

    kinds = list(TimelineEvent.objects.filter(client=client).order_by("at", "pk").values_list("kind", flat=True))

    assert kinds == ["case_opened", "case_moved", "case_closed"]


def test_notes_and_events_read_as_one_story_newest_first(caseworker, own_client):
    old = _note_at(own_client, T0, author=caseworker, text="First meeting")
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        services.alert_raise(actor=caseworker, client=own_client, kind=Alert.Kind.RISK_TO_STAFF, text="Knife")
    new = _note_at(own_client, T0 + datetime.timedelta(days=2), author=caseworker, text="Viewing booked")

    items = selectors.timeline_page(own_client).object_list

    assert [(item.is_note, item.pk) for item in items[:3]] == [(True, new.pk), (False, items[1].pk), (True, old.pk)]
    assert items[0].who == str(caseworker)
    assert items[1].kind == TimelineEvent.Kind.ALERT_RAISED
    assert items[1].kind_label == "Alert raised"
    assert items[-1].kind == TimelineEvent.Kind.CASE_OPENED  # made by own_client's creation


def test_the_timeline_filters_by_category_and_by_kind(caseworker, own_client):
    _note_at(own_client, T0, author=caseworker, category="mental_health", text="Low mood")
    _note_at(
        own_client,
        T0 - datetime.timedelta(hours=1),
        author=caseworker,
        category="housing_history",
        text="Bidding on flats",
    )
    services.timeline_record(
        at=T0 + datetime.timedelta(hours=1),
        client=own_client,
        kind=TimelineEvent.Kind.REFERRAL_SENT,
        summary="Referral to the crisis team",
        categories=["mental_health", "identity"],
    )

    def texts(**filters):
        return [item.text for item in selectors.timeline_page(own_client, **filters).object_list]

    assert texts(category="mental_health") == ["Referral to the crisis team", "Low mood"]
    assert texts(kind="note") == ["Low mood", "Bidding on flats"]
    assert texts(kind="referral_sent") == ["Referral to the crisis team"]
    assert texts(category="housing_history", kind="referral_sent") == []


def test_events_about_the_whole_case_have_their_own_filter_and_label(caseworker, own_client):
    _note_at(own_client, T0, author=caseworker, category="mental_health", text="Low mood")
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        services.alert_raise(actor=caseworker, client=own_client, kind=Alert.Kind.OTHER, text="Uses a wheelchair")
    services.timeline_record(
        at=T0 + datetime.timedelta(hours=2),
        client=own_client,
        kind=TimelineEvent.Kind.REFERRAL_SENT,
        summary="Referral to the crisis team",
        categories=["mental_health"],
    )

    whole_case = selectors.timeline_page(own_client, category=selectors.WHOLE_CASE).object_list
    everything = selectors.timeline_page(own_client).object_list

    assert [item.kind for item in whole_case] == ["alert_raised", "case_opened"]
    assert all(item.category_labels == ["Whole case"] for item in whole_case)
    assert [item.category_labels for item in everything[:3]] == [["Mental health"], ["Whole case"], ["Mental health"]]
    # A real category still shows only what is about it.
    mental_health = selectors.timeline_page(own_client, category="mental_health").object_list
    assert [item.kind for item in mental_health] == ["referral_sent", "note"]


def test_the_record_offers_and_applies_the_whole_case_filter(login, caseworker, own_client):
    CaseNoteFactory(client=own_client, author=caseworker, category="finances", text="Universal Credit claim")
    test_client = login(caseworker)
    url = reverse("clients:record", args=[own_client.pk])

    everything = test_client.get(url).content.decode()
    whole_case = test_client.get(url, {"category": "whole_case"}).content.decode()

    assert '<option value="whole_case">Whole case (events about no one category)</option>' in everything
    assert "Universal Credit claim" in everything
    assert "Universal Credit claim" not in whole_case
    assert "Case opened in" in whole_case
    assert '<span class="tag">Whole case</span>' in whole_case
    assert '<option value="whole_case" selected>' in whole_case


def test_the_record_filters_the_timeline_from_the_page(login, caseworker, own_client):
    CaseNoteFactory(client=own_client, author=caseworker, category="mental_health", text="Low mood")
    CaseNoteFactory(client=own_client, author=caseworker, category="finances", text="Universal Credit claim")

    response = login(caseworker).get(
        reverse("clients:record", args=[own_client.pk]), {"category": "finances", "kind": "note"}
    )

    assert b"Universal Credit claim" in response.content
    assert b"Low mood" not in response.content


def test_unknown_filters_show_everything_rather_than_an_error(login, caseworker, own_client):
    CaseNoteFactory(client=own_client, author=caseworker, text="Still here")

    response = login(caseworker).get(reverse("clients:record", args=[own_client.pk]), {"category": "<x>", "page": "z"})

    assert response.status_code == 200
    assert b"Still here" in response.content


def test_the_timeline_is_paginated_twenty_at_a_time(login, caseworker, own_client):
    for n in range(45):
        _note_at(own_client, T0 + datetime.timedelta(minutes=n), author=caseworker, text=f"Note number {n:02d}")
    test_client = login(caseworker)
    url = reverse("clients:record", args=[own_client.pk])

    first = test_client.get(url).content.decode()
    third = test_client.get(url, {"page": 3}).content.decode()

    assert "Note number 44" in first
    assert "Note number 25" in first
    assert "Note number 24" not in first
    assert "Note number 04" in third
    assert "Page 3" in third
    assert "Older" not in third


def _record_queries(test_client, client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = test_client.get(reverse("clients:record", args=[client.pk]))
    assert response.status_code == 200
    return len(queries)


def test_the_record_costs_the_same_queries_at_20_and_200_notes(
    login, caseworker, own_client, django_assert_num_queries
):
    categories = ["mental_health", "domestic_abuse", "finances", "risk_to_staff", "support_needs"]
    for n in range(20):
        author = UserFactory()  # different people, so names must not be fetched one by one
        CaseNoteFactory(client=own_client, author=author, category=categories[n % 5])
        InformationEntryFactory(client=own_client, recorded_by=author, category=categories[n % 5])
    services.alert_raise(actor=caseworker, client=own_client, kind=Alert.Kind.OTHER, text="Uses a wheelchair")
    test_client = login(caseworker)
    at_20 = _record_queries(test_client, own_client)
    for n in range(180):
        CaseNoteFactory(client=own_client, author=UserFactory(), category=categories[n % 5])
    services.alert_raise(actor=caseworker, client=own_client, kind=Alert.Kind.SAFEGUARDING, text="Grandchild visits")

    with django_assert_num_queries(at_20):
        response = test_client.get(reverse("clients:record", args=[own_client.pk]))

    assert len(response.context["page"].object_list) == 20
    assert response.context["page"].has_next
    assert CaseNote.objects.filter(client=own_client).count() == 200
    assert at_20 <= 12
    # Filtering costs nothing more: by a category, or to the events about the whole case.
    for category in ("mental_health", "whole_case"):
        with django_assert_num_queries(at_20):
            test_client.get(reverse("clients:record", args=[own_client.pk]), {"category": category})


def test_markup_in_a_note_or_a_name_is_shown_as_text_on_the_record(login, caseworker, own_client):
    author = UserFactory(first_name='<b onclick="x()">Bo</b>', last_name="O'Neil & Co")
    CaseNoteFactory(client=own_client, author=author, text="<script>alert(1)</script>\r\nSecond line\rThird")

    content = login(caseworker).get(reverse("clients:record", args=[own_client.pk])).content.decode()

    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Second line<br>Third" in content
    assert "&lt;b onclick=&quot;x()&quot;&gt;Bo&lt;/b&gt; O&#x27;Neil &amp; Co" in content


def test_the_record_overview_gives_what_the_orm_gives(caseworker, other_caseworker, manager, own_client):
    """Counts by category, the key worker who started last and the active alerts, staff safety first."""
    for category in ["identity", "finances", "finances"]:
        InformationEntryFactory(client=own_client, recorded_by=caseworker, category=category)
    CaseNoteFactory(client=own_client, author=caseworker, category="finances")
    CaseNoteFactory(client=own_client, author=caseworker, category="mental_health")
    AssignmentFactory(
        client=own_client,
        caseworker=other_caseworker,
        started_on=datetime.date.today() + datetime.timedelta(days=1),
        started_by=manager,
    )
    other = services.alert_raise(actor=caseworker, client=own_client, kind=Alert.Kind.OTHER, text="Prefers mornings")
    staff = services.alert_raise(actor=manager, client=own_client, kind=Alert.Kind.RISK_TO_STAFF, text="Knife")
    ended = services.alert_raise(actor=caseworker, client=own_client, kind=Alert.Kind.SAFEGUARDING, text="Gone")
    services.alert_end(actor=caseworker, alert=ended, reason="Moved out")

    overview = selectors.record_overview(own_client)

    assert overview.counts == {"identity": 1, "finances": 3, "mental_health": 1}
    assert overview.key_worker.pk == other_caseworker.pk
    assert str(overview.key_worker) == str(other_caseworker)
    assert [alert.pk for alert in overview.alerts] == [alert.pk for alert in selectors.active_alerts(own_client)]
    assert [alert.pk for alert in overview.alerts] == [staff.pk, other.pk]
    first = overview.alerts[0]
    assert (first.text, first.raised_at, first.review_by, str(first.raised_by)) == (
        staff.text,
        staff.raised_at,
        staff.review_by,
        str(manager),
    )


def test_a_client_with_nothing_recorded_has_an_empty_overview(team_a):
    overview = selectors.record_overview(ClientFactory(team=team_a))

    assert (overview.counts, overview.key_worker, overview.alerts) == ({}, None, [])


def test_a_page_past_the_end_links_to_the_newest_page_rather_than_saying_nothing_happened(
    login, caseworker, own_client
):
    CaseNoteFactory(client=own_client, author=caseworker, text="Still here")

    response = login(caseworker).get(reverse("clients:record", args=[own_client.pk]), {"page": "999"})

    content = response.content.decode()
    assert "Nothing has happened on this record yet." not in content
    assert "There is no page 999" in content
    assert "Go to the newest page" in content
