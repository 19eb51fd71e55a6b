"""Signing in and out, two-factor authentication, passwords, security events."""

import base64
import functools
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import selectors, services, sessions, sso
from .forms import BackupCodeForm, LoginForm, TokenForm
from .redirects import next_from

ENDED_MESSAGES = {
    sessions.Ended.IDLE: "You were signed out because you had not used the system for {idle} minutes. "
    "Sign in again to carry on.",
    sessions.Ended.LIFETIME: "Your session expired: sessions last at most {lifetime} hours. Sign in again to carry on.",
    sessions.Ended.ELSEWHERE: "You were signed out because your account was used to sign in on another device "
    "or browser. Each person may be signed in only once. If that was not you, tell your manager straight away.",
    sessions.Ended.EXPIRED: "Your session expired. Sign in again to carry on.",
}


def _safe_next(request) -> str:
    """The `next` parameter when it is a local path, else "" (see accounts.redirects)."""
    return next_from(request)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else url


def _ended_message(code: str) -> str:
    text = ENDED_MESSAGES.get(code, "")
    return text.format(
        idle=int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60),
        lifetime=int(settings.SESSION_ABSOLUTE_LIFETIME.total_seconds() // 3600),
    )


# --- Signing in and out ------------------------------------------------------------------


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = _safe_next(request)
    if request.method == "POST":
        form = LoginForm(request, data=request.POST)
        if form.is_valid():
            user = form.get_user()
            login(request, user)
            return redirect(after_first_factor(request, user, next_url))
    else:
        form = LoginForm(request)
    context = {
        "form": form,
        "next": next_url,
        "ended_message": _ended_message(request.GET.get("ended", "")),
        "sso_enabled": sso.enabled(),
        "sso_provider": settings.OIDC_PROVIDER_NAME,
    }
    return render(request, "accounts/login.html", context)


def after_first_factor(request, user, next_url: str) -> str:
    """Where to go once the password (or a single sign-on without multi-factor) was right:
    the second factor, its enrolment for roles that need it, or the page they wanted."""
    if selectors.has_confirmed_device(user):
        request.session[sessions.SECOND_FACTOR_PENDING] = True
        return _with_next(reverse("accounts:two_factor_verify"), next_url)
    if user.requires_2fa:
        return _with_next(reverse("accounts:two_factor_enrol"), next_url)
    return next_url or resolve_url(settings.LOGIN_REDIRECT_URL)


# Open to everyone: a sign-out pressed on a page whose session already ended just lands on login.
@login_not_required
@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.session_end(request=request)
        messages.success(request, "You have signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_not_required
def admin_login(request, extra_context=None):
    """The admin site signs people in through our login, so lockout and 2FA apply there too."""
    next_url = _safe_next(request) or reverse("admin:index")
    if request.user.is_authenticated:
        if not request.user.is_staff:
            raise PermissionDenied("Your account does not have access to the admin site.")
        return redirect(next_url)
    return redirect_to_login(next_url, reverse("accounts:login"))


# --- Staying signed in -----------------------------------------------------------------


@require_POST
@never_cache
def keep_alive(request):
    """ "Stay signed in" (static/js/session.js): restart the idle timer, never the absolute
    lifetime. Returns JSON {"idle_seconds", "lifetime_seconds"} left. A session that has
    already ended never gets here: the session middleware sends the person to sign in.
    """
    now = timezone.now()
    sessions.renew_idle(request.session, now)
    idle, lifetime = sessions.seconds_left(request.session, now)
    return JsonResponse({"idle_seconds": int(idle), "lifetime_seconds": int(lifetime)})


# --- Two-factor authentication -------------------------------------------------------------


def two_factor(request):
    """Status page: anyone can set up an authenticator; some roles must."""
    device = selectors.confirmed_device_for(request.user)
    remaining = selectors.backup_codes_remaining(request.user) if device else None
    context = {"device": device, "backup_codes_remaining": remaining}
    return render(request, "accounts/two_factor.html", context)


def _show_backup_codes(request, codes: list[str], next_url: str, *, first_time: bool):
    """The one page that ever shows backup codes in plain text (never cached)."""
    context = {"codes": codes, "next": next_url or resolve_url(settings.LOGIN_REDIRECT_URL), "first_time": first_time}
    return render(request, "accounts/backup_codes_new.html", context)


@never_cache
def two_factor_backup_codes(request):
    """How many backup codes are left; POST makes a new set (the old one stops working)."""
    user = request.user
    if not selectors.has_confirmed_device(user):
        return redirect("accounts:two_factor")
    if not user.is_verified():
        return redirect(_with_next(reverse("accounts:two_factor_verify"), request.path))
    if request.method == "POST":
        try:
            codes = services.backup_codes_generate(actor=user, request=request)
        except ValidationError:
            return redirect("accounts:two_factor")
        return _show_backup_codes(request, codes, reverse("accounts:two_factor"), first_time=False)
    context = {"remaining": selectors.backup_codes_remaining(user)}
    return render(request, "accounts/backup_codes.html", context)


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=12, border=2)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan with your authenticator app" ', 1)
    # Markup generated here from the otpauth URL (itself URL-encoded); nothing user-typed.
    return mark_safe(svg)  # noqa: S308 (SVG built by qrcode from our own otpauth URL)


