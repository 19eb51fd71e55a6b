"""Template builtins (settings.TEMPLATES "builtins") for forms and the session clock.

`{% csrf_token %}` is replaced project-wide: it renders Django's CSRF field and, for a
signed-in person, the two form tokens of accounts.formtokens, so every form in every
template carries them without each template having to remember.
"""

from django import template
from django.conf import settings
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts import formtokens, sessions

register = template.Library()


class FormTokensNode(CsrfTokenNode):
    def render(self, context):
        html = super().render(context)
        request = context.get("request")
        user = getattr(request, "user", None)
        if request is None or not getattr(user, "is_authenticated", False):
            return html
        return html + format_html(
            '<input type="hidden" name="{}" value="{}"><input type="hidden" name="{}" value="{}">',
            formtokens.OWNER_FIELD,
            formtokens.owner_token(user, request.get_full_path()),
            formtokens.ONCE_FIELD,
            formtokens.once_token(),
        )


@register.tag
def csrf_token(parser, token):
    """Django's CSRF field plus the form tokens (accounts.formtokens)."""
    return FormTokensNode()


@register.simple_tag(takes_context=True)
def session_clock(context):
    """Data attributes for static/js/session.js: seconds until the idle timeout and the
    absolute lifetime end, how long before to warn, and the keep-alive URL. Empty when
    nobody is signed in."""
    request = context.get("request")
    # A page rendered outside the middleware (the 500 page) has no user or session.
    if request is None or not hasattr(request, "session") or not request.user.is_authenticated:
        return ""
    idle, lifetime = sessions.seconds_left(request.session, timezone.now())
    return format_html(
        ' data-session-idle="{}" data-session-lifetime="{}" data-session-warn="{}" data-keep-alive="{}"',
        int(idle),
        int(lifetime),
        int(settings.SESSION_WARNING.total_seconds()),
        reverse("accounts:keep_alive"),
    )


@register.inclusion_tag("accounts/_restored_draft.html", takes_context=True)
def restored_draft(context):
    """What a person had typed when their session ended, restored on this page once
    (accounts.drafts): as data for session.js to put back in the form, and readable."""
    request = context.get("request")
    draft = getattr(request, "restored_draft", None)
    return {"draft": draft}
