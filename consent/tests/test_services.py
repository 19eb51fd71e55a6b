"""Recording and withdrawing consent; recording and approving other bases."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from clients.categories import Selection
from consent import services
from consent.evidence import check_upload
from consent.models import BasisPolicy, ConsentEvidence, ConsentRecord, LawfulBasis, LawfulBasisRecord
from consent.selectors import basis_for_share

from .conftest import stored_files
from .factories import PDF_BYTES, ConsentRecordFactory, LawfulBasisRecordFactory


def record(jordan, caseworker, riverside, housing, notice, **overrides):
    kwargs = {
        "actor": caseworker,
        "client": jordan,
        "partners": [riverside],
        "purposes": [housing],
        "selection": Selection({"housing_history": "detail", "mental_health": "summary"}),
        "method": ConsentRecord.Method.ELECTRONIC,
        "electronic_reference": "Tablet form 17",
        "notice": notice,
        "given_at": timezone.now() - dt.timedelta(hours=1),
        "has_capacity": True,
    }
    return services.consent_record(**{**kwargs, **overrides})


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_it_records_a_consent_with_one_history_row_holding_its_scope(jordan, caseworker, riverside, housing, notice):
    consent = record(jordan, caseworker, riverside, housing, notice)
    assert list(consent.partners.all()) == [riverside]
    history = list(consent.history.all())
    assert [(row.history_type, row.history_user) for row in history] == [("+", caseworker)]
    assert [row.partner for row in history[0].partners.all()] == [riverside]
    assert [row.purpose for row in history[0].purposes.all()] == [housing]


def test_consent_cannot_be_recorded_without_capacity(jordan, caseworker, riverside, housing, notice):
    with pytest.raises(ValidationError) as excinfo:
        record(jordan, caseworker, riverside, housing, notice, has_capacity=False)
    assert "does not have capacity" in errors_of(excinfo)["has_capacity"][0]
    assert not ConsentRecord.objects.exists()


def test_no_capacity_is_said_with_every_other_problem_at_once(jordan, caseworker, riverside, housing, notice):
    with pytest.raises(ValidationError) as excinfo:
        record(
            jordan,
            caseworker,
            riverside,
            housing,
            notice,
            has_capacity=False,
            method=ConsentRecord.Method.VERBAL,
            witness_name="",
            given_at=timezone.now() + dt.timedelta(days=1),
        )
    assert {"has_capacity", "witness_name", "given_at"} <= set(errors_of(excinfo))
    assert not ConsentRecord.objects.exists()


def test_verbal_consent_needs_a_witness_and_for_sensitive_items_the_clients_words(
    jordan, caseworker, riverside, housing, notice
):
    with pytest.raises(ValidationError) as excinfo:
        record(jordan, caseworker, riverside, housing, notice, method="verbal", electronic_reference="")
    assert set(errors_of(excinfo)) == {"witness_name", "explicit_statement"}
    assert errors_of(excinfo)["explicit_statement"] == [
        "Verbal consent to share mental health must be explicit: write down what the client said."
    ]
    consent = record(
        jordan,
        caseworker,
        riverside,
        housing,
        notice,
        method="verbal",
        witness_name="Sam Lee",
        explicit_statement="Yes, Riverside can know I see the mental-health team.",
    )
    assert consent.is_explicit


def test_written_consent_needs_the_signed_form(jordan, caseworker, riverside, housing, notice):
    with pytest.raises(ValidationError) as excinfo:
        record(jordan, caseworker, riverside, housing, notice, method="written")
    assert errors_of(excinfo) == {"evidence": ["Upload the signed consent form."]}


def test_a_consent_names_organisations_or_a_group_and_purposes_and_information(
    jordan, caseworker, riverside, housing, notice
):
    with pytest.raises(ValidationError) as excinfo:
        record(jordan, caseworker, riverside, housing, notice, partners=[], purposes=[], selection=Selection())
    assert set(errors_of(excinfo)) == {"partners", "purposes", "selection"}


def test_consent_cannot_be_given_in_the_future(jordan, caseworker, riverside, housing, notice):
    with pytest.raises(ValidationError) as excinfo:
        record(jordan, caseworker, riverside, housing, notice, given_at=timezone.now() + dt.timedelta(days=1))
    assert "given_at" in errors_of(excinfo)


def test_a_failed_save_removes_the_stored_evidence(
    jordan, caseworker, riverside, housing, notice, private_root, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    checked = check_upload(SimpleUploadedFile("form.pdf", PDF_BYTES))

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_save_with_scope", fail)
    with pytest.raises(RuntimeError):
        record(jordan, caseworker, riverside, housing, notice, method="written", evidence=checked)
    assert stored_files(private_root) == []
    assert not ConsentEvidence.objects.exists()


# --- Withdrawal -------------------------------------------------------------------------------


def test_withdrawal_takes_effect_at_once_and_history_keeps_both_states(jordan, caseworker, riverside, housing, notice):
    consent = record(jordan, caseworker, riverside, housing, notice)
    asked = Selection({"housing_history": "summary"})
    assert basis_for_share(client=jordan, partner=riverside, purpose=housing, selection=asked).covered

    services.consent_withdraw(actor=caseworker, consent=consent, how="phone", note="Rang the office.")

    after = basis_for_share(client=jordan, partner=riverside, purpose=housing, selection=asked)
    assert not after.covered
    assert "was withdrawn on" in after.explanation
    assert "by phone" in after.explanation
    before_row, after_row = consent.history.order_by("history_date", "history_id")
    assert (before_row.withdrawn_at, after_row.withdrawal_method) == (None, "phone")
    assert after_row.history_user == caseworker


def test_a_consent_cannot_be_withdrawn_twice(jordan, caseworker):
    consent = ConsentRecordFactory(client=jordan)
    services.consent_withdraw(actor=caseworker, consent=consent, how="writing")
    with pytest.raises(ValidationError, match="already been withdrawn"):
        services.consent_withdraw(actor=caseworker, consent=consent, how="writing")


def test_withdrawal_callbacks_run_inside_the_withdrawal_and_can_stop_it(jordan, caseworker, monkeypatch):
    consent = ConsentRecordFactory(client=jordan)
    seen = []
    monkeypatch.setattr(services, "_withdrawal_callbacks", [])

    @services.on_withdrawal
    def tell_recipients(withdrawn):
        seen.append((withdrawn.pk, withdrawn.withdrawn_at is not None, connection.in_atomic_block))

    services.on_withdrawal(tell_recipients)  # registering twice is harmless
    services.consent_withdraw(actor=caseworker, consent=consent, how="in_person")
    assert seen == [(consent.pk, True, True)]

    second = ConsentRecordFactory(client=jordan)

    @services.on_withdrawal
    def broken(withdrawn):
        raise RuntimeError("could not create the task")

    with pytest.raises(RuntimeError):
        services.consent_withdraw(actor=caseworker, consent=second, how="in_person")
    second.refresh_from_db()
    assert second.withdrawn_at is None


@pytest.mark.postgres
def test_a_withdrawal_waits_for_a_share_that_locked_the_consent_and_a_later_share_sees_it(
    transactional_db, caseworker, team_a, riverside, housing
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from .factories import client_on_caseload

    jordan = client_on_caseload(caseworker=caseworker, team=team_a)
    consent = ConsentRecordFactory(client=jordan, selection={"housing_history": "detail"})
    asked = Selection({"housing_history": "summary"})
    share_locked, withdrawal_done = threading.Event(), threading.Event()
    outcome = {}

    def withdraw():
        try:
            share_locked.wait(5)
            services.consent_withdraw(actor=caseworker, consent=ConsentRecord.objects.get(pk=consent.pk), how="phone")
            outcome["withdrawn_at"] = timezone.now()
        finally:
            withdrawal_done.set()
            connection.close()

    worker = threading.Thread(target=withdraw)
    worker.start()
    with transaction.atomic():
        pending = basis_for_share(client=jordan, partner=riverside, purpose=housing, selection=asked, lock=True)
        share_locked.set()
        # The withdrawal is blocked on our lock: the share in flight completes first.
        assert not withdrawal_done.wait(0.5)
        assert pending.covered
        outcome["shared_at"] = timezone.now()
    worker.join(5)
    assert outcome["shared_at"] < outcome["withdrawn_at"]
    with transaction.atomic():
        later = basis_for_share(client=jordan, partner=riverside, purpose=housing, selection=asked, lock=True)
    assert not later.covered


# --- Other lawful bases ------------------------------------------------------------------------


def basis(jordan, caseworker, riverside, housing, **overrides):
    kwargs = {
        "actor": caseworker,
        "client": jordan,
        "basis": LawfulBasis.PUBLIC_TASK,
        "partners": [riverside],
        "purposes": [housing],
        "selection": Selection({"housing_history": "summary"}),
        "justification": "The council's housing duty assessment needs it.",
    }
    return services.lawful_basis_record(**{**kwargs, **overrides})


def test_the_policy_decides_which_bases_need_a_managers_approval(jordan, caseworker, riverside, housing):
    assert not basis(jordan, caseworker, riverside, housing).requires_approval
    assert basis(jordan, caseworker, riverside, housing, basis=LawfulBasis.VITAL_INTERESTS).awaiting_approval
    BasisPolicy.objects.filter(basis=LawfulBasis.PUBLIC_TASK).update(requires_approval=True)
    assert basis(jordan, caseworker, riverside, housing).awaiting_approval


def test_special_category_and_offending_items_need_a_condition(jordan, caseworker, riverside, housing):
    with pytest.raises(ValidationError) as excinfo:
        basis(
            jordan,
            caseworker,
            riverside,
            housing,
            selection=Selection({"mental_health": "summary", "offending_history": "summary"}),
        )
    assert errors_of(excinfo) == {
        "special_condition": ["Choose the condition that allows sharing special-category data (mental health)."],
        "criminal_condition": ["Choose the Schedule 1 condition that allows sharing offending history."],
    }
    assert not LawfulBasisRecord.objects.exists()


def test_only_a_team_manager_other_than_the_recorder_approves(jordan, caseworker, manager, other_manager):
    record = LawfulBasisRecordFactory(client=jordan, basis=LawfulBasis.VITAL_INTERESTS, requires_approval=True)
    for person in (caseworker, other_manager):
        with pytest.raises(ValidationError):
            services.lawful_basis_approve(actor=person, record=record)
    own = LawfulBasisRecordFactory(client=jordan, requires_approval=True, recorded_by=manager)
    with pytest.raises(ValidationError):
        services.lawful_basis_approve(actor=manager, record=own)

    services.lawful_basis_approve(actor=manager, record=record)
    record.refresh_from_db()
    assert (record.approved_by, record.awaiting_approval) == (manager, False)
    assert record.history.first().history_user == manager


def test_electronic_consent_without_its_reference_is_refused_beside_the_field(
    jordan, caseworker, riverside, housing, notice
):
    with pytest.raises(ValidationError) as excinfo:
        record(jordan, caseworker, riverside, housing, notice, electronic_reference="  ")

    assert "electronic_reference" in errors_of(excinfo)
