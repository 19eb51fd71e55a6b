"""Alerts: raised and ended by services with history, shown first on every page about the
client, and flagged on the caseload and search rows of people allowed to see the record."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from clients import services
from clients.models import Alert, TimelineEvent
from clients.tests.factories import AlertFactory, AssignmentFactory, ClientFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_raising_an_alert_keeps_its_history_and_puts_it_on_the_timeline(caseworker, own_client):
    alert = services.alert_raise(
        actor=caseworker, client=own_client, kind=Alert.Kind.RISK_TO_STAFF, text="Threatened staff\u202e 123"
    )

    assert alert.is_active
    assert alert.raised_by == caseworker
    assert alert.text == "Threatened staff 123"  # the direction override is gone
    assert alert.history.get().history_user == caseworker
    event = TimelineEvent.objects.get(client=own_client, kind=TimelineEvent.Kind.ALERT_RAISED)
    assert (event.actor, event.category_keys, event.object_id) == (caseworker, ["risk_to_staff"], alert.pk)


def test_ending_an_alert_needs_a_reason_and_happens_once(caseworker, own_client):
    alert = services.alert_raise(actor=caseworker, client=own_client, kind=Alert.Kind.OTHER, text="Hard of hearing")

    with pytest.raises(ValidationError) as error:
        services.alert_end(actor=caseworker, alert=alert, reason="  ")
    assert "end_reason" in error.value.error_dict

    ended = services.alert_end(actor=caseworker, alert=alert, reason="Hearing aid fitted")
    assert (ended.ended_by, ended.end_reason, ended.is_active) == (caseworker, "Hearing aid fitted", False)
    assert ended.history.count() == 2
    with pytest.raises(ValidationError):
        services.alert_end(actor=caseworker, alert=alert, reason="again")


@time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC))
def test_an_alert_cannot_be_due_for_review_in_the_past(caseworker, own_client):
    with pytest.raises(ValidationError) as error:
        services.alert_raise(
            actor=caseworker,
            client=own_client,
            kind=Alert.Kind.SAFEGUARDING,
            text="Concern raised by school",
            review_by=datetime.date(2026, 5, 1),
        )
    assert "review_by" in error.value.error_dict


def test_a_caseworker_adds_an_alert_from_the_record_and_it_heads_every_page(login, caseworker, own_client):
    test_client = login(caseworker)
    response = test_client.post(
        reverse("clients:alert_add", args=[own_client.pk]),
        {"kind": "risk_to_staff", "text": "Visit in pairs; has threatened staff", "review_by": ""},
    )
    assert response.status_code == 302

    for name in ("clients:record", "clients:changes", "consent:tab", "sharing:history"):
        content = test_client.get(reverse(name, args=[own_client.pk])).content.decode()
        banner = content.index("Visit in pairs; has threatened staff")
        assert banner < content.index("<h1"), name
        assert "Risk to staff" in content
        assert f"Raised by {caseworker}" in content


def test_a_staff_safety_alert_comes_before_older_and_newer_others(login, caseworker, own_client):
    AlertFactory(client=own_client, kind=Alert.Kind.NO_CONTACT_BY_LETTER, text="Post is read by ex-partner")
    AlertFactory(client=own_client, kind=Alert.Kind.DO_NOT_VISIT_ALONE, text="Dog on the premises")
    AlertFactory(client=own_client, kind=Alert.Kind.SAFEGUARDING, text="Child visits at weekends")

    content = login(caseworker).get(reverse("clients:record", args=[own_client.pk])).content.decode()

    assert content.index("Dog on the premises") < content.index("Child visits at weekends")
    assert content.index("Dog on the premises") < content.index("Post is read by ex-partner")


def test_bad_alert_input_is_shown_beside_the_fields(login, caseworker, own_client):
    response = login(caseworker).post(reverse("clients:alert_add", args=[own_client.pk]), {"kind": "nonsense"})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"kind", "text"}
    assert not Alert.objects.exists()


def test_ending_an_alert_from_the_record_removes_the_banner(login, caseworker, own_client):
    alert = AlertFactory(client=own_client, text="Shouts at staff")
    test_client = login(caseworker)

    response = test_client.post(
        reverse("clients:alert_end", args=[own_client.pk, alert.pk]), {"end_reason": "Reviewed: settled now"}
    )

    assert response.status_code == 302
    assert b"Shouts at staff" not in test_client.get(reverse("clients:record", args=[own_client.pk])).content
    alert.refresh_from_db()
    assert (alert.ended_by, alert.end_reason) == (caseworker, "Reviewed: settled now")


def test_an_ended_alert_cannot_be_ended_again_through_the_page(login, caseworker, own_client):
    alert = AlertFactory(client=own_client, ended_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))

    response = login(caseworker).get(reverse("clients:alert_end", args=[own_client.pk, alert.pk]))

    assert response.status_code == 404


def test_the_caseload_flags_alerts_with_text_in_flat_queries(login, caseworker, team_a, django_assert_num_queries):
    first = ClientFactory(team=team_a, last_name="Aardvark")
    AssignmentFactory(client=first, caseworker=caseworker)
    AlertFactory(client=first, kind=Alert.Kind.RISK_TO_STAFF)
    test_client = login(caseworker)
    with CaptureQueriesContext(connection) as one:
        test_client.get(reverse("clients:caseload"))
    for n in range(10):
        other = ClientFactory(team=team_a)
        AssignmentFactory(client=other, caseworker=caseworker)
        AlertFactory(client=other, kind=Alert.Kind.SAFEGUARDING if n % 2 else Alert.Kind.RISK_TO_STAFF)

    with django_assert_num_queries(len(one)):
        response = test_client.get(reverse("clients:caseload"))

    row = response.content.decode().split("Aardvark")[1].split("</tr>")[0]
    assert "Risk to staff" in row
    assert response.content.decode().count("Safeguarding concern") == 5


def test_search_flags_alerts_only_on_records_the_person_may_see(
    login, caseworker, own_client, other_team_client, team_a
):
    AlertFactory(client=own_client, text="x")
    AlertFactory(client=other_team_client, text="y")
    own_client.last_name = other_team_client.last_name = "Sharedname"
    own_client.save()
    other_team_client.save()

    response = login(caseworker).get(reverse("clients:search"), {"q": "Sharedname"})

    rows = {row["client"].pk: row for row in response.context["rows"]}
    assert set(rows) == {own_client.pk, other_team_client.pk}
    content = response.content.decode()
    assert content.count("Risk to staff") == 1
    own_row = content.split(own_client.display_name)[1].split("</tr>")[0]
    assert "Risk to staff" in own_row


def test_alerts_of_another_teams_client_cannot_be_ended_without_access(login, other_caseworker, own_client):
    alert = AlertFactory(client=own_client, raised_by=UserFactory())

    response = login(other_caseworker).post(
        reverse("clients:alert_end", args=[own_client.pk, alert.pk]), {"end_reason": "no"}
    )

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.is_active
