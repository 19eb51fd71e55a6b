"""The audit-log figures (refusals, break the glass, review outstanding) against a direct count.

The page counts each kind of audit row with its own index-only query; these tests build
varied logs (kinds, outcomes, reviewed or not, inside and outside the period, each team
and no client) and hold the page's figures equal to the rows counted one by one in
Python and to the single aggregate over the period's whole log that the page used to run.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.models import AccessEvent, AccessReview
from clients.tests.factories import ClientFactory
from reports import selectors
from reports.selectors import Period, Scope

PERIOD = Period(start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30))
# Days from the period's start: before it, on its first and last days, after it.
DAYS = (-1, 0, 100, 180, 181)
REASONS = ("Not covered: housing.", "No consent names Hope House.")

events = st.lists(
    st.fixed_dictionaries(
        {
            "day": st.sampled_from(DAYS),
            "hour": st.sampled_from((0, 23)),
            "action": st.sampled_from(("view", "share")),
            "outcome": st.sampled_from(("allowed", "denied")),
            "break_glass": st.booleans(),
            "object_type": st.sampled_from(("", "sharing.Referral")),
            "detail": st.sampled_from(REASONS),
            "client": st.sampled_from(("a", "b", None)),
            "actor": st.sampled_from(("caseworker", "other")),
            "reviewed": st.booleans(),
        }
    ),
    max_size=25,
)


def _in_period(event) -> bool:
    return 0 <= event["day"] <= 180


def _in_scope(event, teams) -> bool:
    return teams is None or event["client"] in teams


def _expected(log, teams) -> dict:
    rows = [e for e in log if _in_period(e) and _in_scope(e, teams)]
    glass = [e for e in rows if e["break_glass"] and e["outcome"] == "allowed"]
    denied = [e for e in rows if e["outcome"] == "denied"]
    refused = [e for e in denied if e["action"] == "share" and e["object_type"] == "sharing.Referral"]
    return {
        "glass": len(glass),
        "glass_unreviewed": sum(not e["reviewed"] for e in glass),
        "denied_unreviewed": sum(not e["reviewed"] for e in denied),
        "refused": {reason: sum(e["detail"] == reason for e in refused) for reason in REASONS},
    }


def _direct(scope: Scope) -> dict:
    """The single aggregate over the period's whole log that the page ran before."""
    return AccessEvent.objects.filter(
        scope.clients("client__team_id"), at__gte=PERIOD.begin, at__lt=PERIOD.finish, review__isnull=True
    ).aggregate(
        break_glass=Count("pk", filter=Q(break_glass=True, outcome=AccessEvent.Outcome.ALLOWED)),
        denied=Count("pk", filter=Q(outcome=AccessEvent.Outcome.DENIED)),
    )


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=events)
def test_the_audit_figures_equal_a_direct_count_of_the_rows(log, team_a, team_b, caseworker, other_caseworker, manager):
    with transaction.atomic():
        clients = {"a": ClientFactory(team=team_a), "b": ClientFactory(team=team_b), None: None}
        actors = {"caseworker": caseworker, "other": other_caseworker}
        for event in log:
            row = AccessEvent.objects.create(
                at=PERIOD.begin + dt.timedelta(days=event["day"], hours=event["hour"]),
                actor=actors[event["actor"]],
                client=clients[event["client"]],
                action=event["action"],
                outcome=event["outcome"],
                break_glass=event["break_glass"],
                object_type=event["object_type"],
                detail=event["detail"],
            )
            if event["reviewed"]:
                AccessReview.objects.create(event=row, reviewed_by=manager, reviewed_at=timezone.now(), note="Seen.")
        for teams, scope in (
            (None, Scope(team_ids=None, label="The whole organisation")),
            (("a",), Scope(team_ids=(team_a.pk,), label=team_a.name)),
            (("b",), Scope(team_ids=(team_b.pk,), label=team_b.name)),
        ):
            expected = _expected(log, teams)
            figures = {figure.key: figure for figure in selectors.figures(scope, PERIOD)}
            outstanding = dict(figures["review_outstanding"].rows)
            glass, denied = outstanding["Opened with a reason (break the glass)"], outstanding["Refused attempts"]
            assert (glass, denied) == (expected["glass_unreviewed"], expected["denied_unreviewed"])
            assert _direct(scope) == {"break_glass": glass, "denied": denied}
            assert sum(n for _, n in figures["break_glass_people"].rows) == expected["glass"]
            assert sum(n for _, n in figures["break_glass_teams"].rows) == expected["glass"]
            refused = dict(figures["referrals_refused"].rows)
            assert refused == {reason: n for reason, n in expected["refused"].items() if n}
        transaction.set_rollback(True)
