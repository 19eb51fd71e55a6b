"""One-time backup codes for two-factor sign-in: generating them and the digest stored.

A code is 12 characters from a 32-letter alphabet (60 bits, chosen by `secrets`), shown
once as `xxxx-xxxx-xxxx`. Only an HMAC-SHA-256 of the normalised code, keyed by the
project's SECRET_KEY, is stored. A slow password hash (PBKDF2, Argon2) exists to protect
short, guessable secrets against offline guessing; these codes are long and random, so
one fast keyed hash is enough: a copy of the database alone (without SECRET_KEY) gives
nothing to guess against, and with the key, 2^60 guesses per code is still out of reach.
Keying by SECRET_KEY means a rotated key is honoured through SECRET_KEY_FALLBACKS; once
a fallback is dropped, its codes stop working and the person generates new ones.
"""

import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
LENGTH = 12
GROUP = 4
KEY_SALT = "accounts.backup_codes"


def normalise(code: str) -> str:
    """The code as typed, without spaces or dashes and in lower case."""
    return "".join(code.split()).replace("-", "").lower()


def generate(count: int) -> list[str]:
    """`count` new codes, formatted for display (`xxxx-xxxx-xxxx`)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        codes.append("-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP)))
    return codes


def digest(code: str, secret: str | None = None) -> str:
    """Hex HMAC-SHA-256 of the normalised code (64 characters), keyed by SECRET_KEY or `secret`."""
    return salted_hmac(KEY_SALT, normalise(code), secret=secret, algorithm="sha256").hexdigest()


def candidate_digests(code: str) -> list[str]:
    """The digests `code` may be stored under: the current key's and each fallback key's."""
    return [digest(code)] + [digest(code, secret) for secret in settings.SECRET_KEY_FALLBACKS]
