"""The duplicate check behind "Add a client" (clients.duplicates) and its page."""

import datetime
import unicodedata

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.models import AccessEvent
from clients.duplicates import (
    NICKNAMES,
    candidate_query,
    fold,
    identifier_key,
    name_score,
    nhs_number_key,
    ni_number_key,
    possible_duplicates,
    surname_score,
)
from clients.models import Client
from clients.tests.factories import AssignmentFactory, ClientFactory

BORN = datetime.date(1980, 5, 17)
THRESHOLD = 85

# Plain names of 3-12 letters, as typed on the form.
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12)

ACCENTED = {"a": "á", "e": "é", "i": "ï", "o": "ö", "u": "ü", "c": "ç", "n": "ñ"}


def accented(name: str, data) -> str:
    """The name with some letters accented (in composed or decomposed form)."""
    out = []
    for char in name:
        if char in ACCENTED and data.draw(st.booleans()):
            accent = ACCENTED[char]
            out.append(unicodedata.normalize(data.draw(st.sampled_from(["NFC", "NFD"])), accent))
        else:
            out.append(char)
    return "".join(out)


def cased(name: str, data) -> str:
    return data.draw(st.sampled_from([name.upper(), name.lower(), name.title(), name.swapcase()]))


# Surnames long enough to be spelt two ways (Davis, Davies).
surnames = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=5, max_size=12)


def slipped(name: str, data) -> str:
    """The name spelt a little differently after its first three letters: a letter added,
    dropped or changed (Davis/Davies, Thomson/Thompson, Smith/Smyth)."""
    how = data.draw(st.sampled_from(["add", "drop", "change"]))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    if how == "add":
        at = data.draw(st.integers(min_value=3, max_value=len(name)))
        return name[:at] + letter + name[at:]
    at = data.draw(st.integers(min_value=3, max_value=len(name) - 1))
    return name[:at] + ("" if how == "drop" else letter) + name[at + 1 :]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Name scoring (no database) --------------------------------------------------------------


@given(first=names, last=names, data=st.data())
def test_a_name_matches_itself_whatever_the_case_and_accents(first, last, data):
    typed_first, typed_last = cased(accented(first, data), data), cased(accented(last, data), data)

    assert name_score(typed_first, typed_last, first, last) == 100


@given(first=names, last=names)
def test_a_name_matches_with_first_and_last_name_transposed(first, last):
    assert name_score(last, first, first, last) == 100


@given(full=st.sampled_from(sorted(NICKNAMES)), last=names, data=st.data())
def test_a_nickname_matches_the_full_name(full, last, data):
    nickname = data.draw(st.sampled_from(NICKNAMES[full]))
    swapped = data.draw(st.booleans())
    typed = (last, nickname.title()) if swapped else (nickname.upper(), last)

    assert name_score(*typed, full.title(), last) == 100


@given(full=st.sampled_from(sorted(NICKNAMES)), last=surnames, data=st.data())
def test_a_nickname_with_the_surname_spelt_a_little_differently_matches(full, last, data):
    nickname = data.draw(st.sampled_from([full, *NICKNAMES[full]]))
    typed_last = cased(accented(slipped(last, data), data), data)

    assert name_score(cased(nickname, data), typed_last, full.title(), last) >= THRESHOLD


def test_gill_davis_is_gillian_davies():
    assert name_score("Gill", "Davis", "Gillian", "Davies") >= THRESHOLD
    assert name_score("Davis", "Gill", "Gillian", "Davies") >= THRESHOLD
    assert name_score("Jill", "Davies", "Gillian", "Davis") >= THRESHOLD


def test_different_names_do_not_match():
    assert name_score("Maria", "Kowalska", "John", "Smith") < THRESHOLD
    assert name_score("Will", "Smith", "Wendy", "Smith") < THRESHOLD
    # The same first name with a different surname is not a spelling of it.
    assert name_score("John", "Smith", "John", "Smart") < THRESHOLD
    assert name_score("Gill", "Jones", "Gillian", "James") < THRESHOLD
    # A surname spelt alike does not make a different first name the same.
    assert name_score("Gareth", "Davis", "Gillian", "Davies") < THRESHOLD


