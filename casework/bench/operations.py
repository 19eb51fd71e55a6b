"""In-process measurements: pages through the Django test client, services called directly.

Each operation is warmed up, then timed over many runs (wall clock, `perf_counter`). Its
queries are counted on one more run (CaptureQueriesContext) and its peak memory on
another (tracemalloc), never during the timed runs: both instruments slow what they
watch. The gated and ungated client pages are timed alternately, request by request, so
that a change in machine load falls on both alike.
"""

from __future__ import annotations

import cProfile
import csv
import datetime as dt
import gc
import io
import math
import os
import pstats
import random
import statistics
import sysconfig
import threading
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.test import Client as TestClient
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from access.audit import seal_audit, verify_audit
from accounts.testing import force_verified_login
from clients.duplicates import possible_duplicates
from clients.models import Client
from deadlines.models import OutboxEmail
from deadlines.services import deadlines_sweep
from imports.models import ClientImport
from imports.services import import_check, import_confirm, import_run
from rights.calendar import response_due
from rights.models import SarPack, SubjectAccessRequest
from rights.services import client_anonymise, clients_anonymise, sar_pack_compile
from sharing.models import Disclosure, Referral
from sharing.selectors import decide_referral
from sharing.services import transmission_basis_problem

from .dataset import ALL_KEYS, DUPLICATE_CANDIDATE, FIRST_NAMES, LAST_NAMES, PLANTED, RETENTION_YEARS, SHARE_KEYS, Built


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
    rechecks: int = 500
    packs: int = 1
    retention_lists: int = 10
    reports: int = 100
    anonymise_batch: int = 100
    # One more pack under tracemalloc (Python's own peak), besides the resident peak of every
    # run. Off by default: at 2,000 notes a pack is slow enough (BENCHMARKS.md) that the
    # resident peak is the figure taken; `--profile sar_pack` shows where the time goes.
    pack_tracemalloc: bool = False
    warmup: int = 20

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            pages=20,
            decisions=100,
            sends=10,
            pdfs=3,
            sweeps=10,
            verifies=2,
            seal_batch_rows=500,
            rechecks=50,
            packs=1,
            retention_lists=3,
            reports=10,
            anonymise_batch=5,
            warmup=5,
        )

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
    # Whatever else the operation reports (rows per second, the resident-memory peak, sizes).
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        figures = {"p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "queries": self.queries, "peak_mb": self.peak_mb}
        return figures | ({"extra": self.extra} if self.extra else {})


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
    cpu_start = time.process_time_ns()
    for _ in range(samples):
        start = time.perf_counter_ns()
        run()
        times.append(time.perf_counter_ns() - start)
    # This process's CPU per run (PostgreSQL's is not in it): far less disturbed than the wall
    # clock when other work shares the machine.
    cpu_ms = round((time.process_time_ns() - cpu_start) / samples / 1e6, 2)
    p50, p95 = _ms(times)
    return Result(p50, p95, count_queries(run), peak_mb(run), samples, extra={"cpu_ms": cpu_ms})


class QueryCounter:
    """Counts this thread's queries without keeping them (for one-off operations of many
    thousands of queries, where CaptureQueriesContext would cost time and memory)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries():
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class ResidentPeak:
    """The process's resident memory, sampled every 20 ms in a thread: its peak above the
    level when sampling started, in MB. Costs the measured work nothing measurable
    (unlike tracemalloc), and includes memory that C libraries (WeasyPrint's) allocate."""

    def __init__(self, interval: float = 0.02):
        self.interval = interval
        self.start = self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ResidentPeak:
        self.start = self.peak = _resident_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, _resident_bytes())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _resident_bytes())

    @property
    def mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


def _expect(response, status: int, what: str):
    if response.status_code != status:
        raise BenchError(f"{what}: expected HTTP {status}, got {response.status_code}")
    return response


