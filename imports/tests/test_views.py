"""The import pages: who may use them, errors beside the field, the report, confirmation and progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import Client
from imports import services
from imports.models import ClientImport

CSV = b"first_name,last_name,date_of_birth\nAmy,Lee,31/01/1980\nBen,,\n"


def post_file(test_client, team, content=CSV, name="clients.csv"):
    return test_client.post(
        reverse("imports:index"), {"team": team.pk, "file": SimpleUploadedFile(name, content, content_type="text/csv")}
    )


def test_it_refuses_caseworkers(login, caseworker):
    assert login(caseworker).get(reverse("imports:index")).status_code == 403


def test_a_manager_checks_a_file_and_sees_the_report_row_by_row(login, manager, team_a):
    test_client = login(manager)
    response = post_file(test_client, team_a)
    client_import = ClientImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[client_import.pk])
    page = test_client.get(response["Location"]).content.decode()
    assert "Import 1 client" in page
    assert "Last name is missing." in page
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%PDF-1.4 not a sheet\x00", "minutes.pdf", "not a spreadsheet"),
        (b"first_name,shoe_size\nAmy,5\n", "clients.csv", "not recognised"),
        (b"", "empty.csv", "empty"),
    ],
)
def test_a_bad_file_is_an_error_beside_the_field_and_nothing_is_kept(login, manager, team_a, content, name, message):
    response = post_file(login(manager), team_a, content, name)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_file_error"' in html or "id_file" in html
    assert message in html
    assert not ClientImport.objects.exists()


def test_a_manager_cannot_import_into_another_team(login, manager, team_b):
    response = post_file(login(manager), team_b)
    assert response.status_code == 400
    assert not ClientImport.objects.exists()


def test_confirming_queues_the_import_and_progress_is_reported(
    login, manager, team_a, django_capture_on_commit_callbacks
):
    test_client = login(manager)
    post_file(test_client, team_a)
    client_import = ClientImport.objects.get()
    with django_capture_on_commit_callbacks() as callbacks:
        response = test_client.post(reverse("imports:confirm", args=[client_import.pk]))
    assert response.status_code == 302
    assert len(callbacks) == 1
    client_import.refresh_from_db()
    assert client_import.status == ClientImport.Status.QUEUED
    services.import_run(import_id=client_import.pk)
    progress = test_client.get(reverse("imports:progress", args=[client_import.pk])).json()
    assert progress == {
        "status": "done",
        "status_label": "Imported",
        "rows_imported": 1,
        "rows_to_import": 1,
        "percent": 100,
        "finished": True,
        "error": "",
    }


def test_another_teams_manager_cannot_see_an_import_but_the_iso_can(login, manager, other_manager, iso, team_a):
    post_file(login(manager), team_a)
    client_import = ClientImport.objects.get()
    url = reverse("imports:detail", args=[client_import.pk])
    assert login(other_manager).get(url).status_code == 404
    assert login(iso).get(url).status_code == 200
    assert login(iso).post(reverse("imports:confirm", args=[client_import.pk])).status_code == 404
