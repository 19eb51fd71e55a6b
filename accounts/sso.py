"""Single sign-on with the organisation's OpenID Connect provider (mozilla-django-oidc).

What holds (README, "Single sign-on"):

- Accounts are never created by signing in. An admin creates the staff member (team and
  role) first; the first sign-on links the account by the provider's *verified* e-mail
  address (or the claim named by `OIDC_MATCH_CLAIM`, matched against the username), and
  stores the provider's subject (`User.sso_subject`). From then on only that subject
  signs in as that person. Anything else is refused with a page that says why, and a
  `SecurityEvent` (SSO_REFUSED) records it.
- The ID token is checked in full: signature (the provider's JWKS), issuer, audience
  (our client id), expiry and issue time, nonce (mozilla-django-oidc) and state.
- Two-factor: when the ID token asserts multi-factor sign-in (`amr` holding one of
  `OIDC_MFA_AMR`, or `acr` one of `OIDC_MFA_ACR`), the session is verified and nobody
  is asked again; otherwise roles that need 2FA complete TOTP as after a password.
- Everything that holds for a password sign-in holds here, because the same
  `django.contrib.auth.login` runs: one session per person (`accounts.signals` →
  `services.active_session_start`), idle and absolute lifetimes, the LOGIN event, and a
  deactivated account is refused.

The provider's endpoints come from its discovery document (`OIDC_ISSUER` +
`/.well-known/openid-configuration`), fetched on first use and kept per process.
"""

from __future__ import annotations

import functools
import logging

import jwt
import requests
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, render
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import services
from .models import IdentityProviderDevice, SecurityEvent, User

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
# Seconds of clock difference tolerated between us and the provider when checking times.
CLOCK_LEEWAY = 60
PROVIDER_TIMEOUT = 10

# mozilla-django-oidc setting name -> key of the provider's discovery document.
_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}

# Why a sign-on was refused, in words for the person (and the security event).
UNKNOWN_IDENTITY = "unknown identity"
DEACTIVATED = "deactivated account"
BAD_TOKEN = "token not valid"  # noqa: S105 (a refusal reason, not a secret)
PROVIDER_ERROR = "provider unavailable or refused"
REFUSAL_MESSAGES = {
    UNKNOWN_IDENTITY: "Your sign-in worked at {provider}, but no staff account here is linked to it. An admin must "
    "create your account (with the same e-mail address) before you can sign in. Nothing about you has been stored.",
    DEACTIVATED: "This account has been switched off. Ask your service manager or an admin.",
    BAD_TOKEN: "The sign-in could not be checked (the answer from {provider} was not valid or had expired). "
    "Try again; if it keeps happening, tell the information security officer.",
    PROVIDER_ERROR: "{provider} did not complete the sign-in. Try again, or sign in with your password if you "
    "have one.",
}


def enabled() -> bool:
    """Whether single sign-on is configured (an issuer and a client id)."""
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


@functools.lru_cache(maxsize=4)
def _discover(issuer: str) -> dict:
    response = requests.get(issuer.rstrip("/") + DISCOVERY_PATH, timeout=PROVIDER_TIMEOUT)
    response.raise_for_status()
    metadata = response.json()
    if metadata.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ImproperlyConfigured(f"The discovery document names issuer {metadata.get('issuer')!r}, not {issuer!r}.")
    return metadata


def provider_setting(attr: str, *default):
    """A mozilla-django-oidc setting: endpoints from the provider's discovery document, the rest from settings."""
    if attr in _DISCOVERED and not getattr(settings, attr, ""):
        return _discover(settings.OIDC_ISSUER)[_DISCOVERED[attr]]
    return import_from_settings(attr, *default)


def mfa_asserted(claims: dict) -> bool:
    """Whether ID-token `claims` say the person signed in with more than one factor (RFC 8176 `amr`, or `acr`)."""
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    if set(amr) & set(settings.OIDC_MFA_AMR):
        return True
    return bool(settings.OIDC_MFA_ACR) and claims.get("acr") in settings.OIDC_MFA_ACR


def password_sign_in_allowed(user: User) -> bool:
    """False for roles that must use single sign-on (`PASSWORD_SIGN_IN_OFF_FOR_ROLES`) once it is configured."""
    return not (enabled() and user.role in settings.PASSWORD_SIGN_IN_OFF_FOR_ROLES)


