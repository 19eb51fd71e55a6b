import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from accounts.tests.factories import TeamFactory, UserFactory
from breaches import services
from breaches.models import BreachNotification, BreachReport, StaffInvolvement
from breaches.tests.alerts import current_alerts, email_of, hours
from breaches.tests.factories import BreachReportFactory
from deadlines.models import Alert
from deadlines.services import outbox_send

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 10, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def report(actor, **overrides):
    fields = {
        "what_happened": "My notebook was taken from my bag on the bus.",
        "became_aware_at": NOW - datetime.timedelta(hours=1),
        "categories": ["identity", "mental_health"],
    }
    fields.update(overrides)
    return services.breach_report(actor=actor, **fields)


def assessed(breach, actor, likelihood="possible", severity="significant"):
    return services.breach_assess(
        actor=actor,
        breach=breach,
        likely_consequences="Distress; someone could learn where a client sleeps.",
        likelihood=likelihood,
        severity=severity,
        risk_reasoning="Names and support needs of four clients, unencrypted.",
    )


def decided(breach, actor, notify_ico="notify", **overrides):
    fields = {
        "notify_ico": notify_ico,
        "decision_reasons": "Special category data of vulnerable adults.",
        "subjects_informed": "told",
        "subjects_informed_at": NOW,
        "subjects_informed_how": "In person by their key worker.",
    }
    fields.update(overrides)
    return services.breach_decide(actor=actor, breach=breach, **fields)


# --- Reporting ---------------------------------------------------------------------------


def test_reporting_starts_the_clock_72_hours_from_becoming_aware(caseworker, team_a):
    breach = report(caseworker)

    assert breach.status == BreachReport.Status.REPORTED
    assert breach.reported_by == caseworker
    assert breach.reported_at == NOW
    assert breach.team == team_a
    assert breach.deadline_at == NOW - datetime.timedelta(hours=1) + datetime.timedelta(hours=72)
    assert breach.reference == f"BR-{breach.pk:05d}"


def test_reporting_raises_the_reported_alert_at_once(caseworker):
    breach = report(caseworker)

    assert [(hours(a), a.raised_at, a.delivery) for a in current_alerts(breach)] == [(72, NOW, "email")]
    assert email_of(breach).status == "pending"


def test_reporting_queues_the_alert_email_after_commit(caseworker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        report(caseworker)

    assert len(callbacks) == 1


def test_reporting_writes_the_first_history_row_as_the_reporter(caseworker):
    breach = report(caseworker)

    (row,) = breach.history.all()
    assert row.history_user == caseworker
    assert row.history_change_reason == "Reported"


def test_reporting_links_chosen_clients_and_clients_found_by_reference(caseworker, team_a, team_b, make_client):
    mine = make_client(actor=caseworker, team=team_a, first_name="Ann")
    someone_elses = make_client(actor=UserFactory(teams=[team_b]), team=team_b, first_name="Bob")

    breach = report(caseworker, clients=[mine], client_references=f"{someone_elses.reference.lower()}, NOPE99")

    assert set(breach.affected_clients.all()) == {mine, someone_elses}
    assert breach.unresolved_client_references == "NOPE99"


def test_a_reporter_without_a_team_reports_to_the_iso_only(iso):
    breach = report(iso)

    assert breach.team is None


def test_a_reporter_can_name_the_team(caseworker, team_b):
    assert report(caseworker, team=team_b).team == team_b


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"became_aware_at": NOW + datetime.timedelta(hours=1)}, "became_aware_at"),
        ({"occurred_at": NOW + datetime.timedelta(hours=1)}, "occurred_at"),
        ({"occurred_at": NOW - datetime.timedelta(minutes=30)}, "occurred_at"),  # after becoming aware
        ({"categories": ["shoe_size"]}, "categories"),
        ({"what_happened": "  "}, "what_happened"),
    ],
)
def test_reporting_refuses_impossible_input_and_saves_nothing(caseworker, overrides, field):
    with pytest.raises(ValidationError) as error:
        report(caseworker, **overrides)

    assert field in error.value.message_dict
    assert not BreachReport.objects.exists()
    assert not Alert.objects.exists()


# --- Triage ------------------------------------------------------------------------------


def triage(breach, actor, **overrides):
    fields = {
        "what_happened": breach.what_happened,
        "how_discovered": "The caseworker noticed at the office.",
        "became_aware_at": breach.became_aware_at,
        "occurred_at": None,
        "occurred_note": "Tuesday afternoon",
        "categories": ["identity", "mental_health", "domestic_abuse"],
        "people_affected_approx": 4,
        "records_affected_approx": 12,
        "people_categories": ["clients", "vulnerable_adults"],
        "cyber_incident": False,
        "cyber_details": "ignored unless cyber",
        "containment": "Reported to the bus company's lost property.",
        "client_references": "",
        "team": breach.team,
    }
    fields.update(overrides)
    return services.breach_triage(actor=actor, breach=breach, **fields)


