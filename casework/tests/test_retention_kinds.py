"""The retention schedule counts every kind of record past its period, not only closed cases:
breach reports and statutory requests (which `rights` counts by label, never importing those
apps), answered subject access requests, and audit events — each kept, listed, and scoped."""

import datetime as dt

import time_machine
from django.utils import timezone

from breaches.tests.factories import BreachReportFactory
from rights import retention
from rights.models import RetentionRule, SubjectAccessRequest
from rights.tests.factories import SubjectAccessRequestFactory
from statutory.tests.factories import decided_request

Kind, Start = RetentionRule.Kind, RetentionRule.StartsFrom


def _rules():
    RetentionRule.objects.create(kind=Kind.BREACH_REPORTS, period_months=72, starts_from=Start.BREACH_DECIDED)
    RetentionRule.objects.create(kind=Kind.STATUTORY_REQUESTS, period_months=72, starts_from=Start.REQUEST_DECIDED)
    RetentionRule.objects.create(kind=Kind.SUBJECT_ACCESS, period_months=24, starts_from=Start.REQUEST_ANSWERED)


def test_each_kind_is_counted_once_past_its_period_and_only_for_the_managers_teams(
    own_client, manager, other_manager, team_a
):
    _rules()
    BreachReportFactory(team=team_a, decided_at=timezone.now())
    decided_request(client=own_client, logged_by=manager, decided_by=manager)
    SubjectAccessRequestFactory(
        client=own_client,
        logged_by=manager,
        status=SubjectAccessRequest.Status.COMPLETED,
        completed_on=timezone.localdate(),
    )

    def counts(user, days):
        with time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=False):
            return {s.rule.kind: s.due for s in retention.retention_status(team_ids=retention.team_ids(user))}

    assert counts(manager, 365) == {Kind.BREACH_REPORTS: 0, Kind.STATUTORY_REQUESTS: 0, Kind.SUBJECT_ACCESS: 0}
    assert counts(manager, 3 * 366) == {Kind.BREACH_REPORTS: 0, Kind.STATUTORY_REQUESTS: 0, Kind.SUBJECT_ACCESS: 1}
    assert counts(manager, 7 * 366) == {Kind.BREACH_REPORTS: 1, Kind.STATUTORY_REQUESTS: 1, Kind.SUBJECT_ACCESS: 1}
    assert counts(other_manager, 7 * 366) == {
        Kind.BREACH_REPORTS: 0,
        Kind.STATUTORY_REQUESTS: 0,
        Kind.SUBJECT_ACCESS: 0,
    }


def test_a_statutory_request_about_a_client_under_legal_hold_is_counted_as_held(own_client, manager, iso):
    from clients.models import Client

    _rules()
    decided_request(client=own_client, logged_by=manager, decided_by=manager)
    Client.objects.filter(pk=own_client.pk).update(legal_hold_since=timezone.now(), legal_hold_reason="Court order")

    with time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False):
        status = {s.rule.kind: (s.due, s.held) for s in retention.retention_status()}

    assert status[Kind.STATUTORY_REQUESTS] == (0, 1)
