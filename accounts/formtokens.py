"""Tokens every form carries, so typed work is never lost and never saved twice.

Every `{% csrf_token %}` in a template also renders two hidden fields (the tag is
replaced project-wide: `accounts.templatetags.formtokens`, a template builtin), for a
signed-in person:

- `_form_owner`: a signed token naming the person and the page the form was on. When a
  form arrives after the session ended — the session cookie may be gone altogether — it
  says whose typing it is, so `accounts.drafts` can keep it for that person only. It is
  signed with SECRET_KEY and only ever appears inside the page, so it cannot be forged
  from another site (it does the CSRF token's job for the draft).
- `_form_once`: a random one-time token. `FormOnceMiddleware` (accounts.middleware)
  claims it on the first submission and remembers where that submission led; a second
  submission of the same form (a double click, the back button) is sent there with a
  message instead of creating a duplicate.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import FormSubmission

OWNER_FIELD = "_form_owner"
ONCE_FIELD = "_form_once"
_OWNER_SALT = "accounts.formtokens.owner"

# A second submission waits this long for the first to finish before being told to check.
WAIT_FOR_FIRST_SECONDS = 5.0
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Owner:
    user_id: int
    page: str  # the path (and query) of the page the form was on


def owner_token(user, page: str) -> str:
    """A signed token naming `user` and the page (`request.get_full_path()`) a form is on."""
    return signing.dumps({"u": user.pk, "p": page}, salt=_OWNER_SALT, compress=True)


def owner_of(token: str) -> Owner | None:
    """Who a form's owner token names, if it is genuine and younger than the absolute
    session lifetime (settings.SESSION_ABSOLUTE_LIFETIME); otherwise None."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=_OWNER_SALT, max_age=settings.SESSION_ABSOLUTE_LIFETIME)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("u"), int) or not isinstance(value.get("p"), str):
        return None
    page = value["p"]
    if not page.startswith("/") or page.startswith("//"):
        return None
    return Owner(user_id=value["u"], page=page)


def once_token() -> str:
    return secrets.token_urlsafe(24)


def claim(token: str, *, user) -> bool:
    """Claim a one-time token for its first submission. False if it was already claimed.

    Commits at once (its own transaction), so a concurrent second submission sees it.
    Claims older than the absolute session lifetime are removed on the way.
    """
    now = timezone.now()
    FormSubmission.objects.filter(claimed_at__lt=now - settings.SESSION_ABSOLUTE_LIFETIME).delete()
    try:
        with transaction.atomic():
            FormSubmission.objects.create(token=token, user=user, claimed_at=now)
    except IntegrityError:
        return False
    return True


# How long the same content sent again to the same page counts as a repeat (the Back
# button, then Send), not as a new record.
REPEAT_WINDOW = datetime.timedelta(minutes=10)
_NOT_CONTENT = {OWNER_FIELD, ONCE_FIELD, "csrfmiddlewaretoken"}


def content_digest(request) -> str:
    """SHA-256 (hex) of the session, the page and the submitted fields and files, without the tokens.

    The session is part of it: the same content from another browser (a second sign-in with
    the same code, a colleague's tab) is never the Back button's repeat.
    """
    session = getattr(request, "session", None)
    digest = hashlib.sha256(((session.session_key if session is not None else "") or "").encode())
    digest.update(b"\0" + request.path.encode())
    for key in sorted(set(request.POST) - _NOT_CONTENT):
        for value in request.POST.getlist(key):
            digest.update(b"\0" + key.encode() + b"\0" + value.encode())
    for key in sorted(request.FILES):
        for upload in request.FILES.getlist(key):
            digest.update(b"\0" + key.encode() + b"\0" + (upload.name or "").encode() + str(upload.size).encode())
    return digest.hexdigest()


def repeat_result(*, user, digest: str) -> str | None:
    """Where the same submission led, if it is the person's last successful one, within REPEAT_WINDOW.

    Only the last: the Back button then Send repeats what was just sent, while the same
    content sent again after something else (withhold an item, put it back, withhold it
    again; tell a recipient, correct the entry again, tell them again) is a new decision
    and must act. Returns the first result's URL, or None when this is not a repeat.
    """
    last = (
        FormSubmission.objects.filter(user=user, claimed_at__gte=timezone.now() - REPEAT_WINDOW)
        .exclude(result_url="")
        .order_by("-claimed_at", "-pk")
        .values_list("content_digest", "result_url")
        .first()
    )
    return last[1] if last is not None and last[0] == digest else None


def settle(token: str, *, result_url: str, digest: str = "") -> None:
    """The first submission succeeded and led to `result_url`: repeats go there."""
    FormSubmission.objects.filter(token=token).update(result_url=result_url[:2000], content_digest=digest)


def release(token: str) -> None:
    """The first submission did not go through (form errors, a refusal): the form may be sent again."""
    FormSubmission.objects.filter(token=token, result_url="").delete()


def first_result(token: str, *, user) -> str | None:
    """Where the first submission of this token led, waiting briefly while it is still being
    saved. None if it did not succeed (released) or is still running after the wait."""
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        row = FormSubmission.objects.filter(token=token, user=user).values_list("result_url", flat=True).first()
        if row is None:
            return None
        if row:
            return row
        if time.monotonic() >= deadline:
            return None
        time.sleep(_POLL_SECONDS)
