"""Background work for clients' rights: compiling a subject access pack, and releasing it.

Each task takes a pack id, re-fetches, and is safe to run twice (the pack is claimed with a
conditional update). They are enqueued on commit by `services.sar_pack_request` and
`services.sar_pack_release_request`.
"""

from celery import shared_task

from . import services


@shared_task(name="rights.tasks.compile_sar_pack", acks_late=True, soft_time_limit=280, time_limit=300)
def compile_sar_pack(pack_id: int) -> bool:
    return services.sar_pack_compile(pack_id=pack_id)


@shared_task(name="rights.tasks.release_sar_pack", acks_late=True, soft_time_limit=280, time_limit=300)
def release_sar_pack(pack_id: int) -> bool:
    return services.sar_pack_release_run(pack_id=pack_id)
