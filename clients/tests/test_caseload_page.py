"""clients.selectors.caseload_page: one page of a caseload in one query, its statement kept per key."""

import pytest

from access.gate import clients_visible_to
from clients import selectors
from clients.models import Alert, Client
from clients.tests.factories import AlertFactory, AssignmentFactory, ClientFactory

pytestmark = pytest.mark.django_db


def _shown(page):
    return [
        (client.pk, client.team_name, str(client.key_worker), [flag.kind for flag in client.flags])
        for client in page.object_list
    ], (page.number, page.paginator.count)


@pytest.mark.parametrize("sort", ["name", "-opened", "reference"])
@pytest.mark.parametrize(("query", "page"), [("", 1), ("", 2), ("", 99), ("person1", 1), ("nobody", 1)])
def test_a_kept_statement_gives_the_page_the_orm_gives(caseworker, team_a, sort, query, page):
    for n in range(30):
        client = ClientFactory(team=team_a, last_name=f"Person{n:02d}")
        AssignmentFactory(client=client, caseworker=caseworker)
        if n % 7 == 0:
            AlertFactory(client=client, kind=Alert.Kind.SAFEGUARDING)
            AlertFactory(client=client, kind=Alert.Kind.RISK_TO_STAFF)
    selectors._STATEMENTS.clear()

    def shown(**key):
        found = selectors.caseload_page(clients_visible_to(caseworker), query=query, sort=sort, page=page, **key)
        return _shown(found)

    expected = shown()
    assert expected[0] or query == "nobody"
    assert shown(statement_key=("test", caseworker.pk)) == shown(statement_key=("test", caseworker.pk)) == expected


def test_staff_safety_flags_come_first(manager, own_client):
    AlertFactory(client=own_client, kind=Alert.Kind.SAFEGUARDING)
    AlertFactory(client=own_client, kind=Alert.Kind.DO_NOT_VISIT_ALONE)

    [row] = selectors.caseload_page(clients_visible_to(manager)).object_list

    assert [flag.kind for flag in row.flags] == [Alert.Kind.DO_NOT_VISIT_ALONE, Alert.Kind.SAFEGUARDING]


def test_a_kept_statement_reads_the_caseload_afresh(caseworker, own_client, team_a):
    key = ("test", caseworker.pk)
    assert [c.pk for c in selectors.caseload_page(clients_visible_to(caseworker), statement_key=key).object_list] == [
        own_client.pk
    ]
    another = ClientFactory(team=team_a, last_name="Aaron")
    AssignmentFactory(client=another, caseworker=caseworker)
    Client.objects.filter(pk=own_client.pk).update(status=Client.Status.CLOSED)

    again = selectors.caseload_page(clients_visible_to(caseworker), statement_key=key)

    assert [c.pk for c in again.object_list] == [another.pk]
    assert again.paginator.count == 1
