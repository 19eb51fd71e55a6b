"""Background work for clients' rights: compiling and releasing a subject access pack; retention
(the daily review, approved batches).

Each task takes a pack id, re-fetches, and is safe to run twice (the pack is claimed with a
conditional update). They are enqueued on commit by `services.sar_pack_request` and
`services.sar_pack_release_request`.
"""

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(name="rights.tasks.compile_sar_pack", acks_late=True, soft_time_limit=280, time_limit=300)
def compile_sar_pack(pack_id: int) -> bool:
    return services.sar_pack_compile(pack_id=pack_id)


@shared_task(name="rights.tasks.run_retention_batch", acks_late=True, soft_time_limit=1700, time_limit=1800)
def run_retention_batch(batch_id: int) -> str:
    from .retention import retention_batch_run

    batch = retention_batch_run(batch_id=batch_id)
    return batch.status if batch else "not claimed"


@shared_task(name="rights.tasks.retention_review", acks_late=True, soft_time_limit=240, time_limit=300)
def retention_review() -> int:
    """Daily (beat): record what is past retention, remove the personal content of disclosure
    snapshots and released packs past the legal-claims period, and re-queue approved batches
    still waiting (returns how many)."""
    from .retention import retention_batches_resume, retention_review_record, snapshot_content_sweep

    retention_review_record()
    # Half the run's time, so the review and the re-queue still fit in this task's time limit.
    snapshot_content_sweep(budget_seconds=settings.RETENTION_TASK_SECONDS / 2)
    return retention_batches_resume()


@shared_task(name="rights.tasks.release_sar_pack", acks_late=True, soft_time_limit=280, time_limit=300)
def release_sar_pack(pack_id: int) -> bool:
    return services.sar_pack_release_run(pack_id=pack_id)
