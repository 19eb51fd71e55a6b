from django.urls import path

from . import views, views_statutory

app_name = "sharing"

urlpatterns = [
    path("client/<int:client_id>/", views.history, name="history"),
    path("client/<int:client_id>/referrals/new/", views.referral_new, name="referral_new"),
    path("client/<int:client_id>/referrals/<int:referral_id>/", views.referral, name="referral"),
    path(
        "client/<int:client_id>/referrals/<int:referral_id>/referral.pdf", views.referral_download, name="referral_pdf"
    ),
    path("client/<int:client_id>/referrals/<int:referral_id>/email/", views.referral_email, name="referral_email"),
    path(
        "client/<int:client_id>/referrals/<int:referral_id>/preview/", views.referral_preview, name="referral_preview"
    ),
    path(
        "client/<int:client_id>/referrals/<int:referral_id>/discard/", views.referral_discard, name="referral_discard"
    ),
    path(
        "client/<int:client_id>/referrals/<int:referral_id>/approve/", views.referral_approve, name="referral_approve"
    ),
    path("client/<int:client_id>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("client/<int:client_id>/disclosures/<int:disclosure_id>/", views.disclosure, name="disclosure"),
    path("client/<int:client_id>/notices/<int:notice_id>/", views.notice, name="notice"),
    path("client/<int:client_id>/notices/<int:notice_id>/send/", views.notice_send, name="notice_send"),
    path("without-agreement/", views.without_agreement, name="without_agreement"),
    path("transmissions/<int:transmission_id>/dismiss/", views.transmission_dismiss, name="transmission_dismiss"),
]

# Police and statutory requests.
STATUTORY = "client/<int:client_id>/statutory/<int:request_id>/"
urlpatterns += [
    path("client/<int:client_id>/statutory/", views_statutory.client_requests, name="statutory_client"),
    path("client/<int:client_id>/statutory/new/", views_statutory.new, name="statutory_new"),
    path("client/<int:client_id>/legal-hold/", views_statutory.legal_hold, name="legal_hold"),
    path(STATUTORY, views_statutory.detail, name="statutory_request"),
    path(f"{STATUTORY}decide/", views_statutory.decide, name="statutory_decide"),
    path(f"{STATUTORY}emergency/", views_statutory.emergency, name="statutory_emergency"),
    path(f"{STATUTORY}review/", views_statutory.review, name="statutory_review"),
    path(f"{STATUTORY}disclosure-record.pdf", views_statutory.record_pdf, name="statutory_pdf"),
    path(f"{STATUTORY}documents/<int:document_id>/", views_statutory.document, name="statutory_document"),
    path("statutory/", views_statutory.queue, name="statutory_queue"),
    path("statutory/report/", views_statutory.report, name="statutory_report"),
]
