"""Template helpers for pages about one client (the header every app's client pages include)."""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from clients import selectors
from clients.categories import REGISTRY

register = template.Library()


@register.simple_tag
def client_alerts(client):
    """The client's active alerts, staff safety first; fetched once per client per request
    (the record page fetches them with its other figures: selectors.record_overview)."""
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


# --- The record page's timeline ---------------------------------------------------------------
# The record is the page people open most. Its repeated parts are written here with
# format_html rather than as template loops: the template engine spent about 70 µs on each
# timeline row (a dozen variable lookups, a nested loop for the tags), this about 15.

_HELD_IN_CONFIDENCE = mark_safe(' · <span class="tag tag-warn">Held in confidence</span>')


def _timeline_item(item: selectors.TimelineItem, record_url: str) -> SafeString:
    at_label = item.at_label
    tags = format_html_join("", ' · <span class="tag">{}</span>', ((label,) for label in item.category_labels))
    change = (
        format_html(
            ' · <a href="{}notes/{}/">Change<span class="visually-hidden"> the note of {}</span></a>',
            record_url,
            item.pk,
            at_label,
        )
        if item.is_note
        else ""
    )
    return format_html(
        '<li class="timeline-item{}">\n'
        '<p class="timeline-meta"><strong>{}</strong> · <time datetime="{}">{}</time>{}</p>\n'
        "<p>{}</p>\n"
        '<p class="hint">{}{}{}</p>\n'
        "</li>",
        " timeline-note" if item.is_note else "",
        item.kind_label,
        item.at_iso,
        at_label,
        tags,
        linebreaksbr(item.text, autoescape=True),
        item.who or "System",
        _HELD_IN_CONFIDENCE if item.held_in_confidence else "",
        change,
    )


@register.simple_tag
def timeline_items(items, record_url: str) -> SafeString:
    """`{% timeline_items page.object_list record_url %}`: the timeline's <li> rows, newest
    first, each note with its "Change" link under `record_url` (the record's path)."""
    return format_html_join("\n", "{}", ((_timeline_item(item, record_url),) for item in items))


@register.simple_tag
def select_options(choices, selected: str) -> SafeString:
    """`{% select_options choices value %}`: <option> elements for (value, label) pairs,
    the one equal to `selected` selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in choices),
    )
