"""Where to send someone next: the one check for every `next` parameter.

A `next` value comes from the address bar or a hidden field, so anyone can write one.
Django's `url_has_allowed_host_and_scheme` accepts bare words such as `abc`, which
`redirect()` then tries to reverse as a view name (a 500 after the sign-in has already
happened). Only a local path is accepted here: it starts with a single "/", names no
scheme or host, holds no backslash (browsers read "\\" as "/"), no whitespace or control
characters and nothing outside ASCII (a real local address is percent-encoded), and is
of a reasonable length. Anything else gives the caller's default.
"""

from django.utils.http import url_has_allowed_host_and_scheme

# Longer than any address the app itself produces (a filtered list with a page number).
MAX_NEXT_LENGTH = 2000


def is_local_path(value: object) -> bool:
    """Whether `value` is a path on this site that is safe to redirect to.

    Takes any value (a missing or list-valued parameter is simply not a path). Returns
    True only for a str such as "/clients/12/?tab=consent"; never raises.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_LENGTH:
        return False
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    if not value.isascii() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    # Belt and braces: Django's own check with no allowed host accepts only relative URLs.
    return url_has_allowed_host_and_scheme(value, allowed_hosts=set(), require_https=True)


def safe_next(value: object, default: str) -> str:
    """`value` when it is a local path (see `is_local_path`), otherwise `default`.

    `default` is the caller's own address (a reversed URL), never user input.
    """
    return value if is_local_path(value) else default


def next_from(request, default: str = "") -> str:
    """The request's `next` parameter (POST first, then GET) if it is a local path, else `default`."""
    return safe_next(request.POST.get("next") or request.GET.get("next") or "", default)
