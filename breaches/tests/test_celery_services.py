"""The deadline timer end to end: a real Redis, a Celery worker and a beat in their own processes.

They share the test database with this process (`transactional_db`, so what a test writes
is committed and visible to them) and write e-mail to files the test reads. Each test gets
a private redis-server, so it can be stopped and started without touching anyone else's.
"""

import datetime
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import PASSWORD
from breaches.models import BreachReport
from breaches.tests.alerts import emails_of
from breaches.tests.factories import BreachAlertFactory, BreachReportFactory
from deadlines.models import OutboxEmail

pytestmark = [
    pytest.mark.services,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker shares the test database: PostgreSQL"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Processes:
    """Processes this test started, stopped (by their own handles) when it ends."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.running: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = (self.tmp_path / f"{name}.log").open("ab")
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.remove(process)

    def stop_all(self) -> None:
        for process in list(reversed(self.running)):
            self.stop(process)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp_path.glob("*.log"))


@pytest.fixture
def stack(transactional_db, tmp_path):
    """Start and stop a private redis-server, a Celery worker, a beat and a web server."""
    processes = Processes(tmp_path)
    redis_port = free_port()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "DEADLINE_SWEEP_SECONDS": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
    }

    class Stack:
        def __init__(self):
            self.redis = None
            self.env = env
            self.mail_dir = mail_dir

        def start_redis(self):
            self.redis = processes.start(
                "redis",
                [
                    "redis-server",
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(tmp_path),
                ],
                env,
            )
            wait_for(lambda: port_open(redis_port), timeout=10, what="redis-server")

        def stop_redis(self):
            processes.stop(self.redis)
            wait_for(lambda: not port_open(redis_port), timeout=10, what="redis-server to stop")

        def start_worker_and_beat(self):
            celery = [sys.executable, "-m", "celery", "-A", "casework"]
            processes.start(
                "worker",
                [
                    *celery,
                    "worker",
                    "--pool",
                    "solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    f"breaches-test-{redis_port}@localhost",
                ],
                env,
            )
            processes.start(
                "beat",
                [
                    *celery,
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(tmp_path / "celerybeat-schedule"),
                    "--pidfile",
                    str(tmp_path / "beat.pid"),
                ],
                env,
            )

        def start_web(self) -> str:
            port = free_port()
            processes.start("web", [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], env)
            wait_for(lambda: port_open(port), timeout=30, what="the web server")
            return f"http://127.0.0.1:{port}"

        def mail(self) -> str:
            return "\n".join(path.read_text(errors="replace") for path in sorted(self.mail_dir.glob("*")))

        def subjects(self) -> list[str]:
            # Without the "[organisation] " prefix.
            return re.findall(r"^Subject: \[[^\]]*\] (.*)$", self.mail(), flags=re.MULTILINE)

        def logs(self) -> str:
            return processes.logs()

    try:
        yield Stack()
    finally:
        processes.stop_all()


class Browser:
    """Just enough of a browser: cookies, CSRF tokens from forms, no automatic redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})  # noqa: S310
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode(errors="replace")

    def post_form(self, path: str, data: dict) -> tuple[int, str, str]:
        _, _, page = self.request(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(path, {"csrfmiddlewaretoken": token, **data})


def test_an_alert_is_delivered_end_to_end_by_a_real_worker_and_beat(stack, manager, iso):
    breach = BreachReportFactory(
        team=manager.teams.get(), became_aware_at=timezone.now() - datetime.timedelta(hours=25)
    )
    # Reported 25 hours ago; its "reported" e-mail could not be queued then (still pending).
    reported = BreachAlertFactory(breach=breach, threshold_hours=72, raised_at=breach.reported_at)
    OutboxEmail.objects.create(alert=reported, created_at=breach.reported_at)
    stack.start_redis()
    stack.start_worker_and_beat()

    try:
        wait_for(
            lambda: f"Breach {breach.reference}: 48 hours to the ICO deadline" in stack.subjects(),
            timeout=45,
            what="the 48-hour alert e-mail",
        )
        time.sleep(2)  # a few more sweeps run: nothing is sent twice
    except AssertionError:
        print(stack.logs())
        raise

    subjects = stack.subjects()
    assert subjects.count(f"Breach {breach.reference}: 48 hours to the ICO deadline") == 1
    assert subjects.count(f"New personal data breach reported: {breach.reference}") == 1
    assert f"To: {iso.email}, {manager.email}" in stack.mail() or f"To: {manager.email}, {iso.email}" in stack.mail()
    assert set(emails_of(breach).values_list("status", flat=True)) == {"sent"}


def test_with_redis_down_a_report_is_saved_and_its_alert_arrives_once_redis_is_back(stack, caseworker, manager):
    stack.start_redis()
    stack.stop_redis()  # Redis is down before anyone reports
    browser = Browser(stack.start_web())

    status, location, _ = browser.post_form("/accounts/login/", {"username": caseworker.username, "password": PASSWORD})
    assert status == 302, stack.logs()
    started = time.monotonic()
    status, location, page = browser.post_form(
        "/breaches/report/",
        {
            "what_happened": "Left my notebook on the 42 bus.",
            "became_aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "categories": ["identity", "mental_health"],
        },
    )
    took = time.monotonic() - started

    assert status == 302, page[:2000] + stack.logs()
    assert took < 10  # generous for a loaded machine; test_enqueue proves the request never waits on Redis
    breach = BreachReport.objects.get()
    assert location == f"/breaches/report/{breach.pk}/sent/"
    assert browser.request(location)[0] == 200
    assert browser.request("/")[0] == 200
    assert emails_of(breach).get().status == "pending"

    stack.start_redis()
    stack.start_worker_and_beat()
    try:
        wait_for(
            lambda: f"New personal data breach reported: {breach.reference}" in stack.subjects(),
            timeout=45,
            what="the alert e-mail after Redis came back",
        )
        time.sleep(2)
    except AssertionError:
        print(stack.logs())
        raise

    assert stack.subjects().count(f"New personal data breach reported: {breach.reference}") == 1
    assert emails_of(breach).get().status == "sent"
