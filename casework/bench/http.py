"""HTTP load on loopback: gunicorn against the same database, and a bounded load generator.

gunicorn runs the production WSGI app with production settings — except that it is told
it sits behind one TLS-terminating proxy (BEHIND_PROXY, PROXY_COUNT), which the load
generator plays by sending X-Forwarded-Proto and X-Forwarded-For, and that database
connections persist (DATABASE_CONN_MAX_AGE), as a deployment would set them.

The load generator is a pool of threads, each with its own keep-alive connection
(http.client; gunicorn's sync workers close after each response and the connection is
reopened). It stops at a request count or a time limit, whichever comes first.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from .operations import percentile


@dataclass
class LoadResult:
    rps: float
    p95_ms: float
    errors: int
    requests: int
    seconds: float
    concurrency: int
    workers: int

    def as_json(self) -> dict:
        return {"rps": self.rps, "p95_ms": self.p95_ms, "errors": self.errors}


# gunicorn's database sessions carry this name, so the bench can wait for them to end.
APPLICATION_NAME = "casework-bench-gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this process is using (the test database under pytest)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    at = "@" if credentials else ""
    return f"postgres://{credentials}{at}{host}{port}/{quote(db['NAME'], safe='')}?application_name={APPLICATION_NAME}"


class Gunicorn:
    """gunicorn on a free 127.0.0.1 port; a context manager that always stops it."""

    def __init__(self, *, workers: int = 2, log_path: Path, threads: int = 1, env: dict | None = None):
        self.workers = workers
        self.threads = threads
        self.extra_env = env or {}
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "casework.settings",
                "DEBUG": "0",
                "SECRET_KEY": settings.SECRET_KEY,  # the same key, so the bench's session is valid
                "DATABASE_URL": database_url(),
                "DATABASE_CONN_MAX_AGE": "60",
                "ALLOWED_HOSTS": "127.0.0.1",
                "BEHIND_PROXY": "1",
                "PROXY_COUNT": "1",
                "STATIC_MANIFEST": "0",
                "LOG_LEVEL": "WARNING",
                "PRIVATE_STORAGE_ROOT": str(settings.PRIVATE_STORAGE_ROOT),
                "AUDIT_SEAL_FILE": str(settings.AUDIT_SEAL_FILE),
            }
        )
        env.update(self.extra_env)
        return env

    def __enter__(self) -> Gunicorn:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "casework.wsgi",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--threads",
            str(self.threads),
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=settings.BASE_DIR, env=self.environment(), stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz", headers=proxy_headers())
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s: see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        _wait_for_sessions_to_end()


def _wait_for_sessions_to_end(timeout: float = 10) -> None:
    """Until the workers' database sessions are gone (a test database can then be dropped)."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME])
            if not cursor.fetchone()[0]:
                return
        time.sleep(0.1)


def proxy_headers() -> dict[str, str]:
    return {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"}


def load(
    *, port: int, path: str, cookie: str, requests: int, seconds: float, concurrency: int, warmup: int = 20
) -> tuple[list[float], int, float]:
    """GET `path` until `requests` are done or `seconds` have passed. Returns (latencies ms, errors, elapsed)."""
    headers = proxy_headers() | {"Cookie": cookie, "Connection": "keep-alive"}
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    errors = 0

    def one(conn: http.client.HTTPConnection) -> tuple[bool, float, http.client.HTTPConnection]:
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        return ok, (time.perf_counter() - start) * 1000, conn

    # Warm-up: each worker renders its first page (template compilation, connections).
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(warmup):
        one(conn)
    conn.close()

    stop_at = time.perf_counter() + seconds

    def worker():
        nonlocal issued, errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if issued >= requests or time.perf_counter() >= stop_at:
                    break
                issued += 1
            ok, ms, conn = one(conn)
            with lock:
                latencies.append(ms)
                errors += not ok
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def run_load(
    *,
    path: str,
    cookie: str,
    requests: int,
    seconds: float,
    concurrency: int,
    workers: int,
    log_path: Path,
) -> LoadResult:
    with Gunicorn(workers=workers, log_path=log_path) as server:
        latencies, errors, elapsed = load(
            port=server.port,
            path=path,
            cookie=cookie,
            requests=requests,
            seconds=seconds,
            concurrency=concurrency,
        )
    done = len(latencies)
    return LoadResult(
        rps=round(done / elapsed, 1) if elapsed else 0.0,
        p95_ms=round(percentile(latencies, 0.95), 2) if latencies else 0.0,
        errors=errors,
        requests=done,
        seconds=round(elapsed, 2),
        concurrency=concurrency,
        workers=workers,
    )


def probe_during(
    work, *, path: str, cookie: str, log_path: Path, workers: int = 2, pause: float = 0.1, quiet_requests: int = 50
) -> dict:
    """Run `work()` while one simulated person asks for `path` every `pause` seconds over HTTP.

    gunicorn (production settings, as in `run_load`) serves the page; the page's p95 is
    taken first with nothing else running (`quiet_requests` requests), then for as long as
    `work` runs. Returns the figures as a dict (milliseconds).
    """
    headers = proxy_headers() | {"Cookie": cookie, "Connection": "keep-alive"}
    with Gunicorn(workers=workers, log_path=log_path) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

        def get() -> tuple[bool, float]:
            nonlocal conn
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                ok = False
            return ok, (time.perf_counter() - start) * 1000

        for _ in range(10):  # warm-up: each worker's first page
            get()
        quiet = []
        for _ in range(quiet_requests):
            quiet.append(get()[1])
            time.sleep(pause)
        during, errors, stop = [], 0, threading.Event()

        def ask():
            nonlocal errors
            while not stop.is_set():
                ok, ms = get()
                during.append(ms)
                errors += not ok
                stop.wait(pause)

        thread = threading.Thread(target=ask, daemon=True)
        thread.start()
        try:
            work()
        finally:
            stop.set()
            thread.join()
            conn.close()
    return {
        "page_p95_ms_quiet": round(percentile(quiet, 0.95), 2),
        "page_p95_ms_during": round(percentile(during, 0.95), 2) if during else None,
        "page_requests_during": len(during),
        "page_errors_during": errors,
    }
