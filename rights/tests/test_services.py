"""The subject access register's writes: logging, extending, answering, and who may."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from access.models import AccessEvent
from rights import services
from rights.models import SubjectAccessRequest

SAR = SubjectAccessRequest
TODAY = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def log(actor, client, **overrides):
    values = {
        "requester": SAR.Requester.CLIENT,
        "verification": SAR.Verification.KNOWN_IN_PERSON,
        "asked_for": "Everything you hold about me.",
        "received_on": dt.date(2026, 1, 31),
        **overrides,
    }
    return services.sar_log(actor=actor, client=client, **values)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_a_manager_logs_a_request_due_one_calendar_month_after_receipt(manager, own_client):
    sar = log(manager, own_client)

    assert sar.due_on == dt.date(2026, 2, 28)
    assert sar.is_open
    assert sar.logged_by == manager
    event = AccessEvent.objects.get(object_type="rights.SubjectAccessRequest", object_id=str(sar.pk))
    assert event.client_id == own_client.pk
    assert "due 28 Feb 2026" in event.detail
    assert sar.history.count() == 1


def test_the_iso_logs_a_request_for_any_teams_client(iso, other_team_client):
    assert log(iso, other_team_client).client == other_team_client


@pytest.mark.parametrize("who", ["caseworker", "other_manager", "admin_user"])
def test_nobody_else_logs_a_request(request, who, own_client):
    with pytest.raises(services.NotRightsOfficer):
        log(request.getfixturevalue(who), own_client)
    assert not SAR.objects.exists()


def test_someone_acting_for_the_client_needs_a_name_and_their_authority(manager, own_client):
    with pytest.raises(ValidationError) as refused:
        log(manager, own_client, requester=SAR.Requester.REPRESENTATIVE)

    assert set(refused.value.message_dict) == {"requester_name", "authority"}


def test_a_representatives_authority_is_recorded(manager, own_client):
    sar = log(
        manager,
        own_client,
        requester=SAR.Requester.REPRESENTATIVE,
        requester_name="Priya Shah",
        requester_relationship="Solicitor",
        authority=SAR.Authority.SOLICITOR,
        authority_note="Signed authority dated 2 January 2026.",
    )

    assert sar.requester_label.startswith("Priya Shah (Solicitor)")
    assert sar.authority == SAR.Authority.SOLICITOR


def test_a_request_from_the_client_keeps_no_representative_details(manager, own_client):
    sar = log(manager, own_client, requester_name="Stray", authority=SAR.Authority.DEPUTY)
    assert (sar.requester_name, sar.authority) == ("", "")


@pytest.mark.parametrize("received_on", [dt.date(1, 1, 1), dt.date(2018, 5, 24)])
def test_a_receipt_date_before_gdpr_subject_access_is_refused(manager, own_client, received_on):
    with pytest.raises(ValidationError) as refused:
        log(manager, own_client, received_on=received_on)
    assert "received_on" in refused.value.message_dict


def test_a_receipt_date_in_the_future_is_refused(manager, own_client):
    with pytest.raises(ValidationError) as refused:
        log(manager, own_client, received_on=dt.date(2026, 3, 11))
    assert "received_on" in refused.value.message_dict


def test_an_extension_moves_the_deadline_and_records_the_reason_and_date_told(manager, own_client):
    sar = log(manager, own_client, received_on=dt.date(2026, 2, 20))

    extended = services.sar_extend(
        actor=manager, sar=sar, months=2, reason="Twelve years of notes across three teams.", told_on=TODAY.date()
    )

    assert extended.due_on == dt.date(2026, 5, 20)
    assert extended.original_due_on == dt.date(2026, 3, 20)
    assert extended.extension_told_on == TODAY.date()
    assert extended.history.count() == 2


def test_an_extension_needs_a_reason_and_the_date_the_requester_was_told(manager, own_client):
    sar = log(manager, own_client, received_on=dt.date(2026, 2, 20))
    with pytest.raises(ValidationError) as refused:
        services.sar_extend(actor=manager, sar=sar, months=1, reason=" ", told_on=None)
    assert set(refused.value.message_dict) == {"reason", "told_on"}


def test_an_extension_without_a_length_asks_for_one(manager, own_client):
    sar = log(manager, own_client, received_on=dt.date(2026, 2, 20))
    with pytest.raises(ValidationError) as refused:
        services.sar_extend(actor=manager, sar=sar, months=None, reason="Complex.", told_on=TODAY.date())
    assert refused.value.message_dict["months"] == ["Choose how long to extend by."]


@pytest.mark.parametrize("told_on", [dt.date(2026, 2, 10), dt.date(2026, 2, 28), dt.date(2026, 3, 1)])
def test_once_the_first_month_has_passed_no_extension_is_accepted_even_told_on_a_date_within_it(
    manager, own_client, told_on
):
    sar = log(manager, own_client, received_on=dt.date(2026, 1, 31))  # first month ended 28 Feb
    with pytest.raises(ValidationError) as refused:
        services.sar_extend(actor=manager, sar=sar, months=1, reason="Complex.", told_on=told_on)
    assert "can no longer be extended" in refused.value.message_dict["told_on"][0]
    sar.refresh_from_db()
    assert sar.due_on == dt.date(2026, 2, 28)


@pytest.mark.parametrize(
    ("told_on", "says"), [(dt.date(2026, 2, 19), "before the request was received"), (dt.date(2026, 3, 11), "future")]
)
def test_the_date_the_requester_was_told_is_between_receipt_and_today(manager, own_client, told_on, says):
    sar = log(manager, own_client, received_on=dt.date(2026, 2, 20))
    with pytest.raises(ValidationError) as refused:
        services.sar_extend(actor=manager, sar=sar, months=1, reason="Complex.", told_on=told_on)
    assert says in refused.value.message_dict["told_on"][0]


def test_no_more_than_two_further_months_in_all(manager, own_client):
    sar = log(manager, own_client, received_on=dt.date(2026, 2, 20))
    sar = services.sar_extend(actor=manager, sar=sar, months=1, reason="Complex.", told_on=TODAY.date())
    with pytest.raises(ValidationError) as refused:
        services.sar_extend(actor=manager, sar=sar, months=2, reason="More.", told_on=TODAY.date())
    assert "1 left" in refused.value.message_dict["months"][0]
    sar = services.sar_extend(actor=manager, sar=sar, months=1, reason="Still more.", told_on=TODAY.date())
    assert sar.due_on == dt.date(2026, 5, 20)


def test_answering_closes_the_request_and_says_whether_it_was_late(manager, own_client):
    sar = log(manager, own_client, received_on=dt.date(2026, 1, 31))

    answered = services.sar_complete(actor=manager, sar=sar, completed_on=dt.date(2026, 3, 2), note="Posted.")

    assert not answered.is_open
    assert answered.completed_on == dt.date(2026, 3, 2)
    event = AccessEvent.objects.filter(object_id=str(sar.pk)).latest("id")
    assert "2 day(s) late" in event.detail
    with pytest.raises(ValidationError):
        services.sar_complete(actor=manager, sar=answered, completed_on=dt.date(2026, 3, 3))


def test_another_teams_manager_cannot_extend_or_answer(manager, other_manager, own_client):
    sar = log(manager, own_client, received_on=dt.date(2026, 2, 20))
    with pytest.raises(services.NotRightsOfficer):
        services.sar_extend(actor=other_manager, sar=sar, months=1, reason="x", told_on=TODAY.date())
    with pytest.raises(services.NotRightsOfficer):
        services.sar_complete(actor=other_manager, sar=sar, completed_on=TODAY.date())


@pytest.mark.parametrize("received_on", [dt.date(2010, 1, 5), dt.date(2099, 1, 5)])
def test_every_rights_request_refuses_a_date_received_that_cannot_be_true(manager, own_client, received_on):
    """Subject access, erasure and rectification share one rule for the date received."""
    from rights.rectification import rectification_request_log

    logs = [
        lambda: log(manager, own_client, received_on=received_on),
        lambda: services.erasure_request_log(
            actor=manager, client=own_client, received_on=received_on, asked_by="The client", asked_text="Erase it."
        ),
        lambda: rectification_request_log(
            actor=manager, client=own_client, received_on=received_on, asked_by="The client", what_is_wrong="My name."
        ),
    ]
    for attempt in logs:
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert "received_on" in refused.value.message_dict
