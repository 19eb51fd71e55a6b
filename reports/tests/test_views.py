"""The reports page and its downloads: who sees them, what they show, and that they are audited as lists."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from access.models import AccessEvent
from clients.tests.factories import ClientFactory

PERIOD = {"start": "2026-01-01", "end": "2026-06-30"}


@pytest.fixture
def clients_in_both_teams(team_a, team_b):
    ClientFactory(team=team_a, opened_on=dt.date(2026, 2, 1), last_name="Abbott")
    ClientFactory(team=team_b, opened_on=dt.date(2026, 3, 1), last_name="Brennan")


def test_it_refuses_caseworkers(login, caseworker):
    assert login(caseworker).get(reverse("reports:page")).status_code == 403


def test_a_manager_sees_their_teams_figures_only(login, manager, clients_in_both_teams):
    response = login(manager).get(reverse("reports:page"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Outreach North" in html
    assert "Riverside Hostel" not in html
    # Counts, never names.
    assert "Abbott" not in html


def test_the_iso_sees_the_whole_organisation(login, iso, clients_in_both_teams):
    html = login(iso).get(reverse("reports:page"), PERIOD).content.decode()
    assert "The whole organisation" in html
    assert "Outreach North" in html
    assert "Riverside Hostel" in html


def test_each_chart_carries_a_title_and_description_for_assistive_technology(login, iso, clients_in_both_teams):
    html = login(iso).get(reverse("reports:page"), PERIOD).content.decode()
    svg = re.search(r'<svg class="chart" role="img" aria-labelledby="([^"]+)"[^>]*>(.*?)</svg>', html, re.S)
    assert svg is not None
    title_id, desc_id = svg.group(1).split()
    assert f'<title id="{title_id}">Caseload and movement</title>' in svg.group(2)
    assert f'<desc id="{desc_id}">' in svg.group(2)
    # The same numbers in a table beside the chart.
    assert '<th scope="row">Outreach North</th>' in html


def test_opening_a_report_is_audited_as_a_list_with_its_scope_and_period(login, manager, clients_in_both_teams):
    login(manager).get(reverse("reports:page"), PERIOD)
    event = AccessEvent.objects.get(actor=manager)
    assert event.action == AccessEvent.Action.LIST
    assert event.client_id is None
    assert "reports page" in event.detail
    assert "from=2026-01-01 to=2026-06-30" in event.detail


def test_a_period_that_ends_before_it_starts_is_an_error_beside_the_field(login, manager):
    response = login(manager).get(reverse("reports:page"), {"start": "2026-06-30", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "The end of the period must be on or after its start." in response.content.decode()
    assert not AccessEvent.objects.exists()


def test_a_manager_cannot_ask_for_another_teams_report(login, manager, team_b):
    response = login(manager).get(reverse("reports:page"), {**PERIOD, "team": team_b.pk})
    assert response.status_code == 400


def test_a_figure_downloads_as_csv(login, iso, clients_in_both_teams):
    response = login(iso).get(reverse("reports:download", args=["caseload", "csv"]), PERIOD)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert 'filename="caseload-20260101-20260630.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Team", "Open at the end", "Opened", "Closed"],
        ["Outreach North", "1", "1", "0"],
        ["Riverside Hostel", "1", "1", "0"],
    ]


def test_an_xlsx_download_types_every_cell_as_text(login, iso, team_a, caseworker):
    # A refusal reason that a spreadsheet would run as a formula.
    client = ClientFactory(team=team_a)
    AccessEvent.objects.create(
        at=dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC),
        actor=caseworker,
        client=client,
        action="share",
        outcome="denied",
        object_type="sharing.Referral",
        detail='=HYPERLINK("http://evil.example","x")',
    )
    response = login(iso).get(reverse("reports:download", args=["referrals_refused", "xlsx"]), PERIOD)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells[2].value == '=HYPERLINK("http://evil.example","x")'
    assert {cell.data_type for cell in cells} == {"s"}


def test_an_unknown_figure_or_format_is_not_found(login, iso):
    test_client = login(iso)
    assert test_client.get(reverse("reports:download", args=["nothing", "csv"])).status_code == 404
    assert test_client.get(reverse("reports:download", args=["caseload", "pdf"])).status_code == 404
