"""The gate's precompiled opening query answers exactly as the ORM form of the rule."""

import pytest

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
