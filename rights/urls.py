from django.urls import path

from . import views

app_name = "rights"

urlpatterns = [
    path("subject-access/", views.register, name="register"),
    path("retention/", views.retention_page, name="retention"),
    path("retention/batches/<int:batch_id>/", views.retention_batch, name="retention_batch"),
    path("client/<int:client_id>/", views.client_requests, name="client"),
    path("client/<int:client_id>/subject-access/new/", views.sar_new, name="sar_new"),
    path("client/<int:client_id>/subject-access/<int:obj_id>/", views.sar_detail, name="sar"),
    path("client/<int:client_id>/subject-access/packs/<int:obj_id>/", views.pack, name="pack"),
    path("client/<int:client_id>/subject-access/packs/<int:obj_id>/pack.pdf", views.pack_pdf, name="pack_pdf"),
    path("client/<int:client_id>/subject-access/packs/<int:obj_id>/pack.zip", views.pack_archive, name="pack_archive"),
    path("client/<int:client_id>/subject-access/packs/<int:obj_id>/review/", views.review, name="review"),
    path(
        "client/<int:client_id>/subject-access/packs/<int:obj_id>/review/withhold/",
        views.review_withhold,
        name="review_withhold",
    ),
    path(
        "client/<int:client_id>/subject-access/packs/<int:obj_id>/released.pdf", views.release_pdf, name="release_pdf"
    ),
    path(
        "client/<int:client_id>/subject-access/packs/<int:obj_id>/released.zip",
        views.release_archive,
        name="release_archive",
    ),
    path("client/<int:client_id>/erasure/new/", views.erasure_new, name="erasure_new"),
    path("client/<int:client_id>/erasure/<int:obj_id>/", views.erasure_detail, name="erasure"),
]

urlpatterns += [
    path("client/<int:client_id>/corrections/", views.corrections, name="corrections"),
    path("client/<int:client_id>/rectification/new/", views.rectification_new, name="rectification_new"),
    path("client/<int:client_id>/rectification/<int:obj_id>/", views.rectification_detail, name="rectification"),
]
