"""Template helpers for pages about one client (the header every app's client pages include)."""

from django import template

from clients import selectors

register = template.Library()


@register.simple_tag
def client_alerts(client):
    """The client's active alerts, staff safety first; fetched once per client per request."""
    if client is None or client.pk is None:
        return []
    cached = getattr(client, "_active_alerts", None)
    if cached is None:
        cached = client._active_alerts = selectors.active_alerts(client)
    return cached


@register.filter
def alert_flags(client):
    """`{{ client|alert_flags }}`: one active alert per kind, for a caseload or search row."""
    return selectors.alert_flags(client)
