"""Retention: the calendar arithmetic of a rule, the sweep, the daily review, approving a batch,
anonymising it (skipping what a legal hold or a reopened case keeps), and the pages."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from access.audit import seal_audit
from access.gate import Action, record_list
from access.models import AccessEvent
from casework.celery import app as celery_app
from clients import merge
from clients import services as client_services
from clients.models import Client
from rights import retention
from rights.models import RetentionBatch, RetentionBatchItem, RetentionReview, RetentionRule
from rights.tests.test_anonymise import (  # noqa: F401 (person is a fixture)
    ENTRY_DETAIL,
    NOTE_TEXT,
    SECRETS,
    clients_with_records,
    person,
    where_found,
)

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 15)
SIX_YEARS = 72


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def rule(db):
    return RetentionRule.objects.create(
        kind=RetentionRule.Kind.CLOSED_CASES, period_months=SIX_YEARS, starts_from=RetentionRule.StartsFrom.CASE_CLOSED
    )


def closed_case(team, actor, reference: str, closed_on: dt.date, *, hold: str = "") -> Client:
    client = client_services.client_create(
        actor=actor,
        team=team,
        first_name="Test",
        last_name=reference,
        reference=reference,
        opened_on=closed_on - dt.timedelta(days=400),
    )
    client = client_services.client_close(actor=actor, client=client, reason="Moved on", closed_on=closed_on)
    if hold:
        hold_place(client, hold)
    return client


def hold_place(client: Client, reason: str) -> None:
    # As statutory's decision does it (a court order places the hold).
    Client.objects.filter(pk=client.pk).update(legal_hold_since=timezone.now(), legal_hold_reason=reason)


@pytest.fixture
def cases(team_a, team_b, manager, other_manager):
    """team_a: two past retention (one closed exactly six years ago today), one a day short, one held;
    team_b: one past retention. Plus an open case and one anonymised already."""
    made = {
        "old": closed_case(team_a, manager, "A-OLD", dt.date(2019, 3, 1)),
        "boundary": closed_case(team_a, manager, "A-EDGE", dt.date(2020, 6, 15)),
        "young": closed_case(team_a, manager, "A-YOUNG", dt.date(2020, 6, 16)),
        "held": closed_case(team_a, manager, "A-HELD", dt.date(2018, 1, 10), hold="Production order PO-77"),
        "other": closed_case(team_b, other_manager, "B-OLD", dt.date(2019, 1, 1)),
        "open": client_services.client_create(
            actor=manager, team=team_a, first_name="O", last_name="Pen", reference="A-OPEN", opened_on=TODAY
        ),
    }
    gone = closed_case(team_a, manager, "A-GONE", dt.date(2017, 1, 1))
    Client.objects.filter(pk=gone.pk).update(anonymised_at=timezone.now())
    return made


# --- The arithmetic --------------------------------------------------------------------------


# Pure arithmetic; a shared, busy machine must not fail it for slowness.
@hypothesis_settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)),
    today=st.dates(dt.date(2000, 1, 1), dt.date(2050, 12, 31)),
    months=st.integers(0, 240),
)
def test_a_record_is_past_retention_exactly_when_its_start_is_on_or_before_the_cutoff(start, today, months):
    assert (retention.ends_on(start, months) <= today) == (start <= retention.cutoff(today, months))


@pytest.mark.parametrize(
    ("start", "months", "ends"),
    [
        (dt.date(2019, 8, 31), 6, dt.date(2020, 2, 29)),  # leap year
        (dt.date(2020, 8, 31), 6, dt.date(2021, 2, 28)),
        (dt.date(2020, 3, 31), 1, dt.date(2020, 4, 30)),
        (dt.date(2020, 6, 15), 72, dt.date(2026, 6, 15)),
    ],
)
def test_retention_ends_on_the_corresponding_date_or_the_months_last_day(start, months, ends):
    assert retention.ends_on(start, months) == ends


def test_a_rule_counts_from_a_start_date_that_fits_its_kind(db):
    rule = RetentionRule(
        kind=RetentionRule.Kind.CLOSED_CASES, period_months=12, starts_from=RetentionRule.StartsFrom.EVENT_DATE
    )
    with pytest.raises(Exception) as refused:
        rule.full_clean()
    assert "starts_from" in refused.value.message_dict


def test_saving_a_rule_records_who_changed_it_and_keeps_history(rule, admin_user):
    rule.period_months = 96
    retention.retention_rule_save(actor=admin_user, rule=rule)

    rule.refresh_from_db()
    assert (rule.changed_by, rule.changed_at, rule.period_label) == (admin_user, NOW, "8 years")
    assert rule.history.first().history_user == admin_user


# --- The sweep -------------------------------------------------------------------------------


def test_the_sweep_lists_exactly_the_closed_cases_past_retention_and_not_those_held(rule, cases):
    due = set(retention.due_clients(rule).values_list("reference", flat=True))
    held = list(retention.held_clients(rule).values_list("reference", "legal_hold_reason"))

    assert due == {"A-OLD", "A-EDGE", "B-OLD"}
    assert held == [("A-HELD", "Production order PO-77")]


def test_a_managers_sweep_covers_their_teams_only(rule, cases, manager, other_manager):
    assert set(
        retention.due_clients(rule, team_ids=retention.team_ids(manager)).values_list("reference", flat=True)
    ) == {
        "A-OLD",
        "A-EDGE",
    }
    assert list(
        retention.due_clients(rule, team_ids=retention.team_ids(other_manager)).values_list("reference", flat=True)
    ) == ["B-OLD"]


def test_a_case_becomes_due_the_day_its_retention_ends(rule, cases):
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert "A-YOUNG" in set(retention.due_clients(rule).values_list("reference", flat=True))


def test_the_status_counts_every_kind_and_says_what_happens(rule, cases, manager):
    RetentionRule.objects.create(
        kind=RetentionRule.Kind.AUDIT_EVENTS, period_months=12, starts_from=RetentionRule.StartsFrom.EVENT_DATE
    )
    record_list(manager, action=Action.LIST, detail="caseload")
    with time_machine.travel(NOW + dt.timedelta(days=366), tick=False):
        statuses = {s.rule.kind: s for s in retention.retention_status()}
    assert (statuses["closed_cases"].due, statuses["closed_cases"].held) == (4, 1)  # A-YOUNG too, a year on
    assert statuses["audit_events"].due == AccessEvent.objects.count() == 1
    assert "Never erased" in statuses["audit_events"].action


def test_the_daily_review_records_counts_per_rule_and_team_once_a_day(rule, cases, team_a, team_b):
    first = retention.retention_review_record()
    again = retention.retention_review_record()

    assert RetentionReview.objects.count() == 1
    assert again.pk == first.pk
    assert again.counts[0] | {"label": ""} == {
        "kind": "closed_cases",
        "label": "",
        "period": "6 years",
        "due": 3,
        "held": 1,
    }
    assert again.by_team == {str(team_a.pk): 2, str(team_b.pk): 1}


def test_beat_runs_the_retention_review_daily():
    entry = next(e for e in celery_app.conf.beat_schedule.values() if e["task"] == "rights.tasks.retention_review")
    assert entry["schedule"].hour == {5}


# --- Approval --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["caseworker", "admin_user"])
def test_only_managers_and_the_iso_approve_a_batch(request, who, rule, cases):
    with pytest.raises(PermissionDenied):
        retention.retention_batch_approve(actor=request.getfixturevalue(who))
    assert not RetentionBatch.objects.exists()


def test_a_manager_cannot_approve_another_teams_clients(rule, cases, manager, team_b):
    with pytest.raises(PermissionDenied):
        retention.retention_batch_approve(actor=manager, team=team_b)


def test_a_managers_batch_is_their_teams_clients_due_at_that_moment_without_held_ones(
    rule, cases, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        batch = retention.retention_batch_approve(actor=manager)

    listed = set(batch.items.values_list("client__reference", flat=True))
    assert listed == {"A-OLD", "A-EDGE"}
    assert (batch.total, batch.period_months, batch.status) == (2, SIX_YEARS, RetentionBatch.Status.QUEUED)
    assert len(queued) == 1
    assert AccessEvent.objects.filter(detail__startswith=f"retention batch {batch.reference} approved").exists()


def test_the_isos_batch_covers_every_team(rule, cases, iso):
    batch = retention.retention_batch_approve(actor=iso)
    assert set(batch.items.values_list("client__reference", flat=True)) == {"A-OLD", "A-EDGE", "B-OLD"}


def test_nothing_due_is_refused(rule, other_manager, team_b):
    with pytest.raises(retention.NothingDue):
        retention.retention_batch_approve(actor=other_manager)


# --- Running a batch -------------------------------------------------------------------------


def test_the_task_anonymises_the_batch_and_skips_what_changed_since_approval(rule, cases, iso, settings):
    settings.RETENTION_BATCH_SIZE = 2
    batch = retention.retention_batch_approve(actor=iso)
    hold_place(cases["old"], "Search warrant SW-12 (Salford Magistrates)")
    client_services.client_reopen(actor=iso, client=Client.objects.get(pk=cases["other"].pk))

    done = retention.retention_batch_run(batch_id=batch.pk)

    assert (done.status, done.anonymised, done.skipped, done.percent) == (RetentionBatch.Status.DONE, 1, 2, 100)
    outcomes = {i.client.reference: (i.outcome, i.reason) for i in done.items.select_related("client")}
    assert outcomes["A-EDGE"] == ("anonymised", "")
    assert outcomes["A-OLD"][0] == "skipped"
    assert "Search warrant SW-12 (Salford Magistrates)" in outcomes["A-OLD"][1]
    assert outcomes["B-OLD"] == ("skipped", "The case was reopened after approval.")
    assert Client.objects.get(pk=cases["boundary"].pk).anonymised_at == NOW
    assert Client.objects.get(pk=cases["old"].pk).last_name == "A-OLD"


def test_a_lengthened_rule_keeps_a_case_no_longer_past_it(rule, cases, iso):
    batch = retention.retention_batch_approve(actor=iso)
    rule.period_months = SIX_YEARS + 12
    rule.save()

    done = retention.retention_batch_run(batch_id=batch.pk)

    reasons = dict(done.items.values_list("client__reference", "reason"))
    assert reasons["A-EDGE"] == "No longer past retention: kept until 15 June 2027 under the current rule (7 years)."
    assert done.anonymised == 2  # closed in 2019: past seven years too


def test_running_a_batch_again_changes_nothing(rule, cases, iso):
    batch = retention.retention_batch_approve(actor=iso)
    retention.retention_batch_run(batch_id=batch.pk)
    events = AccessEvent.objects.count()

    assert retention.retention_batch_run(batch_id=batch.pk) is None
    RetentionBatch.objects.filter(pk=batch.pk).update(status=RetentionBatch.Status.RUNNING)  # a redelivered task
    again = retention.retention_batch_run(batch_id=batch.pk)

    assert (again.anonymised, again.skipped) == (3, 0)
    assert AccessEvent.objects.count() == events


def test_a_run_out_of_time_queues_itself_and_a_later_run_finishes(
    rule, cases, iso, settings, django_capture_on_commit_callbacks
):
    settings.RETENTION_BATCH_SIZE = 1
    batch = retention.retention_batch_approve(actor=iso)

    with django_capture_on_commit_callbacks() as requeued:
        first = retention.retention_batch_run(batch_id=batch.pk, budget_seconds=0)
    assert (first.status, first.processed) == (RetentionBatch.Status.RUNNING, 1)
    assert [
        getattr(callback, "args", None)
        for callback in requeued
        if getattr(callback, "func", None) is retention.enqueue_batch
    ] == [(batch.pk,)]

    last = retention.retention_batch_run(batch_id=batch.pk)
    assert (last.status, last.anonymised) == (RetentionBatch.Status.DONE, 3)


def test_after_a_batch_nothing_identifying_remains_and_the_audit_still_verifies(
    person,  # noqa: F811
    manager,
    rule,
    settings,
    tmp_path,
):
    client_services.client_close(actor=manager, client=person, reason="Moved on")
    settings.AUDIT_SEAL_FILE = tmp_path / "seals.log"
    settings.AUDIT_SEAL_SAFETY_SECONDS = 0
    everything = [*SECRETS, ENTRY_DETAIL, NOTE_TEXT]

    with time_machine.travel(NOW + dt.timedelta(days=6 * 366), tick=False):
        batch = retention.retention_batch_approve(actor=manager)
        retention.retention_batch_run(batch_id=batch.pk)
        seal_audit()

    assert RetentionBatchItem.objects.get(batch=batch).outcome == "anonymised"
    assert {value: where_found(value) for value in everything} == {value: [] for value in everything}
    call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())  # exits 1 on any alteration


def test_a_chunk_of_ten_clients_makes_no_more_queries_than_a_chunk_of_two(
    rule, iso, team_a, settings, tmp_path, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.PRIVATE_STORAGE_ROOT = tmp_path
    settings.RETENTION_BATCH_SIZE = 100
    old = dt.date(2019, 3, 1)
    clients_with_records(2, team=team_a, actor=iso, closed_on=old)
    first = retention.retention_batch_approve(actor=iso)
    with CaptureQueriesContext(connection) as for_two:
        retention.retention_batch_run(batch_id=first.pk)
    clients_with_records(10, team=team_a, actor=iso, closed_on=old, start=2)
    second = retention.retention_batch_approve(actor=iso)

    with django_assert_max_num_queries(len(for_two)):
        done = retention.retention_batch_run(batch_id=second.pk)

    assert (first.total, done.total, done.anonymised, done.status) == (2, 10, 10, RetentionBatch.Status.DONE)
    assert AccessEvent.objects.filter(purpose="anonymisation", detail__contains=second.reference).count() == 10


def test_the_daily_task_queues_batches_still_waiting(rule, cases, iso, monkeypatch):
    from rights import tasks

    batch = retention.retention_batch_approve(actor=iso)
    queued = []
    monkeypatch.setattr(tasks.run_retention_batch, "delay", queued.append)

    assert tasks.retention_review() == 1
    assert queued == [batch.pk]
    assert RetentionReview.objects.filter(taken_on=TODAY).exists()


# --- Legal hold on the other paths -----------------------------------------------------------


def test_a_merge_under_legal_hold_is_refused_with_the_holds_reason(manager, team_a):
    kept = closed_case(team_a, manager, "M-1", dt.date(2025, 1, 1))
    duplicate = closed_case(team_a, manager, "M-2", dt.date(2025, 1, 1), hold="Court order CO-5")

    with pytest.raises(merge.MergeRefused, match="Court order CO-5"):
        merge.client_merge(actor=manager, survivor=kept, duplicate=duplicate, reason="Same person")


# --- The pages -------------------------------------------------------------------------------


def test_the_page_lists_the_managers_due_cases_and_the_held_ones_with_the_reason(rule, cases, login, manager):
    response = login(manager).get(reverse("rights:retention"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "A-OLD" in body
    assert "A-EDGE" in body
    assert "B-OLD" not in body
    assert "A-YOUNG" not in body
    assert "Production order PO-77" in body
    assert "no-store" in response["Cache-Control"]
    assert AccessEvent.objects.filter(detail="retention: records past their period", actor=manager).exists()


@pytest.mark.parametrize("who", ["caseworker", "admin_user"])
def test_the_page_is_for_managers_and_the_iso_only(request, who, login, rule):
    assert login(request.getfixturevalue(who)).get(reverse("rights:retention")).status_code == 403


def test_approving_without_confirming_is_refused_beside_the_field(rule, cases, login, manager):
    response = login(manager).post(reverse("rights:retention"), {"team": ""})

    assert response.status_code == 400
    assert "Tick to confirm you have checked the list." in response.content.decode()
    assert not RetentionBatch.objects.exists()


def test_approving_another_teams_clients_is_a_form_error(rule, cases, login, manager, team_b):
    response = login(manager).post(reverse("rights:retention"), {"team": team_b.pk, "confirm": "on"})

    assert response.status_code == 400
    assert not RetentionBatch.objects.exists()


def test_approving_leads_to_the_batchs_progress_and_report(rule, cases, login, manager):
    test_client = login(manager)
    response = test_client.post(reverse("rights:retention"), {"team": "", "confirm": "on"})
    batch = RetentionBatch.objects.get()
    assert response["Location"] == reverse("rights:retention_batch", args=[batch.pk])

    waiting = test_client.get(response["Location"]).content.decode()
    assert "data-pack-polling" in waiting
    assert "0 of 2 done" in waiting

    hold_place(cases["old"], "Production order PO-99")
    retention.retention_batch_run(batch_id=batch.pk)
    report = test_client.get(response["Location"]).content.decode()
    assert "data-pack-polling" not in report
    assert "1 client record anonymised" in report
    assert "Production order PO-99" in report


def test_a_waiting_batch_says_when_the_worker_is_not_running(rule, cases, login, manager):
    from deadlines.models import SweepHeartbeat

    batch = retention.retention_batch_approve(actor=manager)
    url = reverse("rights:retention_batch", args=[batch.pk])
    test_client = login(manager)

    assert "worker does not seem to be running" in test_client.get(url).content.decode()  # never swept
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=timezone.now())
    assert "worker does not seem to be running" not in test_client.get(url).content.decode()


def test_another_teams_manager_cannot_see_a_batch(rule, cases, login, manager, other_manager):
    batch = retention.retention_batch_approve(actor=manager)
    assert login(other_manager).get(reverse("rights:retention_batch", args=[batch.pk])).status_code == 404


def test_the_page_makes_the_same_queries_whatever_the_number_of_cases(
    rule, cases, login, iso, team_a, manager, django_assert_num_queries
):
    test_client = login(iso)
    retention.retention_review_record()
    retention.retention_batch_approve(actor=manager)
    test_client.get(reverse("rights:retention"))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        test_client.get(reverse("rights:retention"))
    for n in range(5):
        closed_case(team_a, manager, f"A-MORE-{n}", dt.date(2018, 5, n + 1))
        closed_case(team_a, manager, f"A-HOLD-{n}", dt.date(2018, 5, n + 1), hold=f"Order {n}")
    with django_assert_num_queries(len(few)):
        response = test_client.get(reverse("rights:retention"))
    assert "A-MORE-4" in response.content.decode()


def test_the_batch_page_makes_the_same_queries_whatever_the_number_skipped(
    rule, cases, login, manager, team_a, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(4):
        closed_case(team_a, manager, f"A-SKIP-{n}", dt.date(2018, 5, n + 1))
    batch = retention.retention_batch_approve(actor=manager)
    items = RetentionBatchItem.objects.filter(batch=batch).order_by("id")
    test_client = login(manager)
    url = reverse("rights:retention_batch", args=[batch.pk])

    def skip(item_ids):
        for pk in item_ids:
            items.filter(pk=pk).update(outcome="skipped", reason=f"Under legal hold: order {pk}")
        RetentionBatch.objects.filter(pk=batch.pk).update(skipped=items.filter(outcome="skipped").count())

    skip([items[0].pk])
    test_client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one_skipped:
        test_client.get(url)
    skip(list(items.values_list("pk", flat=True)))
    with django_assert_num_queries(len(one_skipped)):
        response = test_client.get(url)
    assert response.content.decode().count("Under legal hold: order") == 6
