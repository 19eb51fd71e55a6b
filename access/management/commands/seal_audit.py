from django.core.management.base import BaseCommand

from access.audit import BATCH_SIZE, seal_audit


class Command(BaseCommand):
    help = "Seal audit rows older than AUDIT_SEAL_SAFETY_SECONDS into hash-chained batches."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Rows per seal at most.")
        parser.add_argument("--max-seals", type=int, default=None, help="Stop after this many seals.")

    def handle(self, *args, batch_size, max_seals, **options):
        seals = seal_audit(batch_size=batch_size, max_seals=max_seals)
        if not seals:
            self.stdout.write("Nothing to seal.")
            return
        rows = sum(seal.row_count for seal in seals)
        self.stdout.write(
            f"Sealed {rows} rows (ids {seals[0].after_id + 1}–{seals[-1].last_id}) in {len(seals)} seal(s). "
            f"Chain head: {seals[-1].seal_hash}"
        )
