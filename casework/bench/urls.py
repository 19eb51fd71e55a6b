"""The project's URLs plus the ungated client page. Installed as ROOT_URLCONF by the bench
command inside its own process only; never referenced by settings or casework.urls.
"""

from django.urls import path

from casework.urls import urlpatterns as project_urlpatterns

from . import views

urlpatterns = [
    path("bench/ungated/clients/<int:client_id>/", views.client_page_ungated, name="bench_client_ungated"),
    *project_urlpatterns,
]
