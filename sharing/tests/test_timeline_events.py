"""Consent and referrals put their key events on the client's timeline
(clients.services.timeline_record), in the same transaction as the work."""

from consent.models import ConsentRecord
from consent.services import consent_withdraw
from consent.tests.factories import consent_with_evidence
from sharing.tests.factories import sent_referral


def _events(client):
    return {event.kind: event for event in client.timeline_events.all()}


def test_recording_and_withdrawing_consent_are_on_the_timeline(caseworker, own_client):
    consent = consent_with_evidence(client=own_client, actor=caseworker)
    consent_withdraw(actor=caseworker, consent=consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    events = _events(own_client)

    recorded = events["consent_recorded"]
    assert (recorded.actor, recorded.category_keys, recorded.object_id) == (caseworker, ["housing_history"], consent.pk)
    assert recorded.at == consent.given_at
    assert events["consent_withdrawn"].category_keys == ["housing_history"]


def test_a_sent_referral_is_on_the_timeline_with_what_it_carried(manager, own_client):
    referral = sent_referral(client=own_client, actor=manager)

    event = _events(own_client)["referral_sent"]

    assert referral.reference in event.summary
    assert event.category_keys == ["identity"]
    assert event.object_type == "sharing.referral"
