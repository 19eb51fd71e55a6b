"""The calendar-month rule for subject access deadlines (UK GDPR Art 12(3), ICO guidance)."""

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rights.calendar import add_calendar_months, days_left, response_due

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2200, 12, 31))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),  # no 31 February: the month's last day
        (dt.date(2028, 1, 31), dt.date(2028, 2, 29)),  # a leap year
        (dt.date(2028, 1, 29), dt.date(2028, 2, 29)),
        (dt.date(2026, 1, 29), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 31), dt.date(2026, 4, 30)),
        (dt.date(2026, 8, 31), dt.date(2026, 9, 30)),
        (dt.date(2026, 2, 28), dt.date(2026, 3, 28)),  # the corresponding date, not the month's end
        (dt.date(2028, 2, 29), dt.date(2028, 3, 29)),
        (dt.date(2026, 12, 15), dt.date(2027, 1, 15)),  # across the year
        (dt.date(2026, 12, 31), dt.date(2027, 1, 31)),
        (dt.date(2026, 6, 5), dt.date(2026, 7, 5)),
    ],
)
def test_the_deadline_is_the_corresponding_date_next_month_or_its_last_day(received, due):
    assert response_due(received) == due


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 3, 28)),  # counted on from 28 Feb
        (dt.date(2026, 1, 31), 2, dt.date(2026, 4, 28)),
        (dt.date(2028, 1, 31), 2, dt.date(2028, 4, 29)),
        (dt.date(2026, 3, 31), 2, dt.date(2026, 6, 30)),
        (dt.date(2026, 11, 30), 2, dt.date(2027, 2, 28)),
        (dt.date(2027, 11, 30), 2, dt.date(2028, 2, 29)),
    ],
)
def test_an_extension_adds_each_further_month_to_the_deadline_before_it(received, months, due):
    assert response_due(received, extension_months=months) == due


@pytest.mark.parametrize("months", [-1, 3])
def test_an_extension_is_at_most_two_further_months(months):
    with pytest.raises(ValueError, match="0 to 2"):
        response_due(dt.date(2026, 1, 1), extension_months=months)


@given(start=dates, months=st.integers(min_value=0, max_value=36))
def test_adding_months_lands_in_the_right_month_on_the_same_day_or_that_months_last(start, months):
    result = add_calendar_months(start, months)

    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, last)
    assert result >= start


@given(received=dates)
def test_one_month_is_28_to_31_days_and_never_earlier_than_a_later_receipt(received):
    due = response_due(received)

    assert 28 <= (due - received).days <= 31
    assert response_due(received + dt.timedelta(days=1)) >= due


@given(received=dates, months=st.integers(min_value=0, max_value=2))
def test_an_extended_deadline_is_later_and_never_beyond_that_many_months_from_receipt(received, months):
    due = response_due(received, extension_months=months)

    assert due >= response_due(received)
    assert due <= add_calendar_months(received, 1 + months)
    # Only a short month met on the way shortens it, by at most three days.
    assert (add_calendar_months(received, 1 + months) - due).days <= 3
    if received.day <= 28:
        assert due == add_calendar_months(received, 1 + months)


@given(received=dates, months=st.integers(min_value=0, max_value=1))
def test_each_further_month_moves_the_deadline_on(received, months):
    assert response_due(received, extension_months=months + 1) > response_due(received, extension_months=months)


def test_days_left_counts_whole_days_zero_on_the_last_day_negative_when_late():
    due = dt.date(2026, 2, 28)
    assert days_left(due, dt.date(2026, 2, 1)) == 27
    assert days_left(due, due) == 0
    assert days_left(due, dt.date(2026, 3, 2)) == -2
