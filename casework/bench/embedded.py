"""The embedded default under a team's load (`manage.py bench --embedded`, `make bench-embedded`).

`make run`'s shape on one machine: a fresh SQLite file (immediate transactions, WAL, a busy
timeout: casework/settings.py), migrated and filled with a small organisation (the bench
dataset at its quick size); gunicorn serving the production WSGI app; a Celery worker with
an embedded beat on Redis. Simulated staff, each signed in with their own session (2FA
verified, as `operations.signed_in` does), work at human pace for a while: they open their
clients' records, look at their caseload, add case notes and send referrals, mostly a few
seconds apart and now and then in a burst of quick clicks. Then:

- errors and requests per kind, the record page's p50/p95;
- lost writes: every note and referral whose POST was answered with success must be a row
  (and no row may exist without a successful answer that could not be accounted for);
- the e-mails the worker sent for the referrals (the transmissions) and beat's sweeps;
- a saturation run: the same mix with no pauses from a few clients at once, for the
  ceiling of requests and writes per second the one SQLite file serves.

From these, the number of staff the embedded default serves is derived (BENCHMARKS.md).
"""

from __future__ import annotations

import http.client
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client as TestClient
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from clients.categories import CATEGORIES, Level, Selection
from clients.models import Assignment, CaseNote
from consent.models import ConsentRecord, PrivacyNotice
from deadlines.models import SweepHeartbeat
from sharing.models import Referral, Transmission

from .dataset import Builder, Sizes
from .http import Gunicorn, database_url, proxy_headers
from .operations import percentile, signed_in

# Referrals carry these categories (none special: no reasons to type).
REFERRAL_KEYS = [category.key for category in CATEGORIES if not category.sensitive][:4]
MARKER = "embedded-bench"
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
# What a person does, and how often: opening records most, writing less.
MIX = [("record", 0.55), ("caseload", 0.1), ("note", 0.25), ("referral", 0.1)]


@dataclass
class EmbeddedPlan:
    staff: int = 20
    seconds: float = 60
    think_seconds: float = 6.0  # mean pause between actions (exponential)
    burst_chance: float = 0.15  # after an action, the chance of a burst of quick clicks
    burst: tuple[int, int] = (3, 6)  # actions in a burst
    burst_gap: float = 0.4  # seconds between them
    workers: int = 2
    threads: int = 4
    saturation_clients: int = 6
    saturation_seconds: float = 20

    @classmethod
    def quick(cls) -> EmbeddedPlan:
        return cls(staff=5, seconds=10, think_seconds=2.0, saturation_clients=3, saturation_seconds=5)


@dataclass
class Person:
    user: User
    clients: list[int]
    referral_client: int
    partner_id: int
    purpose_id: int
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    kind: str
    ok: bool
    ms: float
    status: int
    write: bool = False  # a successful write (a note or a referral sent)


class Browser:
    """One person's keep-alive connection with their cookies, as a browser behind the TLS proxy."""

    # gunicorn closes a keep-alive connection idle for 2 s; a browser then opens a new one
    # without the person noticing. So does this, rather than count the closed socket as an error.
    IDLE_SECONDS = 1.5

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port = port
        self.cookies = dict(cookies)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.used = time.monotonic()

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, dict]:
        if time.monotonic() - self.used > self.IDLE_SECONDS:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            return self._request(method, path, body)
        finally:
            self.used = time.monotonic()

    def _request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, dict]:
        headers = proxy_headers() | {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Connection": "keep-alive",
        }
        data = None
        if body is not None:
            from urllib.parse import urlencode

            data = urlencode(body, doseq=True).encode()
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": "https://127.0.0.1",
                "Referer": f"https://127.0.0.1{path}",
            }
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            self.conn.close()
        return response.status, content, dict(response.getheaders())

    def form_token(self, content: bytes) -> str:
        match = _CSRF_INPUT.search(content)
        return match.group(1).decode() if match else ""

    def close(self) -> None:
        self.conn.close()


# --- Setting up the organisation ---------------------------------------------------------------


def prepare(stdout):
    """Build the small organisation on this (SQLite) database (the bench dataset at its quick size)."""
    return Builder(Sizes.quick(), stdout=stdout, seal_tail=0).build()


