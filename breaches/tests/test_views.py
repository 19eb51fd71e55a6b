import datetime
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from access.models import AccessEvent
from accounts.tests.factories import TeamFactory, UserFactory
from breaches import services
from breaches.models import BreachReport
from breaches.tests.alerts import alerts_of
from breaches.tests.factories import BreachAlertFactory, BreachNotificationFactory, BreachReportFactory
from deadlines.models import SweepHeartbeat
from deadlines.services import deadlines_sweep

UTC = datetime.UTC


def report_data(**overrides):
    data = {
        "what_happened": "Left my notebook on the 42 bus.",
        "occurred_at": "",
        "occurred_note": "Tuesday afternoon",
        "became_aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "categories": ["identity", "mental_health"],
        "client_references": "",
    }
    data.update(overrides)
    return data


# --- Reporting: any member of staff, two clicks from anywhere ------------------------------


def test_every_page_links_to_the_report_form(login, caseworker):
    response = login(caseworker).get(reverse("home"))

    assert reverse("breaches:report").encode() in response.content


def test_a_caseworker_reports_a_breach(login, caseworker, team_a):
    client = login(caseworker)

    response = client.post(reverse("breaches:report"), report_data())

    breach = BreachReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("breaches:reported", args=[breach.pk])
    assert breach.reported_by == caseworker
    assert breach.team == team_a
    assert breach.categories == ["identity", "mental_health"]
    assert list(alerts_of(breach)) == [72]
    confirmation = client.get(response["Location"])
    assert breach.reference in confirmation.content.decode()


def test_the_report_form_starts_the_clock_now_unless_told_otherwise(login, caseworker):
    with time_machine.travel(datetime.datetime(2026, 7, 1, 9, 41, 30, tzinfo=UTC), tick=False):
        response = login(caseworker).get(reverse("breaches:report"))

    assert 'value="2026-07-01T10:41"' in response.content.decode()  # 10:41 BST


def test_the_report_form_lists_only_clients_the_reporter_works_with(
    login, caseworker, other_caseworker, team_a, team_b, make_client
):
    make_client(actor=caseworker, team=team_a, first_name="Mine", last_name="Client")
    make_client(actor=other_caseworker, team=team_b, first_name="Hidden", last_name="Person")

    response = login(caseworker).get(reverse("breaches:report"))

    page = response.content.decode()
    assert "Mine Client" in page
    assert "Hidden" not in page
    assert AccessEvent.objects.filter(actor=caseworker, action="list").count() == 1


def test_a_reporter_cannot_link_a_client_they_cannot_see_by_its_id(
    login, caseworker, other_caseworker, team_a, team_b, make_client
):
    make_client(actor=caseworker, team=team_a, first_name="Mine")
    hidden = make_client(actor=other_caseworker, team=team_b, first_name="Hidden")

    response = login(caseworker).post(reverse("breaches:report"), report_data(clients=[hidden.pk]))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Hidden" not in response.content.decode()
    assert not BreachReport.objects.exists()


def test_typing_a_reference_tells_the_reporter_nothing_about_whether_it_exists(
    login, caseworker, other_caseworker, team_b, make_client
):
    hidden = make_client(actor=other_caseworker, team=team_b, first_name="Hidden")
    client = login(caseworker)

    real = client.post(reverse("breaches:report"), report_data(client_references=hidden.reference))
    made_up = client.post(reverse("breaches:report"), report_data(client_references="ZZZ999"))

    first, second = BreachReport.objects.order_by("pk")
    assert list(first.affected_clients.all()) == [hidden]
    assert list(second.affected_clients.all()) == []
    pages = [
        # Without the per-form tokens (CSRF, the form's owner and one-time tokens), which differ by design.
        re.sub(
            r'name="(csrfmiddlewaretoken|_form_owner|_form_once)" value="[^"]+"',
            "",
            client.get(r["Location"]).content.decode(),
        )
        for r in (real, made_up)
    ]
    assert pages[0].replace(first.reference, "REF") == pages[1].replace(second.reference, "REF")
    assert "Hidden" not in pages[0]


