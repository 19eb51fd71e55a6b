from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("clients/", include("clients.urls")),
    path("consent/", include("consent.urls")),
    path("sharing/", include("sharing.urls")),
    # Statutory requests keep the paths they had inside sharing (statutory/urls.py).
    path("sharing/", include("statutory.urls")),
    path("rights/", include("rights.urls")),
    path("breaches/", include("breaches.urls")),
    path("access/", include("access.urls")),
    path("reports/", include("reports.urls")),
    path("imports/", include("imports.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "casework.views.server_error"