def test_triage_records_the_facts_and_advances_the_status(caseworker, manager):
    breach = triage(report(caseworker), manager)

    assert breach.status == BreachReport.Status.TRIAGED
    assert breach.people_affected_approx == 4
    assert breach.categories == ["identity", "mental_health", "domestic_abuse"]
    assert breach.cyber_details == ""
    assert breach.history.first().history_user == manager


def test_moving_became_aware_moves_the_deadline(caseworker, manager):
    breach = report(caseworker)
    earlier = NOW - datetime.timedelta(hours=30)

    breach = triage(breach, manager, became_aware_at=earlier)

    breach.refresh_from_db()
    assert breach.deadline_at == earlier + datetime.timedelta(hours=72)


def test_triage_does_not_move_a_notified_breach_back(caseworker, manager):
    breach = report(caseworker)
    assessed(breach, manager)
    decided(breach, manager)
    services.breach_record_notification(actor=manager, breach=breach, kind="initial", notified_at=NOW)

    breach = triage(breach, manager)

    assert breach.status == BreachReport.Status.NOTIFIED


# --- Assessment --------------------------------------------------------------------------


def test_assessment_computes_the_risk_from_the_matrix(caseworker, manager):
    breach = assessed(report(caseworker), manager, likelihood="likely", severity="severe")

    assert breach.risk == "high"
    assert breach.status == BreachReport.Status.ASSESSED


def test_assessment_keeps_each_persons_training_date_as_it_was(caseworker, manager):
    caseworker.data_protection_training_on = datetime.date(2025, 3, 1)
    caseworker.save()
    breach = report(caseworker)
    services.breach_assess(
        actor=manager,
        breach=breach,
        likely_consequences="x",
        likelihood="remote",
        severity="minimal",
        risk_reasoning="y",
        staff_involved=[caseworker],
    )
    caseworker.data_protection_training_on = datetime.date(2026, 11, 1)
    caseworker.save()

    services.breach_assess(
        actor=manager,
        breach=breach,
        likely_consequences="x",
        likelihood="remote",
        severity="minimal",
        risk_reasoning="y",
        staff_involved=[caseworker, manager],
    )

    assert dict(StaffInvolvement.objects.values_list("user__username", "training_on")) == {
        caseworker.username: datetime.date(2025, 3, 1),
        manager.username: None,
    }


def test_assessment_needs_consequences_reasoning_and_both_scales(caseworker, manager):
    breach = report(caseworker)

    with pytest.raises(ValidationError) as error:
        services.breach_assess(
            actor=manager, breach=breach, likely_consequences="", likelihood="", severity="", risk_reasoning=""
        )

    assert set(error.value.message_dict) == {"likely_consequences", "risk_reasoning", "likelihood"}
    breach.refresh_from_db()
    assert breach.risk == ""


# --- Decision ----------------------------------------------------------------------------


def test_deciding_not_reportable_stops_the_clock(caseworker, manager):
    breach = assessed(report(caseworker), manager, likelihood="remote", severity="minimal")

    breach = decided(
        breach, manager, notify_ico="not_reportable", subjects_informed="not_told", subjects_exception="not_high_risk"
    )

    assert breach.status == BreachReport.Status.NOT_REPORTABLE
    assert breach.decided_by == manager
    assert breach.decided_at == NOW
    assert not breach.is_alerting


def test_deciding_to_notify_keeps_the_clock_running(caseworker, manager):
    breach = decided(assessed(report(caseworker), manager), manager)

    assert breach.status == BreachReport.Status.ASSESSED
    assert breach.is_alerting


def test_a_decision_needs_an_assessment_first(caseworker, manager):
    with pytest.raises(ValidationError) as error:
        decided(report(caseworker), manager)

    assert "Assess the risk" in str(error.value)


def test_a_breach_assessed_as_a_risk_cannot_be_decided_not_reportable(caseworker, manager):
    breach = assessed(report(caseworker), manager, likelihood="possible", severity="significant")

    with pytest.raises(ValidationError) as error:
        decided(breach, manager, notify_ico="not_reportable")

    assert "notify_ico" in error.value.message_dict


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"decision_reasons": " "}, {"decision_reasons"}),
        ({"notify_ico": ""}, {"notify_ico"}),
        (
            {"subjects_informed_at": None, "subjects_informed_how": ""},
            {"subjects_informed_at", "subjects_informed_how"},
        ),
        ({"subjects_informed": "not_told", "subjects_exception": ""}, {"subjects_exception"}),
        ({"subjects_informed": "not_told", "subjects_exception": "not_high_risk"}, {"subjects_exception"}),
    ],
)
def test_a_decision_needs_reasons_and_a_consistent_answer_about_the_people_affected(
    caseworker, manager, overrides, fields
):
    breach = assessed(report(caseworker), manager, likelihood="likely", severity="severe")  # high risk

    with pytest.raises(ValidationError) as error:
        decided(breach, manager, **overrides)

    assert set(error.value.message_dict) == fields


