"""NHS and National Insurance numbers are validated and stored in one form wherever they come in."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from clients import services
from clients.duplicates import possible_duplicates
from clients.identifiers import nhs_check_digit_valid, nhs_number_problem, ni_number_problem, normalise_identifier
from clients.models import Client


def _with_check_digit(nine: str) -> str | None:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return None if check == 10 else f"{nine}{check}"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_an_nhs_number_is_valid_exactly_when_its_last_digit_is_the_modulus_11_check(nine):
    valid = _with_check_digit(nine)
    for last in "0123456789":
        assert nhs_check_digit_valid(nine + last) == (valid == nine + last)


def test_known_nhs_numbers():
    assert nhs_number_problem("9434765919") == ""
    assert "check digit" in nhs_number_problem("1234567890")
    assert "10 digits" in nhs_number_problem("94347659")


@pytest.mark.parametrize("prefix", ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ", "DA", "FA", "IA", "QA", "UA", "VA", "AO"])
def test_unallocated_or_impossible_ni_prefixes_are_refused(prefix):
    assert ni_number_problem(f"{prefix}123456A")


@given(
    st.sampled_from("ABCEGHJKLMNPRSTWXYZ"),
    st.sampled_from("ABCEGHJKLMNPRSTWXYZ"),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.sampled_from("ABCDEFZ"),
)
def test_an_ni_number_needs_an_allocated_prefix_six_digits_and_suffix_a_to_d(first, second, digits, suffix):
    number = f"{first}{second}{digits}{suffix}"
    expected_valid = f"{first}{second}" not in {"GB", "NK", "KN", "TN", "NT", "ZZ", "BG"} and suffix in "ABCD"
    assert (ni_number_problem(number) == "") == expected_valid
    assert ni_number_problem("XX999999Z")


def test_normalising_removes_spaces_and_hyphens_and_upper_cases():
    assert normalise_identifier(" ab 12-34 56 c ") == "AB123456C"
    assert normalise_identifier("943 476 5919") == "9434765919"


def test_the_client_form_refuses_invalid_numbers_beside_the_fields(login, caseworker, team_a):
    response = login(caseworker).post(
        reverse("clients:create"),
        {
            "team": team_a.pk,
            "first_name": "Nia",
            "last_name": "Jones",
            "nhs_number": "1234567890",
            "national_insurance_number": "XX999999Z",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "check digit" in form.errors["nhs_number"][0]
    assert form.errors["national_insurance_number"]
    assert not Client.objects.filter(last_name="Jones").exists()


def test_the_client_form_stores_numbers_normalised(login, caseworker, team_a):
    login(caseworker).post(
        reverse("clients:create"),
        {
            "team": team_a.pk,
            "first_name": "Nia",
            "last_name": "Jones",
            "nhs_number": "943 476 5919",
            "national_insurance_number": "ab 12 34 56 c",
        },
    )
    client = Client.objects.get(last_name="Jones")
    assert (client.nhs_number, client.national_insurance_number) == ("9434765919", "AB123456C")


def test_the_service_refuses_invalid_numbers(caseworker, team_a):
    with pytest.raises(ValidationError) as error:
        services.client_create(actor=caseworker, team=team_a, first_name="A", last_name="B", nhs_number="1234567890")
    assert "nhs_number" in error.value.message_dict


def test_a_number_stored_before_the_rule_does_not_block_other_edits(caseworker, own_client):
    Client.objects.filter(pk=own_client.pk).update(nhs_number="123 456 7890")
    own_client.refresh_from_db()
    services.client_update(actor=caseworker, client=own_client, phone="07700 900111")
    own_client.refresh_from_db()
    assert own_client.phone == "07700 900111"


def test_a_legacy_number_with_spaces_still_matches_the_duplicate_check(own_client):
    Client.objects.filter(pk=own_client.pk).update(nhs_number="943 476 5919")
    [match] = possible_duplicates(first_name="X", last_name="Y", nhs_number="9434765919")
    assert match.client.pk == own_client.pk
