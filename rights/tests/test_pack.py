"""Subject access packs: every kind of object about the client, nothing about anyone else."""

import datetime as dt
import io
import json
import zipfile

import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.urls import reverse
from pypdf import PdfReader

from access.gate import Action, Outcome, record
from clients import services as client_services
from clients.models import Client
from consent.evidence import private_storage
from consent.tests.factories import consent_with_evidence
from rights import rectification, services
from rights.models import SarPack
from rights.pack import COVERED, HISTORY_PREFIX
from sharing.tests.factories import sent_referral

from .factories import SubjectAccessRequestFactory
from .test_rectification import correct, refer

ENTRY_SUMMARY = "Sleeping in a tent by the canal since April"
ENTRY_DETAIL = "Left a shared house in Moss Side after a fire"
NOTE_TEXT = "Agreed to meet at the library on Tuesdays"
OTHER_TEXT = "Someone else entirely: Brinsley Vane of Hulme"


@pytest.fixture
def storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def full_record(own_client, caseworker, manager, other_team_client, other_caseworker, storage):
    client_services.entry_create(
        actor=caseworker, client=own_client, category="housing_history", summary=ENTRY_SUMMARY, detail=ENTRY_DETAIL
    )
    client_services.note_create(actor=caseworker, client=own_client, category="support_needs", text=NOTE_TEXT)
    consent = consent_with_evidence(client=own_client, actor=caseworker)
    referral = sent_referral(client=own_client, actor=manager)
    record(caseworker, action=Action.VIEW, outcome=Outcome.ALLOWED, client=own_client, purpose="support planning")
    client_services.entry_create(
        actor=other_caseworker, client=other_team_client, category="housing_history", summary=OTHER_TEXT
    )
    return {"consent": consent, "disclosure": referral.disclosure}


def _compile(client, manager):
    sar = SubjectAccessRequestFactory(client=client, logged_by=manager)
    pack = SarPack.objects.create(sar=sar, client=client, requested_by=manager, requested_at=sar.logged_at)
    assert services.sar_pack_compile(pack_id=pack.pk)
    pack.refresh_from_db()
    return pack


def _pdf_text(pack) -> str:
    with private_storage().open(pack.pdf_name, "rb") as f:
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(f.read())).pages)


def _archive(pack) -> dict[str, str]:
    with private_storage().open(pack.archive_name, "rb") as f, zipfile.ZipFile(io.BytesIO(f.read())) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_every_model_about_a_client_is_in_the_pack_or_said_why_not():
    about_clients = {
        model._meta.label
        for model in apps.get_models()
        if not model.__name__.startswith(HISTORY_PREFIX)
        and any(isinstance(f, models.ForeignKey) and f.related_model is Client for f in model._meta.get_fields())
    }
    assert about_clients - set(COVERED) == set(), "add these to rights.pack.COVERED and to the pack"


def test_the_pack_holds_every_kind_of_information_about_the_client(full_record, own_client, manager):
    pack = _compile(own_client, manager)

    assert pack.status == SarPack.Status.READY
    assert pack.progress == 100
    text = " ".join(_pdf_text(pack).split())
    for expected in (
        own_client.last_name,
        ENTRY_SUMMARY,
        ENTRY_DETAIL,
        NOTE_TEXT,
        full_record["consent"].notice.text[:40],
        full_record["disclosure"].reference,
        full_record["disclosure"].recipient_label,
        "Who looked at your record",
        "Viewed record",
        "Where the information came from",
    ):
        assert " ".join(expected.split()) in text, expected


def test_the_pack_holds_nothing_about_any_other_client(full_record, own_client, other_team_client, manager):
    pack = _compile(own_client, manager)

    assert OTHER_TEXT not in _pdf_text(pack)
    assert not any(OTHER_TEXT in content for content in _archive(pack).values())
    assert not any(other_team_client.last_name in content for content in _archive(pack).values())


