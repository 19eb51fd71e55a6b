"""Agreements nearing their end: e-mailed once at each lead time, listed for managers and the ISO."""

import datetime as dt

import pytest
import time_machine

from deadlines.services import deadlines_sweep
from sharing.tests.factories import DataSharingAgreementFactory

UTC = dt.UTC
TODAY = dt.date(2026, 11, 10)
NOON = dt.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    from deadlines.tasks import sweep_deadlines

    conf = sweep_deadlines.app.conf
    previous, conf.task_always_eager = conf.task_always_eager, True

    def _sweep(at):
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            deadlines_sweep()

    yield _sweep
    conf.task_always_eager = previous


def test_an_agreement_is_emailed_once_at_each_lead_time(manager, iso, caseworker, sweep, mailoutbox):
    agreement = DataSharingAgreementFactory(ends_on=TODAY + dt.timedelta(days=100))

    for day in range(0, 101, 1):
        sweep(NOON + dt.timedelta(days=day))
        if day in (10, 70, 93):
            sweep(NOON + dt.timedelta(days=day, hours=1))

    assert [m.subject.split("] ")[1] for m in mailoutbox] == [
        f"Data-sharing agreement {agreement.reference} with {agreement.partner.name} ends in {n} days"
        for n in (90, 30, 7)
    ]
    assert sorted(mailoutbox[0].to) == sorted([manager.email, iso.email])  # not the caseworker


def test_an_agreement_entered_late_gets_one_email_and_a_renewal_rearms(manager, sweep, mailoutbox, settings):
    agreement = DataSharingAgreementFactory(ends_on=TODAY + dt.timedelta(days=20))
    sweep(NOON)
    sweep(NOON + dt.timedelta(hours=1))
    assert [m.subject.rsplit(" ends in ", 1)[1] for m in mailoutbox] == ["20 days"]

    agreement.ends_on = TODAY + dt.timedelta(days=365)  # renewed for a year
    agreement.save(update_fields=["ends_on"])
    sweep(NOON + dt.timedelta(days=1))
    sweep(NOON + dt.timedelta(days=275))

    assert [m.subject.rsplit(" ends in ", 1)[1] for m in mailoutbox] == ["20 days", "90 days"]


@time_machine.travel(NOON, tick=False)
def test_managers_and_the_iso_see_agreements_ending_and_caseworkers_do_not(login, manager, iso, caseworker):
    DataSharingAgreementFactory(reference="DSA-SOON", ends_on=TODAY + dt.timedelta(days=25))
    DataSharingAgreementFactory(reference="DSA-LATER", ends_on=TODAY + dt.timedelta(days=200))

    for person in (manager, iso):
        page = login(person).get("/").content.decode()
        assert "Data-sharing agreements ending soon" in page
        assert "DSA-SOON" in page
        assert "DSA-LATER" not in page
    assert "DSA-SOON" not in login(caseworker).get("/").content.decode()
