import csv
import datetime
import io

from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from breaches import services
from breaches.documents import register_rows
from breaches.models import BreachReport

ICO_SECTIONS = [
    "1. Report type",
    "2. About the breach",
    "3. Personal data placed at risk",
    "4. About the people affected",
    "5. Potential consequences",
    "6. Containment and recovery",
    "7. Telling the people affected and other organisations",
    "8. Cyber incident",
    "9. About you",
    "10. Reference",
]


def handled_breach(caseworker, manager, clients):
    breach = services.breach_report(
        actor=caseworker,
        what_happened="A notebook with visit notes was left on the number 42 bus.",
        became_aware_at=timezone.now() - datetime.timedelta(hours=5),
        categories=["identity", "mental_health", "offending_history"],
        clients=clients,
    )
    services.breach_triage(
        actor=manager,
        breach=breach,
        what_happened=breach.what_happened,
        how_discovered="The caseworker noticed at the office.",
        became_aware_at=breach.became_aware_at,
        occurred_at=None,
        occurred_note="Monday afternoon",
        categories=breach.categories,
        people_affected_approx=4,
        records_affected_approx=11,
        people_categories=["clients", "vulnerable_adults"],
        cyber_incident=False,
        cyber_details="",
        containment="Bus company lost property contacted twice.",
        client_references=" ".join(c.reference for c in clients),
        team=breach.team,
    )
    services.breach_assess(
        actor=manager,
        breach=breach,
        likely_consequences="Distress; a client's whereabouts could become known.",
        likelihood="possible",
        severity="severe",
        risk_reasoning="Unencrypted handwritten notes.",
        staff_involved=[caseworker],
    )
    services.breach_decide(
        actor=manager,
        breach=breach,
        notify_ico="notify",
        decision_reasons="High risk to vulnerable adults.",
        subjects_informed="told",
        subjects_informed_at=timezone.now(),
        subjects_informed_how="In person by their key workers.",
    )
    services.breach_record_notification(
        actor=manager, breach=breach, kind="initial", notified_at=timezone.now(), reference="IC-555111"
    )
    return BreachReport.objects.get(pk=breach.pk)


def pdf_text(content: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())  # lines wrap anywhere in a table cell


def test_the_ico_report_follows_the_ico_form_and_names_nobody_affected(
    login, caseworker, manager, team_a, make_client, fresh_heartbeat
):
    clients = [
        make_client(actor=caseworker, team=team_a, first_name="Annabel", last_name="Lee"),
        make_client(actor=caseworker, team=team_a, first_name="Barnaby", last_name="Rudge"),
    ]
    breach = handled_breach(caseworker, manager, clients)

    response = login(manager).get(reverse("breaches:ico_report", args=[breach.pk]))

    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for section in ICO_SECTIONS:
        assert section in text
    assert "Mental health (special category)" in text
    assert "Offending history (criminal offence data)" in text
    assert "IC-555111" in text
    assert "Staff member 1" in text
    for client in clients:
        assert client.first_name not in text
        assert client.last_name not in text
        assert client.reference not in text
    assert str(caseworker) not in text  # staff involved appear by number only


def test_the_register_export_has_a_row_per_breach_and_no_client_names(login, caseworker, manager, team_a, make_client):
    client = make_client(actor=caseworker, team=team_a, first_name="Annabel", last_name="Lee")
    handled_breach(caseworker, manager, [client])

    response = login(manager).get(reverse("breaches:export"))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, row = rows
    record = dict(zip(header, row, strict=True))
    assert record["ICO references"] == "IC-555111"
    assert record["Clients linked"] == "1"
    assert record["Risk"] == "High risk"
    assert record["Notified late"] == "no"
    assert "Annabel" not in response.content.decode()
    assert client.reference not in response.content.decode()


def test_the_register_header_comes_first_even_when_it_is_empty():
    (header,) = register_rows([])
    assert header[0] == "Reference"
