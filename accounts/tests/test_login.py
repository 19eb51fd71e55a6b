import pytest
from django.contrib.auth import SESSION_KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import ActiveSession, SecurityEvent
from accounts.tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"
Kind = SecurityEvent.Kind


def test_it_shows_the_login_form_with_labelled_fields(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'<label for="id_username">Username</label>' in response.content
    assert b'<label for="id_password">Password</label>' in response.content
    assert b"Forgotten your password?" in response.content


def test_it_signs_a_caseworker_in_and_sends_them_to_the_dashboard(client, caseworker):
    response = client.post(LOGIN, {"username": "casey", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    active = ActiveSession.objects.get(user=caseworker)
    assert active.session_key == client.session.session_key
    assert active.ip_address == "10.1.1.1"
    assert SecurityEvent.objects.filter(kind=Kind.LOGIN, user=caseworker, ip_address="10.1.1.1").count() == 1


def test_it_says_clearly_when_the_password_is_wrong(client, caseworker):
    response = client.post(LOGIN, {"username": "casey", "password": "not it"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    content = response.content.decode()
    assert "There is a problem" in content
    assert "The username or password is not right" in content
    assert "After 5 wrong attempts" in content
    event = SecurityEvent.objects.get(kind=Kind.LOGIN_FAILED)
    assert event.user == caseworker
    assert event.username == "casey"


def test_an_unknown_username_gets_the_same_message_as_a_wrong_password(client, caseworker):
    wrong_password = client.post(LOGIN, {"username": "casey", "password": "not it"}).content.decode()
    unknown = client.post(LOGIN, {"username": "nobody", "password": "not it"}).content.decode()
    message = "The username or password is not right"
    assert message in wrong_password
    assert message in unknown
    assert SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED, user=None, username="nobody").exists()


def test_a_switched_off_account_cannot_sign_in(client, db):
    UserFactory(username="gone", is_active=False)
    response = client.post(LOGIN, {"username": "gone", "password": PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_it_goes_on_to_the_page_asked_for(client, caseworker):
    response = client.post(LOGIN, {"username": "casey", "password": PASSWORD, "next": "/accounts/two-factor/"})
    assert response["Location"] == "/accounts/two-factor/"


def test_it_ignores_a_next_address_on_another_site(client, caseworker):
    response = client.post(LOGIN, {"username": "casey", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": "casey"},
        {"password": PASSWORD},
        {"username": "", "password": ""},
        {"username": "casey\x00", "password": PASSWORD},
        {"username": "x" * 5000, "password": "y" * 5000},
        {"username": ["casey", "olly"], "password": [PASSWORD, "z"]},
        {"username": "casey", "password": PASSWORD, "next": "javascript:alert(1)"},
    ],
)
def test_malformed_login_posts_get_form_errors_not_a_500(client, caseworker, data):
    response = client.post(LOGIN, data)
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response["Location"] == "/"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(["username", "password", "next", "other"]), st.text(max_size=300)))
def test_any_login_post_gets_an_answer_not_a_500(client, caseworker, data):
    response = client.post(LOGIN, data, REMOTE_ADDR="10.9.9.9")
    assert response.status_code in {200, 302, 429}


def test_signing_out_ends_the_session_and_records_it(client, login, caseworker):
    login(caseworker)
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "You have signed out." in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not ActiveSession.objects.filter(user=caseworker).exists()
    assert SecurityEvent.objects.filter(kind=Kind.LOGOUT, user=caseworker).count() == 1


def test_signing_out_needs_a_post(client, login, caseworker):
    login(caseworker)
    assert client.get("/accounts/logout/").status_code == 405
    assert SESSION_KEY in client.session


def test_signing_out_without_a_session_just_shows_the_login_page(client, db):
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not SecurityEvent.objects.exists()


def test_a_very_long_user_agent_does_not_break_signing_in(client, caseworker):
    response = client.post(LOGIN, {"username": "casey", "password": "wrong"}, HTTP_USER_AGENT="M" * 5000)
    assert response.status_code == 200
    response = client.post(LOGIN, {"username": "casey", "password": PASSWORD}, HTTP_USER_AGENT="M" * 5000)
    assert response.status_code == 302
