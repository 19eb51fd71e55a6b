from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:import_id>/", views.detail, name="detail"),
    path("<int:import_id>/progress/", views.progress, name="progress"),
    path("<int:import_id>/confirm/", views.confirm, name="confirm"),
    path("<int:import_id>/cancel/", views.cancel, name="cancel"),
]
