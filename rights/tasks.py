"""Background work for clients' rights: compiling a subject access pack.

The task takes a pack id, re-fetches, and is safe to run twice (the pack is claimed with a
conditional update). It is enqueued on commit by `services.sar_pack_request`.
"""

from celery import shared_task

from . import services


@shared_task(name="rights.tasks.compile_sar_pack", acks_late=True, soft_time_limit=280, time_limit=300)
def compile_sar_pack(pack_id: int) -> bool:
    return services.sar_pack_compile(pack_id=pack_id)
