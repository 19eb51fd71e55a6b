"""`manage.py bench` (`make bench`): build a dataset at scale, measure, print, write JSON.

Runs on PostgreSQL, on an empty database (`make bench` gives it a throwaway cluster).
See casework/bench/ for what is built and how each figure is taken, and BENCHMARKS.md for
the results. These are benchmark figures: no test asserts a timing.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import tempfile
import time
import warnings
from dataclasses import asdict
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings
from django.urls import reverse

from casework.bench.dataset import Builder, Sizes
from casework.bench.embedded import EmbeddedPlan
from casework.bench.embedded import run as run_embedded
from casework.bench.http import probe_during, run_load
from casework.bench.operations import Bench, Plan, signed_in

SIZE_OPTIONS = (
    "clients",
    "staff",
    "teams",
    "audit_events",
    "consents",
    "referrals",
    "breaches",
    "alerts",
    "agreements",
    "sars",
    "import_rows",
    "anonymise",
    "sar_notes",
    "sar_disclosures",
    "sar_access",
)

# The order operations are listed in.
ORDER = [
    "client_page",
    "client_page_ungated",
    "timeline_page",
    "timeline_page_filtered",
    "caseload_page",
    "caseload_page_manager",
    "duplicate_check",
    "possible_duplicates",
    "decide_share",
    "referral_send",
    "referral_pdf",
    "transmission_recheck",
    "deadlines_sweep",
    "deadlines_sweep_first",
    "reports_page",
    "sar_pack",
    "retention_list",
    "retention_anonymise",
    "import_dry_run",
    "import_confirmed",
    "seal_audit",
    "verify_audit",
]


class Command(BaseCommand):
    help = "Benchmark the gate, the pages and the audit log on a dataset at scale (PostgreSQL, empty database)."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="A small dataset and few runs: under 2 minutes.")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Multiply the clients, events, consents, referrals and breaches."
        )
        for name in SIZE_OPTIONS:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int, metavar="N")
        parser.add_argument("--requests", type=int, metavar="N", help="Timed requests per page (default 400).")
        parser.add_argument("--json", dest="json_path", metavar="PATH", help="Write the results as JSON here.")
        parser.add_argument("--no-http", action="store_true", help="Skip the HTTP load test.")
        parser.add_argument("--http-requests", type=int, metavar="N", help="At most this many requests (6000).")
        parser.add_argument("--http-seconds", type=float, metavar="S", help="For at most this long (30).")
        parser.add_argument("--http-concurrency", type=int, default=4, metavar="N")
        parser.add_argument("--http-workers", type=int, default=2, metavar="N", help="gunicorn workers (2).")
        parser.add_argument(
            "--anonymise-batch",
            type=int,
            metavar="N",
            help="Clients per retention transaction (RETENTION_BATCH_SIZE) while anonymising (100; 5 with --quick).",
        )
        parser.add_argument(
            "--profile",
            metavar="NAMES",
            default="",
            help="Comma-separated operations to run once more under cProfile, printing the top entries.",
        )
        parser.add_argument(
            "--only",
            metavar="STEPS",
            default="",
            help="Comma-separated steps to run (seal_audit, verify_audit, client_page, caseload_page, decide_share, "
            "timeline_page, duplicate_check, referral_send, referral_pdf, transmission_recheck, deadlines_sweep, "
            "reports_page, sar_pack, import_clients, retention); all when not given.",
        )
        parser.add_argument(
            "--embedded",
            action="store_true",
            help="The embedded default under a team's load: SQLite (set DATABASE_URL to a fresh file), "
            "gunicorn, a Celery worker with beat, simulated staff. See casework/bench/embedded.py.",
        )
        parser.add_argument("--embedded-staff", type=int, metavar="N", help="Simulated staff (20).")
        parser.add_argument("--embedded-seconds", type=float, metavar="S", help="For this long (60).")

    def handle(self, *args, **options):
        if options["embedded"]:
            return self._embedded(options)
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark needs PostgreSQL (it loads data with COPY): set DATABASE_URL.")
        quick = options["quick"]
        sizes = (Sizes.quick() if quick else Sizes()).scaled(options["scale"])
        for name in SIZE_OPTIONS:
            if options[name] is not None:
                setattr(sizes, name, options[name])
        plan = Plan.quick() if quick else Plan()
        if options["requests"]:
            plan.pages = options["requests"]
        if options["anonymise_batch"]:
            plan.anonymise_batch = options["anonymise_batch"]
        # A small log (--scale, --audit-events) still leaves at least half of it sealed beforehand.
        plan.seal_batch_rows = max(1, min(plan.seal_batch_rows, sizes.audit_events // (2 * (plan.seal_batches + 2))))
        started = time.monotonic()
        load_before = [round(x, 2) for x in os.getloadavg()]
        # WeasyPrint narrates every PDF and axes every sign-in; WhiteNoise misses the
        # collected static files the benchmark does not need.
        for name in ("weasyprint", "fontTools", "axes"):
            logging.getLogger(name).setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message="No directory at")

        call_command("migrate", interactive=False, verbosity=0)
        with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
            seal_file = Path(tmp) / "audit-seals.log"
            overrides = override_settings(
                ROOT_URLCONF="casework.bench.urls",
                ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
                AUDIT_SEAL_FILE=seal_file,
                # Rows are sealed as soon as they are written: nothing else writes meanwhile.
                AUDIT_SEAL_SAFETY_SECONDS=0,
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                PRIVATE_STORAGE_ROOT=Path(tmp) / "private",
                STORAGES={
                    **settings.STORAGES,
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
                },
            )
            with overrides:
                build_started = time.monotonic()
                try:
                    built = Builder(sizes, stdout=self.stdout, seal_tail=plan.seal_tail).build()
                except RuntimeError as error:
                    raise CommandError(str(error)) from error
                build_seconds = time.monotonic() - build_started
                bench = Bench(built, plan, seal_file=seal_file, stdout=self.stdout)
                bench.profile_names = {name.strip() for name in options["profile"].split(",") if name.strip()}
                bench.only = {name.strip() for name in options["only"].split(",") if name.strip()}
                if not options["no_http"]:
                    # The retention batch runs while the caseworker's page is asked for over HTTP.
                    cookie = bench.caseworker.cookies[settings.SESSION_COOKIE_NAME].value
                    bench.http_probe = partial(
                        probe_during,
                        path=reverse("clients:record", args=[built.focus.client.pk]),
                        cookie=f"{settings.SESSION_COOKIE_NAME}={cookie}",
                        log_path=Path(tmp) / "gunicorn-probe.log",
                        workers=options["http_workers"],
                    )
                results = bench.run()
                http = None
                if not options["no_http"]:
                    self.stdout.write("HTTP load on gunicorn …")
                    http = self._http(built, options, quick=quick, log_path=Path(tmp) / "gunicorn.log")

        report = {
            "dataset": {**asdict(sizes), **built.counts},
            "operations": {name: results[name].as_json() for name in ORDER if name in results},
            "ratios": {"client_page_gated_vs_ungated": bench.ratio},
            "http": http.as_json() if http else None,
            "targets": _targets_table(results, http, bench),
            "profiles": bench.profiles,
            "machine": {
                "load_before": load_before,
                "load_during": bench.load,
                "load_after": [round(x, 2) for x in os.getloadavg()],
                "build_seconds": round(build_seconds, 1),
                "step_seconds": bench.step_seconds,
            },
        }
        self.stdout.write("")
        self.stdout.write(self._table(report, results, http, bench, build_seconds))
        machine = report["machine"]
        self.stdout.write(
            f"\nTotal {time.monotonic() - started:.0f} s (dataset built in {build_seconds:.0f} s). Load average "
            f"(1, 5, 15 min) before {machine['load_before']}, after {machine['load_after']}; 1-minute as each "
            f"step started: {machine['load_during']}."
        )
        self.stdout.write("Seconds per step: " + ", ".join(f"{k} {v}" for k, v in bench.step_seconds.items()))
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(report, indent=2) + "\n")
            self.stdout.write(f"Wrote {options['json_path']}")

    def _embedded(self, options) -> None:
        if connection.vendor != "sqlite":
            raise CommandError("--embedded measures the SQLite default: set DATABASE_URL=sqlite:///<a fresh file>.")
        plan = EmbeddedPlan.quick() if options["quick"] else EmbeddedPlan()
        if options["embedded_staff"]:
            plan.staff = options["embedded_staff"]
        if options["embedded_seconds"]:
            plan.seconds = options["embedded_seconds"]
        if options["http_workers"] != 2:
            plan.workers = options["http_workers"]
        for name in ("weasyprint", "fontTools", "axes"):
            logging.getLogger(name).setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message="No directory at")
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        with (
            tempfile.TemporaryDirectory(prefix="casework-bench-embedded-") as tmp,
            override_settings(
                ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
                AUDIT_SEAL_FILE=Path(tmp) / "audit-seals.log",
                PRIVATE_STORAGE_ROOT=Path(tmp) / "private",
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                STORAGES={
                    **settings.STORAGES,
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
                },
            ),
        ):
            try:
                report = run_embedded(plan=plan, tmp=Path(tmp), stdout=self.stdout)
            except RuntimeError as error:
                raise CommandError(
                    f"{error}\n{_tail(Path(tmp) / 'gunicorn.log')}\n{_tail(Path(tmp) / 'celery.log')}"
                ) from error
        self.stdout.write("")
        self.stdout.write(_embedded_table(report))
        self.stdout.write(f"\nTotal {time.monotonic() - started:.0f} s.")
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps({"embedded": report}, indent=2) + "\n")
            self.stdout.write(f"Wrote {options['json_path']}")

    def _http(self, built, options, *, quick: bool, log_path: Path):
        # A fresh sign-in: the one live session the person has from now on.
        test_client = signed_in(built.focus.caseworker)
        cookie = f"{settings.SESSION_COOKIE_NAME}={test_client.cookies[settings.SESSION_COOKIE_NAME].value}"
        try:
            return run_load(
                path=reverse("clients:record", args=[built.focus.client.pk]),
                cookie=cookie,
                requests=options["http_requests"] or (300 if quick else 6000),
                seconds=options["http_seconds"] or (10 if quick else 30),
                concurrency=options["http_concurrency"],
                workers=options["http_workers"],
                log_path=log_path,
            )
        except RuntimeError as error:
            raise CommandError(f"HTTP load test: {error}\n{_tail(log_path)}") from error

    def _table(self, report, results, http, bench, build_seconds) -> str:
        lines = [
            "Dataset: " + ", ".join(f"{name.replace('_', ' ')} {n:,}" for name, n in report["dataset"].items()),
            f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}",
            "",
            "| operation | p50 ms | p95 ms | queries | peak MB | runs |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name in ORDER:
            if name in results:
                r = results[name]
                lines.append(f"| {name} | {r.p50_ms} | {r.p95_ms} | {r.queries} | {r.peak_mb} | {r.samples} |")
        lines.append("")
        for name in ORDER:
            if name in results and results[name].extra:
                lines.append(
                    f"{name}: "
                    + ", ".join(
                        f"{k.replace('_', ' ')} {v:,}" if isinstance(v, int) else f"{k.replace('_', ' ')} {v}"
                        for k, v in results[name].extra.items()
                    )
                )
        lines.append(
            f"client page gated / ungated: **{bench.ratio}** (median wall clock); "
            f"{bench.cpu_ratio} (this process's CPU time)"
        )
        seal = results.get("seal_audit")
        if seal:
            rows = bench.plan.seal_batch_rows
            lines.append(f"sealing: {rows:,}-row batches, {rows / (seal.p50_ms / 1000):,.0f} rows/s at the median")
        verify = results.get("verify_audit")
        if verify:
            lines.append(
                f"verify_audit: {bench.verified_rows:,} rows, {bench.verified_rows / (verify.p50_ms / 1000):,.0f} "
                "rows/s at the median"
            )
        if http:
            lines.append(
                f"HTTP (gunicorn, {http.workers} workers, {http.concurrency} concurrent clients): "
                f"{http.rps} requests/s, p95 {http.p95_ms} ms, {http.errors} errors "
                f"({http.requests} requests in {http.seconds} s)"
            )
        lines += ["", "Issue 16's targets:", "", _targets_table(results, http, bench)]
        return "\n".join(lines)


def _targets_table(results, http, bench) -> str:
    """Issue 16's table (operation, target, figure, met or missed) from this run's results.

    Rows whose operations did not run are left out; the targets are the issue's, judged on the wall clock.
    """
    r = results.get
    rows: list[tuple[str, str, str, bool | None]] = []

    def add(name, target, figure, met):
        rows.append((name, target, figure, met))

    if r("client_page"):
        add(
            "client record page, in-process p95",
            "≤ 8.6 ms",
            f"{r('client_page').p95_ms} ms",
            r("client_page").p95_ms <= 8.6,
        )
    if http:
        add(
            "client record page over HTTP",
            "≥ 234 requests/s, zero errors",
            f"{http.rps} requests/s, {http.errors} errors, p95 {http.p95_ms} ms",
            http.rps >= 234 and http.errors == 0,
        )
    if bench.ratio is not None:
        add("gated / ungated record page (median, alternating)", "≤ 1.10", f"{bench.ratio}", bench.ratio <= 1.10)
    if r("caseload_page_manager"):
        v = r("caseload_page_manager").p95_ms
        add("caseload page, manager's view of a team, p95", "≤ 20 ms", f"{v} ms", v <= 20)
    if r("duplicate_check"):
        v = r("duplicate_check").p95_ms
        add("duplicate check when adding a client, p95", "≤ 50 ms", f"{v} ms", v <= 50)
    if r("timeline_page") and r("timeline_page_filtered"):
        first, filtered, small = r("timeline_page"), r("timeline_page_filtered"), r("client_page")
        same = small is None or first.queries == filtered.queries == small.queries
        add(
            "timeline of the 2,000-note client, first / filtered page, p95",
            "≤ 25 ms, same queries as at 20 notes",
            f"{first.p95_ms} / {filtered.p95_ms} ms; {first.queries} / {filtered.queries} queries"
            + (f" (20 notes: {small.queries})" if small else ""),
            max(first.p95_ms, filtered.p95_ms) <= 25 and same,
        )
    if r("transmission_recheck"):
        v = r("transmission_recheck").p95_ms
        add("transmission re-check, p95", "≤ 10 ms", f"{v} ms", v <= 10)
    if r("deadlines_sweep"):
        v = r("deadlines_sweep").p95_ms
        add("deadline sweep, every clock, p95", "≤ 150 ms", f"{v} ms", v <= 150)
    if r("sar_pack"):
        v = r("sar_pack")
        seconds = v.p50_ms / 1000
        add(
            "SAR pack of the 2,000-note client (PDF and archive)",
            "≤ 10 s, peak memory reported",
            f"{seconds:.1f} s, resident +{v.extra.get('rss_peak_mb')} MB",
            seconds <= 10,
        )
    if r("retention_list"):
        v = r("retention_list").p95_ms / 1000
        add("retention: list what is past retention", "≤ 5 s", f"{v:.2f} s", v <= 5)
    if r("retention_anonymise"):
        v = r("retention_anonymise")
        seconds = v.p50_ms / 1000
        add(
            f"retention: anonymise {v.extra.get('clients', '')} clients",
            "≤ 60 s, a client page's p95 meanwhile",
            f"{seconds:.1f} s; page p95 {v.extra.get('page_p95_ms_quiet')} ms before, "
            f"{v.extra.get('page_p95_ms_during')} ms during",
            seconds <= 60,
        )
    if r("import_dry_run") and r("import_confirmed"):
        dry, done = r("import_dry_run"), r("import_confirmed")
        seconds = (dry.p50_ms + done.p50_ms) / 1000
        add(
            f"import {dry.extra.get('rows', '')} client rows, dry run then confirmed",
            "≤ 5 min, memory bounded",
            f"{dry.p50_ms / 1000:.1f} s + {done.p50_ms / 1000:.1f} s; resident +{done.extra.get('rss_peak_mb')} MB",
            seconds <= 300,
        )
    if r("reports_page"):
        v = r("reports_page")
        add(
            "reports page, organisation-wide, one year, p95",
            "≤ 300 ms",
            f"{v.p95_ms} ms, {v.queries} queries",
            v.p95_ms <= 300,
        )
    if r("seal_audit") and r("verify_audit"):
        sealed = bench.plan.seal_batch_rows / (r("seal_audit").p50_ms / 1000)
        verified = bench.verified_rows / (r("verify_audit").p50_ms / 1000)
        add(
            "seal / verify the audit log",
            "≥ 182k / 240k rows/s",
            f"{sealed:,.0f} / {verified:,.0f} rows/s",
            sealed >= 182_000 and verified >= 240_000,
        )
    lines = ["| operation | target | figure | |", "|---|---|---|---|"]
    lines += [
        f"| {name} | {target} | {figure} | {'met' if met else '**missed**'} |" for name, target, figure, met in rows
    ]
    return "\n".join(lines)


def _embedded_table(report: dict) -> str:
    human, saturation, writes = report["human"], report["saturation"], report["writes"]
    lines = [
        f"Embedded default: SQLite, gunicorn {report['server']['workers']} workers × {report['server']['threads']} "
        f"threads, Celery worker and beat on {report['server']['broker']}; {report['staff']} staff for "
        f"{human['seconds']} s (load average before {human['load_before']}, during {human['load_during']})",
        "",
        "| request | count | errors | p50 ms | p95 ms | statuses |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for kind, row in human["kinds"].items():
        lines.append(
            f"| {kind} | {row['requests']} | {row['errors']} | {row['p50_ms']} | {row['p95_ms']} | {row['statuses']} |"
        )
    lines += [
        "",
        f"{human['requests']} requests ({human['requests_per_s']}/s), {human['errors']} errors, "
        f"{human['writes_per_s']} successful writes/s",
        f"writes: {writes['notes_posted']} notes posted, {writes['note_rows']} rows; {writes['referrals_posted']} "
        f"referrals sent, {writes['referral_rows']} rows; lost: {writes['lost']}",
        f"transmissions: {report['transmissions']}; beat swept during the run: {report['beat_swept']}",
        f"record page in-process on the same SQLite file, quiet (the write lock's hold): p50 "
        f"{report['record_in_process']['p50_ms']} ms, p95 {report['record_in_process']['p95_ms']} ms; "
        f"{report['capacity']['requests_per_staff_s']} requests/s per person; staff at half the lock's "
        f"capacity: {report['capacity']['staff_at_half_lock']}",
        f"saturation ({saturation['clients']} clients, no pauses, {saturation['seconds']} s): "
        f"{saturation['requests_per_s']} requests/s, {saturation['writes_per_s']} writes/s, "
        f"{saturation['errors']} errors; record p95 "
        f"{saturation['kinds'].get('record', {}).get('p95_ms')} ms, note POST p95 "
        f"{saturation['kinds'].get('note_post', {}).get('p95_ms')} ms",
    ]
    return "\n".join(lines)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
