"""Turn the gate's refusals into responses for views that call `gate_client` directly.

A refusal a reason would lift sends a GET to the reason page and back; any other refusal
is the ordinary 404 (an unknown id and a forbidden one look the same), except a write about
an anonymised record, which is a 403 saying so. If the audit row could not be written the
answer is a 503 that shows nothing of the client.
"""

from django.http import HttpResponseRedirect

from .gate import (
    SAFE_METHODS,
    AccessDenied,
    AuditUnavailable,
    RecordAnonymised,
    anonymised_response,
    audit_unavailable_response,
    reason_url,
)


class GateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, AuditUnavailable):
            return audit_unavailable_response(request)
        if isinstance(exception, RecordAnonymised):
            return anonymised_response(request, exception)
        if (
            isinstance(exception, AccessDenied)
            and exception.needs_reason
            and exception.client_id is not None
            and request.method in SAFE_METHODS
        ):
            return HttpResponseRedirect(reason_url(exception.client_id, request.get_full_path()))
        return None  # Django's 404 handler answers
