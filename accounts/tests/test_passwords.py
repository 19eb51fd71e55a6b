"""Password reset by e-mail and password change."""

import re

from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from accounts.models import ActiveSession, SecurityEvent
from accounts.tests.factories import PASSWORD

RESET = "/accounts/password/reset/"
NEW = "a fresh long passphrase"
Kind = SecurityEvent.Kind


def test_it_e_mails_a_plain_text_reset_link(client, caseworker):
    response = client.post(RESET, {"email": "casey@example.org"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["casey@example.org"]
    assert message.subject == "Reset your casework password"
    assert message.alternatives == []
    assert "Your username is: casey" in message.body
    assert re.search(r"http://testserver/accounts/password/reset/[^/]+/[^/]+/", message.body)
    assert "<" not in message.body


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client, caseworker):
    known = client.post(RESET, {"email": "casey@example.org"}, follow=True)
    mail.outbox.clear()
    unknown = client.post(RESET, {"email": "nobody@example.org"}, follow=True)
    assert mail.outbox == []
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.content == known.content
    assert "If that address belongs to an account here" in unknown.content.decode()


def test_a_malformed_address_gets_an_error_beside_the_field(client, db):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()


def test_the_link_sets_a_new_password_and_ends_the_old_session(client, caseworker):
    old_browser = Client()
    old_browser.post("/accounts/login/", {"username": "casey", "password": PASSWORD})
    client.post(RESET, {"email": "casey@example.org"})
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert response["Location"] == "/accounts/password/reset/done/"

    caseworker.refresh_from_db()
    assert caseworker.check_password(NEW)
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_RESET, user=caseworker).exists()
    assert not ActiveSession.objects.filter(user=caseworker).exists()
    assert old_browser.get("/").status_code == 302
    # Reset does not sign anyone in: the next login still goes through 2FA where required.
    assert SESSION_KEY not in client.session


def test_a_used_or_broken_link_says_so(client, db):
    response = client.get("/accounts/password/reset/MQ/not-a-token/")
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


def test_a_weak_new_password_is_refused_beside_the_field(client, login, caseworker):
    login(caseworker)
    response = client.post(
        "/accounts/password/change/", {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 200
    assert 'id="id_new_password2_error"' in response.content.decode()
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)


def test_a_wrong_current_password_is_refused(client, login, caseworker):
    login(caseworker)
    response = client.post(
        "/accounts/password/change/", {"old_password": "nope", "new_password1": NEW, "new_password2": NEW}
    )
    assert 'id="id_old_password_error"' in response.content.decode()