# --- Notification ------------------------------------------------------------------------


def test_recording_the_initial_notification_marks_the_breach_notified(caseworker, manager):
    breach = decided(assessed(report(caseworker), manager), manager)

    notification = services.breach_record_notification(
        actor=manager, breach=breach, kind="initial", notified_at=NOW, reference="IC-123456"
    )

    breach.refresh_from_db()
    assert breach.status == BreachReport.Status.NOTIFIED
    assert notification.recorded_by == manager
    assert not notification.was_late


def test_follow_up_reports_come_after_the_initial_one(caseworker, manager):
    breach = decided(assessed(report(caseworker), manager), manager)

    with pytest.raises(ValidationError) as error:
        services.breach_record_notification(actor=manager, breach=breach, kind="follow_up", notified_at=NOW)
    assert "kind" in error.value.message_dict

    services.breach_record_notification(actor=manager, breach=breach, kind="initial", notified_at=NOW)
    services.breach_record_notification(actor=manager, breach=breach, kind="follow_up", notified_at=NOW)
    with pytest.raises(ValidationError):
        services.breach_record_notification(actor=manager, breach=breach, kind="initial", notified_at=NOW)

    assert list(breach.notifications.values_list("kind", flat=True)) == ["initial", "follow_up"]


def test_a_notification_needs_the_decision_to_notify(caseworker, manager):
    breach = assessed(report(caseworker), manager)

    with pytest.raises(ValidationError):
        services.breach_record_notification(actor=manager, breach=breach, kind="initial", notified_at=NOW)

    assert not BreachNotification.objects.exists()


def test_a_late_notification_cannot_be_recorded_without_reasons_for_the_delay(caseworker, manager):
    breach = report(caseworker, became_aware_at=NOW - datetime.timedelta(hours=80))
    decided(assessed(breach, manager), manager)

    with pytest.raises(ValidationError) as error:
        services.breach_record_notification(actor=manager, breach=breach, kind="initial", notified_at=NOW)

    assert "delay_reasons" in error.value.message_dict
    assert not BreachNotification.objects.exists()
    breach.refresh_from_db()
    assert breach.status == BreachReport.Status.ASSESSED


def test_a_late_notification_is_recorded_with_its_reasons(caseworker, manager):
    breach = report(caseworker, became_aware_at=NOW - datetime.timedelta(hours=80))
    decided(assessed(breach, manager), manager)

    notification = services.breach_record_notification(
        actor=manager, breach=breach, kind="initial", notified_at=NOW, delay_reasons="Found out the scale only today."
    )

    breach.refresh_from_db()
    assert notification.was_late
    assert breach.delay_reasons == "Found out the scale only today."


def test_a_notification_on_time_needs_no_reasons(caseworker, manager):
    breach = decided(assessed(report(caseworker, became_aware_at=NOW - datetime.timedelta(hours=71)), manager), manager)

    services.breach_record_notification(actor=manager, breach=breach, kind="initial", notified_at=NOW)

    assert breach.notifications.count() == 1


# --- Closing -----------------------------------------------------------------------------


def test_a_breach_cannot_be_closed_without_a_decision(caseworker, manager):
    breach = assessed(report(caseworker), manager)

    with pytest.raises(ValidationError) as error:
        services.breach_close(actor=manager, breach=breach, lessons="Lock notebooks away.")

    assert "decision" in " ".join(error.value.message_dict["__all__"])
    breach.refresh_from_db()
    assert breach.status == BreachReport.Status.ASSESSED


def test_a_breach_decided_notifiable_cannot_be_closed_before_the_ico_is_notified(caseworker, manager):
    breach = decided(assessed(report(caseworker), manager), manager)

    with pytest.raises(ValidationError) as error:
        services.breach_close(actor=manager, breach=breach, lessons="Lock notebooks away.")

    assert "ICO notification" in " ".join(error.value.message_dict["__all__"])


def test_closing_needs_lessons(caseworker, manager):
    breach = assessed(report(caseworker), manager, likelihood="remote", severity="minimal")
    decided(breach, manager, notify_ico="not_reportable")

    with pytest.raises(ValidationError) as error:
        services.breach_close(actor=manager, breach=breach, lessons="")

    assert set(error.value.message_dict) == {"lessons"}