def people(count: int, built) -> list[Person]:
    """`count` caseworkers with open clients, each with a consent to the bench partner on one of them."""
    open_by_worker = defaultdict(list)
    for worker, client in Assignment.objects.filter(
        ended_on__isnull=True, is_key_worker=True, client__status="open", caseworker__role=Role.CASEWORKER
    ).values_list("caseworker_id", "client_id"):
        open_by_worker[worker].append(client)
    workers = sorted(open_by_worker, key=lambda w: -len(open_by_worker[w]))[:count]
    if len(workers) < count:
        raise RuntimeError(f"The embedded dataset has {len(workers)} caseworkers with open clients, not {count}.")
    partner, purpose = built.focus.partner, built.focus.purpose
    notice = PrivacyNotice.objects.order_by("pk").first()
    selection = Selection({key: Level.SUMMARY for key in REFERRAL_KEYS}).to_json()
    now = timezone.now()
    result = []
    for worker_id in workers:
        user = User.objects.get(pk=worker_id)
        client_id = open_by_worker[worker_id][0]
        consent = ConsentRecord.objects.create(
            client_id=client_id,
            selection=selection,
            method=ConsentRecord.Method.ELECTRONIC,
            electronic_reference=f"{MARKER} consent",
            notice=notice,
            given_at=now - timedelta(days=10),
            recorded_by=user,
            recorded_at=now - timedelta(days=10),
        )
        consent.partners.add(partner)
        consent.purposes.add(purpose)
        client = signed_in(user)
        cookies = {name: morsel.value for name, morsel in client.cookies.items()}
        result.append(
            Person(user, open_by_worker[worker_id], client_id, partner.pk, purpose.pk, cookies=cookies),
        )
    return result


# --- Processes ---------------------------------------------------------------------------------


def _env(tmp: Path) -> dict[str, str]:
    """What gunicorn and the worker share: production settings on this SQLite file, e-mail to files."""
    return {
        "DJANGO_SETTINGS_MODULE": "casework.settings",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url(),
        "STATIC_MANIFEST": "0",
        "LOG_LEVEL": "WARNING",
        "PRIVATE_STORAGE_ROOT": str(settings.PRIVATE_STORAGE_ROOT),
        "AUDIT_SEAL_FILE": str(settings.AUDIT_SEAL_FILE),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp / "mail"),
        "SITE_URL": "https://127.0.0.1",
        # Beat's deadline sweep every 20 s rather than 5 min, so that its writes are in the mix.
        "DEADLINE_SWEEP_SECONDS": "20",
    }


class Worker:
    """`celery -A casework worker --beat`, as `make run` starts it, against the same SQLite file."""

    def __init__(self, tmp: Path, env: dict[str, str]):
        self.tmp = tmp
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Worker:
        env = dict(os.environ) | self.env
        if not env.get("CELERY_BROKER_URL"):
            if env.get("REDIS_URL"):
                env["CELERY_BROKER_URL"] = env["REDIS_URL"]
            else:
                (self.tmp / "celery" / "processed").mkdir(parents=True, exist_ok=True)
                env["CELERY_BROKER_URL"] = "filesystem://"
                env["CELERY_FILESYSTEM_DIR"] = str(self.tmp / "celery")
        self.broker = env["CELERY_BROKER_URL"].split("://")[0]
        self.log = (self.tmp / "celery.log").open("wb")
        command = [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "casework",
            "worker",
            "--beat",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(self.tmp / "celerybeat-schedule"),
        ]
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter's celery)
            command, cwd=settings.BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        time.sleep(3)
        if self.process.poll() is not None:
            raise RuntimeError(
                f"the Celery worker exited with {self.process.returncode}: see {self.tmp / 'celery.log'}"
            )
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- The simulated staff -----------------------------------------------------------------------