def signed_in(user) -> TestClient:
    """A test client signed in as `user` (2FA-verified where the role needs it), over HTTPS."""
    return force_verified_login(TestClient(), user, device_name="Bench")


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
        self.iso = signed_in(self.focus.iso)
        self.tmp = Path(seal_file).parent
        self.step_seconds: dict[str, float] = {}
        self.profile_names: set[str] = set()  # operations to run once more under cProfile
        self.profiles: dict[str, str] = {}
        self.load: list[float] = []  # the 1-minute load average as each step starts
        self.http_probe = None  # set by the command: a function that measures a page over HTTP meanwhile
        self.only: set[str] = set()  # steps to run (all when empty)

    def measure(self, key: str, run: Callable[[], object], *, samples: int, warmup: int) -> None:
        self.results[key] = measure(run, samples=samples, warmup=warmup)
        if key in self.profile_names:
            # About a second of runs, so that one preempted run does not lead the profile.
            self.profile(key, run, repeats=max(1, min(50, int(1000 / max(1.0, self.results[key].p50_ms)))))

    def profile(self, key: str, run: Callable[[], object], *, repeats: int = 1) -> None:
        """`repeats` more runs under cProfile; the top entries (by cumulative and by own time) kept and printed."""
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            for _ in range(repeats):
                run()
        finally:
            profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        # Cumulative, less the request machinery every page passes through (middleware, the test client).
        stats.sort_stats("cumulative").print_stats(PROFILE_SKIP, PROFILE_ENTRIES)
        stats.sort_stats("tottime").print_stats(PROFILE_ENTRIES)
        self.profiles[key] = _short_paths(text.getvalue())
        self.say(f"--- profile of {key} ---\n{self.profiles[key]}")

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
            ("timeline_page", self.timeline),
            ("duplicate_check", self.duplicate_check),
            ("referral_send", self.referral_send),
            ("referral_pdf", self.referral_pdf),
            ("transmission_recheck", self.transmission_recheck),
            ("deadlines_sweep", self.deadlines_sweep),
            ("reports_page", self.reports_page),
            ("sar_pack", self.sar_pack),
            ("import_clients", self.import_clients),
            ("retention", self.retention),
        ]:
            # A sent referral is what the PDF and the re-check work on.
            needed = self.only | ({"referral_send"} if self.only & {"referral_pdf", "transmission_recheck"} else set())
            if self.only and name not in needed:
                continue
            began = time.monotonic()
            self.load.append(round(os.getloadavg()[0], 2))
            self.say(f"Measuring {name} … (load average {self.load[-1]})")
            step()
            self.step_seconds[name] = round(time.monotonic() - began, 1)
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
            self.results[key] = Result(
                p50,
                p95,
                count_queries(run),
                peak_mb(run),
                self.plan.pages,
                extra={"cpu_ms": round(cpu[name] / self.plan.pages / 1e6, 2)},
            )
        if "client_page" in self.profile_names:
            self.profile("client_page", gated, repeats=50)
        self.ratio = round(statistics.median(times["gated"]) / statistics.median(times["ungated"]), 3)
        # This process's CPU alone (PostgreSQL's is not in it): what the gate costs in Python,
        # and a figure that a busy machine disturbs far less than the wall clock.
        self.cpu_ratio = round(cpu["gated"] / cpu["ungated"], 3)

    def caseload(self) -> None:
        url = reverse("clients:caseload")
        for key, client in (("caseload_page", self.caseworker), ("caseload_page_manager", self.manager)):
            self.measure(
                key,
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

        self.measure("decide_share", decide, samples=self.plan.decisions, warmup=self.plan.warmup)

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

        self.measure("referral_send", send, samples=self.plan.sends, warmup=self.plan.warmup)
        self.sent_referral = drafts[0]

    def referral_pdf(self) -> None:
        url = reverse("sharing:referral_pdf", args=[self.focus.client.pk, self.sent_referral.pk])

        def download():
            response = _expect(self.caseworker.get(url, secure=True), 200, "referral PDF")
            if not response.content.startswith(b"%PDF"):
                raise BenchError("referral PDF: the response is not a PDF")

        self.measure("referral_pdf", download, samples=self.plan.pdfs, warmup=min(3, self.plan.warmup))

    # --- Background work -----------------------------------------------------------------------

    def deadlines_sweep(self) -> None:
        """Every registered clock. The first sweep catches up with the dataset (it raises every
        review and agreement threshold already due, and queues their e-mails); the worker is
        then taken to have sent them, and the steady sweeps, what beat runs every few minutes,
        are timed."""
        started = time.perf_counter_ns()
        with counting_queries() as counter:
            summary = deadlines_sweep()
        first = round((time.perf_counter_ns() - started) / 1e6, 3)
        raised = sum(summary["clocks"].values())
        self.results["deadlines_sweep_first"] = Result(
            first,
            first,
            counter.count,
            0.0,
            1,
            extra={"objects_with_new_alerts": raised, "to_send": summary["to_send"]},
        )
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).update(
            status=OutboxEmail.Status.SENT, sent_at=timezone.now()
        )
        self.measure("deadlines_sweep", deadlines_sweep, samples=self.plan.sweeps, warmup=3)

    # --- Round two: the timeline, duplicates, transmission, reports ------------------------------

    def timeline(self) -> None:
        """The subject access client's record page (2,000 notes): the newest page, and a filtered page 2."""
        url = reverse("clients:record", args=[self.focus.sar_client.pk])
        filtered = f"{url}?{urlencode({'category': TIMELINE_CATEGORY, 'page': 2})}"
        for key, target in (("timeline_page", url), ("timeline_page_filtered", filtered)):
            self.measure(
                key,
                lambda target=target, key=key: _expect(self.caseworker.get(target, secure=True), 200, key),
                samples=self.plan.pages,
                warmup=self.plan.warmup,
            )

    def duplicate_check(self) -> None:
        """ "Add a client" with details that match planted records: the page POST (which shows the
        matches and writes only its audit row) and the check alone."""
        url = reverse("clients:create")
        born = DUPLICATE_CANDIDATE["date_of_birth"]
        data = {
            "team": self.focus.client.team_id,
            "first_name": DUPLICATE_CANDIDATE["first_name"],
            "last_name": DUPLICATE_CANDIDATE["last_name"],
            "date_of_birth": born.isoformat(),
            "nhs_number": DUPLICATE_CANDIDATE["nhs_number"],
            "opened_on": timezone.localdate().isoformat(),
        }
        expected = PLANTED_MATCHES if self.built.sizes.clients > len(PLANTED) + 2 else 0

        def check():
            matches = possible_duplicates(
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=born,
                nhs_number=data["nhs_number"],
            )
            if len(matches) < expected:
                raise BenchError(f"duplicate check: expected {expected} planted matches, found {len(matches)}")

        def page():
            response = _expect(self.caseworker.post(url, data, secure=True), 200, "duplicate check")
            if expected and b"Fairweather" not in response.content:
                raise BenchError("duplicate check: the page shows no possible match")

        check()
        self.measure("duplicate_check", page, samples=self.plan.pages, warmup=self.plan.warmup)
        self.measure("possible_duplicates", check, samples=self.plan.pages, warmup=self.plan.warmup)

    def transmission_recheck(self) -> None:
        """What runs before a referral leaves (referral_transmit, transmission_send): the
        disclosure read, its basis rows locked and re-checked, in one transaction."""
        disclosure_id = Referral.objects.values_list("disclosure_id", flat=True).get(pk=self.sent_referral.pk)

        def recheck():
            with transaction.atomic():
                disclosure = Disclosure.objects.select_related(
                    "client", "partner", "purpose", "consent", "lawful_basis"
                ).get(pk=disclosure_id)
                problem = transmission_basis_problem(disclosure)
            if problem:
                raise BenchError(f"transmission re-check refused: {problem}")

        self.measure("transmission_recheck", recheck, samples=self.plan.rechecks, warmup=self.plan.warmup)

    def reports_page(self) -> None:
        """The information security officer's reports page: the whole organisation, the last year."""
        url = reverse("reports:page")
        self.measure(
            "reports_page",
            lambda: _expect(self.iso.get(url, secure=True), 200, "reports page"),
            samples=self.plan.reports,
            warmup=min(5, self.plan.warmup),
        )

    # --- Round two: the subject access pack, imports, retention -----------------------------------

    def sar_pack(self) -> None:
        """Compile the subject access client's pack (PDF and archive), as the task does, one fresh
        pack per run: timed runs (resident memory sampled meanwhile), then one run under tracemalloc."""
        client = self.focus.sar_client
        today = timezone.localdate()
        sar = SubjectAccessRequest.objects.create(
            reference="SAR-BENCH-FOCUS",
            client=client,
            requester=SubjectAccessRequest.Requester.CLIENT,
            verification=SubjectAccessRequest.Verification.KNOWN_IN_PERSON,
            asked_for="Everything you hold about me.",
            received_on=today,
            due_on=response_due(today),
            logged_by=self.focus.iso,
            logged_at=timezone.now(),
        )

        def compile_one():
            pack = SarPack.objects.create(
                sar=sar, client=client, requested_by=self.focus.iso, requested_at=timezone.now()
            )
            if not sar_pack_compile(pack_id=pack.pk):
                raise BenchError("SAR pack: the compile did not claim its pack")
            return SarPack.objects.get(pk=pack.pk)

        times, rss = [], []
        for _ in range(self.plan.packs):
            gc.collect()
            with ResidentPeak() as peak, counting_queries() as counter:
                start = time.perf_counter_ns()
                pack = compile_one()
                times.append(time.perf_counter_ns() - start)
            rss.append(peak.mb)
            if pack.status != SarPack.Status.READY:
                raise BenchError(f"SAR pack: {pack.status} {pack.error}")
        p50, p95 = _ms(times)
        if "sar_pack" in self.profile_names:
            self.profile("sar_pack", compile_one)
        from consent.evidence import private_storage

        storage = private_storage()
        self.results["sar_pack"] = Result(
            p50,
            p95,
            counter.count,
            peak_mb(compile_one) if self.plan.pack_tracemalloc else 0.0,
            len(times),
            extra={
                "rss_peak_mb": max(rss),
                "pdf_kb": round(storage.size(pack.pdf_name) / 1024),
                "archive_kb": round(storage.size(pack.archive_name) / 1024),
                "notes": self.built.sizes.sar_notes,
                "disclosures": self.built.sizes.sar_disclosures,
                "access_rows": self.built.sizes.sar_access,
            },
        )

    def import_clients(self) -> None:
        """A manager imports `import_rows` clients from CSV into their team: the dry run, then the
        confirmed import run in-process (what the Celery task calls). Resident memory sampled."""
        rows = self.built.sizes.import_rows
        path = self.tmp / "import.csv"
        _write_import_file(path, rows)
        manager = self.focus.manager
        team = self.focus.client.team
        gc.collect()
        with ResidentPeak() as dry_peak, counting_queries() as dry_queries, path.open("rb") as handle:
            start = time.perf_counter_ns()
            upload = File(handle, name="old-system.csv")
            checked = import_check(actor=manager, team=team, upload=upload)
            dry = time.perf_counter_ns() - start
        if checked.rows_to_import < rows * 0.9:
            raise BenchError(f"import: only {checked.rows_to_import} of {rows} rows would be imported")
        import_confirm(actor=manager, client_import=checked)
        gc.collect()
        with ResidentPeak() as run_peak, counting_queries() as run_queries:
            start = time.perf_counter_ns()
            done = import_run(import_id=checked.pk)
            run = time.perf_counter_ns() - start
        if done is None or done.status != ClientImport.Status.DONE:
            raise BenchError(f"import: {done and done.status} {done and done.error}")
        if "import_confirmed" in self.profile_names:
            # A smaller file (other people), confirmed, then its run profiled: the cost per row.
            small = self.tmp / "import-profile.csv"
            _write_import_file(small, PROFILE_IMPORT_ROWS, first=rows)
            with small.open("rb") as handle:
                other = import_check(actor=manager, team=team, upload=File(handle, name="profile.csv"))
            import_confirm(actor=manager, client_import=other)
            self.profile("import_confirmed", lambda: import_run(import_id=other.pk))
        for key, ns, peak, queries, extra in (
            ("import_dry_run", dry, dry_peak, dry_queries, {"rows": rows, "to_import": checked.rows_to_import}),
            ("import_confirmed", run, run_peak, run_queries, {"rows_imported": done.rows_imported}),
        ):
            ms = round(ns / 1e6, 3)
            per_second = round((extra.get("rows") or extra.get("rows_imported")) / (ns / 1e9))
            self.results[key] = Result(
                ms, ms, queries.count, 0.0, 1, extra={**extra, "rows_per_s": per_second, "rss_peak_mb": peak.mb}
            )

    def retention(self) -> None:
        """List the clients past retention (closed more than RETENTION_YEARS ago, not anonymised,
        not under legal hold), then anonymise `anonymise` of them in batches of `anonymise_batch`,
        while the focus client's page is requested over HTTP (when the command provides the probe).

        With `rights.retention` (the retention schedule) the listing is its `retention_status`
        and `due_clients` under a six-year closed-cases rule, and the anonymisation an approved
        batch of the chosen clients run by `retention_batch_run` (the task's work, in bounded
        transactions). Without it: a direct query, and `rights.services.client_anonymise` for
        each client, one transaction each, `anonymise_batch` at a time.
        """
        api = _retention_api()
        actor, batch = self.focus.iso, self.plan.anonymise_batch
        if api is not None:
            retention, rule_model, batch_model, item_model = api
            rule, _ = rule_model.objects.get_or_create(
                kind=rule_model.Kind.CLOSED_CASES,
                defaults={"period_months": RETENTION_YEARS * 12, "starts_from": rule_model.StartsFrom.CASE_CLOSED},
            )

            def past_retention() -> list[int]:
                retention.retention_status()
                return list(retention.due_clients(rule).values_list("pk", flat=True))

        else:
            cutoff = timezone.localdate() - dt.timedelta(days=RETENTION_YEARS * 365)

            def past_retention() -> list[int]:
                return list(
                    Client.objects.filter(
                        status=Client.Status.CLOSED,
                        closed_on__lt=cutoff,
                        anonymised_at__isnull=True,
                        legal_hold_since__isnull=True,
                        merged_into__isnull=True,
                    )
                    .order_by("closed_on", "pk")
                    .values_list("pk", flat=True)
                )

        listed = past_retention()
        result = measure(past_retention, samples=self.plan.retention_lists, warmup=1)
        result.extra |= {"clients_listed": len(listed), "via": "rights.retention" if api else "direct query"}
        self.results["retention_list"] = result

        chosen = listed[: self.built.sizes.anonymise]
        batch_times = []
        if api is not None:
            approved = batch_model.objects.create(
                rule=rule,
                period_months=rule.period_months,
                approved_by=actor,
                approved_at=timezone.now(),
                total=len(chosen),
            )
            item_model.objects.bulk_create([item_model(batch=approved, client_id=pk) for pk in chosen])

            def anonymise_all():
                with override_settings(RETENTION_BATCH_SIZE=batch):
                    done = retention.retention_batch_run(batch_id=approved.pk, budget_seconds=24 * 3600)
                if done is None or done.anonymised != len(chosen):
                    raise BenchError(f"retention batch: {done and done.anonymised} of {len(chosen)} anonymised")

        else:

            def anonymise_all():
                for start in range(0, len(chosen), batch):
                    began = time.perf_counter_ns()
                    for client in Client.objects.select_related("team").filter(pk__in=chosen[start : start + batch]):
                        client_anonymise(actor=actor, client=client, reason="Past its retention period (bench)")
                    batch_times.append(time.perf_counter_ns() - began)

        gc.collect()
        probe = self.http_probe
        work_ns = []

        def timed():  # the anonymisation alone, not the probe's gunicorn start and quiet requests
            began = time.perf_counter_ns()
            anonymise_all()
            work_ns.append(time.perf_counter_ns() - began)

        with ResidentPeak() as peak, counting_queries() as counter:
            during = probe(timed) if probe else (timed() or None)
        total = work_ns[0]
        ms = round(total / 1e6, 3)
        extra = {
            "clients": len(chosen),
            "batch": batch,
            "via": "rights.retention.retention_batch_run" if api else "rights.services.client_anonymise",
            "clients_per_s": round(len(chosen) / (total / 1e9), 1),
            "rss_peak_mb": peak.mb,
        }
        if batch_times:
            extra["batch_p50_ms"], extra["batch_p95_ms"] = _ms(batch_times)
        if during:
            extra |= during
        self.results["retention_anonymise"] = Result(ms, ms, counter.count, 0.0, 1, extra=extra)
        if "retention_anonymise" in self.profile_names:
            more = listed[len(chosen) : len(chosen) + PROFILE_ANONYMISE]

            def anonymise_more():  # as one chunk of a retention batch does it
                done = clients_anonymise(actor=actor, client_ids=more, reason="Past its retention period (bench)")
                if len(done.anonymised) != len(more):
                    raise BenchError(f"clients_anonymise: {len(done.anonymised)} of {len(more)} anonymised")

            self.profile("retention_anonymise", anonymise_more)

    def seal(self) -> None:
        """Seal the dataset's unsealed tail, one batch per run: `seal_batches` timed, then one
        batch counted for queries and one for memory. No warm-up: a row is sealed once."""
        rows = self.plan.seal_batch_rows

        def seal_one():
            seals = seal_audit(batch_size=rows, max_seals=1)
            if len(seals) != 1 or seals[0].row_count != rows:
                raise BenchError(f"seal_audit: expected one seal of {rows} rows, got {seals}")

        self.measure("seal_audit", seal_one, samples=self.plan.seal_batches, warmup=0)

    def verify(self) -> None:
        def verify():
            result = verify_audit(seal_file=self.seal_file)
            if not result.intact:
                raise BenchError(f"verify_audit: {result.problems[:3]}")
            self.verified_rows = result.rows

        self.measure("verify_audit", verify, samples=self.plan.verifies, warmup=0)


