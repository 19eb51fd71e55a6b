import datetime
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breaches.clock import alert_thresholds, deadline_for, describe_time_left, threshold_label
from breaches.risk import Likelihood, Risk, Severity, assess

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = datetime.UTC


def test_the_deadline_is_72_real_hours_even_when_the_clocks_go_back():
    became_aware = datetime.datetime(2026, 10, 24, 12, 0, tzinfo=LONDON)  # BST, UTC+1

    deadline = deadline_for(became_aware)

    assert deadline == datetime.datetime(2026, 10, 27, 11, 0, tzinfo=UTC)
    # On the wall clock it is 11:00, not 12:00: the hour gained on 25 October is not added.
    assert deadline.astimezone(LONDON).strftime("%d %H:%M %Z") == "27 11:00 GMT"
    assert deadline - became_aware == datetime.timedelta(hours=72)


def test_the_deadline_is_72_real_hours_when_the_clocks_go_forward():
    became_aware = datetime.datetime(2026, 3, 28, 9, 30, tzinfo=LONDON)  # GMT; BST from 29 March

    assert deadline_for(became_aware).astimezone(LONDON).strftime("%d %H:%M %Z") == "31 10:30 BST"


# Timezone-aware datetimes are slow to draw on a busy machine; the property itself is cheap.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.datetimes(
        min_value=datetime.datetime(2000, 1, 1),
        max_value=datetime.datetime(2090, 1, 1),
        timezones=st.sampled_from([LONDON, UTC, zoneinfo.ZoneInfo("America/New_York")]),
    )
)
def test_the_deadline_is_always_72_elapsed_hours_later_in_utc(became_aware):
    deadline = deadline_for(became_aware)

    assert deadline.utcoffset() == datetime.timedelta(0)
    assert deadline - became_aware.astimezone(UTC) == datetime.timedelta(hours=72)


def test_it_refuses_a_naive_time():
    with pytest.raises(ValueError):
        deadline_for(datetime.datetime(2026, 10, 24, 12, 0))


@pytest.mark.parametrize(
    ("minutes_left", "text"),
    [
        (72 * 60, "72 h 0 min left"),
        (47 * 60 + 10, "47 h 10 min left"),
        (59, "59 min left"),
        (0, "0 min left"),
        (-1, "Overdue by 1 min"),
        (-(3 * 60 + 5), "Overdue by 3 h 5 min"),
        (-72 * 60, "Overdue by 72 h 0 min"),
        (-(73 * 60 + 30), "Overdue by 3 days 1 h"),
        (-(8692 * 60 + 20), "Overdue by 362 days 4 h"),
        (-(96 * 60), "Overdue by 4 days"),
    ],
)
def test_it_describes_the_time_left(minutes_left, text):
    now = datetime.datetime(2026, 10, 25, 0, 0, tzinfo=UTC)

    assert describe_time_left(now + datetime.timedelta(minutes=minutes_left), now) == text


def test_thresholds_come_from_settings_plus_the_reported_alert(settings):
    settings.BREACH_ALERT_HOURS = [4, 48, 0]

    assert alert_thresholds() == [72, 48, 4, 0]


def test_it_refuses_a_threshold_beyond_the_deadline_window(settings):
    settings.BREACH_ALERT_HOURS = [96]

    with pytest.raises(ValueError):
        alert_thresholds()


def test_thresholds_have_plain_labels():
    assert [threshold_label(h) for h in (72, 24, 0)] == ["Reported", "24 h left", "Overdue"]


@pytest.mark.parametrize(
    ("likelihood", "severity", "risk"),
    [
        ("remote", "minimal", Risk.UNLIKELY),
        ("remote", "significant", Risk.UNLIKELY),
        ("remote", "severe", Risk.RISK),
        ("possible", "minimal", Risk.UNLIKELY),
        ("possible", "significant", Risk.RISK),
        ("possible", "severe", Risk.HIGH),
        ("likely", "minimal", Risk.RISK),
        ("likely", "significant", Risk.HIGH),
        ("likely", "severe", Risk.HIGH),
    ],
)
def test_the_risk_matrix_gives_the_documented_level(likelihood, severity, risk):
    assert assess(likelihood, severity) == risk


RANK = {Risk.UNLIKELY: 0, Risk.RISK: 1, Risk.HIGH: 2}


@given(
    st.sampled_from(list(Likelihood)),
    st.sampled_from(list(Likelihood)),
    st.sampled_from(list(Severity)),
    st.sampled_from(list(Severity)),
)
def test_more_likely_or_more_severe_harm_never_lowers_the_risk(l1, l2, s1, s2):
    likelihoods, severities = list(Likelihood), list(Severity)
    if likelihoods.index(l1) <= likelihoods.index(l2) and severities.index(s1) <= severities.index(s2):
        assert RANK[assess(l1, s1)] <= RANK[assess(l2, s2)]


def test_it_refuses_an_unknown_likelihood():
    with pytest.raises(ValueError):
        assess("certain", "severe")
