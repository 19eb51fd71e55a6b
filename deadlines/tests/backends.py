"""Mail backends that fail in the ways the outbox must survive."""

import os
import signal
import smtplib
from pathlib import Path

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend


class WorkerKilled(BaseException):
    """Stands in for the process dying: nothing after it in the sender runs."""


class AcceptThenDieBackend(BaseEmailBackend):
    """The mail server accepts the message (it lands in mail.outbox), then the worker dies."""

    def send_messages(self, messages):
        mail.outbox.extend(messages)
        raise WorkerKilled


class AcceptThenSigkillBackend(BaseEmailBackend):
    """For a real worker process: write the accepted message to ACCEPTED_MAIL_DIR, then SIGKILL ourselves."""

    def send_messages(self, messages):
        folder = Path(os.environ["ACCEPTED_MAIL_DIR"])
        for number, message in enumerate(messages):
            (folder / f"{os.getpid()}-{number}.eml").write_bytes(message.message().as_bytes())
        os.kill(os.getpid(), signal.SIGKILL)


class DisconnectMidSendBackend(BaseEmailBackend):
    """The connection drops during DATA: the server may or may not have taken the message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusingBackend(BaseEmailBackend):
    """The server refuses every recipient: certainly not delivered."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"iso@example.org": (550, b"No such user")})
