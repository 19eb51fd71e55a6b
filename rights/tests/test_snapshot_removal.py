"""Disclosure snapshots and released subject access packs of an anonymised client are kept for
DISCLOSURE_SNAPSHOT_RETENTION_DAYS (legal claims), then the daily retention review removes
their personal content, keeps what identifies them and their SHA-256, records each removal in
the audit log, and the log still verifies (docs/decisions/0014, 0016)."""

import datetime as dt
import hashlib
import io
import json

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from access.audit import seal_audit
from access.models import AccessEvent
from access.tests.test_database_roles import app_role  # noqa: F401 (a fixture: the app's database role, as deployed)
from clients.models import Client
from consent.evidence import private_storage
from rights import retention, services
from rights.models import SarPack, SarRelease
from rights.tests.test_anonymise import NOTE_TEXT, SECRETS, person  # noqa: F401 (person is a fixture)
from sharing.models import Disclosure, RecipientNotice
from sharing.tests.factories import recipient_notice

DAYS = 30


@pytest.fixture
def disclosed(person, caseworker, manager, settings, tmp_path):  # noqa: F811
    """An anonymised client whose referral left the organisation (with a notice to its recipient
    after the consent was withdrawn) and whose subject access pack was released."""
    settings.DISCLOSURE_SNAPSHOT_RETENTION_DAYS = DAYS
    settings.AUDIT_SEAL_FILE = tmp_path / "seals.log"
    settings.AUDIT_SEAL_SAFETY_SECONDS = 0
    notice = recipient_notice(client=person, actor=caseworker)
    pack = SarPack.objects.get(client=person)
    storage = private_storage()
    pdf, archive = f"%PDF {SECRETS[0]} {SECRETS[1]}".encode(), f"PK {NOTE_TEXT}".encode()
    content = {
        "title": "Information we hold about you (ANON-001)",
        "released_at": "15 Jun 2026 10:00",
        "withheld": ["Information about other people"],
        "sections": {
            "identity": [{"field": "Name", "value": f"{SECRETS[1]} {SECRETS[0]}"}],
            "notes": [{"text": NOTE_TEXT}],
        },
    }
    release = SarRelease.objects.create(
        sar=pack.sar,
        pack=pack,
        released_by=manager,
        released_at=timezone.now(),
        content=content,
        content_sha256="c" * 64,
        withheld=[
            {"key": "notes:1", "section": "notes", "exemption": "third_party", "note": f"Friend at {SECRETS[-1]}"}
        ],
        pdf_name=storage.save("sar/released.pdf", ContentFile(pdf)),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        archive_name=storage.save("sar/released.zip", ContentFile(archive)),
        archive_sha256=hashlib.sha256(archive).hexdigest(),
    )
    services.client_anonymise(actor=manager, client=person, reason="erasure request granted")
    return {"client": person, "disclosure": notice.disclosure, "notice": notice, "release": release}


def _later(days: float):
    return time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=False)


def _text(*rows) -> str:
    return json.dumps([row.__dict__ for row in rows], default=str)


def test_the_content_is_kept_until_the_period_has_passed(disclosed):
    disclosure = disclosed["disclosure"]
    assert SECRETS[0] in json.dumps(Disclosure.objects.get(pk=disclosure.pk).snapshot), "sent with the name"

    with _later(DAYS - 1):
        assert retention.snapshot_content_sweep() == {"disclosures": 0, "releases": 0}

    assert Disclosure.objects.get(pk=disclosure.pk).content_removed_at is None
    assert SECRETS[0] in json.dumps(Disclosure.objects.get(pk=disclosure.pk).snapshot)


