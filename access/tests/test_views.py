import datetime
import io

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from access import selectors
from access.gate import Action, open_client, record
from access.models import AccessEvent, AccessReview
from accounts.models import SecurityEvent
from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def break_glass(user, client, text="Covering the duty desk"):
    return open_client(user, client.pk, reason=text, reason_category="duty").event


# --- The reason page -----------------------------------------------------------------------


def test_the_reason_page_looks_the_same_for_any_id(login, caseworker, other_team_client):
    test_client = login(caseworker)

    real = test_client.get(reverse("access:reason", args=[other_team_client.pk]))
    unknown = test_client.get(reverse("access:reason", args=[987654]))

    assert real.status_code == unknown.status_code == 200
    for response in (real, unknown):
        for giveaway in (b"Bethan", b"Brooks", b"OTHER-001", b"Riverside"):
            assert giveaway not in response.content
    assert [t.name for t in real.templates] == [t.name for t in unknown.templates]
    assert not AccessEvent.objects.exists()


def test_a_reason_is_required_with_a_category_and_some_words(login, caseworker, other_team_client):
    response = login(caseworker).post(reverse("access:reason", args=[other_team_client.pk]), {"text": "x"})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"category", "text"}
    assert b"There is a problem" in response.content


def test_after_the_reason_an_unknown_id_is_simply_not_found(login, caseworker):
    test_client = login(caseworker)
    response = test_client.post(
        reverse("access:reason", args=[987654]),
        {"category": "other", "text": "Looking for an old client", "next": reverse("clients:record", args=[987654])},
        follow=True,
    )

    assert response.status_code == 404
    assert AccessEvent.objects.get().outcome == "denied"


