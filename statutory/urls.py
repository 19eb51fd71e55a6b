"""Police and statutory requests.

Mounted under `sharing/` (casework/urls.py), where these pages lived before the app had
its own package, so bookmarks and links in e-mails already sent keep working.
"""

from django.urls import path

from . import views

app_name = "statutory"

REQUEST = "client/<int:client_id>/statutory/<int:request_id>/"

urlpatterns = [
    path("client/<int:client_id>/statutory/", views.client_requests, name="client"),
    path("client/<int:client_id>/statutory/new/", views.new, name="new"),
    path("client/<int:client_id>/legal-hold/", views.legal_hold, name="legal_hold"),
    path(REQUEST, views.detail, name="request"),
    path(f"{REQUEST}decide/", views.decide, name="decide"),
    path(f"{REQUEST}emergency/", views.emergency, name="emergency"),
    path(f"{REQUEST}review/", views.review, name="review"),
    path(f"{REQUEST}disclosure-record.pdf", views.record_pdf, name="pdf"),
    path(f"{REQUEST}documents/<int:document_id>/", views.document, name="document"),
    path("statutory/", views.queue, name="queue"),
    path("statutory/report/", views.report, name="report"),
]
