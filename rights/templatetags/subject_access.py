"""Template filters for the subject access review pages."""

from django import template

from rights.pack import SECTION_TITLES

register = template.Library()


@register.filter
def pack_item_label(key: str) -> str:
    """A reviewer-readable name for a pack item's key: "notes:12" -> "Case notes (no. 12)".

    Keys are `rights.pack.KEY` values ("<section>:<id or field>"); an unknown section keeps its name.
    """
    section, _, ident = str(key).partition(":")
    title = SECTION_TITLES.get(section, section)
    return f"{title} (no. {ident})" if ident.isdigit() else f"{title} ({ident.replace('_', ' ')})" if ident else title
