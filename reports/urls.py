from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.page, name="page"),
    # Before the figures' downloads, whose pattern would also match these names.
    path("records-of-processing/", views.processing_page, name="processing"),
    path("records-of-processing.<str:fmt>", views.processing_download, name="processing_download"),
    path("<slug:key>.<str:fmt>", views.download, name="download"),
]