def test_the_report_form_is_prefilled_from_a_link(login, caseworker, other_caseworker, team_a, team_b, make_client):
    mine = make_client(actor=caseworker, team=team_a, first_name="Mine")
    hidden = make_client(actor=other_caseworker, team=team_b, first_name="Hidden")
    query = (
        f"?categories=domestic_abuse&categories=bogus&client={mine.pk}&client={hidden.pk}"
        "&what_happened=Sent+to+the+wrong+address"
    )

    response = login(caseworker).get(reverse("breaches:report") + query)

    form = response.context["form"]
    assert form.initial["categories"] == ["domestic_abuse"]
    assert form.initial["clients"] == [str(mine.pk)]
    assert form.initial["what_happened"] == "Sent to the wrong address"
    assert "Hidden" not in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"what_happened": ""}, "what_happened", "This field is required"),
        ({"became_aware_at": "2099-01-01T10:00"}, "became_aware_at", "can’t be in the future"),
        ({"became_aware_at": "yesterday-ish"}, "became_aware_at", "Enter a valid date/time"),
        ({"became_aware_at": "2026-10-25T01:30"}, "became_aware_at", "ambiguous"),
        ({"categories": ["shoe_size"]}, "categories", "Select a valid choice"),
        ({"client_references": "A" * 30}, "client_references", "at most 20 characters"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_saved(login, caseworker, overrides, field, message):
    response = login(caseworker).post(reverse("breaches:report"), report_data(**overrides))

    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert 'class="error-summary"' in response.content.decode()
    assert not BreachReport.objects.exists()


def test_a_reporter_with_no_clients_is_not_offered_a_client_list(login, caseworker):
    response = login(caseworker).get(reverse("breaches:report"))

    assert "clients" not in response.context["form"].fields
    assert not AccessEvent.objects.filter(actor=caseworker).exists()


def test_a_reporter_in_several_teams_chooses_the_team(login, caseworker, team_b):
    caseworker.teams.add(team_b)
    client = login(caseworker)

    missing = client.post(reverse("breaches:report"), report_data())
    chosen = client.post(reverse("breaches:report"), report_data(team=team_b.pk))

    assert "team" in missing.context["form"].errors
    assert chosen.status_code == 302
    assert BreachReport.objects.get().team == team_b


def test_only_the_reporter_sees_the_confirmation_page(login, caseworker, other_caseworker):
    breach = BreachReportFactory(reported_by=caseworker)

    response = login(other_caseworker).get(reverse("breaches:reported", args=[breach.pk]))

    assert response.status_code == 404


# --- Who may see breaches --------------------------------------------------------------------

OBJECT_PAGES = ["detail", "triage", "assess", "decide", "notify", "close", "history", "ico_report"]


@pytest.mark.parametrize("page", ["queue", "export"])
def test_caseworker_cannot_see_the_breach_queue_or_register(login, caseworker, page):
    assert login(caseworker).get(reverse(f"breaches:{page}")).status_code == 403


@pytest.mark.parametrize("page", OBJECT_PAGES)
@pytest.mark.parametrize("outsider", ["caseworker", "other_manager", "admin_user"])
def test_outsider_cannot_see_a_teams_breach(request, login, team_a, page, outsider):
    breach = BreachReportFactory(team=team_a)
    user = request.getfixturevalue(outsider)

    response = login(user).get(reverse(f"breaches:{page}", args=[breach.pk]))

    assert response.status_code in (403, 404)
    if user.is_service_manager:
        assert response.status_code == 404  # the same answer as for a breach that does not exist


@pytest.mark.parametrize("page", OBJECT_PAGES)
def test_an_unknown_breach_is_not_found(login, manager, page):
    assert login(manager).get(reverse(f"breaches:{page}", args=[999999])).status_code == 404


@pytest.mark.parametrize("viewer", ["manager", "iso"])
@pytest.mark.parametrize("page", ["detail", "triage", "assess", "decide", "notify", "close", "history"])
def test_the_teams_manager_and_the_iso_can_open_a_breach(request, login, team_a, fresh_heartbeat, viewer, page):
    breach = BreachReportFactory(team=team_a)

    response = login(request.getfixturevalue(viewer)).get(reverse(f"breaches:{page}", args=[breach.pk]))

    assert response.status_code == 200


# --- The managers' queue -----------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2026, 11, 10, 12, 0, tzinfo=UTC), tick=False)
def test_the_queue_lists_the_teams_open_breaches_by_deadline_with_time_left(
    login, manager, team_a, team_b, fresh_heartbeat
):
    now = timezone.now()
    later = BreachReportFactory(team=team_a, became_aware_at=now - datetime.timedelta(hours=2), what_happened="Later")
    overdue = BreachReportFactory(
        team=team_a, became_aware_at=now - datetime.timedelta(hours=75), what_happened="Overdue one"
    )
    BreachAlertFactory(breach=overdue, threshold_hours=0)
    BreachReportFactory(team=team_b, what_happened="Other team")
    BreachReportFactory(team=team_a, status="closed", what_happened="Closed one")

    response = login(manager).get(reverse("breaches:queue"))

    page = response.content.decode()
    assert [row["breach"] for row in response.context["rows"]] == [overdue, later]
    assert "Overdue by 3 h 0 min" in page
    assert "70 h 0 min left" in page
    assert '<span class="tag tag-error">Overdue</span>' in page
    assert "Other team" not in page
    assert "Closed one" not in page


def test_the_iso_sees_every_teams_breaches(login, iso, team_a, team_b, fresh_heartbeat):
    BreachReportFactory(team=team_a)
    BreachReportFactory(team=team_b)
    BreachReportFactory(team=None)

    response = login(iso).get(reverse("breaches:queue"))

    assert len(response.context["rows"]) == 3


def test_the_queue_does_not_run_more_queries_for_more_breaches(login, manager, team_a, fresh_heartbeat):
    client = login(manager)
    BreachAlertFactory(breach=BreachReportFactory(team=team_a))
    client.get(reverse("breaches:queue"))  # warm up the session
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("breaches:queue"))

    for _ in range(8):
        breach = BreachReportFactory(team=team_a)
        BreachAlertFactory(breach=breach, threshold_hours=72)
        BreachAlertFactory(breach=breach, threshold_hours=48)

    from pytest_django.asserts import assertNumQueries

    with assertNumQueries(len(one)):
        response = client.get(reverse("breaches:queue"))
    assert len(response.context["rows"]) == 9
    assert len(one) <= 20


