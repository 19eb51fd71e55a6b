"""Form drafts: what a person typed into a form that arrived after their session ended.

The session middleware keeps the draft (`keep`) for the person the form's owner token
names (accounts.formtokens), sends them to sign in, and after they sign in again — as the
same person — the page the form was on restores it once (`take`) with a message.

- Encrypted at rest: Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from
  SECRET_KEY with HKDF; SECRET_KEY_FALLBACKS still decrypt after a key rotation.
- Kept at most the absolute session lifetime (settings.SESSION_ABSOLUTE_LIFETIME), then
  deleted (expired drafts are removed whenever drafts are kept or taken); deleted when used.
- Never in the audit log, and never the CSRF token, the form tokens, passwords or files.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils import timezone

from .formtokens import ONCE_FIELD, OWNER_FIELD, owner_of
from .models import FormDraft

RESTORE_PARAM = "restore_draft"
_NEVER_KEPT = frozenset({"csrfmiddlewaretoken", OWNER_FIELD, ONCE_FIELD})
_SECRET_WORDS = ("password", "token", "otp", "secret")


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"casework", info=b"accounts.drafts").derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@functools.cache
def _cipher(secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet_for(secret_key), *(_fernet_for(key) for key in fallbacks)])


def cipher() -> MultiFernet:
    """The drafts' cipher: SECRET_KEY encrypts; it and SECRET_KEY_FALLBACKS decrypt."""
    return _cipher(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ()))


def _kept_fields(post) -> dict[str, list[str]]:
    fields = {}
    for name in post:
        if name in _NEVER_KEPT or any(word in name.lower() for word in _SECRET_WORDS):
            continue
        values = [value for value in post.getlist(name) if isinstance(value, str)]
        if any(value.strip() for value in values):
            fields[name] = values
    return fields


def _purge_expired(now) -> None:
    FormDraft.objects.filter(expires_at__lte=now).delete()


def keep(request, *, user_id: int | None = None) -> str | None:
    """Keep the form data of a POST that arrived after its session ended.

    Takes the request and, when the session still named someone, their id (the owner
    token must name the same person). Returns the URL to sign in again towards — the
    page the form was on, with the draft's key — or None when nothing was kept (no valid
    owner token, or nothing typed).
    """
    if request.method != "POST":
        return None
    owner = owner_of(request.POST.get(OWNER_FIELD, ""))
    if owner is None or (user_id is not None and owner.user_id != user_id):
        return None
    fields = _kept_fields(request.POST)
    if not fields:
        return None
    now = timezone.now()
    _purge_expired(now)
    payload = json.dumps({"page": owner.page, "action": request.path, "fields": fields}).encode()
    draft = FormDraft.objects.create(
        key=secrets.token_urlsafe(32),
        user_id=owner.user_id,
        data=cipher().encrypt(payload),
        created_at=now,
        expires_at=now + settings.SESSION_ABSOLUTE_LIFETIME,
    )
    separator = "&" if "?" in owner.page else "?"
    return f"{owner.page}{separator}{urlencode({RESTORE_PARAM: draft.key})}"


def take(request) -> dict | None:
    """The draft named in this GET's `restore_draft` parameter, if it belongs to the
    signed-in person and has not expired: deleted now, returned as
    {"page", "action", "fields": {name: [values]}}. Otherwise None."""
    key = request.GET.get(RESTORE_PARAM, "")
    if not key or request.method != "GET" or not request.user.is_authenticated:
        return None
    now = timezone.now()
    _purge_expired(now)
    draft = FormDraft.objects.filter(key=key, user_id=request.user.pk, expires_at__gt=now).first()
    if draft is None:
        return None
    draft.delete()
    try:
        return json.loads(cipher().decrypt(bytes(draft.data)))
    except (InvalidToken, ValueError):
        return None