def test_the_archive_is_json_plus_a_csv_per_section(full_record, own_client, manager):
    files = _archive(_compile(own_client, manager))

    data = json.loads(files["pack.json"])
    assert {
        "identity",
        "entries",
        "notes",
        "consents",
        "bases",
        "restrictions",
        "disclosures",
        "access",
        "sources",
    } <= set(data["sections"])
    assert ENTRY_DETAIL in files["entries.csv"]
    assert full_record["disclosure"].reference in files["disclosures.csv"]


def test_staff_are_named_only_when_the_policy_says_so(full_record, own_client, manager, caseworker, settings):
    settings.SAR_PACK_STAFF_NAMES = False
    assert caseworker.last_name not in _archive(_compile(own_client, manager))["entries.csv"]
    settings.SAR_PACK_STAFF_NAMES = True
    assert caseworker.last_name in _archive(_compile(own_client, manager))["entries.csv"]


def test_the_pack_says_which_corrections_were_passed_on_to_whom_and_how(
    own_client, caseworker, manager, storage, monkeypatch
):
    from sharing.models import SharingPolicy

    monkeypatch.setattr(
        SharingPolicy._meta.get_field("without_agreement"), "default", SharingPolicy.WithoutAgreement.LISTED
    )
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False) as clock:
        entry = client_services.entry_create(
            actor=caseworker, client=own_client, category="housing_history", summary=ENTRY_SUMMARY
        )
        clock.shift(dt.timedelta(hours=1))
        disclosure = refer(own_client, caseworker, "Riverside Housing")
        clock.shift(dt.timedelta(hours=1))
        correct(entry, caseworker, summary="In a hostel since February")
        clock.shift(dt.timedelta(hours=1))
        rectification.rectification_notify(actor=caseworker, client=own_client, item=f"entry:{entry.pk}")
        pack = _compile(own_client, manager)

    text = " ".join(_pdf_text(pack).split())
    corrections = text.partition("Corrections we passed on to those who had your information")[2]
    assert corrections, "the PDF has a corrections section"
    for expected in (
        "02 Mar 2026 13:00",
        "Housing history (information we hold)",
        "Riverside Housing",
        disclosure.reference,
        "Secure e-mail with the corrected information",
    ):
        assert expected in corrections.partition("Who looked at your record")[0], expected
    [row] = json.loads(_archive(pack)["pack.json"])["sections"]["corrections"]
    assert row["to"] == "Riverside Housing"
    assert row["disclosure"] == disclosure.reference
    assert row["corrected_information_sent"] == "Yes"
    assert "Riverside Housing" in _archive(pack)["corrections.csv"]


def test_compiling_twice_does_nothing_the_second_time(own_client, manager, storage):
    pack = _compile(own_client, manager)
    assert not services.sar_pack_compile(pack_id=pack.pk)


def test_requesting_a_pack_queues_it_even_when_the_broker_is_down(
    own_client, manager, monkeypatch, django_capture_on_commit_callbacks
):
    from rights import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(tasks.compile_sar_pack, "delay", broker_down)
    sar = SubjectAccessRequestFactory(client=own_client, logged_by=manager)

    with django_capture_on_commit_callbacks(execute=True):
        pack = services.sar_pack_request(actor=manager, sar=sar)

    assert SarPack.objects.get(pk=pack.pk).status == SarPack.Status.QUEUED


def test_the_pack_page_polls_while_compiling_and_offers_the_files_when_ready(
    own_client, manager, login, storage, monkeypatch
):
    from rights import tasks

    monkeypatch.setattr(tasks.compile_sar_pack, "delay", lambda pack_id: None)
    sar = SubjectAccessRequestFactory(client=own_client, logged_by=manager)
    client = login(manager)

    response = client.post(reverse("rights:sar", args=[own_client.pk, sar.pk]), {"step": "pack"})
    pack = SarPack.objects.get()
    assert response["Location"] == reverse("rights:pack", args=[own_client.pk, pack.pk])
    assert "data-pack-polling" in client.get(response["Location"]).content.decode()

    services.sar_pack_compile(pack_id=pack.pk)

    page = client.get(response["Location"]).content.decode()
    assert "data-pack-polling" not in page
    download = client.get(reverse("rights:pack_pdf", args=[own_client.pk, pack.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