def test_the_queue_warns_when_the_sweep_has_stopped_and_emails_the_iso_once(
    login, manager, iso, mailoutbox, outbox_sent
):
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=timezone.now() - datetime.timedelta(minutes=20))
    client = login(manager)

    with outbox_sent():
        first = client.get(reverse("breaches:queue"))
    with outbox_sent():
        second = client.get(reverse("breaches:queue"))

    assert "The breach deadline timer is not running" in first.content.decode()
    assert "The breach deadline timer is not running" in second.content.decode()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [iso.email]


def test_a_new_stale_episode_emails_the_iso_again(login, manager, iso, mailoutbox, outbox_sent):
    start = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    client = login(manager)
    with time_machine.travel(start, tick=False), outbox_sent():
        SweepHeartbeat.objects.create(pk=1, last_sweep_at=start - datetime.timedelta(minutes=20))
        client.get(reverse("breaches:queue"))
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False), outbox_sent():
        deadlines_sweep()  # the worker came back...
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False), outbox_sent():
        client.get(reverse("breaches:queue"))  # ...and stopped again

    assert len(mailoutbox) == 2


def test_the_queue_shows_no_warning_while_the_sweep_runs(login, manager, fresh_heartbeat, mailoutbox, outbox_sent):
    with outbox_sent():
        response = login(manager).get(reverse("breaches:queue"))

    assert "not running" not in response.content.decode()
    assert mailoutbox == []


