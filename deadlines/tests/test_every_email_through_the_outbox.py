"""Every e-mail the project sends goes through deadlines/: the outbox (claimed before it is
sent, at most once, an unknown outcome shown to the ISO) or, for sharing's transmissions,
their own claim and deadlines.services.mail_deliver. No other module talks to the mail
server: this walks the source with ast and fails on any module outside deadlines/ that does.

Django's own password-reset view sends its link itself (our code never calls a mail
function for it): the link is a live credential and is deliberately not stored in the
outbox table.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", "node_modules", "migrations", "tests", "var", "static", "templates", "deadlines", ".git"}
# Names in django.core.mail that send, or build something that is sent with .send().
SENDERS = {
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "EmailMessage",
    "EmailMultiAlternatives",
    "get_connection",
}
SENDING_METHODS = {"send_mail", "send_mass_mail", "mail_admins", "mail_managers", "send_messages", "email_user"}


def project_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts[:-1])
        if parts & SKIP_DIRS or path.name == "conftest.py":
            continue
        yield path


def mail_calls(source: str) -> list[str]:
    """Where a module sends e-mail itself: imports of the sending names, and calls to them."""
    found = []
    mail_modules = set()  # local names bound to django.core.mail
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "django.core.mail":
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names if a.name in SENDERS]
        elif isinstance(node, ast.ImportFrom) and node.module == "django.core":
            mail_modules |= {a.asname or a.name for a in node.names if a.name == "mail"}
        elif isinstance(node, ast.Import):
            mail_modules |= {a.asname or a.name for a in node.names if a.name == "django.core.mail"}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            receiver = ast.unparse(func.value)
            if func.attr in SENDING_METHODS:
                found.append(f"line {node.lineno}: calls {receiver}.{func.attr}()")
            elif receiver in mail_modules or receiver == "django.core.mail":
                if func.attr in SENDERS:
                    found.append(f"line {node.lineno}: calls {receiver}.{func.attr}()")
            elif func.attr == "send" and isinstance(func.value, ast.Call):
                built = ast.unparse(func.value.func).rpartition(".")[2]
                if built in SENDERS:
                    found.append(f"line {node.lineno}: calls {built}(...).send()")
    return found


def test_no_module_outside_deadlines_sends_e_mail_itself():
    offenders = {
        str(path.relative_to(ROOT)): calls
        for path in project_modules()
        if (calls := mail_calls(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "Send these through deadlines.services.outbox_queue: " + repr(offenders)


def test_the_check_catches_each_way_of_sending():
    caught = mail_calls(
        "from django.core.mail import send_mail, mail_admins\n"
        "from django.core import mail\n"
        "import django.core.mail\n"
        "mail.send_mail('s', 'b', None, ['a@example.org'])\n"
        "django.core.mail.mail_admins('s', 'b')\n"
        "EmailMessage('s', 'b').send()\n"
        "user.email_user('s', 'b')\n"
        "connection.send_messages([])\n"
    )
    assert len(caught) == 7
    assert (
        mail_calls("from deadlines.services import outbox_queue\noutbox_queue(subject='s', body='b', recipients=[])\n")
        == []
    )


def test_the_walk_reads_the_apps_that_used_to_send_directly():
    walked = {str(path.relative_to(ROOT)) for path in project_modules()}
    assert {"accounts/services.py", "sharing/services.py", "consent/services.py", "breaches/services.py"} <= walked
    assert not any(path.startswith("deadlines/") for path in walked)
