"""Who asked: the client, or someone acting for them. One rule for the erasure and
rectification registers (a subject access request keeps its own fuller record of the
representative's authority, `SubjectAccessRequest`)."""

from __future__ import annotations

from .models import SubjectAccessRequest

Requester = SubjectAccessRequest.Requester
CLIENT_ASKED = "The client"


def who_asked(errors: dict, *, requester: str, name: str, relationship: str = "") -> str:
    """The "who asked" text to store, adding any problem to `errors` (keyed by form field).

    `requester` is a `Requester` value: the client ("The client"; `name` and `relationship`
    are ignored), or a representative, whose `name` is required ("Name (relationship)").
    An empty `requester` keeps the older free-text answer in `name` (required too). UK GDPR
    Art 12 and ICO guidance: a request may be made by someone acting for the client.
    """
    name, relationship = (name or "").strip(), (relationship or "").strip()
    if requester == Requester.CLIENT:
        return CLIENT_ASKED
    if requester == Requester.REPRESENTATIVE:
        if not name:
            errors["asked_by"] = "Enter the name of the person acting for the client."
        return f"{name} ({relationship})" if relationship else name
    if requester or not name:
        errors["requester"] = "Say whether the client asked, or someone acting for them."
    return name