def test_the_queue_warns_when_the_sweep_has_never_run(login, manager, iso, mailoutbox, outbox_sent):
    with outbox_sent():
        response = login(manager).get(reverse("breaches:queue"))

    assert "It has not run yet" in response.content.decode()
    assert len(mailoutbox) == 1


# --- The detail page ---------------------------------------------------------------------------


def test_the_detail_page_names_clients_only_to_those_who_can_open_them(
    login, caseworker, manager, iso, team_a, make_client, fresh_heartbeat
):
    ann = make_client(actor=caseworker, team=team_a, first_name="Annabel", last_name="Lee")
    breach = BreachReportFactory(team=team_a, affected_clients=[ann])

    as_manager = login(manager).get(reverse("breaches:detail", args=[breach.pk])).content.decode()
    as_iso = login(iso).get(reverse("breaches:detail", args=[breach.pk])).content.decode()

    assert f"Annabel Lee ({ann.reference})" in as_manager
    event = AccessEvent.objects.get(actor=manager, object_type="breaches.BreachReport")
    assert event.object_id == str(breach.pk)
    assert ann.reference in event.detail
    assert ann.reference in as_iso
    assert "Annabel" not in as_iso
    assert not AccessEvent.objects.filter(actor=iso, object_type="breaches.BreachReport").exists()