def act(browser: Browser, person: Person, kind: str, rng: random.Random, serial: str) -> list[Outcome]:
    """One action of `kind`; a write is two requests (the form, then the POST)."""
    outcomes = []

    def call(label, method, path, body=None, expect=(200,), write=False):
        start = time.perf_counter()
        try:
            status, content, headers = browser.request(method, path, body)
        except (OSError, http.client.HTTPException):
            outcomes.append(Outcome(label, False, (time.perf_counter() - start) * 1000, 0))
            return None, b"", {}
        ok = status in expect
        outcomes.append(Outcome(label, ok, (time.perf_counter() - start) * 1000, status, write=write and ok))
        return (status if ok else None), content, headers

    client_id = rng.choice(person.clients)
    if kind == "record":
        call("record", "GET", reverse("clients:record", args=[client_id]))
    elif kind == "caseload":
        call("caseload", "GET", reverse("clients:caseload"))
    elif kind == "note":
        path = reverse("clients:note_add", args=[client_id])
        status, content, _ = call("note_form", "GET", path)
        if status:
            body = {
                "csrfmiddlewaretoken": browser.form_token(content),
                "category": rng.choice(REFERRAL_KEYS),
                "text": f"{MARKER} {serial}: met at the drop-in, talked through the housing options.",
            }
            call("note_post", "POST", path, body, expect=(302,), write=True)
    elif kind == "referral":
        client_id = person.referral_client
        path = reverse("sharing:referral_new", args=[client_id])
        status, content, _ = call("referral_form", "GET", path)
        if not status:
            return outcomes
        body = {
            "csrfmiddlewaretoken": browser.form_token(content),
            "partner": person.partner_id,
            "purpose": person.purpose_id,
        }
        status, _, headers = call("referral_start", "POST", path, body, expect=(302,))
        if not status:
            return outcomes
        draft = headers.get("Location", "")
        status, content, _ = call("referral_draft", "GET", draft)
        if not status:
            return outcomes
        body = {"csrfmiddlewaretoken": browser.form_token(content), "action": "send"}
        body |= {f"level_{key}": Level.SUMMARY.label for key in REFERRAL_KEYS}
        call("referral_send", "POST", draft, body, expect=(302,), write=True)
    return outcomes


def staff_loop(port, person: Person, plan: EmbeddedPlan, stop_at: float, seed: int, out: list) -> None:
    rng = random.Random(seed)
    browser = Browser(port, person.cookies)
    kinds, weights = zip(*MIX, strict=True)
    n = 0
    time.sleep(rng.uniform(0, min(plan.think_seconds, plan.seconds / 4)))  # not all at the same second
    try:
        while time.monotonic() < stop_at:
            burst = rng.randint(*plan.burst) if rng.random() < plan.burst_chance else 1
            for k in range(burst):
                if time.monotonic() >= stop_at:
                    break
                n += 1
                kind = rng.choices(kinds, weights)[0]
                out.extend(act(browser, person, kind, rng, f"{person.user.pk}-{n}"))
                if k + 1 < burst:
                    time.sleep(plan.burst_gap)
            pause = rng.expovariate(1 / plan.think_seconds)
            time.sleep(max(0.0, min(pause, stop_at - time.monotonic())))
    finally:
        browser.close()


def saturate(port, persons: list[Person], clients: int, seconds: float) -> tuple[list[Outcome], float]:
    """The same mix with no pauses, `clients` at once: what the one SQLite file serves at most."""
    out: list[Outcome] = []
    stop_at = time.monotonic() + seconds

    def loop(person, seed):
        rng = random.Random(seed)
        browser = Browser(port, person.cookies)
        kinds, weights = zip(*MIX, strict=True)
        n = 0
        try:
            while time.monotonic() < stop_at:
                n += 1
                out.extend(act(browser, person, rng.choices(kinds, weights)[0], rng, f"sat-{person.user.pk}-{n}"))
        finally:
            browser.close()

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(persons[k % len(persons)], 1000 + k)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out, time.monotonic() - started


def lock_hold(person: Person, runs: int = 30) -> dict:
    """The record page in-process on this SQLite file, nothing else running: how long a page
    holds the write lock. A gated view runs inside the transaction its audit row is written
    in (access.gate.client_view), and on SQLite every transaction is IMMEDIATE, so the lock
    is taken at BEGIN and held until the page is rendered and committed."""
    client = TestClient()
    for name, value in person.cookies.items():
        client.cookies[name] = value
    url = reverse("clients:record", args=[person.clients[0]])
    times = []
    for n in range(runs + 5):
        start = time.perf_counter()
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise RuntimeError(f"record page in-process: HTTP {response.status_code}")
        if n >= 5:
            times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1)}


def _summary(outcomes: list[Outcome], seconds: float) -> dict:
    by_kind = defaultdict(list)
    for o in outcomes:
        by_kind[o.kind].append(o)
    kinds = {}
    for kind, rows in sorted(by_kind.items()):
        ms = [o.ms for o in rows]
        kinds[kind] = {
            "requests": len(rows),
            "errors": sum(not o.ok for o in rows),
            "p50_ms": round(percentile(ms, 0.5), 1),
            "p95_ms": round(percentile(ms, 0.95), 1),
            "statuses": dict(Counter(o.status for o in rows)),
        }
    writes = sum(o.write for o in outcomes)
    return {
        "seconds": round(seconds, 1),
        "requests": len(outcomes),
        "errors": sum(not o.ok for o in outcomes),
        "requests_per_s": round(len(outcomes) / seconds, 2) if seconds else 0,
        "writes_per_s": round(writes / seconds, 2) if seconds else 0,
        "kinds": kinds,
    }


