"""In-process measurements: pages through the Django test client, services called directly.

Each operation is warmed up, then timed over many runs (wall clock, `perf_counter`). Its
queries are counted on one more run (CaptureQueriesContext) and its peak memory on
another (tracemalloc), never during the timed runs: both instruments slow what they
watch. The gated and ungated client pages are timed alternately, request by request, so
that a change in machine load falls on both alike.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import Client as TestClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.audit import seal_audit, verify_audit
from deadlines.services import deadlines_sweep
from sharing.models import Referral
from sharing.selectors import decide_referral

from .dataset import SHARE_KEYS, Built


class BenchError(Exception):
    """An operation did not do what it should (a wrong status code, a refused share)."""


@dataclass
class Plan:
    """How many timed runs each kind of operation gets."""

    pages: int = 400
    decisions: int = 2000
    sends: int = 100
    pdfs: int = 30
    sweeps: int = 100
    verifies: int = 3
    seal_batches: int = 10
    seal_batch_rows: int = 10_000
    warmup: int = 20

    @classmethod
    def quick(cls) -> Plan:
        return cls(pages=40, decisions=200, sends=10, pdfs=5, sweeps=10, verifies=2, seal_batch_rows=500, warmup=5)

    @property
    def seal_tail(self) -> int:
        """Audit rows the dataset leaves unsealed: the timed batches plus one each for queries and memory."""
        return (self.seal_batches + 2) * self.seal_batch_rows


@dataclass
class Result:
    p50_ms: float
    p95_ms: float
    queries: int
    peak_mb: float
    samples: int

    def as_json(self) -> dict:
        return {"p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "queries": self.queries, "peak_mb": self.peak_mb}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ms(values_ns: list[int]) -> tuple[float, float]:
    ms = [v / 1e6 for v in values_ns]
    return round(statistics.median(ms), 3), round(percentile(ms, 0.95), 3)


def count_queries(run: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as context:
        run()
    return len(context.captured_queries)


def peak_mb(run: Callable[[], object]) -> float:
    """Peak memory allocated by Python while `run` runs, above what was held before."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return round((peak - before) / 2**20, 2)


def measure(run: Callable[[], object], *, samples: int, warmup: int) -> Result:
    for _ in range(warmup):
        run()
    times = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        run()
        times.append(time.perf_counter_ns() - start)
    p50, p95 = _ms(times)
    return Result(p50, p95, count_queries(run), peak_mb(run), samples)


def _expect(response, status: int, what: str):
    if response.status_code != status:
        raise BenchError(f"{what}: expected HTTP {status}, got {response.status_code}")
    return response


def signed_in(user) -> TestClient:
    """A test client signed in as `user` (2FA-verified where the role needs it), over HTTPS."""
    client = TestClient()
    client.force_login(user)
    if user.requires_2fa:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="Bench", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


