import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone

from access.models import AccessEvent
from clients import services as client_services
from clients.categories import Selection
from consent.models import ConsentRecord, LawfulBasis, SpecialCondition
from consent.services import consent_withdraw
from consent.tests.factories import ConsentRecordFactory, LawfulBasisRecordFactory, MeetingGroupFactory, PartnerFactory
from sharing import services
from sharing.models import Disclosure, RecipientNotice, Referral
from sharing.snapshot import snapshot_hash

from .conftest import DA_DETAIL, DA_SUMMARY, SU_DETAIL, SU_SELECTION, SU_SUMMARY
from .factories import DataSharingAgreementFactory, PurposeTemplateFactory, ReferralFactory, purpose


def draft(client, partner, purpose, selection, *, actor, reasons=None):
    return ReferralFactory(
        client=client,
        partner=partner,
        purpose=purpose,
        selection=Selection(selection).to_json(),
        reasons=reasons or {},
        created_by=actor,
    )


SU_REASONS = {
    "substance_use": "The service needs the pattern of use to plan treatment.",
    "domestic_abuse": "They must offer single-gender groups and keep her address safe.",
}


@pytest.fixture
def su_referral(jordan, su_service, su_purpose, caseworker):
    return draft(jordan, su_service, su_purpose, SU_SELECTION, actor=caseworker, reasons=SU_REASONS)


def share_events():
    return list(AccessEvent.objects.filter(action=AccessEvent.Action.SHARE).order_by("id"))


def test_it_starts_a_draft_from_the_purpose_template(jordan, su_service, su_purpose, caseworker):
    PurposeTemplateFactory(purpose=su_purpose)

    referral = services.referral_start(actor=caseworker, client=jordan, partner=su_service, purpose=su_purpose)

    assert referral.is_draft
    assert referral.selection_obj == Selection(SU_SELECTION)


def test_it_starts_with_nothing_chosen_when_the_purpose_has_no_template(jordan, su_service, caseworker):
    referral = services.referral_start(
        actor=caseworker, client=jordan, partner=su_service, purpose=purpose("referral-health")
    )

    assert referral.selection == {}


def test_it_sends_a_referral_and_logs_exactly_what_was_sent(su_referral, su_consent, caseworker):
    referral = services.referral_send(actor=caseworker, referral=su_referral)

    assert referral.status == Referral.Status.SENT
    disclosure = referral.disclosure
    assert disclosure.kind == Disclosure.Kind.REFERRAL
    assert disclosure.partner == su_referral.partner
    assert disclosure.consent == su_consent
    assert disclosure.basis_label.startswith("Consent to Northside Drug and Alcohol Service, given ")
    assert disclosure.selection == Selection(SU_SELECTION).to_json()
    assert disclosure.reasons == SU_REASONS
    assert disclosure.snapshot_sha256 == snapshot_hash(disclosure.snapshot)
    sections = {section["key"]: section for section in disclosure.snapshot["sections"]}
    assert list(sections) == ["identity", "contact", "substance_use", "domestic_abuse"]
    assert sections["domestic_abuse"]["entries"] == [{"summary": DA_SUMMARY}]
    assert sections["substance_use"]["entries"] == [{"summary": SU_SUMMARY, "detail": SU_DETAIL}]
    assert DA_DETAIL not in str(disclosure.snapshot)
    assert "housing_history" not in str(disclosure.snapshot)
    assert sections["identity"]["facts"] == [["Name", "Jordan Reed"]]
    assert sections["contact"]["facts"] == [["How to reach them", "Text"]]


def test_a_sent_referral_writes_one_share_audit_row_naming_the_basis(su_referral, su_consent, caseworker):
    referral = services.referral_send(actor=caseworker, referral=su_referral)

    [event] = share_events()
    assert event.outcome == AccessEvent.Outcome.ALLOWED
    assert event.actor == caseworker
    assert event.client_id == su_referral.client_id
    assert event.object_type == "sharing.Disclosure"
    assert event.object_id == str(referral.disclosure.pk)
    assert event.basis == referral.disclosure.basis_label
    assert event.categories == ["identity", "contact", "substance_use", "domestic_abuse"]


def test_a_refused_referral_is_audited_as_denied_and_discloses_nothing(su_referral, caseworker):
    with pytest.raises(services.ShareRefused) as refused:
        services.referral_send(actor=caseworker, referral=su_referral)

    assert refused.value.decision.refusals == [
        "There is no consent or other lawful basis for sharing with Northside Drug and Alcohol Service "
        "for referral to a substance-use service."
    ]
    assert not Disclosure.objects.exists()
    su_referral.refresh_from_db()
    assert su_referral.is_draft
    [event] = share_events()
    assert event.outcome == AccessEvent.Outcome.DENIED
    assert "There is no consent or other lawful basis" in event.detail