PROFILE_ENTRIES = 30
PROFILE_SKIP = r"^(?!.*(middleware|deprecation\.py|exception\.py|test/client\.py|handlers/base\.py|decorators|otp))"
PROFILE_IMPORT_ROWS = 200
PROFILE_ANONYMISE = 50


def _short_paths(text: str) -> str:
    """File names relative to the project, site-packages or the standard library."""
    paths = sysconfig.get_paths()
    for prefix in sorted({str(settings.BASE_DIR), paths["purelib"], paths["platlib"], paths["stdlib"]}, key=len)[::-1]:
        text = text.replace(prefix.rstrip("/") + "/", "")
    return text


def _retention_api():
    """`rights.retention` and its models when the retention schedule is installed, else None."""
    try:
        from rights import retention
        from rights.models import RetentionBatch, RetentionBatchItem, RetentionRule
    except ImportError:
        return None
    return retention, RetentionRule, RetentionBatch, RetentionBatchItem


# The timeline filter measured: one data category, its second page.
TIMELINE_CATEGORY = ALL_KEYS[2]
# Planted records "Add a client" must find: close names on the same date of birth, and the same NHS number.
PLANTED_MATCHES = sum(1 for _, _, same_born, same_nhs in PLANTED if same_nhs) + 3


def _write_import_file(path: Path, rows: int, *, first: int = 0) -> None:
    """An old system's export: `rows` people (numbered from `first`), identity, contact, case
    opened and one information entry each, dates written the UK way. Streamed to disk; none
    is someone already known."""
    rng = random.Random(rows + first)
    category = ALL_KEYS[2]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "First name",
                "Surname",
                "DOB",
                "NHS number",
                "Phone",
                "Address",
                "Date opened",
                f"{category}_summary",
                f"{category}_detail",
            ]
        )
        for n in range(first, first + rows):
            born = dt.date(1940 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28))
            writer.writerow(
                [
                    f"{rng.choice(FIRST_NAMES)}{n:05d}",  # unique names: no row is a close match
                    rng.choice(LAST_NAMES),
                    born.strftime("%d/%m/%Y"),
                    f"8{n:09d}",
                    f"07700 8{n % 100000:05d}",
                    f"{rng.randrange(1, 300)} Station Road, Old Town",
                    (dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1500))).strftime("%d-%b-%Y"),
                    "Sleeping rough since the spring.",
                    "Left the family home after a breakdown; sofa-surfed, then slept rough near the station.",
                ]
            )
