"""The client page without the gate: same template, same data, no permission check, no audit.

Only for measuring what the gate costs. It is routed by `casework.bench.urls`, which the
bench command installs as ROOT_URLCONF inside its own process; `casework.urls` never
includes it, so no deployed server can reach it.
"""

from django.http import Http404

from access.gate import Access
from clients.models import Client
from clients.views import record_page


def client_page_ungated(request, client_id):
    # The gate's own fetch, less its two EXISTS annotations (the permission check).
    client = Client.objects.select_related("team").filter(pk=client_id).first()
    if client is None:
        raise Http404("No client found.")
    access = Access(user=request.user, client=client, event=None, relationship="caseload")
    return record_page(request, access)
