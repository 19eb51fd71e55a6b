"""Invisible control characters are neutralised, long text is refused with a clear message,
and dates that cannot be true are refused."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from clients import services
from clients.models import CaseNote
from clients.text import neutralise

RLO, ZWSP, BOM = "\u202e", "\u200b", "\ufeff"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_direction_overrides_and_zero_width_characters_are_removed():
    assert neutralise(f"CL-{RLO}ABC123") == "CL-ABC123"
    assert neutralise(f"{BOM}Ann{ZWSP}a\u2066 Lee\u2069") == "Anna Lee"


def test_single_line_values_lose_line_breaks_and_multiline_text_keeps_them():
    assert neutralise("Ann\nLee\t") == "Ann Lee"
    assert neutralise("Line one\r\nLine two", multiline=True) == "Line one\nLine two"


@given(st.text())
def test_neutralised_text_has_no_control_or_format_characters(text):
    import unicodedata

    assert all(unicodedata.category(char) not in {"Cc", "Cf"} for char in neutralise(text))


def test_names_and_references_of_a_new_client_are_neutralised(caseworker, team_a):
    client = services.client_create(
        actor=caseworker, team=team_a, first_name=f"Ol{RLO}ivia", last_name=f"Owens{ZWSP}", reference=f"CL-{RLO}X1"
    )

    assert (client.first_name, client.last_name, client.reference) == ("Olivia", "Owens", "CL-X1")


@pytest.mark.parametrize(
    ("born", "message"),
    [(datetime.date(1899, 12, 31), "before 1900"), (datetime.date.today() + datetime.timedelta(days=2), "future")],
)
def test_a_date_of_birth_that_cannot_be_true_is_refused(caseworker, team_a, born, message):
    with pytest.raises(ValidationError) as error:
        services.client_create(actor=caseworker, team=team_a, first_name="A", last_name="B", date_of_birth=born)
    assert message in error.value.message_dict["date_of_birth"][0]


def test_the_details_form_refuses_a_birth_year_before_1900_beside_the_field(login, caseworker, own_client):
    response = login(caseworker).post(
        reverse("clients:details_edit", args=[own_client.pk]),
        {"first_name": "Olivia", "last_name": "Owens", "date_of_birth": "1066-10-14"},
    )

    assert response.status_code == 200
    assert "before 1900" in response.context["form"].errors["date_of_birth"][0]


def test_an_over_long_note_is_refused_beside_the_field(login, caseworker, own_client, settings):
    settings.CASE_TEXT_MAX_CHARS = 1_000

    response = login(caseworker).post(
        reverse("clients:note_add", args=[own_client.pk]), {"category": "finances", "text": "x" * 1_001}
    )

    assert response.status_code == 200
    assert "1000 characters or fewer: it has 1001" in response.context["form"].errors["text"][0]
    assert not CaseNote.objects.exists()


def test_the_note_service_refuses_over_long_text_too(caseworker, own_client, settings):
    settings.CASE_TEXT_MAX_CHARS = 50

    with pytest.raises(ValidationError) as error:
        services.note_create(actor=caseworker, client=own_client, category="finances", text="y" * 51)
    assert "keep it to 50" in error.value.message_dict["text"][0]
