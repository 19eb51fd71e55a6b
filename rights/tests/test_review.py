"""Review before release (UK GDPR Art 15(4)): withheld items never reach the requester, and the
released pack is frozen."""

import hashlib
import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from access.gate import Action, Outcome, record
from access.models import AccessEvent
from clients import services as client_services
from clients.models import CaseNote, InformationEntry
from consent.evidence import private_storage
from rights import selectors, services
from rights.models import ReleasedPackChanged, SarPack, SarRelease, SarWithholding
from sharing.snapshot import snapshot_hash
from sharing.tests.factories import sent_referral

from .factories import SubjectAccessRequestFactory

THIRD_PARTY_SUMMARY = "Staying with her sister Morwenna Tregothnan on Hope Street"
THIRD_PARTY_DETAIL = "Morwenna has asked us not to tell anyone where she lives"
NOTE_TEXT = "Agreed to meet at the library on Tuesdays"
OTHER_TEXT = "Someone else entirely: Brinsley Vane of Hulme"
Exemption = SarWithholding.Exemption


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def record_with_third_party(own_client, caseworker, manager, other_team_client, other_caseworker):
    entry = client_services.entry_create(
        actor=caseworker,
        client=own_client,
        category="housing_history",
        summary=THIRD_PARTY_SUMMARY,
        detail=THIRD_PARTY_DETAIL,
    )
    client_services.note_create(actor=caseworker, client=own_client, category="support_needs", text=NOTE_TEXT)
    disclosure = sent_referral(client=own_client, actor=manager).disclosure
    record(caseworker, action=Action.VIEW, outcome=Outcome.ALLOWED, client=own_client, purpose="support planning")
    client_services.entry_create(
        actor=other_caseworker, client=other_team_client, category="housing_history", summary=OTHER_TEXT
    )
    return {"entry": entry, "disclosure": disclosure}


def compiled(client, actor):
    sar = SubjectAccessRequestFactory(client=client, logged_by=actor)
    pack = SarPack.objects.create(sar=sar, client=client, requested_by=actor, requested_at=sar.logged_at)
    assert services.sar_pack_compile(pack_id=pack.pk)
    return SarPack.objects.select_related("sar").get(pk=pack.pk)


