"""Factories for police and statutory requests (kept apart from factories.py, which the referral tests own)."""

import datetime as dt

import factory
from django.utils import timezone

from clients.categories import Selection
from consent.models import Purpose
from statutory.models import StatutoryRequest


def statutory_purpose() -> Purpose:
    """The statutory-request purpose (migration 0003); made again if a transactional test's flush removed it."""
    from statutory.selectors import STATUTORY_PURPOSE, STATUTORY_PURPOSE_DEFAULTS

    return Purpose.objects.get_or_create(key=STATUTORY_PURPOSE, defaults=STATUTORY_PURPOSE_DEFAULTS)[0]


class StatutoryRequestFactory(factory.django.DjangoModelFactory):
    """An open emergency request from the police to locate a victim. Pass client= and received_by=."""

    class Meta:
        model = StatutoryRequest

    reference = factory.Sequence(lambda n: f"SR-TEST-{n:04d}")
    client = None
    body = StatutoryRequest.Body.POLICE
    body_name = "Greater Manchester Police"
    requester_name = "Sam Patel"
    requester_rank = "Detective Constable"
    requester_number = "4471"
    requester_contact = "0161 496 0999, sam.patel@gmp.police.uk"
    verification = StatutoryRequest.Verification.CALL_BACK
    received_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    received_by = None
    channel = StatutoryRequest.Channel.IN_PERSON
    logged_at = factory.LazyFunction(timezone.now)
    asked_selection = factory.LazyFunction(lambda: Selection({"identity": "summary", "contact": "detail"}).to_json())
    asked_text = "Where she is staying: her sister reported her missing after threats from a former partner."
    basis = StatutoryRequest.Basis.EMERGENCY
    emergency_kind = StatutoryRequest.EmergencyKind.LOCATE_VICTIM
    emergency_urgency = "Threats to kill made last night; she has not been seen since."
    scope = factory.LazyFunction(lambda: Selection({"identity": "summary", "contact": "detail"}).to_json())
    why_needed = "To find her and check she is safe."
    why_not_otherwise = "Her phone is off and she is not at her last known address."
    prejudice = StatutoryRequest.Prejudice.NO


def emergency_disclosed_request(*, client, caseworker) -> StatutoryRequest:
    """An emergency request a caseworker answered under the emergency exception (awaiting review)."""
    from statutory import services as services_statutory

    request = StatutoryRequestFactory(client=client, received_by=caseworker)
    return services_statutory.statutory_emergency_disclose(
        actor=caseworker,
        statutory_request=request,
        selection=Selection({"identity": "summary"}),
        reasons={},
        life_at_risk="Threats to kill; she has not been seen since last night.",
        managers_tried="Called both service managers and the ISO at 02:10; no answer.",
    )


def decided_request(*, client, logged_by, decided_by) -> StatutoryRequest:
    """An emergency request disclosed in full by a manager or the ISO."""
    from statutory import services as services_statutory

    request = StatutoryRequestFactory(client=client, received_by=logged_by)
    return services_statutory.statutory_request_decide(
        actor=decided_by,
        statutory_request=request,
        outcome=StatutoryRequest.Outcome.DISCLOSED_FULL,
        decision_reasons="Life at risk: her address is what finds her.",
        client_told=False,
        client_not_told_reason="Telling her now could alert the former partner.",
    )


def court_order_request(*, client, actor, scope=None) -> StatutoryRequest:
    """A production order logged through the service, with a copy uploaded (places a legal hold)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from consent.evidence import check_upload
    from consent.tests.factories import PDF_BYTES
    from statutory import services as services_statutory

    return services_statutory.statutory_request_log(
        actor=actor,
        client=client,
        body=StatutoryRequest.Body.POLICE,
        body_name="Greater Manchester Police",
        requester_name="Sam Patel",
        requester_rank="Detective Constable",
        requester_number="4471",
        requester_contact="0161 496 0999",
        verification=StatutoryRequest.Verification.ID_SEEN,
        received_at=timezone.now() - dt.timedelta(minutes=30),
        channel=StatutoryRequest.Channel.IN_PERSON,
        asked_text="Her housing history and support needs since January.",
        asked_selection=Selection({"identity": "summary", "housing_history": "detail", "support_needs": "detail"}),
        basis=StatutoryRequest.Basis.COURT_ORDER,
        order_kind=StatutoryRequest.OrderKind.PRODUCTION_ORDER,
        order_reference="PO-2026-118",
        order_court="Manchester Crown Court",
        order_date=timezone.localdate() - dt.timedelta(days=2),
        scope=scope or Selection({"identity": "summary", "housing_history": "detail", "support_needs": "detail"}),
        order_copy=check_upload(SimpleUploadedFile("order.pdf", PDF_BYTES, content_type="application/pdf")),
        why_needed="An investigation into the landlord's conduct.",
        prejudice=StatutoryRequest.Prejudice.YES,
    )
