"""Anonymisation and erasure requests: nothing identifying is left, counts remain, the audit
still verifies, and a legal hold refuses it with its reason."""

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from django.utils import timezone

from access.audit import seal_audit
from access.models import AccessEvent
from clients import services as client_services
from clients.models import CaseNote, Client, InformationEntry
from consent.evidence import private_storage
from consent.models import ConsentEvidence
from consent.tests.factories import consent_with_evidence
from rights import services
from rights.models import ErasureRequest, SarPack, SarWithholding, SubjectAccessRequest
from rights.tests.factories import ready_pack

# Kept on purpose (docs/decisions/0014): the audit log and its seals, what left the
# organisation (disclosure snapshots and the notices about them), the requests of
# statutory bodies, and breach reports — under UK GDPR Art 17(3)(b) and (e).
KEPT = {"access", "statutory", "breaches"}
# A released subject access pack is what the client was given: kept like a disclosure snapshot.
KEPT_MODELS = {"sharing.Disclosure", "sharing.RecipientNotice", "rights.SarRelease"}

IDENTIFYING = {
    "first_name": "Philippa",
    "last_name": "Quenby",
    "national_insurance_number": "AB123456C",
    "phone": "07700 900456",
    "email": "pq.client@example.org",
    "address": "12 Quay Street, Salford",
}
SECRETS = ["Quenby", "Philippa", "AB123456C", "07700 900456", "pq.client@example.org", "12 Quay Street"]
ENTRY_SUMMARY = "Sofa-surfing at a cousin's flat in Eccles"
ENTRY_DETAIL = "Evicted from Brook House after rent arrears in May"
NOTE_TEXT = "Met at the Quay Street day centre; wants help with a Universal Credit claim"
REQUESTER = "Winifred Quenby-Hale"


