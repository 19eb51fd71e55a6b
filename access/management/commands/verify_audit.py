import datetime as dt
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count, Min
from django.utils import timezone

from access.audit import verify_audit
from access.models import AccessEvent, AuditSeal


class Command(BaseCommand):
    help = (
        "Check the audit log against its seals and the seal chain, and the seals against the seal file. "
        "Exits 0 when intact, 1 naming the first bad seal or row, 2 when the seal file cannot be read "
        "(pass --no-seal-file to check the database alone). Before the first seal (a new database: no "
        "seal and no seal file yet) it exits 0 while every row is young enough to be waiting for the "
        "sealer, and 2 once a row is older than that."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seal-file",
            type=Path,
            default=None,
            help="The outside copy of the seals to compare with (default: AUDIT_SEAL_FILE). Required.",
        )
        parser.add_argument(
            "--no-seal-file",
            action="store_true",
            help="Check the database only (cannot see seals rewritten together with their rows).",
        )
        parser.add_argument("--since-seal", type=int, default=None, help="Start at this seal id.")

    def handle(self, *args, seal_file, no_seal_file, since_seal, **options):
        if no_seal_file:
            seal_file = None
            self.stderr.write(
                "Warning: checking the database only. Someone who can disable the triggers could rewrite "
                "rows and their seals together without this check noticing; compare with the seal file."
            )
        else:
            seal_file = Path(seal_file or settings.AUDIT_SEAL_FILE)
            try:
                seal_file.read_bytes()
            except FileNotFoundError:
                if not AuditSeal.objects.exists():
                    self._before_first_seal(seal_file)
                    return
                self._cannot_read(seal_file, "it does not exist")
            except OSError as exc:
                self._cannot_read(seal_file, exc.strerror)
        started = time.perf_counter()
        result = verify_audit(seal_file=seal_file, since_seal=since_seal)
        elapsed = time.perf_counter() - started
        for warning in result.warnings:
            self.stderr.write(f"Warning: {warning}")
        checked = f"{result.seals} seal(s), {result.rows} row(s) in {elapsed:.1f}s"
        if not result.intact:
            self.stderr.write(f"Audit log NOT intact ({checked}). First problem: {result.problems[0]}")
            for problem in result.problems[1:]:
                self.stderr.write(f"  also: {problem}")
            raise SystemExit(1)
        against = f", matched against {seal_file}" if seal_file else ""
        self.stdout.write(f"Audit log intact: {checked}{against}. {result.unsealed_rows} newer row(s) not yet sealed.")

    def _cannot_read(self, seal_file: Path, why: str):
        self.stderr.write(
            f"CANNOT VERIFY the audit log: the seal file {seal_file} cannot be read ({why}). "
            "Without it a rewrite of rows and seals together goes unnoticed. Restore the seal file "
            "(AUDIT_SEAL_FILE) or name it with --seal-file; --no-seal-file checks the database alone."
        )
        raise SystemExit(2) from None

    def _before_first_seal(self, seal_file: Path):
        """No seal in the database and no seal file: a new database, unless its rows are too old for that.

        The sealer seals rows older than AUDIT_SEAL_SAFETY_SECONDS every AUDIT_SEAL_INTERVAL_SECONDS
        and creates the seal file with the first seal. A row older than two intervals past the
        window should have been sealed: then the sealer is not running, or the seals and the seal
        file were both removed, and the log cannot be verified (exit 2). Otherwise exit 0 with a
        message saying nothing is tamper-evident yet.
        """
        rows = AccessEvent.objects.aggregate(count=Count("pk"), oldest=Min("at"))
        if not rows["count"]:
            self.stdout.write(
                f"Nothing to verify yet: the audit log is empty and nothing has been sealed. The seal file "
                f"{seal_file} is created with the first seal."
            )
            return
        due = dt.timedelta(seconds=settings.AUDIT_SEAL_SAFETY_SECONDS + 2 * settings.AUDIT_SEAL_INTERVAL_SECONDS)
        oldest = timezone.localtime(rows["oldest"])
        if timezone.now() - rows["oldest"] > due:
            self.stderr.write(
                f"CANNOT VERIFY the audit log: nothing has been sealed and there is no seal file {seal_file}, "
                f"but {rows['count']} row(s) exist, the oldest from {oldest:%Y-%m-%d %H:%M:%S %Z}, older than "
                f"the first seal should have taken ({due.total_seconds():.0f} s). Either the sealer is not "
                "running (start the worker with beat, or run manage.py seal_audit) or the seals and the seal "
                "file have been removed."
            )
            raise SystemExit(2)
        self.stdout.write(
            f"Not sealed yet: {rows['count']} row(s), the oldest from {oldest:%Y-%m-%d %H:%M:%S %Z}, are waiting "
            f"for the first seal (the sealer runs every {settings.AUDIT_SEAL_INTERVAL_SECONDS} s and seals rows "
            f"older than {settings.AUDIT_SEAL_SAFETY_SECONDS} s); the seal file {seal_file} is created with it. "
            "Nothing in the log is tamper-evident until then."
        )