class Bench:
    def __init__(self, built: Built, plan: Plan, *, seal_file, stdout=None):
        self.built = built
        self.focus = built.focus
        self.plan = plan
        self.seal_file = seal_file
        self.stdout = stdout
        self.results: dict[str, Result] = {}
        self.ratio: float | None = None
        self.cpu_ratio: float | None = None
        self.caseworker = signed_in(self.focus.caseworker)
        self.manager = signed_in(self.focus.manager)

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)
            self.stdout.flush()

    def run(self) -> dict[str, Result]:
        for name, step in [
            ("seal_audit", self.seal),
            ("verify_audit", self.verify),
            ("client_page", self.client_pages),
            ("caseload_page", self.caseload),
            ("decide_share", self.decide_share),
            ("referral_send", self.referral_send),
            ("referral_pdf", self.referral_pdf),
            ("breach_sweep", self.breach_sweep),
        ]:
            self.say(f"Measuring {name} …")
            step()
        return self.results

    # --- Pages -------------------------------------------------------------------------------

    def client_pages(self) -> None:
        """The gated page and the same page ungated, timed alternately (which goes first alternates too)."""
        client_id = self.focus.client.pk
        gated_url = reverse("clients:record", args=[client_id])
        ungated_url = reverse("bench_client_ungated", args=[client_id])

        def gated():
            _expect(self.caseworker.get(gated_url, secure=True), 200, "client page")

        def ungated():
            _expect(self.caseworker.get(ungated_url, secure=True), 200, "ungated client page")

        for _ in range(self.plan.warmup):
            gated()
            ungated()
        times = {"gated": [], "ungated": []}
        cpu = {"gated": 0, "ungated": 0}
        for n in range(self.plan.pages):
            order = [("gated", gated), ("ungated", ungated)]
            for name, run in order if n % 2 == 0 else reversed(order):
                start, start_cpu = time.perf_counter_ns(), time.process_time_ns()
                run()
                times[name].append(time.perf_counter_ns() - start)
                cpu[name] += time.process_time_ns() - start_cpu
        for name, run in (("gated", gated), ("ungated", ungated)):
            p50, p95 = _ms(times[name])
            key = "client_page" if name == "gated" else "client_page_ungated"
            self.results[key] = Result(p50, p95, count_queries(run), peak_mb(run), self.plan.pages)
        self.ratio = round(statistics.median(times["gated"]) / statistics.median(times["ungated"]), 3)
        # This process's CPU alone (PostgreSQL's is not in it): what the gate costs in Python,
        # and a figure that a busy machine disturbs far less than the wall clock.
        self.cpu_ratio = round(cpu["gated"] / cpu["ungated"], 3)

    def caseload(self) -> None:
        url = reverse("clients:caseload")
        for key, client in (("caseload_page", self.caseworker), ("caseload_page_manager", self.manager)):
            self.results[key] = measure(
                lambda client=client, key=key: _expect(client.get(url, secure=True), 200, key),
                samples=self.plan.pages,
                warmup=self.plan.warmup,
            )

    # --- Sharing -------------------------------------------------------------------------------

    def decide_share(self) -> None:
        focus = self.focus

        def decide():
            decision = decide_referral(
                client=focus.client,
                partner=focus.partner,
                purpose=focus.purpose,
                selection=focus.selection,
                reasons=focus.reasons,
            )
            if not decision.allowed:
                raise BenchError("decide_share: the focus client's consent should cover the share")

        self.results["decide_share"] = measure(decide, samples=self.plan.decisions, warmup=self.plan.warmup)

    def referral_send(self) -> None:
        """Send drafts through the referral page, as a caseworker would (a POST with action=send)."""
        focus = self.focus
        runs = self.plan.sends + self.plan.warmup + 2
        drafts = Referral.objects.bulk_create(
            Referral(
                client=focus.client,
                partner=focus.partner,
                purpose=focus.purpose,
                selection=focus.selection.to_json(),
                reasons=focus.reasons,
                created_by=focus.caseworker,
            )
            for _ in range(runs)
        )
        data = {f"level_{key}": focus.selection[key].label for key in SHARE_KEYS}
        data |= {f"reason_{key}": text for key, text in focus.reasons.items()}
        data["action"] = "send"
        pending = iter(drafts)

        def send():
            referral = next(pending)
            url = reverse("sharing:referral", args=[focus.client.pk, referral.pk])
            _expect(self.caseworker.post(url, data, secure=True), 302, "referral send")

        self.results["referral_send"] = measure(send, samples=self.plan.sends, warmup=self.plan.warmup)
        self.sent_referral = drafts[0]

    def referral_pdf(self) -> None:
        url = reverse("sharing:referral_pdf", args=[self.focus.client.pk, self.sent_referral.pk])

        def download():
            response = _expect(self.caseworker.get(url, secure=True), 200, "referral PDF")
            if not response.content.startswith(b"%PDF"):
                raise BenchError("referral PDF: the response is not a PDF")

        self.results["referral_pdf"] = measure(download, samples=self.plan.pdfs, warmup=min(3, self.plan.warmup))

    # --- Background work -----------------------------------------------------------------------

    def breach_sweep(self) -> None:
        self.results["breach_sweep"] = measure(deadlines_sweep, samples=self.plan.sweeps, warmup=3)

    def seal(self) -> None:
        """Seal the dataset's unsealed tail, one batch per run: `seal_batches` timed, then one
        batch counted for queries and one for memory. No warm-up: a row is sealed once."""
        rows = self.plan.seal_batch_rows

        def seal_one():
            seals = seal_audit(batch_size=rows, max_seals=1)
            if len(seals) != 1 or seals[0].row_count != rows:
                raise BenchError(f"seal_audit: expected one seal of {rows} rows, got {seals}")

        self.results["seal_audit"] = measure(seal_one, samples=self.plan.seal_batches, warmup=0)

    def verify(self) -> None:
        def verify():
            result = verify_audit(seal_file=self.seal_file)
            if not result.intact:
                raise BenchError(f"verify_audit: {result.problems[:3]}")
            self.verified_rows = result.rows

        self.results["verify_audit"] = measure(verify, samples=self.plan.verifies, warmup=0)
