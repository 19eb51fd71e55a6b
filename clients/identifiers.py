"""NHS and National Insurance numbers: one rule for what is valid and how it is stored.

Every way a number comes in (the client form, an import, a service call) normalises it
with `normalise_identifier` and checks it with `nhs_number_problem` /
`ni_number_problem`, so stored numbers are always in one form (NHS: 10 digits; NI:
upper case, no spaces) and compare equal to `clients.models.identifier_key_expression`,
the expression the duplicate check indexes (which still reads older rows typed with spaces).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]+")
_NHS = re.compile(r"^\d{10}$")
# HMRC National Insurance Manual NIM39110: D, F, I, Q, U and V are not used as the first
# or second letter, O is not used as the second; the suffix is A, B, C or D.
_NINO = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")
# Prefixes HMRC does not allocate (NIM39110).
UNALLOCATED_NI_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def normalise_identifier(value: str | None) -> str:
    """An NHS or NI number without spaces or hyphens, upper case ("" when blank)."""
    return _SEPARATORS.sub("", value or "").upper()


def nhs_check_digit_valid(digits: str) -> bool:
    """Whether a 10-digit string passes the NHS number's modulus 11 check (NHS Data
    Dictionary, "NHS Number"): weights 10 down to 2 on the first nine digits, 11 minus the
    remainder of the sum divided by 11 is the check digit (11 reads as 0; 10 is never valid)."""
    if not _NHS.match(digits):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def nhs_number_problem(value: str) -> str:
    """Why a normalised NHS number is not valid, or "" when it is (or is blank)."""
    if not value:
        return ""
    if not _NHS.match(value):
        return "An NHS number is 10 digits, like 943 476 5919."
    if not nhs_check_digit_valid(value):
        return "This is not a valid NHS number (its check digit does not match): check it was typed correctly."
    return ""


def ni_number_problem(value: str) -> str:
    """Why a normalised National Insurance number is not valid, or "" when it is (or is blank)."""
    if not value:
        return ""
    if not _NINO.match(value) or value[:2] in UNALLOCATED_NI_PREFIXES:
        return "A National Insurance number is two letters, six digits and a letter A–D, like AB 12 34 56 C."
    return ""
