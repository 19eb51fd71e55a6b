from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("clients/<int:client_id>/reason/", views.reason, name="reason"),
    path("clients/<int:client_id>/log/", views.client_log, name="client_log"),
    path("clients/<int:client_id>/log.<str:fmt>", views.client_log_export, name="client_log_export"),
    path("review/", views.review, name="review"),
    path("review/reviewed/", views.review_mark, name="review_mark"),
]
