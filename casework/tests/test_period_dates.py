"""Every page that reads a period refuses dates at the edge of the calendar beside the field,
instead of failing with a 500 when it adds a day to 31/12/9999."""

import pytest
from django.urls import reverse

PERIOD_PAGES = [
    ("reports:page", {}, "start", "end"),
    ("reports:download", {"key": "referrals", "fmt": "csv"}, "start", "end"),
    ("access:review", {}, "date_from", "date_to"),
    ("statutory:report", {}, "date_from", "date_to"),
]


@pytest.mark.parametrize(("name", "kwargs", "start", "end"), PERIOD_PAGES)
@pytest.mark.parametrize(
    ("first", "last"), [("9999-12-31", "9999-12-31"), ("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-01-01")]
)
def test_a_period_at_the_edge_of_the_calendar_is_refused_not_a_500(
    login, manager, name, kwargs, start, end, first, last
):
    response = login(manager).get(reverse(name, kwargs=kwargs), {start: first, end: last})
    assert response.status_code in (200, 400)
    assert "Choose a date" in response.content.decode()
