"""A partner's registered secure address: free webmail is refused unless an admin records why,
the domain lists are settings, and a change is in the history and e-mailed to the ISO."""

import pytest
from django.core import mail
from django.urls import reverse

from consent.models import Partner
from consent.services import partner_address_kind
from deadlines.models import OutboxEmail

from .factories import PartnerFactory


def partner_data(**overrides):
    data = {
        "name": "Safe Haven",
        "kind": Partner.Kind.DOMESTIC_ABUSE,
        "secure_email": "referrals@safehaven.nhs.net",
        "webmail_reason": "",
        "phone": "",
        "address": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_an_admin_cannot_register_a_free_webmail_address_without_saying_why(admin_user, login):
    browser = login(admin_user)

    response = browser.post(reverse("admin:consent_partner_add"), partner_data(secure_email="safehaven@gmail.com"))

    assert response.status_code == 200
    assert "gmail.com is a free webmail service, not a secure address" in response.content.decode()
    assert not Partner.objects.exists()


def test_a_recorded_reason_lets_a_webmail_address_through(admin_user, login):
    browser = login(admin_user)

    response = browser.post(
        reverse("admin:consent_partner_add"),
        partner_data(
            secure_email="safehaven@gmail.com",
            webmail_reason="Volunteer-run group with no organisational mail; agreed by the ISO on 3 May.",
        ),
    )

    assert response.status_code == 302
    assert Partner.objects.get().secure_email == "safehaven@gmail.com"


def test_changing_the_address_is_in_the_history_and_emailed_to_the_iso(admin_user, iso, login, outbox_sent):
    partner = PartnerFactory(name="Safe Haven", secure_email="referrals@safehaven.nhs.net")
    browser = login(admin_user)

    with outbox_sent():
        response = browser.post(
            reverse("admin:consent_partner_change", args=[partner.pk]),
            partner_data(secure_email="new-referrals@safehaven.org.uk"),
        )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [iso.email]
    assert "referrals@safehaven.nhs.net" in message.body
    assert "new-referrals@safehaven.org.uk" in message.body
    assert "not in a recognised secure domain" in message.body
    # Through the outbox: claimed before it was sent, at most once, its outcome recorded.
    assert OutboxEmail.objects.get(recipients=iso.email).status == OutboxEmail.Status.SENT
    latest = partner.history.latest()
    assert latest.history_user == admin_user
    assert latest.history_change_reason == (
        "Secure address changed from referrals@safehaven.nhs.net to new-referrals@safehaven.org.uk"
    )


def test_saving_a_partner_without_changing_its_address_emails_nobody(
    admin_user, iso, login, django_capture_on_commit_callbacks
):
    partner = PartnerFactory(name="Safe Haven", secure_email="referrals@safehaven.nhs.net")

    with django_capture_on_commit_callbacks(execute=True):
        login(admin_user).post(
            reverse("admin:consent_partner_change", args=[partner.pk]), partner_data(phone="0161 496 0001")
        )

    assert mail.outbox == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("a@nhs.net", "secure"),
        ("a@leeds.gov.uk", "secure"),
        ("a@GMAIL.com", "webmail"),
        ("a@mail.gmail.com", "webmail"),
        ("a@notgmail.com", "other"),
        ("a@charity.org.uk", "other"),
    ],
)
def test_the_domain_lists_decide_the_kind_of_address(address, kind):
    assert partner_address_kind(address) == kind


def test_the_domain_lists_are_configuration(settings):
    settings.SECURE_EMAIL_REFUSED_DOMAINS = ["example-webmail.org"]
    settings.SECURE_EMAIL_RECOGNISED_DOMAINS = ["securemail.example"]

    assert partner_address_kind("a@example-webmail.org") == "webmail"
    assert partner_address_kind("a@gmail.com") == "other"
    assert partner_address_kind("a@x.securemail.example") == "secure"
