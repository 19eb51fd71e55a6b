"""Template helpers for pages about one client (the header every app's client pages include)."""

from django import template

from clients import selectors
from clients.categories import REGISTRY

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


@register.filter
def category_labels(keys) -> str:
    """`{{ event.categories|category_labels }}`: data-category keys as people read them, comma-separated."""
    return ", ".join(REGISTRY[key].label if key in REGISTRY else str(key) for key in keys or ())