def test_after_the_period_the_personal_content_goes_and_what_identifies_the_disclosure_stays(
    disclosed, django_capture_on_commit_callbacks
):
    before = Disclosure.objects.get(pk=disclosed["disclosure"].pk)
    release = disclosed["release"]
    files = [release.pdf_name, release.archive_name]

    with _later(DAYS + 1), django_capture_on_commit_callbacks(execute=True):
        assert retention.snapshot_content_sweep() == {"disclosures": 1, "releases": 1}

    after = Disclosure.objects.get(pk=before.pk)
    notice = RecipientNotice.objects.get(pk=disclosed["notice"].pk)
    kept = SarRelease.objects.get(pk=release.pk)
    for value in [*SECRETS, NOTE_TEXT]:
        assert value not in _text(after, notice, kept), value
    assert after.content_removed_at is not None
    assert (after.reference, after.snapshot_sha256, after.disclosed_at, after.partner_id, after.consent_id) == (
        before.reference,
        before.snapshot_sha256,
        before.disclosed_at,
        before.partner_id,
        before.consent_id,
    )
    assert [s["key"] for s in after.snapshot["sections"]] == [s["key"] for s in before.snapshot["sections"]]
    assert after.snapshot["sent_at"] == before.snapshot["sent_at"]
    assert (kept.content_sha256, kept.pdf_sha256, kept.archive_sha256) == (
        release.content_sha256,
        release.pdf_sha256,
        release.archive_sha256,
    )
    assert kept.content["counts"] == {"identity": 1, "notes": 1}
    assert kept.withheld == [{"key": "notes:1", "section": "notes", "exemption": "third_party"}]
    assert not any(private_storage().exists(name) for name in files)


def test_each_removal_is_an_audit_row_and_the_log_still_verifies(disclosed):
    with _later(DAYS + 1):
        retention.snapshot_content_sweep()
        seal_audit()

    removals = AccessEvent.objects.filter(client=disclosed["client"], purpose="retention")
    assert set(removals.values_list("object_type", "object_id")) == {
        ("sharing.Disclosure", str(disclosed["disclosure"].pk)),
        ("rights.SarRelease", str(disclosed["release"].pk)),
    }
    assert all(
        disclosed["disclosure"].snapshot_sha256 in e.detail for e in removals.filter(object_type="sharing.Disclosure")
    )
    call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())  # exits 1 on any alteration


def test_a_second_sweep_changes_nothing(disclosed):
    with _later(DAYS + 1):
        retention.snapshot_content_sweep()
        events = AccessEvent.objects.count()
        assert retention.snapshot_content_sweep() == {"disclosures": 0, "releases": 0}
    assert AccessEvent.objects.count() == events


def test_a_legal_hold_keeps_the_content(disclosed):
    Client.objects.filter(pk=disclosed["client"].pk).update(
        legal_hold_since=timezone.now(), legal_hold_reason="Production order PO-31"
    )

    with _later(DAYS + 1):
        assert retention.snapshot_content_sweep() == {"disclosures": 0, "releases": 0}

    assert SECRETS[0] in json.dumps(Disclosure.objects.get(pk=disclosed["disclosure"].pk).snapshot)
    assert SarRelease.objects.get(pk=disclosed["release"].pk).content_removed_at is None


def test_a_client_not_anonymised_keeps_their_disclosures(own_client, caseworker, settings):
    settings.DISCLOSURE_SNAPSHOT_RETENTION_DAYS = 0
    disclosure = recipient_notice(client=own_client, actor=caseworker).disclosure

    with _later(1):
        assert retention.snapshot_content_sweep() == {"disclosures": 0, "releases": 0}
    assert Disclosure.objects.get(pk=disclosure.pk).content_removed_at is None


def test_the_daily_review_task_removes_the_content(disclosed, monkeypatch):
    from rights import tasks

    monkeypatch.setattr(tasks.run_retention_batch, "delay", lambda batch_id: None)
    with _later(DAYS + 1):
        tasks.retention_review()
    assert Disclosure.objects.get(pk=disclosed["disclosure"].pk).content_removed_at is not None


def _refused(change) -> None:
    with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic():
        change()


