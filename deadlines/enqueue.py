"""Handing e-mails to the worker without making anyone wait on the broker.

A web request must never wait on Redis: with Redis down, publishing a task blocks for the
broker's connection timeout (seconds). So a request only puts outbox ids on an in-process
queue; one background thread per process publishes them. If publishing fails, the ids
are dropped here: the rows stay "pending" in the database, and the next deadline sweep
(beat) publishes every pending row again. Nothing is lost, only delayed; nothing is
sent twice, because the sender claims each row before sending.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable

logger = logging.getLogger(__name__)

_pending: queue.SimpleQueue[int] = queue.SimpleQueue()
_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def _task():
    from .tasks import send_outbox_email

    return send_outbox_email


def publish(outbox_id: int) -> None:
    """Publish one send task. Raises whatever the broker raises (kombu OperationalError when it is down)."""
    _task().delay(outbox_id)


def publish_now(outbox_ids: Iterable[int]) -> int:
    """Publish in this thread, for the worker and beat (never a request). Returns how many were published.

    Stops at the first failure: the broker is down, and the rest stay pending for the next sweep.
    """
    published = 0
    for outbox_id in outbox_ids:
        try:
            publish(outbox_id)
        except Exception:
            logger.warning("Could not queue e-mail %s; the next deadline sweep will retry.", outbox_id)
            break
        published += 1
    return published


def send_soon(outbox_ids: Iterable[int]) -> None:
    """Queue e-mails for the worker without blocking the caller on the broker.

    Call it after commit (transaction.on_commit). With CELERY_TASK_ALWAYS_EAGER (tests, no
    worker) the e-mails are sent inline. Otherwise the ids go to this process's publisher
    thread and this returns at once, whatever state Redis is in.
    """
    ids = list(outbox_ids)
    if not ids:
        return
    if _task().app.conf.task_always_eager:
        publish_now(ids)
        return
    for outbox_id in ids:
        _pending.put(outbox_id)
    _ensure_publisher()


def _ensure_publisher() -> None:
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_publisher, name="outbox-publisher", daemon=True)
            _thread.start()


def _publisher() -> None:
    while True:
        outbox_id = _pending.get()
        try:
            publish(outbox_id)
        except Exception:
            # The broker is down. Drop what is queued: those rows stay pending and the
            # next sweep publishes them, so trying each one here would only wait longer.
            logger.warning("Could not queue e-mail %s; the next deadline sweep will retry.", outbox_id)
            while True:
                try:
                    _pending.get_nowait()
                except queue.Empty:
                    break
