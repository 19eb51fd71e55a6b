"""Template helpers for pages about one client (the header every app's client pages include)."""

import html

from django import template
from django.urls import reverse
from django.utils.dateformat import format as date_format
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
# The record is the page people open most. Its repeated parts are written here rather than
# as template loops: the template engine spent about 70 µs on each timeline row (a dozen
# variable lookups, a nested loop for the tags), format_html about 25 (Django's lazy-string
# checks around every escape), this about 6. Every value goes through `_escape` (what
# Django's escape does, without its lazy-string wrapper); clients/tests/test_timeline.py
# shows markup in a note or a name arriving as text.


def _escape(value) -> str:
    """Django's `escape` without its lazy-string wrapper: the same characters replaced."""
    return html.escape(str(value))


_HELD_IN_CONFIDENCE = ' · <span class="tag tag-warn">Held in confidence</span>'


def _timeline_item(item: selectors.TimelineItem, record_url: str) -> str:
    at_label = _escape(item.at_label)
    tags = "".join(f' · <span class="tag">{_escape(label)}</span>' for label in item.category_labels)
    # As the linebreaksbr filter: any line ending becomes <br>, after escaping.
    text = _escape(item.text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")
    change = (
        f' · <a href="{_escape(record_url)}notes/{int(item.pk)}/">Change'
        f'<span class="visually-hidden"> the note of {at_label}</span></a>'
        if item.is_note
        else ""
    )
    return (
        f'<li class="timeline-item{" timeline-note" if item.is_note else ""}">\n'
        f'<p class="timeline-meta"><strong>{_escape(item.kind_label)}</strong> · '
        f'<time datetime="{_escape(item.at_iso)}">{at_label}</time>{tags}</p>\n'
        f"<p>{text}</p>\n"
        f'<p class="hint">{_escape(item.who or "System")}'
        f"{_HELD_IN_CONFIDENCE if item.held_in_confidence else ''}{change}</p>\n"
        "</li>"
    )


@register.simple_tag
def timeline_items(items, record_url: str) -> SafeString:
    """`{% timeline_items page.object_list record_url %}`: the timeline's <li> rows, newest
    first, each note with its "Change" link under `record_url` (the record's path)."""
    return mark_safe("\n".join(_timeline_item(item, record_url) for item in items))  # noqa: S308 (every value escaped above)


@register.simple_tag
def select_options(choices, selected: str) -> SafeString:
    """`{% select_options choices value %}`: <option> elements for (value, label) pairs,
    the one equal to `selected` selected."""
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            f'<option value="{_escape(value)}"{" selected" if value == selected else ""}>{_escape(label)}</option>'
            for value, label in choices
        )
    )


# --- The caseload's rows ------------------------------------------------------------------------
# A 25-row page rendered through template loops and an include per row cost more CPU than
# the rest of the page; written here like the timeline, every value escaped by `_escape`.

# A client id no record has, replaced by each row's id: one reverse() per page, not per row.
_ANY_ID = 987654321987


def _flag(flag) -> str:
    level = "tag-error" if flag.is_staff_safety else "tag-warn"
    return f' <span class="tag {level}"><span aria-hidden="true">⚠</span> {_escape(flag.get_kind_display())}</span>'


def _caseload_row(client, record_url: str) -> str:
    url = record_url.replace(str(_ANY_ID), str(int(client.pk)))
    opened = date_format(client.opened_on, "j M Y") if client.opened_on else ""
    return (
        "<tr>\n"
        f'<td><a href="{_escape(url)}">{_escape(client.display_name)}</a>{"".join(map(_flag, client.flags))}</td>\n'
        f"<td>{_escape(client.reference)}</td>\n"
        f"<td>{_escape(opened)}</td>\n"
        f"<td>{_escape(client.team_name)}</td>\n"
        f"<td>{_escape(client.key_worker or 'None')}</td>\n"
        "</tr>"
    )


@register.simple_tag
def caseload_rows(clients) -> SafeString:
    """`{% caseload_rows page.object_list %}`: the caseload table's <tr> rows, for clients from
    clients.selectors.caseload_page (each with `team_name`, `key_worker` and `flags`)."""
    record_url = reverse("clients:record", args=[_ANY_ID])
    return mark_safe("\n".join(_caseload_row(client, record_url) for client in clients))  # noqa: S308 (every value escaped above)
