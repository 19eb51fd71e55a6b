"""Consent reviews, expiries and basis end dates on the deadline mechanism: one e-mail per item, the dashboard."""

import datetime as dt

import pytest
import time_machine

from consent.tests.factories import ConsentRecordFactory, LawfulBasisRecordFactory, client_on_caseload
from deadlines.models import Alert
from deadlines.services import deadlines_sweep

UTC = dt.UTC
TODAY = dt.date(2026, 11, 10)
NOON = dt.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def sweep(eager_celery, django_capture_on_commit_callbacks):
    def _sweep(at):
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            deadlines_sweep()

    return _sweep


@pytest.fixture
def eager_celery():
    from deadlines.tasks import sweep_deadlines

    conf = sweep_deadlines.app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = previous


@pytest.fixture
def jordan(caseworker, team_a):
    return client_on_caseload(caseworker=caseworker, team=team_a)


def days(n):
    return dt.timedelta(days=n)


def test_the_key_worker_is_emailed_once_when_a_review_enters_the_window(caseworker, jordan, sweep, mailoutbox):
    consent = ConsentRecordFactory(client=jordan, review_due=TODAY + days(30))

    sweep(NOON)  # 30 days ahead: not yet in the 14-day window
    assert mailoutbox == []
    for day in (16, 17, 18, 25):
        sweep(NOON + days(day))

    (mail,) = mailoutbox
    assert mail.to == [caseworker.email]
    assert f"Consent review due for client {jordan.reference} by 10 December 2026" in mail.subject
    assert "Jordan" not in mail.subject + mail.body  # the reference, never the name
    assert Alert.objects.get(clock="consent.review", object_id=consent.pk).delivery == "email"


def test_a_review_date_moved_later_rearms_its_reminder(jordan, sweep, mailoutbox):
    consent = ConsentRecordFactory(client=jordan, review_due=TODAY + days(5))
    sweep(NOON)
    consent.review_due = TODAY + days(60)  # reviewed: next review in two months
    consent.save(update_fields=["review_due"])
    sweep(NOON + days(1))
    sweep(NOON + days(50))
    sweep(NOON + days(51))

    assert [m.subject.rsplit(" by ", 1)[1] for m in mailoutbox] == ["15 November 2026", "9 January 2027"]


def test_expiry_and_a_basis_ending_each_email_once(caseworker, jordan, sweep, mailoutbox):
    ConsentRecordFactory(client=jordan, expires_on=TODAY + days(10))
    LawfulBasisRecordFactory(client=jordan, ends_on=TODAY + days(3))

    sweep(NOON)
    sweep(NOON + days(1))

    assert sorted(m.subject.split("] ")[1] for m in mailoutbox) == [
        f"Consent expires for client {jordan.reference} by 20 November 2026",
        f"Public task basis ends for client {jordan.reference} by 13 November 2026",
    ]


def test_a_withdrawn_consent_gets_no_reminder(jordan, caseworker, sweep, mailoutbox):
    ConsentRecordFactory(client=jordan, review_due=TODAY + days(3), withdrawn_at=NOON, withdrawal_method="in_person")

    sweep(NOON)

    assert mailoutbox == []
    assert not Alert.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_the_dashboard_lists_reviews_expiries_and_bases_ending_in_the_window(login, caseworker, jordan):
    ConsentRecordFactory(client=jordan, review_due=TODAY + days(7))
    ConsentRecordFactory(client=jordan, expires_on=TODAY + days(12))
    LawfulBasisRecordFactory(client=jordan, ends_on=TODAY + days(2))
    ConsentRecordFactory(client=jordan, expires_on=TODAY + days(40))  # outside the window

    page = login(caseworker).get("/").content.decode()

    assert "Consents due for review" in page
    assert "expires on 22 November 2026" in page
    assert "Other lawful bases ending" in page
    assert "ends on 12 November 2026" in page
    assert "20 December 2026" not in page


def test_a_basis_ended_early_gets_no_end_date_reminder(jordan, caseworker, sweep, mailoutbox):
    LawfulBasisRecordFactory(client=jordan, ends_on=TODAY, ended_at=NOON, ended_by=caseworker, end_reason="objection")

    sweep(NOON)

    assert mailoutbox == []
    assert not Alert.objects.exists()
