from django.urls import path

from . import views

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