def test_a_closed_breach_can_no_longer_be_changed(caseworker, manager):
    breach = assessed(report(caseworker), manager, likelihood="remote", severity="minimal")
    decided(breach, manager, notify_ico="not_reportable")
    breach = services.breach_close(actor=manager, breach=breach, lessons="Use the locked bag.")

    assert breach.status == BreachReport.Status.CLOSED
    assert breach.closed_by == manager
    with pytest.raises(ValidationError):
        assessed(breach, manager)
    reasons = list(
        breach.history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons == ["Reported", "Assessed", "Decided", "Closed"]


# --- Alert e-mail --------------------------------------------------------------------------


def test_an_alert_is_emailed_to_the_team_managers_and_the_iso_only(caseworker, manager, other_manager, iso, mailoutbox):
    breach = report(caseworker)
    row = email_of(breach)

    assert outbox_send(outbox_id=row.pk) == "sent"

    (mail,) = mailoutbox
    assert sorted(mail.to) == sorted([manager.email, iso.email])
    assert breach.reference in mail.subject
    row.refresh_from_db()
    assert row.sent_at == NOW
    assert mail.extra_headers["Message-ID"] == row.message_id  # fixed at the claim, stored with the row


def test_an_alert_is_emailed_once_however_often_it_is_sent(caseworker, manager, mailoutbox):
    row = email_of(report(caseworker))

    results = [outbox_send(outbox_id=row.pk) for _ in range(3)]

    assert results == ["sent", "", ""]
    assert len(mailoutbox) == 1


def test_an_alert_email_names_nobody_affected(caseworker, manager, team_a, make_client, mailoutbox):
    client = make_client(actor=caseworker, team=team_a, first_name="Zebedee", last_name="Quill")
    row = email_of(report(caseworker, clients=[client]))

    outbox_send(outbox_id=row.pk)

    body = mailoutbox[0].body
    assert "Zebedee" not in body
    assert client.reference not in body
    assert "notebook" not in body  # no free text either: it may name people


def test_a_refused_send_leaves_the_alert_for_the_next_sweep(caseworker, manager, settings):
    settings.EMAIL_BACKEND = "breaches.tests.test_services.FailingBackend"
    row = email_of(report(caseworker))

    assert outbox_send(outbox_id=row.pk) == "failed"

    row.refresh_from_db()
    assert (row.status, row.sent_at, row.attempts) == ("failed", None, 1)
    assert "refused" in row.last_error.lower()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_send(outbox_id=row.pk) == "sent"  # what the next sweep does


def test_no_email_goes_out_for_a_breach_whose_clock_has_stopped(caseworker, manager, mailoutbox):
    breach = assessed(report(caseworker), manager, likelihood="remote", severity="minimal")
    decided(breach, manager, notify_ico="not_reportable")

    assert outbox_send(outbox_id=email_of(breach).pk) == "cancelled"
    assert mailoutbox == []


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("Connection refused by the SMTP server")


def test_a_breach_factory_breach_belongs_to_its_reporters_team(db):
    team = TeamFactory()

    breach = BreachReportFactory(team=team)

    assert breach.reported_by.teams.get() == team
    assert timezone.is_aware(breach.deadline_at)


def test_an_alert_email_links_to_the_breach_at_the_site_address(caseworker, manager, mailoutbox, settings):
    settings.SITE_URL = "https://casework.example.org/"
    breach = report(caseworker)

    outbox_send(outbox_id=email_of(breach).pk)

    assert f"https://casework.example.org/breaches/{breach.pk}/" in mailoutbox[0].body


def test_awareness_before_2000_is_refused_as_a_typing_slip(caseworker):
    with pytest.raises(ValidationError) as refused:
        services.breach_report(
            actor=caseworker,
            what_happened="A notebook was lost.",
            became_aware_at=datetime.datetime(1, 1, 1, tzinfo=datetime.UTC),
        )
    assert "check the year" in refused.value.message_dict["became_aware_at"][0]


@pytest.mark.parametrize(
    ("told_at", "message"),
    [
        (NOW - datetime.timedelta(hours=2), "before the organisation became aware"),
        (NOW - datetime.timedelta(days=3), "before the breach happened"),
    ],
)
def test_people_cannot_be_told_before_the_breach_or_before_the_organisation_knew(manager, told_at, message):
    breach = assessed(report(manager, occurred_at=NOW - datetime.timedelta(days=1)), manager)

    with pytest.raises(ValidationError) as error:
        decided(breach, manager, subjects_informed_at=told_at)

    assert message in error.value.message_dict["subjects_informed_at"][0]