def test_the_reason_page_never_sends_people_off_site(login, caseworker, other_team_client):
    response = login(caseworker).post(
        reverse("access:reason", args=[other_team_client.pk]),
        {"category": "other", "text": "Checking something", "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("clients:record", args=[other_team_client.pk])


# --- Who accessed this record ------------------------------------------------------------


def test_team_manager_sees_who_accessed_a_record_and_it_is_audited(login, manager, caseworker, own_client):
    open_client(caseworker, own_client.pk)

    response = login(manager).get(reverse("access:client_log", args=[own_client.pk]))

    assert response.status_code == 200
    events = list(response.context["page"].object_list)
    assert [e.action for e in events] == ["history", "view"]
    assert events[1].actor == caseworker
    assert b"Casey Worker" in response.content


def test_iso_sees_who_accessed_any_record_without_a_reason(login, iso, other_team_client):
    response = login(iso).get(reverse("access:client_log", args=[other_team_client.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("who", ["caseworker", "other_manager", "admin_user"])
def test_others_cannot_see_who_accessed_a_record(login, request, who, own_client):
    response = login(request.getfixturevalue(who)).get(reverse("access:client_log", args=[own_client.pk]))

    assert response.status_code == 404
    assert AccessEvent.objects.get().outcome == "denied"


def test_client_log_queries_do_not_grow_with_the_log(login, manager, own_client, django_assert_max_num_queries):
    for n in range(30):
        open_client(UserFactory(username=f"viewer{n}"), own_client.pk, reason="Duty", reason_category="duty")

    test_client = login(manager)
    with django_assert_max_num_queries(13):  # 12, and the client's active alerts (the warnings banner)
        response = test_client.get(reverse("access:client_log", args=[own_client.pk]))
    assert len(response.context["page"].object_list) == 31


# --- The access review ---------------------------------------------------------------------


def test_review_lists_break_the_glass_closed_cases_and_denials_of_the_managers_teams(
    login, manager, other_manager, caseworker, other_caseworker, own_client, other_team_client, closed_client
):
    outside = break_glass(caseworker, other_team_client)
    closed = break_glass(caseworker, closed_client, "Former client phoned")
    denied = record(other_caseworker, action=Action.VIEW, outcome="denied", client=own_client, detail="reason required")

    mine = login(manager).get(reverse("access:review")).context["review"]
    theirs = login(other_manager, DjangoClient()).get(reverse("access:review")).context["review"]

    # The manager of the client's team and the manager of the person who opened it both see it.
    assert outside in theirs.outside_caseload
    assert outside in mine.outside_caseload
    assert closed in mine.closed_cases
    assert closed not in theirs.closed_cases
    assert denied in mine.denied
    assert denied in theirs.denied
    assert not any(e.break_glass is False for e in mine.outside_caseload)


def test_review_filters_by_team_and_dates(login, manager, caseworker, other_team_client, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC), tick=False)
    old = break_glass(caseworker, other_team_client)
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, tzinfo=datetime.UTC), tick=False)
    new = break_glass(caseworker, other_team_client)
    test_client = login(manager)

    default = test_client.get(reverse("access:review")).context["review"]
    march = test_client.get(reverse("access:review"), {"date_from": "2026-03-01", "date_to": "2026-03-31"}).context[
        "review"
    ]

    assert default.outside_caseload == [new]
    assert march.outside_caseload == [old]


def test_review_refuses_backwards_dates_beside_the_field(login, manager):
    response = login(manager).get(reverse("access:review"), {"date_from": "2026-05-01", "date_to": "2026-04-01"})

    assert response.status_code == 200
    assert "date_to" in response.context["form"].errors


def test_iso_reviews_every_team(login, iso, caseworker, other_caseworker, own_client, other_team_client):
    one = break_glass(other_caseworker, own_client)
    two = break_glass(caseworker, other_team_client)

    review = login(iso).get(reverse("access:review")).context["review"]

    assert {one, two} <= set(review.outside_caseload)


@pytest.mark.parametrize("who", ["caseworker", "admin_user"])
def test_only_managers_and_the_iso_see_the_review(login, request, who):
    assert login(request.getfixturevalue(who)).get(reverse("access:review")).status_code == 403


def test_concurrent_logins_of_team_staff_are_listed(login, manager, caseworker, other_caseworker):
    mine = SecurityEvent.objects.create(kind="concurrent_login", user=caseworker, at=timezone.now())
    SecurityEvent.objects.create(kind="concurrent_login", user=other_caseworker, at=timezone.now())

    review = login(manager).get(reverse("access:review")).context["review"]

    assert review.concurrent_logins == [mine]


def test_someone_opening_far_more_records_than_their_team_is_flagged(manager, caseworker, team_a, own_client):
    quiet = [UserFactory(username=f"quiet{n}", teams=[team_a]) for n in range(3)]
    for person in quiet:
        for _ in range(2):
            record(person, action=Action.VIEW, outcome="allowed", client=own_client)
    for _ in range(25):
        record(caseworker, action=Action.VIEW, outcome="allowed", client=own_client)
    today = timezone.localdate()

    review = selectors.access_review(manager, start=today - datetime.timedelta(days=1), end=today)

    assert [(f.user, f.openings) for f in review.unusual_volume] == [(caseworker, 25)]


def test_a_busy_but_normal_team_raises_no_volume_flag(manager, caseworker, team_a, own_client):
    for person in [caseworker, *[UserFactory(username=f"busy{n}", teams=[team_a]) for n in range(3)]]:
        for _ in range(25):
            record(person, action=Action.VIEW, outcome="allowed", client=own_client)
    today = timezone.localdate()

    assert selectors.access_review(manager, start=today, end=today).unusual_volume == []


def test_marking_an_item_reviewed_keeps_the_note_and_is_itself_audited(
    login, manager, caseworker, other_caseworker, own_client
):
    event = break_glass(other_caseworker, own_client)

    response = login(manager).post(
        reverse("access:review_mark"),
        {"kind": "event", "item": event.pk, "note": "Spoke to Olly: covering a colleague, fine."},
    )

    assert response.status_code == 302
    review = AccessReview.objects.get()
    assert (review.event, review.reviewed_by) == (event, manager)
    audit = AccessEvent.objects.order_by("-id").first()
    assert (audit.action, audit.client, audit.object_id) == ("review", own_client, str(review.pk))
    page = login(manager).get(reverse("access:review"))
    assert b"Spoke to Olly" in page.content


def test_an_item_cannot_be_reviewed_twice(login, manager, other_caseworker, own_client):
    event = break_glass(other_caseworker, own_client)
    test_client = login(manager)
    test_client.post(reverse("access:review_mark"), {"kind": "event", "item": event.pk, "note": "Fine"})

    test_client.post(reverse("access:review_mark"), {"kind": "event", "item": event.pk, "note": "Again"})

    assert AccessReview.objects.count() == 1


def test_a_manager_cannot_review_another_teams_items(login, other_manager, caseworker, manager, team_client):
    event = break_glass(manager, team_client)  # a team_a manager on a team_a client: nothing to do with team_b

    response = login(other_manager).post(
        reverse("access:review_mark"), {"kind": "event", "item": event.pk, "note": "Looks fine"}
    )

    assert response.status_code == 404
    assert not AccessReview.objects.exists()


def test_volume_and_security_findings_can_be_reviewed(login, manager, caseworker):
    login_event = SecurityEvent.objects.create(kind="concurrent_login", user=caseworker, at=timezone.now())
    test_client = login(manager)

    test_client.post(reverse("access:review_mark"), {"kind": "security", "item": login_event.pk, "note": "New phone"})
    test_client.post(
        reverse("access:review_mark"),
        {"kind": "volume", "item": caseworker.pk, "period_start": "2026-03-01", "note": "Audit week"},
    )

    assert AccessReview.objects.filter(security_event=login_event).exists()
    assert AccessReview.objects.filter(subject=caseworker, period_start=datetime.date(2026, 3, 1)).exists()


def test_review_queries_do_not_grow_with_the_items(
    login, manager, caseworker, other_team_client, django_assert_max_num_queries
):
    for n in range(20):
        break_glass(UserFactory(username=f"glass{n}", teams=[manager.teams.first()]), other_team_client)
        SecurityEvent.objects.create(kind="concurrent_login", user=caseworker, at=timezone.now())

    test_client = login(manager)
    with django_assert_max_num_queries(20):
        response = test_client.get(reverse("access:review"))
    assert len(response.context["review"].outside_caseload) == 20


def test_the_access_log_downloads_as_xlsx_for_the_team_manager(login, manager, own_client, caseworker):
    open_client(caseworker, own_client.pk, categories=["mental_health"])
    response = login(manager).get(reverse("access:client_log_export", args=[own_client.pk, "xlsx"]))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    rows = [[cell.value for cell in row] for row in load_workbook(io.BytesIO(response.content)).active.iter_rows()]
    assert rows[0][0] == "When (UTC)"
    viewed = [row for row in rows[1:] if row[1] == str(caseworker)]
    assert viewed
    assert viewed[0][4] == "Mental health"
    assert AccessEvent.objects.filter(actor=manager, client=own_client, action="history", outcome="allowed").exists()


def test_the_access_log_export_is_refused_to_a_caseworker(login, caseworker, own_client):
    response = login(caseworker).get(reverse("access:client_log_export", args=[own_client.pk, "csv"]))
    assert response.status_code == 404
