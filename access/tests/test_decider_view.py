"""One rule for the pages of the people who decide about a client (`access.gate.decider_view`):
the client's own team managers, and the information security officer with a reason. The
statutory and rights apps used to carry a copy each; every page built on it answers alike."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from access.models import AccessEvent


def _decider_url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _decider_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "deciders_only", False):
            yield f"{namespace}{pattern.name}"


DECIDER_PAGES = sorted(_decider_url_names())


def test_the_rights_and_statutory_client_pages_use_the_one_decider_rule():
    assert {"rights:client", "rights:sar_new", "rights:erasure_new", "rights:rectification_new"} <= set(DECIDER_PAGES)
    assert "statutory:legal_hold" in DECIDER_PAGES


@pytest.mark.parametrize("name", DECIDER_PAGES)
def test_a_decider_page_opens_for_the_clients_team_manager_only(
    name, login, manager, caseworker, other_manager, own_client
):
    url = reverse(name, args=[own_client.pk])

    assert login(manager).get(url).status_code == 200
    for outsider in (caseworker, other_manager):
        assert login(outsider).get(url).status_code == 404
    assert AccessEvent.objects.filter(outcome="denied").count() == 2


@pytest.mark.parametrize("name", DECIDER_PAGES)
def test_a_decider_page_asks_the_information_security_officer_for_a_reason(name, login, iso, own_client):
    url = reverse(name, args=[own_client.pk])

    response = login(iso).get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:reason", args=[own_client.pk]))
