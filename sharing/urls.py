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
    path("client/<int:client_id>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("client/<int:client_id>/disclosures/<int:disclosure_id>/", views.disclosure, name="disclosure"),
    path("client/<int:client_id>/notices/<int:notice_id>/", views.notice, name="notice"),
    path("without-agreement/", views.without_agreement, name="without_agreement"),
]
