"""Every figure of the reports page against a hand-built dataset, counted by hand."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.models import AccessEvent, AccessReview
from accounts.models import SecurityEvent
from breaches.models import IcoDecision
from breaches.tests.factories import BreachNotificationFactory, BreachReportFactory
from clients.models import Client
from clients.tests.factories import ClientFactory
from consent.tests.factories import ConsentRecordFactory, PartnerFactory
from reports import selectors
from reports.selectors import Period, Scope
from sharing.models import Disclosure
from statutory.models import StatutoryRequest
from statutory.tests.factories import StatutoryRequestFactory

PERIOD = Period(start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30))
EVERYONE = Scope(team_ids=None, label="The whole organisation")


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=timezone.get_current_timezone())


def by_key(figures):
    return {figure.key: figure for figure in figures}


def _disclosure(client, partner, purpose_label, when, actor, n):
    return Disclosure.objects.create(
        kind=Disclosure.Kind.REFERRAL,
        reference=f"DIS-T{n}",
        client=client,
        partner=partner,
        recipient_label=partner.name,
        purpose_label=purpose_label,
        basis_label="Consent",
        selection={"identity": "summary"},
        disclosed_by=actor,
        disclosed_at=when,
        snapshot={},
        snapshot_sha256="0" * 64,
    )


def _event(actor, client, when, **fields):
    return AccessEvent.objects.create(at=when, actor=actor, client=client, **fields)


@pytest.fixture
def dataset(team_a, team_b, caseworker, other_caseworker, manager, iso):
    c1 = ClientFactory(team=team_a, opened_on=dt.date(2025, 12, 1))
    c2 = ClientFactory(team=team_a, opened_on=dt.date(2026, 2, 1))
    ClientFactory(team=team_a, opened_on=dt.date(2025, 11, 1), status="closed", closed_on=dt.date(2026, 3, 1))
    ClientFactory(team=team_a, opened_on=dt.date(2026, 7, 5))
    c5 = ClientFactory(team=team_b, opened_on=dt.date(2026, 1, 10), status="closed", closed_on=dt.date(2026, 8, 1))

    # Consent on team_a: two recorded in the period, one withdrawn, one due for review, one expired.
    ConsentRecordFactory(
        client=c1,
        recorded_by=caseworker,
        given_at=at("2026-02-01"),
        withdrawn_at=at("2026-04-01"),
        withdrawal_method="phone",
        review_due=dt.date(2026, 5, 1),
    )
    ConsentRecordFactory(client=c2, recorded_by=caseworker, given_at=at("2025-10-01"), review_due=dt.date(2026, 6, 1))
    ConsentRecordFactory(client=c2, recorded_by=caseworker, given_at=at("2026-01-15"), expires_on=dt.date(2026, 3, 1))

    # Referrals: two to Hope House for housing, one to Turning Point, one after the period.
    hope, turning = PartnerFactory(name="Hope House"), PartnerFactory(name="Turning Point")
    _disclosure(c1, hope, "Housing", at("2026-02-10"), caseworker, 1)
    _disclosure(c2, hope, "Housing", at("2026-02-11"), caseworker, 2)
    _disclosure(c1, turning, "Substance use", at("2026-03-01"), caseworker, 3)
    _disclosure(c1, turning, "Substance use", at("2026-08-01"), caseworker, 4)
    share = {"action": "share", "outcome": "denied", "object_type": "sharing.Referral"}
    _event(caseworker, c1, at("2026-02-02"), detail="Not covered: mental health (detail).", **share)
    _event(caseworker, c1, at("2026-02-03"), detail="Not covered: mental health (detail).", **share)
    _event(caseworker, c2, at("2026-02-04"), detail="No consent or other basis names Hope House.", **share)

    # Police and statutory requests: a police emergency (open), an Immigration Enforcement refusal.
    StatutoryRequestFactory(client=c1, received_by=caseworker, received_at=at("2026-02-01"))
    StatutoryRequestFactory(
        client=c2,
        received_by=caseworker,
        received_at=at("2026-03-01"),
        body=StatutoryRequest.Body.IMMIGRATION,
        basis=StatutoryRequest.Basis.NONE,
        status=StatutoryRequest.Status.CLOSED,
        outcome=StatutoryRequest.Outcome.REFUSED,
        decided_at=at("2026-03-02"),
        decided_by=manager,
    )
    StatutoryRequestFactory(client=c5, received_by=other_caseworker, received_at=at("2026-09-01"))

    # Breaches: one notified to the ICO two days after becoming aware, one cyber and not reportable.
    notified = BreachReportFactory(
        team=team_a,
        reported_at=at("2026-02-01", 12),
        became_aware_at=at("2026-02-01", 10),
        notify_ico=IcoDecision.NOTIFY,
    )
    BreachNotificationFactory(breach=notified, notified_at=at("2026-02-03", 10))
    BreachReportFactory(
        team=team_a,
        reported_at=at("2026-03-01"),
        became_aware_at=at("2026-03-01", 9),
        notify_ico=IcoDecision.NOT_REPORTABLE,
        cyber_incident=True,
    )
    BreachReportFactory(team=team_b, reported_at=at("2026-08-01"), became_aware_at=at("2026-08-01", 9))

    # Break the glass: Casey twice on team_a clients (one reviewed), Olly once on team_b's.
    glass = {"action": "view", "outcome": "allowed", "break_glass": True}
    reviewed = _event(caseworker, c1, at("2026-02-05"), **glass)
    _event(caseworker, c2, at("2026-02-06"), **glass)
    _event(other_caseworker, c5, at("2026-02-07"), **glass)
    AccessReview.objects.create(event=reviewed, reviewed_by=manager, reviewed_at=at("2026-02-08"), note="Covering.")
    SecurityEvent.objects.create(kind=SecurityEvent.Kind.CONCURRENT_LOGIN, user=caseworker, at=at("2026-02-09"))
    return {"c1": c1, "c2": c2, "c5": c5}


def test_every_figure_matches_the_hand_counted_dataset(dataset, team_a, team_b):
    figures = by_key(selectors.figures(EVERYONE, PERIOD))
    assert figures["caseload"].rows == (("Outreach North", 2, 1, 1), ("Riverside Hostel", 1, 1, 0))
    assert figures["referrals"].rows == (("Hope House – Housing", 2), ("Turning Point – Substance use", 1))
    assert figures["referrals_refused"].rows == (
        ("Not covered: mental health (detail).", 2),
        ("No consent or other basis names Hope House.", 1),
    )
    assert figures["consents"].rows == (("Outreach North", 2, 1, 1, 1),)
    body = dict(figures["statutory_body"].rows)
    assert body["Police force"] == 1
    assert body["Immigration Enforcement (Home Office)"] == 1
    assert sum(body.values()) == 2
    assert dict(figures["statutory_basis"].rows)["No basis claimed"] == 1
    assert dict(figures["statutory_outcome"].rows) == {
        "Refused": 1,
        "Disclosed in full": 0,
        "Disclosed in part": 0,
        selectors.NOT_DECIDED: 1,
    }
    assert figures["breaches"].rows == (
        ("Do not notify: unlikely to result in a risk to people (cyber incident)", 1, ""),
        ("Notify the ICO (other cause)", 1, 2.0),
    )
    assert figures["break_glass_people"].rows == (("Casey Worker", 2), ("Olly Other", 1))
    assert figures["break_glass_teams"].rows == (("Outreach North", 2), ("Riverside Hostel", 1))
    assert figures["review_outstanding"].rows == (
        ("Opened with a reason (break the glass)", 2),
        ("Refused attempts", 3),
        ("Concurrent logins", 1),
    )


def test_a_merged_duplicate_counts_neither_as_opened_nor_as_closed(team_a):
    kept = ClientFactory(team=team_a, opened_on=dt.date(2026, 2, 1))
    ClientFactory(
        team=team_a,
        opened_on=dt.date(2026, 3, 1),
        status="closed",
        closed_on=dt.date(2026, 4, 1),
        merged_into=kept,
        merged_at=at("2026-04-01"),
    )

    caseload = selectors.caseload(EVERYONE, PERIOD)

    assert caseload.rows == (("Outreach North", 1, 1, 0),)


def test_a_team_scope_counts_only_that_teams_clients(dataset, team_a, manager):
    scope = selectors.scope_for(manager)
    assert scope.team_ids == (team_a.pk,)
    figures = by_key(selectors.figures(scope, PERIOD))
    assert figures["caseload"].rows == (("Outreach North", 2, 1, 1),)
    assert figures["break_glass_people"].rows == (("Casey Worker", 2),)
    assert sum(n for _, n in figures["statutory_body"].rows) == 2
    assert len(figures["breaches"].rows) == 2


def test_a_manager_cannot_scope_a_report_to_another_team(manager, team_b):
    with pytest.raises(LookupError):
        selectors.scope_for(manager, team_b.pk)


def test_the_iso_may_scope_a_report_to_any_team(iso, team_b):
    assert selectors.scope_for(iso, team_b.pk).team_ids == (team_b.pk,)
    assert selectors.scope_for(iso).team_ids is None


def _queries(scope) -> int:
    with CaptureQueriesContext(connection) as queries:
        selectors.figures(scope, PERIOD)
    return len(queries)


def test_the_query_count_does_not_grow_with_the_number_of_clients(dataset, team_a):
    at_a_few = _queries(EVERYONE)
    Client.objects.bulk_create(
        Client(
            reference=f"BULK{n:05d}",
            team=team_a,
            first_name="Bulk",
            last_name=f"Client{n}",
            opened_on=dt.date(2026, 1, 1) + dt.timedelta(days=n % 150),
        )
        for n in range(1000)
    )
    assert Client.objects.count() > 1000
    assert _queries(EVERYONE) == at_a_few == 10
    figures = by_key(selectors.figures(EVERYONE, PERIOD))
    assert figures["caseload"].rows[0] == ("Outreach North", 1002, 1001, 1)


def test_one_figure_runs_only_its_own_queries(dataset):
    with CaptureQueriesContext(connection) as queries:
        figure = selectors.figure(EVERYONE, PERIOD, "break_glass_teams")
    assert figure.rows == (("Outreach North", 2), ("Riverside Hostel", 1))
    assert len(queries) == 2
    with pytest.raises(LookupError):
        selectors.figure(EVERYONE, PERIOD, "nothing")