def test_a_withdrawn_consent_blocks_the_referral(su_referral, su_consent, caseworker, manager):
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    with pytest.raises(services.ShareRefused) as refused:
        services.referral_send(actor=caseworker, referral=su_referral)

    today = timezone.localdate()
    assert refused.value.decision.refusals == [
        f"Consent to Northside Drug and Alcohol Service was withdrawn on {today.day} {today:%B %Y}, by phone, "
        "recorded by M. Manager."
    ]
    assert not Disclosure.objects.exists()


def test_a_selection_beyond_the_consent_is_refused(jordan, su_service, su_purpose, su_consent, caseworker):
    referral = draft(
        jordan,
        su_service,
        su_purpose,
        {**SU_SELECTION, "domestic_abuse": "detail"},
        actor=caseworker,
        reasons=SU_REASONS,
    )

    with pytest.raises(services.ShareRefused) as refused:
        services.referral_send(actor=caseworker, referral=referral)

    assert refused.value.decision.refusals == [
        "Consent to Northside Drug and Alcohol Service covers identity (summary), contact details (summary), "
        "substance use (detail) but not domestic abuse (detail)."
    ]
    assert not Disclosure.objects.exists()


def test_a_selection_beyond_the_agreement_is_refused_even_when_consent_covers_it(
    su_referral, su_consent, su_service, caseworker
):
    DataSharingAgreementFactory(partner=su_service, reference="DSA-NDAS-1")

    with pytest.raises(services.ShareRefused) as refused:
        services.referral_send(actor=caseworker, referral=su_referral)

    assert refused.value.decision.refusals == [
        "The data-sharing agreement DSA-NDAS-1 with Northside Drug and Alcohol Service allows identity (summary), "
        "contact details (summary), substance use (detail). It does not allow domestic abuse (summary): "
        "remove or reduce those items."
    ]
    assert not Disclosure.objects.exists()


def test_a_referral_within_the_agreement_records_the_agreement(su_referral, su_consent, su_service, caseworker):
    agreement = DataSharingAgreementFactory(
        partner=su_service, selection={**SU_SELECTION, "housing_history": "summary"}
    )

    referral = services.referral_send(actor=caseworker, referral=su_referral)

    assert referral.disclosure.agreement == agreement


def test_an_agreement_for_another_purpose_or_ended_does_not_count(su_referral, su_consent, su_service, caseworker):
    DataSharingAgreementFactory(partner=su_service, purposes=[purpose("referral-housing")])
    DataSharingAgreementFactory(
        partner=su_service,
        starts_on=timezone.localdate() - dt.timedelta(days=100),
        ends_on=timezone.localdate(),
    )

    referral = services.referral_send(actor=caseworker, referral=su_referral)

    assert referral.disclosure.agreement is None


def test_a_special_category_item_without_a_reason_cannot_be_sent(
    jordan, su_service, su_purpose, su_consent, caseworker
):
    referral = draft(
        jordan, su_service, su_purpose, SU_SELECTION, actor=caseworker, reasons={"substance_use": "Treatment."}
    )

    with pytest.raises(ValidationError) as error:
        services.referral_send(actor=caseworker, referral=referral)

    assert error.value.message_dict == {
        "reason_domestic_abuse": ["Say why domestic abuse is necessary for this share: it is special-category data."]
    }
    assert not Disclosure.objects.exists()


def test_a_referral_cannot_be_sent_twice(su_referral, su_consent, caseworker):
    services.referral_send(actor=caseworker, referral=su_referral)

    with pytest.raises(ValidationError, match="already been sent"):
        services.referral_send(actor=caseworker, referral=su_referral)
    assert Disclosure.objects.count() == 1


def test_a_sent_referral_cannot_be_changed(su_referral, su_consent, caseworker):
    services.referral_send(actor=caseworker, referral=su_referral)

    with pytest.raises(ValidationError, match="already been sent"):
        services.referral_update(
            actor=caseworker, referral=su_referral, selection=Selection({"identity": "detail"}), reasons={}
        )


