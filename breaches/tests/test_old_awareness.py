"""A "became aware" more than a year ago is questioned, not silently accepted."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from breaches.models import BreachReport

from .test_views import report_data


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _long_ago(days):
    return (timezone.localtime() - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_a_date_over_a_year_ago_asks_to_confirm_and_saves_nothing(login, caseworker, team_a):
    response = login(caseworker).post(reverse("breaches:report"), report_data(became_aware_at=_long_ago(400)))

    assert response.status_code == 200
    assert "more than 365 days ago" in " ".join(response.context["form"].errors["became_aware_at"])
    assert b'type="checkbox" name="confirm_old_date"' in response.content
    assert not BreachReport.objects.exists()


def test_a_confirmed_old_date_is_accepted(login, caseworker, team_a):
    data = report_data(became_aware_at=_long_ago(400), confirm_old_date="on")

    response = login(caseworker).post(reverse("breaches:report"), data)

    assert response.status_code == 302
    assert BreachReport.objects.count() == 1


def test_a_recent_date_needs_no_confirmation(login, caseworker, team_a):
    response = login(caseworker).get(reverse("breaches:report"))
    assert b'type="checkbox" name="confirm_old_date"' not in response.content

    response = login(caseworker).post(reverse("breaches:report"), report_data(became_aware_at=_long_ago(30)))

    assert response.status_code == 302