def read(name: str) -> bytes:
    with private_storage().open(name, "rb") as f:
        return f.read()


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def archive_files(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def withhold_and_release(pack, actor, record):
    entry, disclosure = record["entry"], record["disclosure"]
    services.sar_item_withhold(
        actor=actor,
        pack=pack,
        item_key=f"entries:{entry.pk}",
        exemption=Exemption.THIRD_PARTY,
        note="Her sister's address; she has not agreed.",
    )
    services.sar_item_withhold(
        actor=actor,
        pack=pack,
        item_key=f"disclosures:{disclosure.pk}",
        exemption=Exemption.CRIME,
        note="Telling him would prejudice the investigation.",
    )
    return services.sar_pack_release(actor=actor, pack=pack)


def test_withheld_items_are_absent_from_the_released_pdf_and_every_archive_file(
    record_with_third_party, own_client, manager
):
    pack = compiled(own_client, manager)
    draft = pdf_text(read(pack.pdf_name))
    assert THIRD_PARTY_SUMMARY in draft  # the draft holds everything: the reviewer sees it all

    release = withhold_and_release(pack, manager, record_with_third_party)

    text = pdf_text(read(release.pdf_name))
    files = archive_files(read(release.archive_name))
    withheld = (THIRD_PARTY_SUMMARY, THIRD_PARTY_DETAIL, "Morwenna", record_with_third_party["disclosure"].reference)
    for value in withheld:
        assert value not in text, value
        for name, content in files.items():
            assert value not in content, (value, name)
    assert NOTE_TEXT in text
    assert NOTE_TEXT in files["notes.csv"]
    assert {"pack.json", "identity.csv", "entries.csv", "notes.csv", "disclosures.csv", "access.csv"} <= set(files)
    # The client is told about third-party information left out, not about the crime exemption.
    assert "Information about other people" in text
    assert "crime" not in text.lower()
    assert "Draft for review" not in text
    # No review keys reach the requester.
    assert f"entries:{record_with_third_party['entry'].pk}" not in files["pack.json"]
    assert "key" not in files["notes.csv"].splitlines()[0].split(",")


def test_the_release_is_frozen_with_the_sha256_of_what_was_released(record_with_third_party, own_client, manager):
    release = withhold_and_release(compiled(own_client, manager), manager, record_with_third_party)

    assert hashlib.sha256(read(release.pdf_name)).hexdigest() == release.pdf_sha256
    assert hashlib.sha256(read(release.archive_name)).hexdigest() == release.archive_sha256
    assert release.content_sha256 == snapshot_hash(release.content)
    assert release.sar.release == release
    assert release.released_by == manager
    assert [(w["key"].partition(":")[0], w["exemption"]) for w in release.withheld] == [
        ("disclosures", "crime"),
        ("entries", "third_party"),
    ]
    assert AccessEvent.objects.filter(
        actor=manager, object_type="rights.SarRelease", object_id=str(release.pk), outcome=Outcome.ALLOWED
    ).exists()


def test_the_released_pack_holds_only_the_clients_own_data(
    record_with_third_party, own_client, other_team_client, manager
):
    release = services.sar_pack_release(actor=manager, pack=compiled(own_client, manager))

    text = pdf_text(read(release.pdf_name))
    files = archive_files(read(release.archive_name))
    for value in (OTHER_TEXT, other_team_client.last_name, other_team_client.reference):
        assert value not in text
        assert not any(value in content for content in files.values())
    assert THIRD_PARTY_SUMMARY in text  # nothing withheld: everything about the client is released


def test_the_services_refuse_to_change_a_released_pack(record_with_third_party, own_client, manager):
    pack = compiled(own_client, manager)
    release = withhold_and_release(pack, manager, record_with_third_party)
    note_key = f"notes:{CaseNote.objects.get(client=own_client).pk}"

    with pytest.raises(services.PackReleased):
        services.sar_item_withhold(
            actor=manager, pack=pack, item_key=note_key, exemption=Exemption.THIRD_PARTY, note="Too late."
        )
    with pytest.raises(services.PackReleased):
        services.sar_item_include(actor=manager, pack=pack, item_key=f"entries:{record_with_third_party['entry'].pk}")
    with pytest.raises(services.PackReleased):
        services.sar_pack_release(actor=manager, pack=pack)
    with pytest.raises(services.PackReleased):
        services.sar_pack_request(actor=manager, sar=pack.sar)  # re-compiling after release

    assert SarPack.objects.filter(sar=pack.sar).count() == 1
    assert SarWithholding.objects.filter(pack=pack).count() == 2
    assert SarRelease.objects.get().pdf_sha256 == release.pdf_sha256


def test_the_model_refuses_to_save_or_delete_a_released_pack(record_with_third_party, own_client, manager):
    release = services.sar_pack_release(actor=manager, pack=compiled(own_client, manager))
    content = release.content

    release.content = {"sections": {}}
    with pytest.raises(ReleasedPackChanged):
        release.save()
    with pytest.raises(ReleasedPackChanged):
        release.delete()
    with pytest.raises(ReleasedPackChanged):
        SarRelease.objects.filter(pk=release.pk).update(pdf_sha256="0" * 64)
    with pytest.raises(ReleasedPackChanged):
        SarRelease.objects.filter(pk=release.pk).delete()

    assert SarRelease.objects.get(pk=release.pk).content == content


def test_an_item_can_be_put_back_before_release(record_with_third_party, own_client, manager):
    pack = compiled(own_client, manager)
    key = f"entries:{record_with_third_party['entry'].pk}"
    services.sar_item_withhold(actor=manager, pack=pack, item_key=key, exemption=Exemption.THIRD_PARTY, note="Hers.")

    assert services.sar_item_include(actor=manager, pack=pack, item_key=key)
    release = services.sar_pack_release(actor=manager, pack=pack)

    assert THIRD_PARTY_SUMMARY in pdf_text(read(release.pdf_name))
    assert release.withheld == []


def test_withholding_needs_a_known_item_an_exemption_and_a_note(record_with_third_party, own_client, manager):
    pack = compiled(own_client, manager)

    with pytest.raises(ValidationError) as error:
        services.sar_item_withhold(actor=manager, pack=pack, item_key="notes:999999999", exemption="", note=" ")

    assert set(error.value.error_dict) == {"item_key", "exemption", "note"}
    assert not SarWithholding.objects.exists()


def test_a_pack_whose_compiled_archive_changed_is_not_released(record_with_third_party, own_client, manager):
    pack = compiled(own_client, manager)
    with private_storage().open(pack.archive_name, "wb") as f:
        f.write(b"PK not what was compiled")

    with pytest.raises(selectors.PackUnreadable):
        services.sar_pack_release(actor=manager, pack=pack)
    assert not SarRelease.objects.exists()


@pytest.mark.parametrize("who", ["caseworker", "other_manager"])
def test_only_the_clients_managers_and_the_iso_review_and_release(request, who, record_with_third_party, own_client):
    manager = request.getfixturevalue("manager")
    pack = compiled(own_client, manager)
    actor = request.getfixturevalue(who)
    key = f"entries:{record_with_third_party['entry'].pk}"

    with pytest.raises(services.NotRightsOfficer):
        services.sar_item_withhold(actor=actor, pack=pack, item_key=key, exemption=Exemption.THIRD_PARTY, note="x")
    with pytest.raises(services.NotRightsOfficer):
        services.sar_pack_release(actor=actor, pack=pack)
    assert not SarRelease.objects.exists()


def test_the_iso_may_release_any_teams_pack(record_with_third_party, own_client, manager, iso):
    release = services.sar_pack_release(actor=iso, pack=compiled(own_client, manager))
    assert release.released_by == iso


# --- Pages --------------------------------------------------------------------------------


def review_url(pack, name="rights:review"):
    return reverse(name, args=[pack.client_id, pack.pk])


@pytest.fixture
def queued_releases(monkeypatch):
    """The ids the release task was given (the worker is run by hand in these tests)."""
    from rights import tasks

    queued = []
    monkeypatch.setattr(tasks.release_sar_pack, "delay", queued.append)
    return queued


def test_a_release_is_queued_and_the_worker_releases_it_once(
    record_with_third_party, own_client, manager, queued_releases, django_capture_on_commit_callbacks
):
    pack = compiled(own_client, manager)

    with django_capture_on_commit_callbacks(execute=True):
        services.sar_pack_release_request(actor=manager, pack=pack)
        services.sar_pack_release_request(actor=manager, pack=pack)  # a double click

    assert queued_releases == [pack.pk]
    assert not SarRelease.objects.exists()
    assert services.sar_pack_release_run(pack_id=pack.pk)
    assert not services.sar_pack_release_run(pack_id=pack.pk)
    assert SarRelease.objects.get().released_by == manager
    assert SarPack.objects.get(pk=pack.pk).release_status == ""


def test_decisions_cannot_change_while_the_release_waits_for_the_worker(
    record_with_third_party, own_client, manager, queued_releases
):
    pack = compiled(own_client, manager)
    services.sar_pack_release_request(actor=manager, pack=pack)

    with pytest.raises(ValidationError, match="being released"):
        services.sar_item_withhold(
            actor=manager,
            pack=pack,
            item_key=f"entries:{record_with_third_party['entry'].pk}",
            exemption=Exemption.THIRD_PARTY,
            note="Too late.",
        )
    assert not SarWithholding.objects.exists()


def test_a_release_asked_by_someone_no_longer_a_manager_fails_and_says_why(
    record_with_third_party, own_client, manager, queued_releases
):
    from accounts.models import Role

    pack = compiled(own_client, manager)
    services.sar_pack_release_request(actor=manager, pack=pack)
    manager.role = Role.CASEWORKER
    manager.save(update_fields=["role"])

    assert not services.sar_pack_release_run(pack_id=pack.pk)

    pack.refresh_from_db()
    assert pack.release_status == "failed"
    assert "service manager" in pack.release_error
    assert not SarRelease.objects.exists()


def test_a_manager_withholds_an_item_and_releases_from_the_pages(
    record_with_third_party, own_client, manager, login, queued_releases
):
    pack = compiled(own_client, manager)
    key = f"entries:{record_with_third_party['entry'].pk}"
    browser = login(manager)

    page = browser.get(review_url(pack)).content.decode()
    assert THIRD_PARTY_SUMMARY in page
    form = browser.get(review_url(pack, "rights:review_withhold"), {"item": key})
    assert THIRD_PARTY_DETAIL in form.content.decode()

    missing = browser.post(review_url(pack, "rights:review_withhold"), {"item": key, "exemption": "third_party"})
    assert missing.status_code == 400
    assert "Say why the exemption applies to this item." in missing.content.decode()

    done = browser.post(
        review_url(pack, "rights:review_withhold"), {"item": key, "exemption": "third_party", "note": "Her sister's."}
    )
    assert done.status_code == 302
    assert "Her sister&#x27;s." in browser.get(review_url(pack)).content.decode()

    released = browser.post(review_url(pack), {"step": "release"})
    assert released.status_code == 302
    assert "data-pack-polling" in browser.get(review_url(pack)).content.decode()
    services.sar_pack_release_run(pack_id=pack.pk)  # the worker
    release = SarRelease.objects.get(pack=pack)
    assert "data-pack-polling" not in browser.get(review_url(pack)).content.decode()

    sar_page = browser.get(reverse("rights:sar", args=[own_client.pk, pack.sar_id])).content.decode()
    assert "Released" in sar_page
    assert "Information about another person" in sar_page
    assert "Her sister&#x27;s." in sar_page
    assert "Compile the pack" not in sar_page
    assert browser.post(reverse("rights:sar", args=[own_client.pk, pack.sar_id]), {"step": "pack"}).status_code == 302
    assert SarPack.objects.filter(sar=pack.sar).count() == 1

    download = browser.get(review_url(pack, "rights:release_pdf"))
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == release.pdf_sha256
    assert THIRD_PARTY_SUMMARY not in pdf_text(download.content)
    assert AccessEvent.objects.filter(
        actor=manager, action=Action.DOWNLOAD, object_type="rights.SarPack", object_id=str(pack.pk)
    ).exists()


def test_the_withhold_page_of_a_released_pack_sends_back_to_the_review(
    record_with_third_party, own_client, manager, login
):
    pack = compiled(own_client, manager)
    withhold_and_release(pack, manager, record_with_third_party)
    key = f"entries:{record_with_third_party['entry'].pk}"
    browser = login(manager)

    opened = browser.get(review_url(pack, "rights:review_withhold"), {"item": key})

    assert opened.status_code == 302
    assert opened["Location"] == review_url(pack)
    assert "has been released" in browser.get(opened["Location"]).content.decode()


def test_withheld_items_are_named_for_people_not_by_their_keys(record_with_third_party, own_client, manager, login):
    pack = compiled(own_client, manager)
    withhold_and_release(pack, manager, record_with_third_party)
    entry = record_with_third_party["entry"]

    page = login(manager).get(reverse("rights:sar", args=[own_client.pk, pack.sar_id])).content.decode()

    assert f"Information we hold about you (no. {entry.pk})" in page
    assert f"entries:{entry.pk}" not in page


def test_a_changed_released_file_is_not_served(record_with_third_party, own_client, manager, login):
    pack = compiled(own_client, manager)
    release = services.sar_pack_release(actor=manager, pack=pack)
    with private_storage().open(release.pdf_name, "wb") as f:
        f.write(b"%PDF-1.4 something else")

    response = login(manager).get(review_url(pack, "rights:release_pdf"))

    assert response.status_code == 409
    assert b"%PDF" not in response.content


def without_tokens(response) -> str:
    """The page without the per-form tokens (CSRF, the form's owner and one-time tokens), which differ by design."""
    return re.sub(r'name="(csrfmiddlewaretoken|_form_owner|_form_once)" value="[^"]+"', "", response.content.decode())


@pytest.mark.parametrize("who", ["caseworker", "other_manager"])
def test_outsiders_get_the_same_404_for_a_pack_as_for_an_unknown_id(request, who, own_client, manager, login):
    pack = compiled(own_client, manager)
    browser = login(request.getfixturevalue(who))
    before = AccessEvent.objects.filter(outcome=Outcome.DENIED).count()

    for name in ("rights:review", "rights:review_withhold", "rights:release_pdf"):
        forbidden = browser.get(reverse(name, args=[own_client.pk, pack.pk]), {"item": "notes:1"})
        unknown = browser.get(reverse(name, args=[own_client.pk, 999_999_999]), {"item": "notes:1"})
        assert forbidden.status_code == unknown.status_code == 404
        assert without_tokens(forbidden) == without_tokens(unknown)
    refused = browser.post(reverse("rights:review", args=[own_client.pk, pack.pk]), {"step": "release"})

    assert refused.status_code == 404
    assert not SarRelease.objects.exists()
    assert AccessEvent.objects.filter(outcome=Outcome.DENIED).count() == before + 7


def test_the_review_page_makes_as_many_queries_for_many_items_as_for_few(
    record_with_third_party, own_client, manager, caseworker, login, django_assert_num_queries
):
    few = compiled(own_client, manager)
    browser = login(manager)
    browser.get(review_url(few))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as one:
        browser.get(review_url(few))
    few_queries = len(one)  # now: the next request clears the connection's query log
    for n in range(30):
        client_services.note_create(actor=caseworker, client=own_client, category="support_needs", text=f"Note {n}")
    many = compiled(own_client, manager)
    for entry in InformationEntry.objects.filter(client=own_client):
        services.sar_item_withhold(
            actor=manager, pack=many, item_key=f"entries:{entry.pk}", exemption=Exemption.THIRD_PARTY, note="Hers."
        )
    browser.get(review_url(many))

    with django_assert_num_queries(few_queries):
        page = browser.get(review_url(many))

    assert page.content.decode().count("Withhold<span") > 30