def _refuse(request, reason: str, *, user: User | None = None, detail: str = "") -> None:
    from .services import security_event_record

    request.sso_refusal = reason
    security_event_record(
        kind=SecurityEvent.Kind.SSO_REFUSED, user=user, request=request, detail=f"{reason}: {detail}"[:200]
    )


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """Signs in existing staff only; checks the ID token in full; notes whether MFA was asserted."""

    def __init__(self, *args, **kwargs):
        # Nothing is read here: Django builds every backend for every password sign-in too,
        # and the provider's endpoints are fetched only when a sign-on actually happens.
        self.UserModel = User

    get_settings = staticmethod(provider_setting)

    def authenticate(self, request, **kwargs):
        if request is None or not enabled() or "code" not in request.GET or "state" not in request.GET:
            return None
        self.OIDC_OP_TOKEN_ENDPOINT = provider_setting("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = provider_setting("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = provider_setting("OIDC_OP_JWKS_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, **kwargs)
        except (jwt.PyJWTError, SuspiciousOperation) as exc:
            _refuse(request, BAD_TOKEN, detail=str(exc))
        except (requests.RequestException, ImproperlyConfigured, KeyError, ValueError) as exc:
            logger.warning("Single sign-on failed at the provider: %s", exc)
            _refuse(request, PROVIDER_ERROR, detail=type(exc).__name__)
        return None

    def retrieve_matching_jwk(self, token):
        """The provider's signing key for `token`: the key its `kid` names, or the only key when it names none.

        Raises SuspiciousOperation when no key (or, without a `kid`, more than one) could sign it.
        """
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=PROVIDER_TIMEOUT)
        response.raise_for_status()
        header = jwt.get_unverified_header(token)
        keys = [
            key
            for key in response.json().get("keys", [])
            if key.get("alg", header.get("alg")) == header.get("alg") and key.get("use", "sig") == "sig"
        ]
        if "kid" in header:
            keys = [key for key in keys if key.get("kid") == header["kid"]]
        if len(keys) != 1:
            raise SuspiciousOperation("No single signing key of the provider matches the ID token.")
        return jwt.PyJWK(keys[0])

    def get_payload_data(self, token, key):
        """The ID token's claims, verified: signature, algorithm, issuer, audience, expiry, issue time."""
        header = jwt.get_unverified_header(token)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO!r}.")
        return jwt.decode(
            token,
            key,
            algorithms=[self.OIDC_RP_SIGN_ALGO],
            audience=settings.OIDC_RP_CLIENT_ID,
            issuer=_discover(settings.OIDC_ISSUER)["issuer"],
            leeway=CLOCK_LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )

    def get_or_create_user(self, access_token, id_token, payload):
        self.request.sso_mfa = mfa_asserted(payload)
        self.request.sso_subject = payload["sub"]
        return super().get_or_create_user(access_token, id_token, payload)

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        """The one account linked to this subject; else the unlinked account the matching claim names."""
        subject = str(claims.get("sub", ""))
        if subject and subject != getattr(self.request, "sso_subject", subject):
            raise SuspiciousOperation("The userinfo subject differs from the ID token's.")
        linked = User.objects.filter(sso_subject=subject)
        if linked.exists():
            return linked
        match_claim = settings.OIDC_MATCH_CLAIM
        value = claims.get(match_claim)
        if not value:
            return User.objects.none()
        if match_claim == "email":
            if claims.get("email_verified") is not True:
                return User.objects.none()
            return User.objects.filter(email__iexact=value, sso_subject="")
        return User.objects.filter(username=value, sso_subject="")

    def create_user(self, claims):
        raise SuspiciousOperation("Accounts are never created by signing in.")

    def update_user(self, user, claims):
        if not user.sso_subject:
            user.sso_subject = str(claims["sub"])
            user.save(update_fields=["sso_subject"])
        return user


class SignOnStart(OIDCAuthenticationRequestView):
    """Send the person to the provider (404 when single sign-on is not configured)."""

    get_settings = staticmethod(provider_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not set up.")
        self.OIDC_OP_AUTH_ENDPOINT = provider_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SignOnCallback(OIDCAuthenticationCallbackView):
    """Back from the provider: sign in, then the second factor unless MFA was asserted."""

    get_settings = staticmethod(provider_setting)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not set up.")
        return super().get(request)

    def login_failure(self):
        user = getattr(self, "user", None)
        reason = getattr(self.request, "sso_refusal", "")
        if not reason:
            reason = DEACTIVATED if user is not None and not user.is_active else UNKNOWN_IDENTITY
            if self.request.GET.get("error") or "code" not in self.request.GET:
                reason = PROVIDER_ERROR
            _refuse(self.request, reason, user=user, detail=self.request.GET.get("error", "")[:80])
        message = REFUSAL_MESSAGES[reason].format(provider=settings.OIDC_PROVIDER_NAME)
        return render(self.request, "accounts/sso_refused.html", {"message": message}, status=403)

    def login_success(self):
        from .redirects import safe_next
        from .views import after_first_factor

        self.request.sign_in_detail = "single sign-on" + (
            " (multi-factor asserted by the provider)" if self.request.sso_mfa else ""
        )
        auth.login(self.request, self.user, backend="accounts.sso.StaffOIDCBackend")
        # mozilla-django-oidc lets bare words through (they would reverse as view names).
        next_url = safe_next(self.request.session.pop("oidc_login_next", None), "")
        if self.request.sso_mfa:
            device, _ = IdentityProviderDevice.objects.get_or_create(
                user=self.user, defaults={"name": "Identity provider", "confirmed": True}
            )
            services.second_factor_passed(actor=self.user, request=self.request, device=device)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        return redirect(after_first_factor(self.request, self.user, next_url))
