from django.urls import path

from . import views

app_name = "consent"

urlpatterns = [
    path("client/<int:client_id>/", views.consent_tab, name="tab"),
    path("client/<int:client_id>/record/", views.consent_record, name="record"),
    path("client/<int:client_id>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("client/<int:client_id>/consents/<int:consent_id>/", views.consent_detail, name="detail"),
    path("client/<int:client_id>/consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="withdraw"),
    path("client/<int:client_id>/consents/<int:consent_id>/review/", views.consent_review, name="review"),
    path("client/<int:client_id>/consents/<int:consent_id>/evidence/", views.evidence_download, name="evidence"),
    path("client/<int:client_id>/bases/record/", views.basis_record, name="basis_record"),
    path("client/<int:client_id>/bases/<int:basis_id>/approve/", views.basis_approve, name="basis_approve"),
    path("client/<int:client_id>/bases/<int:basis_id>/end/", views.basis_end, name="basis_end"),
    path("client/<int:client_id>/restriction/", views.restriction, name="restriction"),
]
