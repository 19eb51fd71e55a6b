"""Where accounts hands its e-mails (security notices) to the outbox.

`accounts` sits below every other app (DESIGN.md), so it cannot import the outbox in
`deadlines`. The outbox registers its queueing function here when the apps are ready
(deadlines.apps), and accounts queues through `notice_queue`. Every e-mail thus goes
through the outbox: claimed before it is sent, sent at most once, and an unknown
outcome is shown to the information security officer.
"""

from __future__ import annotations

from collections.abc import Callable

_queue: Callable[..., object] | None = None


def use_outbox(queue: Callable[..., object]) -> None:
    """Register the function that queues an e-mail: `queue(subject=, body=, recipients=)`."""
    global _queue
    _queue = queue


def notice_queue(*, subject: str, body: str, recipients: list[str]) -> object:
    """Queue an e-mail in the caller's transaction; it is sent after commit, at most once.

    Returns the outbox row. Raises RuntimeError when no outbox is registered (the
    `deadlines` app is not installed), so an e-mail is never silently dropped.
    """
    if _queue is None:
        raise RuntimeError("No outbox is registered for accounts' e-mails: is 'deadlines' installed?")
    return _queue(subject=subject, body=body, recipients=recipients)
