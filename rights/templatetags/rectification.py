"""Template tags that put "sent to ... before this correction" on the client's pages.

The client pages belong to `clients`, below `rights`: they load these tags rather than
import from rights, so the layering holds and the computation stays here.
"""

from django import template

from rights.rectification import corrected_items, sent_before_correction

register = template.Library()


@register.inclusion_tag("rights/rectification_sent_before.html")
def sent_before_this_correction(entry, client):
    """Who received an older version of this entry of `client` (a constant number of queries)."""
    return {"item": sent_before_correction(entry, client=client), "client": client}


@register.inclusion_tag("rights/rectification_banner.html")
def corrections_to_pass_on(client):
    """The corrected items still held in an older version by a recipient not yet told of it."""
    return {"items": [item for item in corrected_items(client) if item.pending], "client": client}
