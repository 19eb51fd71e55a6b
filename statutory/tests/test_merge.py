"""Merging two records of one person (clients.merge): what consent, sharing and statutory
hold follows to the surviving record; the append-only disclosure log stays and is read
through the merge."""

import pytest
from django.urls import reverse

from clients import merge
from clients import services as client_services
from consent.models import ConsentEvidence, ConsentRecord, LawfulBasisRecord
from consent.tests.factories import LawfulBasisRecordFactory, consent_with_evidence
from sharing.models import Disclosure, RecipientNotice, Referral
from sharing.tests.factories import recipient_notice
from statutory.models import StatutoryRequest

from .factories import StatutoryRequestFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def duplicate(team_a, caseworker):
    return client_services.client_create(actor=caseworker, team=team_a, first_name="Liv", last_name="Owens")


def test_every_related_row_follows_to_the_survivor_and_disclosures_stay(manager, caseworker, own_client, duplicate):
    consent = consent_with_evidence(client=duplicate, actor=caseworker)
    basis = LawfulBasisRecordFactory(client=duplicate, recorded_by=caseworker)
    notice = recipient_notice(client=duplicate, actor=caseworker)
    referral = notice.disclosure.referral
    request = StatutoryRequestFactory(client=duplicate, received_by=caseworker)

    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same NHS number")

    for model in (ConsentRecord, LawfulBasisRecord, ConsentEvidence, Referral, RecipientNotice, StatutoryRequest):
        assert not model.objects.filter(client=duplicate).exists(), model.__name__
    assert ConsentRecord.objects.get(pk=consent.pk).client == own_client
    assert LawfulBasisRecord.objects.get(pk=basis.pk).client == own_client
    assert Referral.objects.get(pk=referral.pk).client == own_client
    assert RecipientNotice.objects.get(pk=notice.pk).client == own_client
    assert StatutoryRequest.objects.get(pk=request.pk).client == own_client
    # The disclosure log is append-only: its row keeps the id it was written under.
    assert Disclosure.objects.get(pk=notice.disclosure_id).client == duplicate


def test_the_survivors_sharing_history_shows_the_merged_records_disclosures(
    login, manager, caseworker, own_client, duplicate
):
    notice = recipient_notice(client=duplicate, actor=caseworker)
    merge.client_merge(actor=manager, survivor=own_client, duplicate=duplicate, reason="Same person")

    response = login(caseworker).get(reverse("sharing:history", args=[own_client.pk]))

    assert response.status_code == 200
    assert notice.disclosure.reference in response.content.decode()
