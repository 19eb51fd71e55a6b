from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.page, name="page"),
    path("<slug:key>.<str:fmt>", views.download, name="download"),
]