@pytest.mark.parametrize(
    ("one", "other"), [("Davis", "Davies"), ("Smith", "Smyth"), ("Thomson", "Thompson"), ("MacDonald", "McDonald")]
)
def test_surnames_spelt_two_ways_score_above_the_threshold(one, other):
    assert surname_score(one, other) >= THRESHOLD


def test_fold_removes_case_accents_and_punctuation():
    assert fold("  O'Brien-ZOË  ") == "o brien zoe"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("943 476 5919", "9434765919"), ("943-476-5919", "943 476 5919"), ("ab 12 34 56 c", "AB123456C")],
)
def test_identifiers_compare_without_spaces_hyphens_or_case(typed, stored):
    assert identifier_key(typed) == identifier_key(stored)


# --- Candidates from the database -------------------------------------------------------------


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(first=names, last=names, days=st.integers(min_value=1, max_value=20000), data=st.data())
def test_no_name_match_across_different_dates_of_birth(first, last, days, data, team_a):
    Client.objects.all().delete()
    ClientFactory(team=team_a, first_name=first, last_name=last, date_of_birth=BORN)
    other_day = BORN + datetime.timedelta(days=days * data.draw(st.sampled_from([1, -1])))

    found = possible_duplicates(first_name=cased(first, data), last_name=last, date_of_birth=other_day)

    assert found == []


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(first=names, last=names, data=st.data())
def test_a_variant_of_the_name_with_the_same_date_of_birth_matches(first, last, data, team_a):
    Client.objects.all().delete()
    known = ClientFactory(team=team_a, first_name=first, last_name=last, date_of_birth=BORN)
    typed_first, typed_last = cased(accented(first, data), data), cased(accented(last, data), data)
    if data.draw(st.booleans()):
        typed_first, typed_last = typed_last, typed_first

    [match] = possible_duplicates(first_name=typed_first, last_name=typed_last, date_of_birth=BORN)

    assert match.client == known
    assert match.why == "similar name, same date of birth"


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    full=st.sampled_from(sorted(NICKNAMES)),
    last=surnames,
    days=st.integers(min_value=1, max_value=20000),
    data=st.data(),
)
def test_a_nickname_and_a_surname_spelt_differently_match_only_on_the_same_date_of_birth(
    full, last, days, data, team_a
):
    Client.objects.all().delete()
    known = ClientFactory(team=team_a, first_name=full.title(), last_name=last.title(), date_of_birth=BORN)
    nickname = data.draw(st.sampled_from(NICKNAMES[full]))
    typed = {"first_name": cased(nickname, data), "last_name": cased(slipped(last, data), data)}
    other_day = BORN + datetime.timedelta(days=days * data.draw(st.sampled_from([1, -1])))

    assert [match.client for match in possible_duplicates(**typed, date_of_birth=BORN)] == [known]
    assert possible_duplicates(**typed, date_of_birth=other_day) == []


def test_gill_davis_finds_gillian_davies_born_the_same_day_only(team_a):
    known = ClientFactory(team=team_a, first_name="Gillian", last_name="Davies", date_of_birth=BORN)
    ClientFactory(team=team_a, first_name="Gillian", last_name="Davies", date_of_birth=BORN.replace(year=1981))

    [match] = possible_duplicates(first_name="Gill", last_name="Davis", date_of_birth=BORN)

    assert match.client == known
    assert match.why == "similar name, same date of birth"


def test_the_same_nhs_number_matches_whatever_the_name_and_date_of_birth(team_a, team_b):
    known = ClientFactory(team=team_b, first_name="Jo", last_name="Bloggs", nhs_number="943 476 5919")

    [match] = possible_duplicates(first_name="Someone", last_name="Else", date_of_birth=BORN, nhs_number="9434765919")

    assert (match.client, match.why) == (known, "same NHS number")


