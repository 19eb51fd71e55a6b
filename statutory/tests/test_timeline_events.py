"""Logging and deciding a police or statutory request puts an event on the client's timeline
(clients.services.timeline_record), in the same transaction as the work."""

from statutory.tests.factories import court_order_request, decided_request


def _events(client):
    return {event.kind: event for event in client.timeline_events.all()}


def test_logging_and_deciding_a_statutory_request_are_on_the_timeline(caseworker, iso, own_client):
    request = decided_request(client=own_client, logged_by=caseworker, decided_by=iso)

    event = _events(own_client)["statutory_decided"]

    assert request.reference in event.summary
    assert event.actor == iso


def test_a_logged_statutory_request_is_on_the_timeline_with_what_was_asked(caseworker, own_client):
    request = court_order_request(client=own_client, actor=caseworker)

    event = _events(own_client)["statutory_logged"]

    assert request.reference in event.summary
    assert event.category_keys == ["identity", "housing_history", "support_needs"]