def test_the_detail_page_does_not_run_more_queries_for_more_data(
    login, caseworker, manager, team_a, make_client, fresh_heartbeat
):
    client = login(manager)
    breach = BreachReportFactory(team=team_a, affected_clients=[make_client(actor=caseworker, team=team_a)])
    BreachNotificationFactory(breach=breach)
    BreachAlertFactory(breach=breach)
    url = reverse("breaches:detail", args=[breach.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)

    breach.affected_clients.add(*[make_client(actor=caseworker, team=team_a, last_name=f"N{i}") for i in range(6)])
    for hours in (24, 12, 4, 0):
        BreachAlertFactory(breach=breach, threshold_hours=hours)
    BreachNotificationFactory(breach=breach, kind="follow_up")
    breach.staff_involvements.create(user=caseworker)
    breach.staff_involvements.create(user=manager)

    from pytest_django.asserts import assertNumQueries

    with assertNumQueries(len(one)):
        client.get(url)
    assert len(one) <= 24


# --- The stages --------------------------------------------------------------------------------


def test_the_manager_triages_a_breach(login, manager, team_a, fresh_heartbeat):
    breach = BreachReportFactory(team=team_a)
    aware = timezone.localtime(breach.became_aware_at).strftime("%Y-%m-%dT%H:%M")

    response = login(manager).post(
        reverse("breaches:triage", args=[breach.pk]),
        {
            "what_happened": breach.what_happened,
            "how_discovered": "Noticed at the office",
            "became_aware_at": aware,
            "categories": ["identity"],
            "people_affected_approx": "3",
            "records_affected_approx": "9",
            "people_categories": ["clients"],
            "containment": "Asked the bus company",
            "client_references": "",
            "team": team_a.pk,
        },
    )

    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.status == "triaged"
    assert breach.people_affected_approx == 3


def test_a_risky_breach_cannot_be_decided_not_reportable_and_the_error_is_beside_the_field(
    login, manager, team_a, fresh_heartbeat
):
    breach = BreachReportFactory(team=team_a, risk="high", likelihood="likely", severity="severe", status="assessed")

    response = login(manager).post(
        reverse("breaches:decide", args=[breach.pk]),
        {"notify_ico": "not_reportable", "decision_reasons": "Seems fine"},
    )

    assert response.status_code == 200
    assert "must be reported to the ICO" in " ".join(response.context["form"].errors["notify_ico"])
    breach.refresh_from_db()
    assert breach.notify_ico == ""


def test_a_late_notification_without_reasons_is_an_error_beside_the_reasons(login, manager, team_a, fresh_heartbeat):
    breach = BreachReportFactory(
        team=team_a,
        became_aware_at=timezone.now() - datetime.timedelta(hours=90),
        risk="risk",
        notify_ico="notify",
        decision_reasons="Risky",
        status="assessed",
    )

    response = login(manager).post(
        reverse("breaches:notify", args=[breach.pk]),
        {
            "kind": "initial",
            "notified_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "method": "online",
            "reference": "IC-1",
        },
    )

    assert response.status_code == 200
    assert "reasons for the delay" in " ".join(response.context["form"].errors["delay_reasons"])
    assert not breach.notifications.exists()


def test_closing_without_a_decision_explains_why_in_the_error_summary(login, manager, team_a, fresh_heartbeat):
    breach = BreachReportFactory(team=team_a)

    response = login(manager).post(reverse("breaches:close", args=[breach.pk]), {"lessons": "Lock bags."})

    assert response.status_code == 200
    assert "Record the decision on notifying the ICO" in " ".join(response.context["form"].non_field_errors())
    breach.refresh_from_db()
    assert breach.status == "reported"


def test_a_closed_breachs_stage_pages_send_the_manager_back_to_the_record(login, manager, team_a):
    breach = BreachReportFactory(team=team_a, status="closed")

    response = login(manager).get(reverse("breaches:assess", args=[breach.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("breaches:detail", args=[breach.pk])


def test_the_history_page_lists_every_change_with_who_made_it(login, caseworker, manager, team_a):
    breach = services.breach_report(
        actor=caseworker, what_happened="Lost phone", became_aware_at=timezone.now(), categories=["contact"]
    )
    services.breach_assess(
        actor=manager,
        breach=breach,
        likely_consequences="Calls",
        likelihood="remote",
        severity="minimal",
        risk_reasoning="PIN locked",
    )

    response = login(manager).get(reverse("breaches:history", args=[breach.pk]))

    page = response.content.decode()
    assert "Reported" in page
    assert "Assessed" in page
    assert str(manager) in page
    assert "risk reasoning" in page


# --- The register export ------------------------------------------------------------------------


def test_the_register_export_is_safe_to_open_in_a_spreadsheet(login, manager, team_a, team_b):
    BreachReportFactory(team=team_a, what_happened='=HYPERLINK("http://evil","click")')
    BreachReportFactory(team=team_b, what_happened="Other team's breach")

    response = login(manager).get(reverse("breaches:export"))

    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in body
    assert "Other team" not in body


def test_the_register_also_downloads_as_xlsx_with_every_cell_text(login, manager, team_a, team_b):
    BreachReportFactory(team=team_a, what_happened='=HYPERLINK("http://evil","click")')
    BreachReportFactory(team=team_b, what_happened="Other team's breach")

    response = login(manager).get(reverse("breaches:export"), {"format": "xlsx"})

    assert response["Content-Disposition"] == 'attachment; filename="breach-register.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert '=HYPERLINK("http://evil","click")' in values
    assert "Other team's breach" not in values
    assert {cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None} == {"s"}


def test_breaches_of_other_teams_stay_hidden_from_a_manager_of_two_teams(login, team_a):
    team_c = TeamFactory(name="Day Centre")
    manager = UserFactory(role="service_manager", teams=[team_a, team_c])
    mine = BreachReportFactory(team=team_c)
    BreachReportFactory(team=TeamFactory(name="Somewhere else"))

    response = login(manager).get(reverse("breaches:queue"))

    assert [row["breach"] for row in response.context["rows"]] == [mine]


# --- The dashboard panel --------------------------------------------------------------------------


def test_the_dashboard_shows_a_manager_the_breaches_awaiting_a_decision(login, manager, team_a, fresh_heartbeat):
    BreachReportFactory(team=team_a, became_aware_at=timezone.now() - datetime.timedelta(hours=80))
    BreachReportFactory(team=team_a)
    BreachReportFactory(team=team_a, status="notified")

    page = login(manager).get(reverse("home")).content.decode()

    assert "2 breaches awaiting an ICO decision or notification" in page
    assert "1 overdue" in page


def test_the_dashboard_has_no_breach_panel_for_a_caseworker(login, caseworker, team_a):
    BreachReportFactory(team=team_a)

    page = login(caseworker).get(reverse("home")).content.decode()

    assert "breach-panel-heading" not in page
