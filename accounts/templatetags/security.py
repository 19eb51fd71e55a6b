from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value) -> int | str:
    """A timedelta as whole minutes, for messages such as "wait 30 minutes"."""
    if isinstance(value, timedelta):
        return int(value.total_seconds() // 60)
    return ""
