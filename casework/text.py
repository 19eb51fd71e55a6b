"""Input hygiene for text people type: one helper for every name, reference and text box.

Unicode direction overrides (U+202A–U+202E, U+2066–U+2069) and other invisible format and
control characters let a reference or a name display differently from what it is: a
PDF printed "CL-ABC123" backwards, and two names that look the same compared unequal.
"""

from __future__ import annotations

import unicodedata

# Whitespace-like controls that multi-line text keeps.
_KEPT_IN_TEXT = frozenset("\n\t")


def neutralise(value: str, *, multiline: bool = False) -> str:
    """Return `value` without invisible control and format characters, stripped.

    Removes every character of Unicode category Cc (controls) or Cf (format: direction
    overrides and isolates, zero-width spaces and joiners, the byte-order mark), except
    newlines and tabs when `multiline`. In a single-line value a newline or tab becomes a
    space. Carriage returns are dropped, so "\\r\\n" becomes "\\n". Takes and returns str;
    None and other non-str values are returned unchanged.
    """
    if not isinstance(value, str):
        return value
    kept = []
    for char in value:
        if char in _KEPT_IN_TEXT:
            kept.append(char if multiline else " ")
        elif unicodedata.category(char) in {"Cc", "Cf"}:
            continue
        else:
            kept.append(char)
    return "".join(kept).strip()
