from django.urls import path

from . import views

app_name = "breaches"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("report/", views.report, name="report"),
    path("report/<int:pk>/sent/", views.reported, name="reported"),
    path("register.csv", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/triage/", views.triage, name="triage"),
    path("<int:pk>/assess/", views.assess, name="assess"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/notify/", views.notify, name="notify"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/ico-report.pdf", views.ico_report, name="ico_report"),
]