@pytest.fixture
def person(manager, caseworker, team_a, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    client = client_services.client_create(actor=caseworker, team=team_a, reference="ANON-001", **IDENTIFYING)
    client_services.entry_create(
        actor=caseworker, client=client, category="housing_history", summary=ENTRY_SUMMARY, detail=ENTRY_DETAIL
    )
    entry = client.entries.get()
    client_services.entry_update(
        actor=caseworker, entry=entry, summary=ENTRY_SUMMARY + ", since March", detail=ENTRY_DETAIL
    )
    client_services.note_create(actor=caseworker, client=client, category="support_needs", text=NOTE_TEXT)
    consent_with_evidence(client=client, actor=caseworker)
    sar = services.sar_log(
        actor=manager,
        client=client,
        requester=SubjectAccessRequest.Requester.REPRESENTATIVE,
        requester_name=REQUESTER,
        authority=SubjectAccessRequest.Authority.WRITTEN_AUTHORITY,
        verification=SubjectAccessRequest.Verification.PHOTO_ID,
        asked_for=f"Everything about {IDENTIFYING['first_name']}",
        received_on=timezone.localdate(),
    )
    # A compiled pack under review, with a reviewer's note naming the client's address.
    pack = ready_pack(client=client, actor=manager, sar=sar)
    services.sar_item_withhold(
        actor=manager,
        pack=pack,
        item_key="notes:0",
        exemption=SarWithholding.Exemption.THIRD_PARTY,
        note=f"The friend at {SECRETS[-1]} has not agreed.",
    )
    client.refresh_from_db()
    return client


def _text_columns():
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in KEPT or model._meta.label in KEPT_MODELS or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                yield model._meta.db_table, field.column


def where_found(value: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            qn = connection.ops.quote_name
            cursor.execute(
                f"SELECT 1 FROM {qn(table)} WHERE CAST({qn(column)} AS TEXT) LIKE %s LIMIT 1",  # noqa: S608 (every table and column from the schema; the value is a parameter)
                [f"%{value}%"],
            )
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


def test_anonymising_leaves_no_identifying_value_in_any_text_column(person, manager):
    everything = [*SECRETS, ENTRY_SUMMARY, ENTRY_DETAIL, NOTE_TEXT, REQUESTER]
    assert all(where_found(value) for value in everything), "the fixture should hold every value first"

    services.client_anonymise(actor=manager, client=person, reason="erasure request granted")

    assert {value: where_found(value) for value in everything} == {value: [] for value in everything}


def test_the_client_becomes_a_stub_and_counts_remain(person, manager):
    services.client_anonymise(actor=manager, client=person, reason="retention period passed")

    stub = Client.objects.get(pk=person.pk)
    assert (stub.first_name, stub.last_name, stub.reference) == ("Anonymised", "client", "ANON-001")
    assert stub.anonymised_at is not None
    assert stub.team_id == person.team_id
    assert stub.opened_on == person.opened_on
    assert list(InformationEntry.objects.filter(client=stub).values_list("category", flat=True)) == ["housing_history"]
    assert CaseNote.objects.filter(client=stub).count() == 1
    event = AccessEvent.objects.filter(client=stub, purpose="anonymisation").get()
    assert "retention period passed" in event.detail


def test_evidence_files_are_deleted_from_storage_once_committed(person, manager, django_capture_on_commit_callbacks):
    stored = list(ConsentEvidence.objects.filter(client=person).values_list("stored_name", flat=True))
    assert stored
    assert all(private_storage().exists(name) for name in stored)

    with django_capture_on_commit_callbacks(execute=True):
        services.client_anonymise(actor=manager, client=person, reason="erasure")

    assert not any(private_storage().exists(name) for name in stored)


def test_compiled_subject_access_pack_files_are_deleted_once_committed(
    person, manager, django_capture_on_commit_callbacks
):
    pack = SarPack.objects.get(client=person)
    stored = [pack.pdf_name, pack.archive_name]
    assert all(private_storage().exists(name) for name in stored)

    with django_capture_on_commit_callbacks(execute=True):
        services.client_anonymise(actor=manager, client=person, reason="erasure")

    assert not any(private_storage().exists(name) for name in stored)
    assert SarPack.objects.filter(client=person, pdf_name="", archive_name="").count() == 1


def test_the_audit_log_still_verifies_afterwards(person, manager, settings, tmp_path):
    settings.AUDIT_SEAL_FILE = tmp_path / "seals.log"
    settings.AUDIT_SEAL_SAFETY_SECONDS = 0
    before = AccessEvent.objects.count()

    services.client_anonymise(actor=manager, client=person, reason="erasure")
    seal_audit()

    assert AccessEvent.objects.count() == before + 1
    call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())  # exits 1 on any alteration


def test_a_legal_hold_refuses_anonymisation_with_its_reason_and_changes_nothing(person, manager):
    Client.objects.filter(pk=person.pk).update(
        legal_hold_since=timezone.now() - dt.timedelta(days=2), legal_hold_reason="Production order PO-2026-0412"
    )

    with pytest.raises(client_services.UnderLegalHold, match="Production order PO-2026-0412"):
        services.client_anonymise(actor=manager, client=person, reason="erasure")

    person.refresh_from_db()
    assert person.last_name == "Quenby"
    assert person.anonymised_at is None
    assert InformationEntry.objects.get(client=person).detail == ENTRY_DETAIL


@pytest.mark.parametrize("who", ["caseworker", "other_manager"])
def test_only_the_clients_managers_and_the_iso_anonymise(request, who, person):
    with pytest.raises(services.NotRightsOfficer):
        services.client_anonymise(actor=request.getfixturevalue(who), client=person, reason="x")


def test_a_client_is_anonymised_once(person, iso):
    services.client_anonymise(actor=iso, client=person, reason="erasure")
    with pytest.raises(services.AlreadyAnonymised):
        services.client_anonymise(actor=iso, client=person, reason="again")


def _erasure(person, manager):
    return services.erasure_request_log(
        actor=manager,
        client=person,
        received_on=timezone.localdate(),
        asked_by="The client, in person",
        asked_text="Delete everything you have about me.",
    )


def test_a_granted_erasure_request_anonymises_the_client(person, manager):
    erasure = _erasure(person, manager)

    decided = services.erasure_request_decide(
        actor=manager,
        erasure_request=erasure,
        grant=True,
        ground=ErasureRequest.Ground.NO_LONGER_NECESSARY,
        note="Case closed two years ago; nothing outstanding.",
    )

    assert decided.status == ErasureRequest.Status.GRANTED
    assert Client.objects.get(pk=person.pk).anonymised_at is not None
    assert ErasureRequest.objects.get(pk=erasure.pk).asked_text == ""


def test_a_refused_erasure_request_records_the_exemption_and_keeps_the_data(person, manager):
    erasure = _erasure(person, manager)

    decided = services.erasure_request_decide(
        actor=manager,
        erasure_request=erasure,
        grant=False,
        exemption=ErasureRequest.Exemption.LEGAL_CLAIMS,
        note="A housing tribunal claim is pending.",
    )

    assert decided.exemption == ErasureRequest.Exemption.LEGAL_CLAIMS
    assert Client.objects.get(pk=person.pk).last_name == "Quenby"


def test_a_decision_needs_its_ground_or_exemption_and_reasons(person, manager):
    erasure = _erasure(person, manager)
    with pytest.raises(Exception) as refused:
        services.erasure_request_decide(actor=manager, erasure_request=erasure, grant=True)
    assert set(refused.value.message_dict) == {"ground", "note"}


def test_under_legal_hold_a_grant_is_refused_and_the_request_stays_open(person, manager):
    erasure = _erasure(person, manager)
    Client.objects.filter(pk=person.pk).update(legal_hold_since=timezone.now(), legal_hold_reason="Search warrant")

    with pytest.raises(client_services.UnderLegalHold, match="Search warrant"):
        services.erasure_request_decide(
            actor=manager,
            erasure_request=erasure,
            grant=True,
            ground=ErasureRequest.Ground.CONSENT_WITHDRAWN,
            note="Withdrew consent.",
        )

    assert ErasureRequest.objects.get(pk=erasure.pk).status == ErasureRequest.Status.OPEN
    assert Client.objects.get(pk=person.pk).anonymised_at is None


# --- Anonymising together (a retention batch) -------------------------------------------------


def test_each_removal_is_a_history_row_by_the_actor_with_the_consents_scope(person, manager):
    from consent.models import ConsentRecord

    consent = ConsentRecord.objects.get(client=person)
    scope = (set(consent.partners.values_list("pk", flat=True)), set(consent.purposes.values_list("pk", flat=True)))

    services.client_anonymise(actor=manager, client=person, reason="erasure")

    for model in (InformationEntry, CaseNote, ConsentRecord, ConsentEvidence, Client):
        latest = model.history.filter(id=person.pk if model is Client else model.objects.get(client=person).pk).first()
        assert (latest.history_type, latest.history_user) == ("~", manager), model
    latest = consent.history.first()
    assert latest.verbal_notes == latest.witness_name == ""
    assert (
        set(latest.partners.values_list("partner_id", flat=True)),
        set(latest.purposes.values_list("purpose_id", flat=True)),
    ) == scope
    assert Client.history.filter(id=person.pk).last().anonymised_at is None  # the creation row says when it was made


def clients_with_records(n: int, *, team, actor, start: int = 0, closed_on: dt.date | None = None) -> list[int]:
    """`n` clients, each with an information entry, a case note, an alert and a consent with its signed form."""
    from clients.models import Alert

    ids = []
    for k in range(start, start + n):
        client = client_services.client_create(
            actor=actor,
            team=team,
            first_name="Batch",
            last_name=f"Person {k}",
            reference=f"BATCH-{k:03d}",
            **({"opened_on": closed_on - dt.timedelta(days=400)} if closed_on else {}),
        )
        client_services.entry_create(
            actor=actor, client=client, category="housing_history", summary=f"Summary {k}", detail=f"Detail {k}"
        )
        client_services.note_create(actor=actor, client=client, category="support_needs", text=f"Note {k}")
        client_services.alert_raise(actor=actor, client=client, kind=Alert.Kind.OTHER, text=f"Alert {k}")
        consent_with_evidence(client=client, actor=actor)
        if closed_on is not None:
            client_services.client_close(actor=actor, client=client, reason="Moved on", closed_on=closed_on)
        ids.append(client.pk)
    return ids


def test_anonymising_together_makes_the_same_queries_for_ten_clients_as_for_two(
    manager, team_a, settings, tmp_path, django_assert_max_num_queries
):
    from django.test.utils import CaptureQueriesContext

    settings.PRIVATE_STORAGE_ROOT = tmp_path
    two = clients_with_records(2, team=team_a, actor=manager)
    ten = clients_with_records(10, team=team_a, actor=manager, start=2)

    with CaptureQueriesContext(connection) as for_two:
        done = services.clients_anonymise(actor=manager, client_ids=two, reason="retention")
    assert len(done.anonymised) == 2
    with django_assert_max_num_queries(len(for_two)):
        done = services.clients_anonymise(actor=manager, client_ids=ten, reason="retention")

    assert len(done.anonymised) == 10
    assert not Client.objects.filter(pk__in=ten, anonymised_at__isnull=True).exists()
    assert not InformationEntry.objects.filter(client_id__in=ten).exclude(detail="").exists()
    assert AccessEvent.objects.filter(client_id__in=ten, purpose="anonymisation").count() == 10


def test_anonymising_together_leaves_a_held_client_with_the_holds_reason_and_does_the_rest(
    manager, iso, team_a, settings, tmp_path
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    held, free = clients_with_records(2, team=team_a, actor=manager)
    Client.objects.filter(pk=held).update(legal_hold_since=timezone.now(), legal_hold_reason="Production order PO-9")

    done = services.clients_anonymise(actor=iso, client_ids=[held, free], reason="retention")

    assert [client.pk for client in done.anonymised] == [free]
    assert isinstance(done.refused[held], client_services.UnderLegalHold)
    assert "Production order PO-9" in done.refused[held].messages[0]
    assert InformationEntry.objects.get(client_id=held).detail == "Detail 0"
    assert not AccessEvent.objects.filter(client_id=held, purpose="anonymisation").exists()
