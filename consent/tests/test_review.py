"""Recording a consent's review: reconfirmed (next review set), ended, or changed (a new consent replaces it)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from consent import services
from consent.models import ConsentRecord, ConsentReview
from consent.tests.factories import ConsentRecordFactory
from consent.tests.test_views import consent_form

NOW = dt.datetime(2026, 5, 3, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 3)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def review_url(consent):
    return reverse("consent:review", args=[consent.client_id, consent.pk])


def test_reconfirming_sets_the_next_review_and_clears_the_dashboard_flag(client, login, caseworker, jordan):
    consent = ConsentRecordFactory(client=jordan, review_due=TODAY + dt.timedelta(days=3))
    login(caseworker)
    assert "Consents due for review" in client.get("/").content.decode()

    response = client.post(review_url(consent), {"outcome": "reconfirmed", "how": "phone", "note": "Still happy."})

    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.review_due == TODAY + dt.timedelta(days=182)
    review = consent.reviews.get()
    assert (review.outcome, review.how, review.reviewed_by, review.reviewed_at) == (
        "reconfirmed",
        "phone",
        caseworker,
        NOW,
    )
    assert consent.history.latest().history_user == caseworker
    assert "Consents due for review" not in client.get("/").content.decode()


def test_the_review_period_comes_from_settings_and_stops_at_expiry(caseworker, jordan, settings):
    settings.CONSENT_REVIEW_PERIOD_DAYS = 30
    short = ConsentRecordFactory(client=jordan, review_due=TODAY, expires_on=TODAY + dt.timedelta(days=20))
    long = ConsentRecordFactory(client=jordan, review_due=TODAY)

    assert services.consent_reconfirm(actor=caseworker, consent=short, how="in_person").next_review_due is None
    assert services.consent_reconfirm(actor=caseworker, consent=long, how="in_person").next_review_due == (
        TODAY + dt.timedelta(days=30)
    )


def test_ending_at_review_withdraws_the_consent_at_once(client, login, caseworker, jordan):
    consent = ConsentRecordFactory(client=jordan, review_due=TODAY)
    login(caseworker)

    client.post(review_url(consent), {"outcome": "ended", "how": "in_person", "note": "No longer wants it."})

    consent.refresh_from_db()
    assert consent.withdrawn_at == NOW
    assert consent.withdrawal_note == "Ended at review. No longer wants it."
    assert consent.reviews.get().outcome == "ended"


def test_a_changed_consent_is_a_new_consent_linked_to_the_old(
    client, login, caseworker, jordan, riverside, housing, notice
):
    old = ConsentRecordFactory(client=jordan, review_due=TODAY, partners=[riverside], purposes=[housing])
    login(caseworker)

    response = client.post(review_url(old), {"outcome": "changed", "how": "in_person"})
    assert response.status_code == 302
    record_page = client.get(response["Location"])
    assert "replaces the consent to Riverside Housing" in record_page.content.decode()
    response = client.post(
        response["Location"].split("?")[0],
        {**consent_form(riverside, housing, notice), "replaces": old.pk, "review_how": "in_person"},
    )

    assert response.status_code == 302
    old.refresh_from_db()
    new = ConsentRecord.objects.exclude(pk=old.pk).get()
    review = ConsentReview.objects.get()
    assert (review.consent, review.new_consent, review.outcome) == (old, new, "changed")
    assert old.withdrawn_at is not None
    assert new.withdrawn_at is None


def test_a_review_refused_by_the_service_is_shown_beside_the_field_and_saves_nothing(client, login, caseworker, jordan):
    consent = ConsentRecordFactory(client=jordan, review_due=TODAY)
    login(caseworker)

    response = client.post(
        review_url(consent), {"outcome": "reconfirmed", "how": "phone", "reviewed_at": "2027-01-01T10:00"}
    )

    assert response.status_code == 400
    assert "The review cannot be in the future." in response.content.decode()
    assert not ConsentReview.objects.exists()


def test_a_withdrawn_consent_cannot_be_reviewed_or_replaced(
    client, login, caseworker, jordan, riverside, housing, notice
):
    consent = ConsentRecordFactory(client=jordan, withdrawn_at=NOW, withdrawal_method="phone")
    login(caseworker)

    assert client.get(review_url(consent))["Location"] == reverse("consent:tab", args=[jordan.pk])
    response = client.post(
        reverse("consent:record", args=[jordan.pk]),
        {**consent_form(riverside, housing, notice), "replaces": consent.pk, "review_how": "phone"},
    )
    assert response.status_code == 302
    assert ConsentRecord.objects.count() == 1


def test_someone_outside_the_caseload_cannot_review(client, login, other_caseworker, jordan):
    consent = ConsentRecordFactory(client=jordan, review_due=TODAY)
    login(other_caseworker)

    response = client.post(review_url(consent), {"outcome": "ended", "how": "phone"})

    assert response.status_code in (302, 404)
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
