"""Session security: one live session per person, idle timeout, absolute lifetime, 2FA;
form posts that arrive after the session ended are kept as drafts, and forms sent twice
show the first result.

Cost per signed-in request: no query of its own (the session store reads whose live
session the key is with the session, accounts.session_store); the session is written back
at most once a minute to record activity. A form post costs one claim of its one-time token.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from . import drafts, formtokens, selectors, services, sessions
from .models import SecurityEvent

# Pages someone who still owes a second factor may open.
OPEN_UNTIL_VERIFIED = frozenset(
    {"accounts:login", "accounts:logout", "accounts:two_factor_verify", "accounts:two_factor_enrol"}
)


def login_url(request, *, ended: str = "", next_url: str = "") -> str:
    params = {}
    if ended:
        params["ended"] = ended
    if next_url:
        params["next"] = next_url
    url = reverse("accounts:login")
    return f"{url}?{urlencode(params)}" if params else url


def _resumable(request) -> str:
    """Where to come back to after signing in again: only a page, never a form post."""
    return request.get_full_path() if request.method == "GET" else ""


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.check_session(request) or self.get_response(request)

    def check_session(self, request):
        user = request.user
        if not user.is_authenticated:
            return self.keep_draft_of_ended_session(request) or self.explain_ended_session(request)
        now = timezone.now()
        reason = sessions.expiry_reason(request.session, now)
        if reason:
            # A form sent too late is kept for this person, and they come back to it.
            kept = drafts.keep(request, user_id=user.pk)
            services.session_end(request=request, kind=SecurityEvent.Kind.SESSION_EXPIRED)
            return redirect(login_url(request, ended=reason, next_url=kept or _resumable(request)))
        if request.session.get(sessions.FIRST_FACTOR_ONLY) and not user.is_verified():
            # Not yet the live session (it owes a second factor, and can open only those
            # pages): another session stays live until this one verifies.
            sessions.touch(request.session, now)
            return None
        session = request.session
        # Read with the session itself when it is this person's live one; asked otherwise.
        live = getattr(session, "active_for", None)
        active_key = session.session_key if live and live(user.pk) else selectors.active_session_key(user.pk)
        if active_key != request.session.session_key:
            # A newer login replaced this session (normally its row is already gone from
            # the store; this catches session engines that cannot delete, such as cookies).
            kept = drafts.keep(request, user_id=user.pk)
            logout(request)
            ended = sessions.Ended.ELSEWHERE if active_key else sessions.Ended.EXPIRED
            return redirect(login_url(request, ended=ended, next_url=kept or _resumable(request)))
        sessions.touch(request.session, now)
        return None

    def keep_draft_of_ended_session(self, request):
        """A form post with no session at all (it ended, or the cookie is gone): keep what was
        typed for the person its owner token names, and send them to sign in again."""
        kept = drafts.keep(request)
        if not kept:
            return None
        return redirect(login_url(request, ended=sessions.Ended.EXPIRED, next_url=kept))

    def explain_ended_session(self, request):
        """A browser whose session is gone: say why, instead of a bare login page."""
        cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not cookie or request.session.session_key:
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        if not getattr(match.func, "login_required", True):
            return None
        elsewhere = SecurityEvent.objects.filter(
            kind=SecurityEvent.Kind.CONCURRENT_LOGIN, ended_session_hash=sessions.key_hash(cookie)
        ).exists()
        ended = sessions.Ended.ELSEWHERE if elsewhere else sessions.Ended.EXPIRED
        return redirect(login_url(request, ended=ended, next_url=_resumable(request)))

    def restore_draft(self, request):
        """Signed in again on the page whose form was kept: put the typing back, once."""
        if drafts.RESTORE_PARAM not in request.GET:
            return
        restored = drafts.take(request)
        if restored is not None:
            request.restored_draft = restored
            messages.info(
                request,
                "Your session had ended before you sent this form, so what you typed was kept. "
                "It is back in the form below: check it and send it again.",
            )

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Until verified, someone who owes a second factor may open only the 2FA pages."""
        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        # The admin site asks staff for a second factor whatever their role; it turns
        # everyone else away itself.
        in_admin = user.is_staff and "admin" in match.namespaces
        owes_second_factor = user.requires_2fa or request.session.get(sessions.SECOND_FACTOR_PENDING) or in_admin
        if not owes_second_factor or user.is_verified() or match.view_name in OPEN_UNTIL_VERIFIED:
            self.restore_draft(request)
            return None
        target = "accounts:two_factor_verify" if selectors.has_confirmed_device(user) else "accounts:two_factor_enrol"
        next_url = _resumable(request)
        url = reverse(target)
        return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


# Redirect statuses that end a form's work; 307/308 repeat the post elsewhere (the gate's
# merged-record redirect), so they do not settle the token.
_SETTLING = frozenset({301, 302, 303})


class FormOnceMiddleware:
    """A form sent twice (double click, back button) acts once; the repeat shows the first result.

    Every form carries a one-time token (accounts.formtokens). The first post claims it; if
    it ends in a redirect, the token remembers where, and a repeat goes there with a
    message. A first post that did not succeed (form errors) releases the token. The Back
    button renders the form again with a fresh token while the browser restores the text,
    so the same person sending the same content to the same page within
    `formtokens.REPEAT_WINDOW` is a repeat too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = self._token(request)
        if token is None:
            return self.get_response(request)
        digest = formtokens.content_digest(request)
        repeat = formtokens.repeat_result(user=request.user, digest=digest)
        if repeat:
            # The Back button renders the form with a new token and the browser puts the
            # text back: the same content sent again is the same submission.
            messages.info(request, "This form had already been sent, so nothing was saved twice. Here is the result.")
            return redirect(repeat)
        if not formtokens.claim(token, user=request.user):
            result = formtokens.first_result(token, user=request.user)
            if result:
                messages.info(
                    request, "This form had already been sent, so nothing was saved twice. Here is the result."
                )
                return redirect(result)
            if not formtokens.claim(token, user=request.user):
                messages.warning(
                    request,
                    "This form was sent twice and the first is still being saved. Check before sending it again.",
                )
                return redirect(request.get_full_path())
        response = self.get_response(request)
        if response.status_code in _SETTLING and response.get("Location"):
            formtokens.settle(token, result_url=response["Location"], digest=digest)
        else:
            formtokens.release(token)
        return response

    def _token(self, request) -> str | None:
        if request.method != "POST" or not request.user.is_authenticated:
            return None
        token = request.POST.get(formtokens.ONCE_FIELD, "")
        return token[:64] or None