def test_the_database_admits_only_the_one_way_removal(disclosed):
    pk = disclosed["disclosure"].pk
    rows = Disclosure.objects.filter(pk=pk)
    now = timezone.now()
    _refused(lambda: rows.update(snapshot={}))  # content changed without being marked removed
    _refused(lambda: rows.update(content_removed_at=now, reference="D-FORGED"))  # identity changed
    _refused(lambda: rows.update(content_removed_at=now, snapshot_sha256="0" * 64))  # hash changed

    with _later(DAYS + 1):
        retention.snapshot_content_sweep()

    _refused(lambda: rows.update(content_removed_at=None))
    _refused(lambda: rows.update(snapshot={"sections": "forged"}))
    release_rows = SarRelease.objects.filter(pk=disclosed["release"].pk)
    _refused(lambda: release_rows.content_remove(removed_at=now, content={}, withheld=[]))  # a second removal
    assert Disclosure.objects.get(pk=pk).reference == disclosed["disclosure"].reference


@pytest.fixture
def _postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.mark.postgres
@pytest.mark.usefixtures("_postgres")
def test_the_apps_database_role_may_write_only_the_removed_columns(app_role):  # noqa: F811
    app = app_role

    def may_update(table: str, column: str) -> bool:
        found = app.execute("SELECT has_column_privilege(current_user, %s, %s, 'UPDATE')", [table, column])
        return found.fetchone()[0]

    assert app.execute("SELECT has_table_privilege(current_user, 'sharing_disclosure', 'UPDATE')").fetchone() == (
        False,
    )
    assert {
        column: may_update("sharing_disclosure", column) for column in ("snapshot", "reasons", "content_removed_at")
    } == {
        "snapshot": True,
        "reasons": True,
        "content_removed_at": True,
    }
    assert not may_update("sharing_disclosure", "snapshot_sha256")
    assert not may_update("sharing_disclosure", "reference")
    assert may_update("rights_sarrelease", "content")
    assert not may_update("rights_sarrelease", "content_sha256")
    assert not may_update("access_accessevent", "detail")


def test_the_pages_say_the_content_was_removed(disclosed, login, manager):
    from types import SimpleNamespace

    from django.urls import reverse

    from access import gate

    client, release = disclosed["client"], disclosed["release"]
    with _later(DAYS + 1):
        retention.snapshot_content_sweep()
        browser = login(manager)
        # An anonymised record is a closed case: its managers open it with a reason.
        session = browser.session
        gate.session_reason_store(SimpleNamespace(session=session), client.pk, category="other", text="Legal claim")
        session.save()
        download = browser.get(reverse("rights:release_pdf", args=[client.pk, release.pack_id]))
        page = browser.get(reverse("sharing:disclosure", args=[client.pk, disclosed["disclosure"].pk]))

    assert download.status_code == 410
    assert "was removed on" in download.content.decode()
    assert page.status_code == 200
    body = page.content.decode()
    assert "after the period it was kept for legal claims" in body
    assert SECRETS[0] not in body


def test_a_statutory_disclosure_is_kept_with_its_request(disclosed, caseworker):
    sent = disclosed["disclosure"]
    statutory = Disclosure.objects.create(
        kind=Disclosure.Kind.STATUTORY,
        reference="STAT-TEST-1",
        client=disclosed["client"],
        recipient_label="Greater Manchester Police",
        purpose_label="Production order",
        basis_label="Legal obligation",
        selection=sent.selection,
        disclosed_by=caseworker,
        disclosed_at=timezone.now(),
        snapshot={**sent.snapshot, "reference": "STAT-TEST-1"},
        snapshot_sha256="d" * 64,
    )

    with _later(DAYS + 1):
        assert retention.snapshot_content_sweep() == {"disclosures": 1, "releases": 1}

    assert Disclosure.objects.get(pk=statutory.pk).content_removed_at is None
    assert Disclosure.objects.get(pk=sent.pk).content_removed_at is not None
