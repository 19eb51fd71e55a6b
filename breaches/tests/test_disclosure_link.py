"""A breach report started from a disclosure in the sharing history: pre-filled, and linked."""

from django.urls import reverse
from django.utils.html import escape

from breaches.models import BreachReport
from clients.categories import Selection
from consent.tests.factories import ConsentRecordFactory
from sharing import services as sharing_services
from sharing.tests.factories import (
    DataSharingAgreementFactory,
    ReferralFactory,
    SubstanceUseServiceFactory,
    purpose,
)

from .test_views import report_data


def sent_disclosure(client, actor):
    partner = SubstanceUseServiceFactory()
    su = purpose("referral-substance-use")
    selection = Selection({"identity": "summary", "substance_use": "summary"}).to_json()
    ConsentRecordFactory(client=client, partners=[partner], purposes=[su], selection=selection, recorded_by=actor)
    DataSharingAgreementFactory(partner=partner, selection=selection, purposes=[su])
    referral = ReferralFactory(
        client=client,
        partner=partner,
        purpose=su,
        selection=selection,
        reasons={"substance_use": "To plan treatment."},
        created_by=actor,
    )
    return sharing_services.referral_send(actor=actor, referral=referral).disclosure


def test_report_a_breach_about_a_disclosure_prefills_the_disclosure_client_and_recipient(
    login, caseworker, team_a, make_client
):
    client = make_client(actor=caseworker, team=team_a, first_name="Mine")
    disclosure = sent_disclosure(client, caseworker)
    test_client = login(caseworker)

    page = test_client.get(reverse("sharing:disclosure", args=[client.pk, disclosure.pk]))
    link = page.context["breach_url"]
    assert escape(link) in page.content.decode()
    response = test_client.get(link)

    form = response.context["form"]
    assert form.initial["disclosures"] == [disclosure.pk]
    assert form.initial["clients"] == [str(client.pk)]
    assert form.initial["categories"] == ["identity", "substance_use"]
    assert "Northside Drug and Alcohol Service" in form.initial["what_happened"]
    assert disclosure.reference in response.content.decode()


def test_the_report_is_linked_to_the_disclosure(login, caseworker, team_a, make_client):
    client = make_client(actor=caseworker, team=team_a, first_name="Mine")
    disclosure = sent_disclosure(client, caseworker)

    response = login(caseworker).post(
        reverse("breaches:report"),
        report_data(
            what_happened="The referral went to the wrong service.",
            clients=[client.pk],
            disclosures=[disclosure.pk],
        ),
    )

    assert response.status_code == 302
    breach = BreachReport.objects.get()
    assert list(breach.disclosures.all()) == [disclosure]
    assert list(disclosure.breach_reports.all()) == [breach]


def test_a_disclosure_about_a_client_the_reporter_cannot_see_is_not_linked(
    login, caseworker, other_caseworker, team_a, team_b, make_client
):
    theirs = make_client(actor=other_caseworker, team=team_b, first_name="Hidden")
    disclosure = sent_disclosure(theirs, other_caseworker)
    make_client(actor=caseworker, team=team_a, first_name="Mine")
    test_client = login(caseworker)

    page = test_client.get(reverse("breaches:report") + f"?disclosure={disclosure.pk}")
    test_client.post(reverse("breaches:report"), report_data(disclosures=[disclosure.pk]))

    assert "disclosures" not in page.context["form"].fields
    assert disclosure.reference not in page.content.decode()
    assert not BreachReport.objects.get().disclosures.exists()


def test_the_breach_page_lists_its_disclosures(login, caseworker, manager, team_a, make_client, fresh_heartbeat):
    client = make_client(actor=caseworker, team=team_a, first_name="Mine")
    disclosure = sent_disclosure(client, caseworker)
    login(caseworker).post(reverse("breaches:report"), report_data(clients=[client.pk], disclosures=[disclosure.pk]))
    breach = BreachReport.objects.get()

    response = login(manager).get(reverse("breaches:detail", args=[breach.pk]))

    body = response.content.decode()
    assert reverse("sharing:disclosure", args=[client.pk, disclosure.pk]) in body
    assert "referral to Northside Drug and Alcohol Service" in body