def run(*, plan: EmbeddedPlan, tmp: Path, stdout) -> dict:
    """Everything above; returns the figures as a dict."""
    say = stdout.write
    built = prepare(stdout)
    persons = people(plan.staff, built)
    lock = lock_hold(persons[0])
    say(f"Record page in-process on SQLite, quiet: p50 {lock['p50_ms']} ms, p95 {lock['p95_ms']} ms")
    env = _env(tmp)
    (tmp / "mail").mkdir(exist_ok=True)
    started_at = timezone.now()
    notes_before = CaseNote.objects.count()
    with (
        Worker(tmp, env) as worker,
        Gunicorn(workers=plan.workers, threads=plan.threads, log_path=tmp / "gunicorn.log", env=env) as server,
    ):
        say(
            f"{plan.staff} staff for {plan.seconds:.0f} s at human pace (gunicorn {plan.workers}×{plan.threads}, "
            f"Celery worker and beat on {worker.broker}) …"
        )
        outcomes: list[Outcome] = []
        stop_at = time.monotonic() + plan.seconds
        load_before = [round(x, 2) for x in os.getloadavg()]
        threads = [
            threading.Thread(target=staff_loop, args=(server.port, p, plan, stop_at, k, outcomes))
            for k, p in enumerate(persons)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        load_during = []
        while any(t.is_alive() for t in threads):
            time.sleep(5)
            load_during.append(round(os.getloadavg()[0], 2))
        for thread in threads:
            thread.join()
        human = _summary(outcomes, time.monotonic() - began)
        human["load_before"], human["load_during"] = load_before, load_during
        # The worker's share: the referrals' e-mails.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Transmission.objects.filter(status__in=["queued", "sending"]).exists():
            time.sleep(1)
        say(f"Saturation: {plan.saturation_clients} clients with no pauses for {plan.saturation_seconds:.0f} s …")
        sat_outcomes, sat_seconds = saturate(server.port, persons, plan.saturation_clients, plan.saturation_seconds)
        saturation = _summary(sat_outcomes, sat_seconds)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Transmission.objects.filter(status__in=["queued", "sending"]).exists():
            time.sleep(1)
    all_outcomes = outcomes + sat_outcomes
    posted_notes = sum(1 for o in all_outcomes if o.kind == "note_post" and o.write)
    posted_referrals = sum(1 for o in all_outcomes if o.kind == "referral_send" and o.write)
    note_rows = CaseNote.objects.filter(text__startswith=MARKER).count()
    referral_rows = Referral.objects.filter(
        created_at__gte=started_at, status=Referral.Status.SENT, created_by__in=[p.user for p in persons]
    ).count()
    transmissions = dict(
        Counter(Transmission.objects.filter(requested_at__gte=started_at).values_list("status", flat=True))
    )
    heartbeat = SweepHeartbeat.objects.filter(pk=1).values_list("last_sweep_at", flat=True).first()
    connection.close()
    # Every request of the mix is gated or audited, so each holds the write lock for about
    # as long as the quiet in-process page takes; half the lock's capacity keeps the queue short.
    per_staff = human["requests_per_s"] / plan.staff if plan.staff else 0
    capacity = {
        "requests_per_staff_s": round(per_staff, 3),
        "lock_requests_per_s": round(1000 / lock["p50_ms"], 1),
        "staff_at_half_lock": int(0.5 * 1000 / lock["p50_ms"] / per_staff) if per_staff else None,
    }
    return {
        "capacity": capacity,
        "database": "sqlite",
        "server": {"workers": plan.workers, "threads": plan.threads, "broker": worker.broker},
        "staff": plan.staff,
        "human": human,
        "saturation": saturation | {"clients": plan.saturation_clients},
        "writes": {
            "notes_posted": posted_notes,
            "note_rows": note_rows,
            "referrals_posted": posted_referrals,
            "referral_rows": referral_rows,
            "lost": max(0, posted_notes - note_rows) + max(0, posted_referrals - referral_rows),
            "notes_before": notes_before,
        },
        "record_in_process": lock,
        "transmissions": transmissions,
        "beat_swept": bool(heartbeat and heartbeat >= started_at),
    }
