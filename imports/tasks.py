"""The confirmed import runs here, off the request path; beat re-queues any that were never published."""

from celery import shared_task

from . import services


@shared_task(name="imports.tasks.run_import", acks_late=True, soft_time_limit=1700, time_limit=1800)
def run_import(import_id: int) -> str:
    client_import = services.import_run(import_id=import_id)
    return client_import.status if client_import else "not claimed"


@shared_task(name="imports.tasks.start_pending_imports", acks_late=True, soft_time_limit=50, time_limit=60)
def start_pending_imports() -> int:
    return services.pending_imports_start()
