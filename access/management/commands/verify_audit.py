import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from access.audit import verify_audit


class Command(BaseCommand):
    help = (
        "Check the audit log against its seals and the seal chain, and the seals against the seal file. "
        "Exits 0 when intact, 1 naming the first bad seal or row, 2 when the seal file cannot be read "
        "(pass --no-seal-file to check the database alone)."
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
            except OSError as exc:
                self.stderr.write(
                    f"CANNOT VERIFY the audit log: the seal file {seal_file} cannot be read ({exc.strerror}). "
                    "Without it a rewrite of rows and seals together goes unnoticed. Restore the seal file "
                    "(AUDIT_SEAL_FILE) or name it with --seal-file; --no-seal-file checks the database alone."
                )
                raise SystemExit(2) from None
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