def test_the_same_national_insurance_number_matches(team_a):
    known = ClientFactory(team=team_a, national_insurance_number="AB123456C")

    [match] = possible_duplicates(first_name="A", last_name="B", national_insurance_number="ab 12 34 56 c")

    assert (match.client, match.why) == (known, "same National Insurance number")


def test_a_different_nhs_number_does_not_match(team_a):
    ClientFactory(team=team_a, nhs_number="9434765919", date_of_birth=datetime.date(1990, 1, 1))

    assert possible_duplicates(first_name="A", last_name="B", nhs_number="9434765918") == []


def test_blank_details_match_nothing(team_a):
    ClientFactory(team=team_a, nhs_number="", national_insurance_number="", date_of_birth=None)

    assert possible_duplicates(first_name="A", last_name="B") == []


def test_a_preferred_name_matches_too(team_a):
    known = ClientFactory(
        team=team_a, first_name="Aleksandra", preferred_name="Ola", last_name="Nowak", date_of_birth=BORN
    )

    [match] = possible_duplicates(first_name="Ola", last_name="Nowak", date_of_birth=BORN)

    assert match.client == known


def test_candidates_cost_two_queries_however_many_match(team_a, django_assert_num_queries):
    for n in range(5):
        AssignmentFactory(client=ClientFactory(team=team_a, first_name="Sam", last_name=f"Lee{n}", date_of_birth=BORN))

    with django_assert_num_queries(2):
        found = possible_duplicates(first_name="Samuel", last_name="Lee", date_of_birth=BORN)
        [match.key_worker for match in found]

    assert found


# --- The "Add a client" page -----------------------------------------------------------------


@pytest.fixture
def known(team_b, other_caseworker):
    client = ClientFactory(
        team=team_b, first_name="William", last_name="Smith", date_of_birth=BORN, nhs_number="4857773457"
    )
    AssignmentFactory(client=client, caseworker=other_caseworker)
    return client


def form_data(team, **extra):
    return {"team": team.pk, "first_name": "bill", "last_name": "SMITH", "date_of_birth": "1980-05-17", **extra}


def test_adding_someone_already_known_shows_the_match_and_adds_nothing(login, caseworker, team_a, known):
    response = login(caseworker).post(reverse("clients:create"), form_data(team_a))

    assert response.status_code == 200
    assert Client.objects.count() == 1
    [match] = response.context["matches"]
    assert match.client == known
    page = response.content.decode()
    assert "This person may already be known" in page
    assert "William Smith" in page
    assert "1980" in page
    assert "Riverside Hostel" in page
    assert "Olly Other" in page
    assert reverse("clients:record", args=[known.pk]) in page
    # No more than "Find a client" shows: no date of birth, NHS number or reference.
    assert "17 May" not in page
    assert "4857773457" not in page
    assert known.reference not in page


def test_the_check_is_audited_once_as_a_search(login, caseworker, team_a, known):
    login(caseworker).post(reverse("clients:create"), form_data(team_a))

    [event] = AccessEvent.objects.all()
    assert (event.action, event.outcome, event.client) == ("search", "allowed", None)
    assert "duplicate check" in event.detail
    assert known.reference in event.detail


def test_a_different_person_needs_a_reason(login, caseworker, team_a, known):
    response = login(caseworker).post(reverse("clients:create"), form_data(team_a, confirm_different="1"))

    assert response.status_code == 200
    assert "reason" in response.context["different"].errors
    assert Client.objects.count() == 1


