"""The dry run and the confirmed import: they agree row for row, batches are all-or-nothing,
and imported clients are on the right caseload and behind the gate like form-created ones."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from access.gate import clients_visible_to, open_client
from access.models import AccessEvent
from accounts.tests.factories import UserFactory
from clients.models import Client, InformationEntry
from clients.tests.factories import ClientFactory
from imports import services
from imports.models import ClientImport

HEADER = "first_name,last_name,date_of_birth,nhs_number,key_worker,housing_history_summary\n"


def upload(text: str, name="clients.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def check(manager, team, text):
    return services.import_check(actor=manager, team=team, upload=upload(text))


@pytest.fixture
def five_valid_one_bad_one_known(team_a, caseworker):
    ClientFactory(team=team_a, nhs_number="943 476 5919", first_name="Known", last_name="Person")
    return HEADER + (
        "Amy,Lee,31/01/1980,,casey,Sofa-surfing\n"
        "Ben,Ray,1975-06-12,,,\n"
        "Cara,Moss,,,,\n"
        "Dan,Oak,,,,\n"
        "Eve,Ash,,,casey,\n"
        "Fay,,,,,\n"
        "Gus,Hill,,9434765919,,\n"
    )


def test_the_dry_run_writes_no_client_and_reports_every_row(manager, team_a, five_valid_one_bad_one_known):
    before = Client.objects.count()
    client_import = check(manager, team_a, five_valid_one_bad_one_known)
    assert Client.objects.count() == before
    outcomes = [(item["row"], item["outcome"]) for item in client_import.report]
    assert outcomes == [
        (2, "create"),
        (3, "create"),
        (4, "create"),
        (5, "create"),
        (6, "create"),
        (7, "invalid"),
        (8, "match"),
    ]
    assert client_import.report[5]["messages"] == ["Last name is missing."]
    assert "existing client" in client_import.report[6]["messages"][0]
    assert client_import.rows_to_import == 5
    assert AccessEvent.objects.filter(actor=manager, detail__contains=client_import.reference).exists()


def test_a_close_name_with_the_same_date_of_birth_is_shown_as_already_known(manager, team_a):
    import datetime as dt

    known = ClientFactory(team=team_a, first_name="William", last_name="Smith", date_of_birth=dt.date(1980, 1, 31))
    text = (
        HEADER
        + "Bill,Smith,31/01/1980,,,\nBill,Smith,01/02/1980,,,\nAnna,Bell,02/02/1990,,,\nAnne,Bell,02/02/1990,,,\n"
    )
    report = {item["row"]: item for item in check(manager, team_a, text).report}
    assert report[2]["outcome"] == "match"
    assert known.reference in report[2]["messages"][0]
    assert report[3]["outcome"] == "create"  # another date of birth is another person
    assert report[4]["outcome"] == "create"
    assert report[5]["outcome"] == "match"
    assert "row 4 of this file" in report[5]["messages"][0]


def test_the_confirmed_import_writes_exactly_the_rows_the_dry_run_accepted(
    manager, team_a, caseworker, five_valid_one_bad_one_known, settings
):
    settings.IMPORT_BATCH_SIZE = 2
    client_import = check(manager, team_a, five_valid_one_bad_one_known)
    services.import_confirm(actor=manager, client_import=client_import)
    done = services.import_run(import_id=client_import.pk)

    assert done.status == ClientImport.Status.DONE
    assert done.rows_imported == 5
    assert done.batches_done == 3
    imported = Client.objects.filter(source__contains=client_import.reference)
    expected = {item["name"] for item in client_import.report if item["outcome"] == "create"}
    assert {f"{c.first_name} {c.last_name}" for c in imported} == expected
    assert not Client.objects.filter(first_name__in=["Fay", "Gus"]).exists()
    assert done.stored_name == ""  # the uploaded file is not kept once imported
    assert {item["name"] for item in ClientImport.objects.get(pk=done.pk).report} == {""}  # nor the names


def test_imported_clients_are_on_the_key_workers_caseload_and_behind_the_gate(
    manager, team_a, caseworker, five_valid_one_bad_one_known
):
    client_import = check(manager, team_a, five_valid_one_bad_one_known)
    services.import_confirm(actor=manager, client_import=client_import)
    services.import_run(import_id=client_import.pk)

    amy = Client.objects.get(first_name="Amy", last_name="Lee")
    ben = Client.objects.get(first_name="Ben")
    assert amy.team == team_a
    assert amy.source.startswith("Imported from clients.csv (IMP-")
    assert amy in clients_visible_to(caseworker)
    assert ben not in clients_visible_to(caseworker)  # no key worker: the team's managers only
    assert ben in clients_visible_to(manager)
    assert open_client(caseworker, amy.pk).client == amy
    assert InformationEntry.objects.get(client=amy).summary == "Sofa-surfing"
    assert amy.history.filter(history_type="+").exists()
    assert AccessEvent.objects.filter(client=amy, action="edit", purpose=f"imported in {client_import.reference}")


def test_a_failure_in_a_batch_leaves_nothing_of_that_batch(manager, team_a, settings):
    settings.IMPORT_BATCH_SIZE = 2
    leaver = UserFactory(username="lee", teams=[team_a])
    text = HEADER + "Amy,Lee,,,,\nBen,Ray,,,,\nCara,Moss,,,,\nDan,Oak,,,lee,\nEve,Ash,,,,\n"
    client_import = check(manager, team_a, text)
    services.import_confirm(actor=manager, client_import=client_import)
    leaver.is_active = False
    leaver.save()

    result = services.import_run(import_id=client_import.pk)

    assert result.status == ClientImport.Status.FAILED
    assert result.failed_batch == 2
    assert "Batch 2 (rows 4–5) stopped at row 5" in result.error
    assert set(Client.objects.values_list("first_name", flat=True)) == {"Amy", "Ben"}


def test_running_the_task_again_adds_nothing(manager, team_a, five_valid_one_bad_one_known):
    client_import = check(manager, team_a, five_valid_one_bad_one_known)
    services.import_confirm(actor=manager, client_import=client_import)
    services.import_run(import_id=client_import.pk)
    count = Client.objects.count()
    assert services.import_run(import_id=client_import.pk) is None
    assert Client.objects.count() == count


def test_a_redelivered_task_carries_on_after_the_last_committed_batch(manager, team_a, settings):
    settings.IMPORT_BATCH_SIZE = 2
    client_import = check(manager, team_a, HEADER + "Amy,Lee,,,,\nBen,Ray,,,,\nCara,Moss,,,,\n")
    services.import_confirm(actor=manager, client_import=client_import)
    # As if a worker had committed the first batch and died.
    ClientImport.objects.filter(pk=client_import.pk).update(status="running")
    services._run_batch(
        client_import,
        1,
        list(services.parsing.read(services.Path(services.private_storage().path(client_import.stored_name)))[1])[:2],
        actor=manager,
        key_workers={},
        today=services.timezone.localdate(),
        source="test",
    )
    services.import_run(import_id=client_import.pk)
    assert sorted(Client.objects.values_list("first_name", flat=True)) == ["Amy", "Ben", "Cara"]


def test_only_the_teams_managers_and_admins_may_import(caseworker, other_manager, team_a):
    for person in (caseworker, other_manager):
        with pytest.raises(PermissionError):
            check(person, team_a, HEADER + "Amy,Lee,,,,\n")
    assert not ClientImport.objects.exists()


def test_a_refused_file_keeps_nothing(manager, team_a, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    with pytest.raises(services.parsing.FileRefused):
        check(manager, team_a, "name,shoe size\nAmy,5\n")
    assert not ClientImport.objects.exists()
    assert not any(tmp_path.rglob("*.upload"))


def test_the_example_file_in_the_docs_imports_cleanly_for_the_demo_team(db):
    """docs/import-example.csv, the file the README points to, has no problem rows."""
    from pathlib import Path

    from accounts.models import Team
    from accounts.tests.factories import TeamFactory

    team = TeamFactory(name="Outreach North", slug="outreach-north")
    manager = UserFactory(username="manager.demo", role="service_manager", teams=[team])
    UserFactory(username="caseworker.north", teams=[team])
    content = (Path(__file__).resolve().parents[2] / "docs" / "import-example.csv").read_bytes()
    client_import = services.import_check(
        actor=manager, team=Team.objects.get(pk=team.pk), upload=SimpleUploadedFile("example.csv", content)
    )
    assert [item["outcome"] for item in client_import.report] == ["create", "create"]


def test_an_import_refuses_invalid_numbers_and_stores_valid_ones_normalised(manager, team_a):
    text = "first_name,last_name,nhs_number,national_insurance_number\nAmy,Lee,1234567890,\nBen,Ray,,XX999999Z\n"
    check = services.import_check(
        actor=manager, team=team_a, upload=SimpleUploadedFile("c.csv", text.encode(), content_type="text/csv")
    )
    problems = " ".join(" ".join(item["messages"]) for item in check.report)
    assert "NHS number" in problems
    assert "National Insurance number" in problems