def _too_many_codes(locked_until) -> str:
    return (
        "Too many wrong codes in a row, so codes are not being checked for a moment. "
        f"Wait until {timezone.localtime(locked_until):%H:%M:%S} and enter the newest code."
    )


@sensitive_post_parameters("token")
@never_cache
def two_factor_enrol(request):
    user = request.user
    if selectors.has_confirmed_device(user) and not user.is_verified():
        # Replacing a device needs the current one first, or a password alone would do.
        return redirect(_with_next(reverse("accounts:two_factor_verify"), _safe_next(request)))
    device = services.totp_device_start(actor=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed, locked_until = services.totp_device_confirm(
            actor=user, device=device, token=form.cleaned_data["token"], request=request
        )
        if confirmed:
            messages.success(request, "Two-factor authentication is set up. You will be asked for a code each time.")
            codes = services.backup_codes_generate(actor=user, request=request)
            return _show_backup_codes(request, codes, _safe_next(request), first_time=True)
        form.add_error(
            "token",
            _too_many_codes(locked_until)
            if locked_until
            else "That code did not match. Check the key was entered correctly and the time on your phone is "
            "right, then enter the newest code.",
        )
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": _safe_next(request),
        "qr_svg": _qr_svg(device.config_url),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "required": user.requires_2fa,
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@sensitive_post_parameters("token")
@never_cache
def two_factor_verify(request):
    user = request.user
    next_url = _safe_next(request)
    if user.is_verified():
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    if not selectors.has_confirmed_device(user):
        return redirect(_with_next(reverse("accounts:two_factor_enrol"), next_url))
    if request.method == "POST" and "backup_code" in request.POST:
        return _verify_with_backup_code(request, next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified, locked_until = services.two_factor_verify(
            actor=user, token=form.cleaned_data["token"], request=request
        )
        if verified:
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        form.add_error(
            "token",
            _too_many_codes(locked_until)
            if locked_until
            else "That code is not right. Enter the newest code from your authenticator app; "
            "if it keeps failing, check the time on your phone is set automatically.",
        )
    context = {"form": form, "backup_form": BackupCodeForm(), "next": next_url, "has_backup_codes": _has_backup(user)}
    return render(request, "accounts/two_factor_verify.html", context)


def _has_backup(user) -> bool:
    return bool(selectors.backup_codes_remaining(user))


def _verify_with_backup_code(request, next_url: str):
    user = request.user
    backup_form = BackupCodeForm(request.POST)
    if backup_form.is_valid():
        verified, locked_until, remaining = services.backup_code_verify(
            actor=user, code=backup_form.cleaned_data["backup_code"], request=request
        )
        if verified:
            messages.warning(
                request,
                f"You signed in with a backup code; it cannot be used again. You have {remaining} left. "
                "If you have lost your phone, set up the new one or ask an admin to reset two-factor.",
            )
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        backup_form.add_error(
            "backup_code",
            _too_many_codes(locked_until)
            if locked_until
            else "That backup code is not right, or it has been used already. Check it and try again.",
        )
    context = {
        "form": TokenForm(),
        "backup_form": backup_form,
        "next": next_url,
        "has_backup_codes": True,
        "backup_open": True,
    }
    return render(request, "accounts/two_factor_verify.html", context)


@require_POST
def two_factor_remove(request):
    user = request.user
    if user.requires_2fa:
        raise PermissionDenied("Your role must use two-factor authentication.")
    services.totp_device_remove(actor=user, user=user, request=request)
    messages.success(request, "Two-factor authentication is turned off for your account.")
    return redirect("accounts:two_factor")


# --- Passwords ---------------------------------------------------------------------------


def keeps_active_session(view):
    """For views that rotate the session key (Django's password changes): follow the new key,
    or the next request would look like a session replaced by a login elsewhere."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        old_key = request.session.session_key
        response = view(request, *args, **kwargs)
        new_key = request.session.session_key
        if request.user.is_authenticated and old_key and new_key and new_key != old_key:
            services.active_session_rekey(actor=request.user, old_key=old_key, new_key=new_key)
        return response

    return wrapper


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.staff_change_password(actor=request.user, password=form.cleaned_data["new_password1"], request=request)
        messages.success(request, "Your password has been changed.")
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_record(user=form.user, request=self.request)
        return response


# --- Security events -----------------------------------------------------------------------


SECURITY_EVENTS_PER_PAGE = 50


def security_events(request):
    """Sign-in security events (shared, attacked or reset accounts) for a manager's teams, or all for the ISO."""
    if not selectors.can_review_security_events(request.user):
        raise PermissionDenied
    kind = request.GET.get("kind", "")
    if kind not in selectors.REVIEWED_KINDS:
        kind = ""
    events = Paginator(selectors.security_events_for(request.user, kind=kind), SECURITY_EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    kinds = [(value, selectors.Kind(value).label) for value in selectors.REVIEWED_KINDS]
    return render(request, "accounts/security_events.html", {"events": events, "kind": kind, "kinds": kinds})
