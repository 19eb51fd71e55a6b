"""The gate's precompiled opening query answers exactly as the ORM form of the rule."""

import pytest
from django.db import connection

from access.gate import _open_with_relationship, _with_relationship
from clients.models import Client

PEOPLE = ["caseworker", "other_caseworker", "manager", "other_manager", "iso", "admin_user"]


def _values(client):
    return [getattr(client, f.attname) for f in Client._meta.concrete_fields]


@pytest.mark.parametrize("who", PEOPLE)
def test_it_finds_the_same_client_team_and_relationship_as_the_orm_rule(
    request, who, own_client, team_client, other_team_client, closed_client
):
    user = request.getfixturevalue(who)
    for client in (own_client, team_client, other_team_client, closed_client):
        expected = _with_relationship(user, Client.objects.select_related("team").filter(pk=client.pk)).first()

        found = _open_with_relationship(user, client.pk)

        assert _values(found) == _values(expected)
        assert (found.own_row, found.team_row) == (bool(expected.own_row), bool(expected.team_row))
        assert [found.team.pk, found.team.name, found.team.slug, found.team.is_active] == [
            expected.team.pk,
            expected.team.name,
            expected.team.slug,
            expected.team.is_active,
        ]


def test_it_finds_nothing_for_an_unknown_or_out_of_range_id(caseworker, own_client):
    assert _open_with_relationship(caseworker, own_client.pk + 1000) is None
    assert _open_with_relationship(caseworker, 2**70) is None


def test_it_finds_nothing_for_someone_not_signed_in(own_client):
    from django.contrib.auth.models import AnonymousUser

    assert _open_with_relationship(AnonymousUser(), own_client.pk) is None


def test_opening_a_client_reads_it_with_one_query(caseworker, own_client, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = _open_with_relationship(caseworker, own_client.pk)
        assert found.team.name  # the team came with it


# --- Opening and auditing in one statement (a page read, PostgreSQL) ---------------------------

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="a data-modifying CTE")

AUDITED = ["actor_id", "action", "outcome", "client_id", "object_type", "object_id", "categories", "purpose"]
AUDITED += ["reason_category", "reason", "break_glass", "basis", "detail", "ip_address", "session_hash"]


def _audited(event):
    return [getattr(event, name) for name in AUDITED]


@postgres_only
@pytest.mark.parametrize(("who", "whom"), [("caseworker", "own_client"), ("manager", "team_client")])
def test_one_statement_writes_the_row_the_gate_writes(request, who, whom, rf):
    from access.gate import _open_at_once, open_client
    from access.models import AccessEvent

    user, client = request.getfixturevalue(who), request.getfixturevalue(whom)
    page = rf.get("/", REMOTE_ADDR="192.0.2.7")
    page.session = type("Session", (dict,), {"session_key": "abc"})()

    at_once = _open_at_once(
        user,
        client.pk,
        action="view",
        request=page,
        obj=None,
        categories=["identity"],
        purpose="",
        team_manager_only=False,
    )
    gated = open_client(user, client.pk, action="view", request=page, categories=["identity"])

    stored = AccessEvent.objects.get(pk=at_once.event.pk)
    assert _audited(stored) == _audited(gated.event) == _audited(at_once.event)
    assert (at_once.relationship, at_once.client.pk, at_once.client.team.pk) == (
        gated.relationship,
        client.pk,
        client.team_id,
    )


@postgres_only
@pytest.mark.parametrize(
    ("who", "whom", "team_manager_only"),
    [
        ("caseworker", "other_team_client", False),  # outside the caseload: a reason is needed
        ("caseworker", "closed_client", False),  # a closed case: a reason is needed
        ("caseworker", "own_client", True),  # a caseworker is not the team's manager
        ("iso", "own_client", False),
    ],
)
def test_one_statement_writes_nothing_where_the_gate_must_decide(request, who, whom, team_manager_only):
    from access.gate import _open_at_once
    from access.models import AccessEvent

    user, client = request.getfixturevalue(who), request.getfixturevalue(whom)

    opened = _open_at_once(
        user,
        client.pk,
        action="view",
        request=None,
        obj=None,
        categories=[],
        purpose="",
        team_manager_only=team_manager_only,
    )

    assert opened is None
    assert not AccessEvent.objects.exists()


@postgres_only
def test_one_statement_writes_nothing_for_a_merged_or_unknown_record(caseworker, own_client, team_client):
    from access.gate import _open_at_once
    from access.models import AccessEvent

    Client.objects.filter(pk=team_client.pk).update(merged_into=own_client)
    for pk in (team_client.pk, own_client.pk + 1000):
        assert (
            _open_at_once(
                caseworker,
                pk,
                action="view",
                request=None,
                obj=None,
                categories=[],
                purpose="",
                team_manager_only=False,
            )
            is None
        )
    assert not AccessEvent.objects.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_record_page_costs_the_gate_one_statement(login, caseworker, own_client, django_assert_num_queries):
    from django.urls import reverse

    test_client = login(caseworker)
    test_client.get(reverse("clients:record", args=[own_client.pk]))

    # The session (with whose live session it is), the person, the gate's check and audit row
    # together, the timeline, the counts and alerts: no BEGIN, no separate INSERT, no COMMIT.
    with django_assert_num_queries(5) as queries:
        response = test_client.get(reverse("clients:record", args=[own_client.pk]))

    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"] in ("BEGIN", "COMMIT")]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_page_read_runs_its_view_in_a_transaction_unless_it_only_reads(caseworker, own_client, rf):
    from django.http import HttpResponse

    from access.gate import client_view
    from access.models import AccessEvent

    seen = {}

    def page(name):
        def view(request, access):
            seen[name] = (connection.in_atomic_block, AccessEvent.objects.filter(pk=access.event.pk).exists())
            return HttpResponse()

        return view

    for name, reads_only in (("locks or writes", False), ("reads only", True)):
        request = rf.get("/")
        request.user, request.session = caseworker, type("Session", (dict,), {"session_key": "abc"})()
        client_view(reads_only=reads_only)(page(name))(request, own_client.pk)

    # The audit row exists (committed) before either view runs.
    assert seen == {"locks or writes": (True, True), "reads only": (False, True)}