def test_a_different_person_with_a_reason_is_added_and_the_reason_recorded(login, caseworker, team_a, known):
    response = login(caseworker).post(
        reverse("clients:create"),
        form_data(team_a, confirm_different="1", **{"different-reason": "Different mother's name, checked."}),
    )

    client = Client.objects.exclude(pk=known.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:record", args=[client.pk])
    decision = AccessEvent.objects.get(client=client, purpose="added as a different person")
    assert decision.reason == "Different mother's name, checked."
    assert known.reference in decision.detail
    assert decision.actor == caseworker


def test_no_match_adds_the_client_at_once(login, caseworker, team_a, known):
    response = login(caseworker).post(reverse("clients:create"), form_data(team_a, date_of_birth="1980-05-18"))

    assert response.status_code == 302
    assert Client.objects.count() == 2
    assert AccessEvent.objects.filter(action="search", detail__contains="0 possible").exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's planner")
def test_candidates_come_from_the_indexes_not_a_scan(team_a):
    ClientFactory.create_batch(3, team=team_a)
    candidates = Client.objects.annotate(nhs_key=nhs_number_key(), ni_key=ni_number_key()).filter(
        Q(date_of_birth=BORN) | Q(nhs_key="4857773457") | Q(ni_key="AB123456C")
    )
    with connection.cursor() as cursor:
        # No sequential scan, and no walk of a whole index either (on a tiny table the planner
        # may read the name index end to end, depending on what earlier tests left behind):
        # the OR of the three conditions must be answerable from their own indexes.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = candidates.explain()

    assert "client_date_of_birth" in plan
    assert "client_nhs_key" in plan
    assert "client_ni_key" in plan


# --- Unknown dates of birth, swapped day and month, UK diminutives ---------------------------


def test_the_same_name_matches_when_no_date_of_birth_is_given(team_a, team_b):
    known = ClientFactory(team=team_b, first_name="Oliver", last_name="Fairweather", date_of_birth=BORN)

    [match] = possible_duplicates(first_name="oliver", last_name="FAIRWEATHER")

    assert match.client == known
    assert "not recorded" in match.why


def test_a_known_record_without_a_date_of_birth_matches_the_same_name(team_a):
    known = ClientFactory(team=team_a, first_name="Dana", last_name="Quill", date_of_birth=None)

    [match] = possible_duplicates(first_name="Dana", last_name="Quill", date_of_birth=BORN)

    assert match.client == known


def test_a_known_different_date_of_birth_is_still_a_different_person(team_a):
    ClientFactory(team=team_a, first_name="Dana", last_name="Quill", date_of_birth=datetime.date(1970, 1, 2))

    assert possible_duplicates(first_name="Dana", last_name="Quill", date_of_birth=BORN) == []


def test_day_and_month_swapped_is_a_possible_match(team_a):
    known = ClientFactory(team=team_a, first_name="Amir", last_name="Khan", date_of_birth=datetime.date(1995, 3, 10))

    [match] = possible_duplicates(first_name="Amir", last_name="Khan", date_of_birth=datetime.date(1995, 10, 3))

    assert match.client == known
    assert "swapped" in match.why


@pytest.mark.parametrize(("short", "full"), [("Olly", "Oliver"), ("Ollie", "Oliver"), ("Charlie", "Charlotte")])
def test_uk_diminutives_match_the_full_name_with_or_without_a_date_of_birth(team_a, short, full):
    known = ClientFactory(team=team_a, first_name=full, last_name="Brennan", date_of_birth=BORN)

    assert [m.client for m in possible_duplicates(first_name=short, last_name="Brennan", date_of_birth=BORN)] == [known]
    assert [m.client for m in possible_duplicates(first_name=short, last_name="Brennan")] == [known]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's planner")
def test_the_real_candidate_query_uses_only_indexes(team_a):
    Client.objects.bulk_create(
        ClientFactory.build(team=team_a, reference=f"BULK{n:05d}", date_of_birth=None, nhs_number=f"9{n:09d}")
        for n in range(3000)
    )
    candidates = candidate_query(
        first_name="Olly",
        last_name="Smith",
        date_of_birth=datetime.date(1995, 3, 10),
        nhs_number="943 476 5919",
        national_insurance_number="AB123456C",
    )
    with connection.cursor() as cursor:
        # With statistics the planner knows nearly every client is unmerged (as at 100,000).
        cursor.execute("ANALYZE clients_client")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = candidates.explain()

    assert "Seq Scan" not in plan
    for index in ("client_date_of_birth", "client_nhs_key", "client_ni_key", "client_name_key"):
        assert index in plan