def test_another_lawful_basis_can_cover_a_referral(jordan, su_service, su_purpose, caseworker):
    basis = LawfulBasisRecordFactory(
        client=jordan,
        basis=LawfulBasis.PUBLIC_TASK,
        partners=[su_service],
        purposes=[su_purpose],
        selection=SU_SELECTION,
        special_condition=SpecialCondition.HEALTH_SOCIAL_CARE,
        recorded_by=caseworker,
    )
    referral = draft(jordan, su_service, su_purpose, SU_SELECTION, actor=caseworker, reasons=SU_REASONS)

    sent = services.referral_send(actor=caseworker, referral=referral)

    assert sent.disclosure.lawful_basis == basis
    assert sent.disclosure.consent is None
    assert sent.disclosure.basis_label.startswith("Public task basis for Northside Drug and Alcohol Service")


def test_the_snapshot_keeps_what_was_sent_when_the_record_changes_later(su_referral, su_consent, caseworker):
    referral = services.referral_send(actor=caseworker, referral=su_referral)
    entry = su_referral.client.entries.get(category="domestic_abuse")

    client_services.entry_update(actor=caseworker, entry=entry, summary="Changed later.", detail="Changed later.")

    disclosure = Disclosure.objects.get(pk=referral.disclosure.pk)
    assert "Changed later." not in str(disclosure.snapshot)
    assert disclosure.snapshot_sha256 == snapshot_hash(disclosure.snapshot)


@pytest.mark.postgres
def test_disclosures_cannot_be_updated_or_deleted_in_the_database(su_referral, su_consent, caseworker):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    disclosure = services.referral_send(actor=caseworker, referral=su_referral).disclosure

    # Only the one-way removal of the content is admitted (docs/decisions/0014): nothing else.
    with pytest.raises(ProgrammingError, match="Cannot update rows"), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(basis_label="Something else")
    # Straight to the table, past the ORM's own protection of referenced rows.
    with (
        pytest.raises(ProgrammingError, match="Cannot delete rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM sharing_disclosure WHERE id = %s", [disclosure.pk])
    assert Disclosure.objects.get(pk=disclosure.pk).basis_label == disclosure.basis_label


# --- After a withdrawal ----------------------------------------------------------------------


def test_withdrawal_after_a_referral_creates_the_tell_the_recipient_task(
    su_referral, su_consent, su_service, caseworker, manager
):
    disclosure = services.referral_send(actor=caseworker, referral=su_referral).disclosure

    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.IN_PERSON)

    [notice] = RecipientNotice.objects.all()
    assert notice.disclosure == disclosure
    assert notice.partner == su_service
    assert notice.assigned_to == caseworker
    assert notice.client_id == su_referral.client_id
    assert notice.to_address == su_service.secure_email
    assert not notice.is_done
    assert disclosure.reference in notice.subject
    assert "Dear Northside Drug and Alcohol Service," in notice.message
    assert f"Jordan Reed (our reference {disclosure.reference})" in notice.message
    assert "Please stop using the information" in notice.message


def test_the_drafted_message_does_not_name_a_client_whose_identity_was_not_sent(
    jordan, su_service, su_purpose, su_consent, caseworker, manager
):
    referral = draft(jordan, su_service, su_purpose, {"substance_use": "summary"}, actor=caseworker, reasons=SU_REASONS)
    disclosure = services.referral_send(actor=caseworker, referral=referral).disclosure

    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    notice = RecipientNotice.objects.get()
    assert "Jordan" not in notice.message
    assert f"our reference {disclosure.reference}" in notice.message


