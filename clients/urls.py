from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("search/", views.search, name="search"),
    path("new/", views.client_create, name="create"),
    path("needs-key-worker/", views.needs_key_worker, name="needs_key_worker"),
    path("idle-assignments/", views.idle_assignments, name="idle_assignments"),
    path("<int:client_id>/", views.record, name="record"),
    path("<int:client_id>/information/", views.information, name="information"),
    path("<int:client_id>/details/", views.details_edit, name="details_edit"),
    path("<int:client_id>/changes/", views.changes, name="changes"),
    path("<int:client_id>/entries/add/", views.entry_add, name="entry_add"),
    path("<int:client_id>/entries/<int:entry_id>/", views.entry_edit, name="entry_edit"),
    path("<int:client_id>/notes/add/", views.note_add, name="note_add"),
    path("<int:client_id>/notes/<int:note_id>/", views.note_edit, name="note_edit"),
    path("<int:client_id>/alerts/new/", views.alert_add, name="alert_add"),
    path("<int:client_id>/alerts/<int:alert_id>/end/", views.alert_end, name="alert_end"),
    path("<int:client_id>/assignments/", views.assignments, name="assignments"),
    path(
        "<int:client_id>/assignments/<int:assignment_id>/end/",
        views.assignment_end,
        name="assignment_end",
    ),
    path("<int:client_id>/move/", views.client_move, name="move"),
    path("<int:client_id>/close/", views.case_close, name="close"),
    path("<int:client_id>/reopen/", views.case_reopen, name="reopen"),
    path("<int:client_id>/merge/", views.client_merge, name="merge"),
]