def test_withdrawing_a_consent_no_share_relied_on_creates_no_task(su_referral, su_consent, da_consent, caseworker):
    services.referral_send(actor=caseworker, referral=su_referral)

    consent_withdraw(actor=caseworker, consent=da_consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    assert not RecipientNotice.objects.exists()


def test_creating_the_tasks_twice_creates_them_once(su_referral, su_consent, caseworker, manager):
    services.referral_send(actor=caseworker, referral=su_referral)
    consent = consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    services.recipient_notices_create(consent)

    assert RecipientNotice.objects.count() == 1


def test_a_task_is_marked_done_with_when_and_how(su_referral, su_consent, caseworker, manager):
    services.referral_send(actor=caseworker, referral=su_referral)
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    notice = RecipientNotice.objects.select_related("disclosure").get()

    services.recipient_notice_done(actor=caseworker, notice=notice, how=RecipientNotice.How.PHONE, note="Spoke to Sam")

    notice.refresh_from_db()
    assert notice.is_done
    assert notice.done_by == caseworker
    assert notice.done_how == RecipientNotice.How.PHONE
    assert notice.done_note == "Spoke to Sam"
    with pytest.raises(ValidationError, match="already been marked done"):
        services.recipient_notice_done(actor=caseworker, notice=notice, how=RecipientNotice.How.PHONE)


def test_a_task_cannot_be_done_in_the_future_or_before_the_share(su_referral, su_consent, caseworker, manager):
    services.referral_send(actor=caseworker, referral=su_referral)
    consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    notice = RecipientNotice.objects.select_related("disclosure").get()

    with pytest.raises(ValidationError) as future:
        services.recipient_notice_done(
            actor=caseworker, notice=notice, how="phone", at=timezone.now() + dt.timedelta(hours=1)
        )
    with pytest.raises(ValidationError) as before:
        services.recipient_notice_done(
            actor=caseworker, notice=notice, how="phone", at=timezone.now() - dt.timedelta(days=3)
        )

    assert "at" in future.value.message_dict
    assert before.value.message_dict["at"] == [
        "The recipient cannot have been told before the information was shared with them."
    ]
    assert not RecipientNotice.objects.get().is_done


# --- Meetings ------------------------------------------------------------------------------------------


@pytest.fixture
def rsag(su_service, da_service):
    return MeetingGroupFactory(name="Rough Sleeper Action Group", members=[su_service, da_service])


@pytest.fixture
def meeting_purpose(db):
    return purpose("multi-agency-risk-meeting")


@pytest.fixture
def rsag_consent(jordan, rsag, meeting_purpose, caseworker):
    return ConsentRecordFactory(
        client=jordan,
        partners=[],
        meeting_group=rsag,
        purposes=[meeting_purpose],
        selection={"identity": "summary", "housing_history": "summary", "substance_use": "summary"},
        recorded_by=caseworker,
    )


def record_meeting(client, group, present, purpose, selection, *, actor, reasons=None):
    return services.meeting_disclosure_record(
        actor=actor,
        client=client,
        group=group,
        meeting_on=timezone.localdate(),
        present=present,
        purpose=purpose,
        selection=Selection(selection),
        reasons=reasons or {"substance_use": "To agree who offers treatment."},
    )


def test_a_meeting_with_named_members_only_goes_in_the_disclosure_log(
    jordan, rsag, rsag_consent, su_service, da_service, meeting_purpose, caseworker
):
    disclosure = record_meeting(
        jordan,
        rsag,
        [su_service, da_service],
        meeting_purpose,
        {"identity": "summary", "substance_use": "summary"},
        actor=caseworker,
    )

    assert disclosure.kind == Disclosure.Kind.MEETING
    assert disclosure.meeting_group == rsag
    assert disclosure.consent == rsag_consent
    assert set(disclosure.organisations_present.all()) == {su_service, da_service}
    assert disclosure.recipient_label == (
        "Rough Sleeper Action Group (Northside Drug and Alcohol Service, Safe Haven Domestic Abuse Service)"
    )
    assert disclosure.basis_label.startswith("Consent to Rough Sleeper Action Group, given ")
    [event] = share_events()
    assert event.outcome == AccessEvent.Outcome.ALLOWED
    assert event.basis == disclosure.basis_label


def test_anyone_else_present_at_a_meeting_stops_the_share(
    jordan, rsag, rsag_consent, su_service, meeting_purpose, caseworker
):
    police = PartnerFactory(name="City Police", kind="police")

    with pytest.raises(services.ShareRefused) as refused:
        record_meeting(jordan, rsag, [su_service, police], meeting_purpose, {"identity": "summary"}, actor=caseworker)

    assert refused.value.decision.refusals == [
        "City Police is not a named member of Rough Sleeper Action Group, so nothing can be shared at this meeting. "
        "Consent to Rough Sleeper Action Group covers identity (summary) for the named members only."
    ]
    assert not Disclosure.objects.exists()
    assert share_events()[0].outcome == AccessEvent.Outcome.DENIED


def test_withdrawal_after_a_meeting_tells_every_organisation_present(
    jordan, rsag, rsag_consent, su_service, da_service, meeting_purpose, caseworker
):
    record_meeting(jordan, rsag, [su_service, da_service], meeting_purpose, {"identity": "summary"}, actor=caseworker)

    consent_withdraw(actor=caseworker, consent=rsag_consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    assert {notice.partner for notice in RecipientNotice.objects.all()} == {su_service, da_service}


def test_a_meeting_needs_the_organisations_present_and_a_past_date(jordan, rsag, meeting_purpose, caseworker):
    with pytest.raises(ValidationError) as error:
        services.meeting_disclosure_record(
            actor=caseworker,
            client=jordan,
            group=rsag,
            meeting_on=timezone.localdate() + dt.timedelta(days=1),
            present=[],
            purpose=meeting_purpose,
            selection=Selection(),
            reasons={},
        )

    assert set(error.value.message_dict) == {"present", "selection", "meeting_on"}
