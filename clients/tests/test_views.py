import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccessEvent
from accounts.tests.factories import UserFactory
from clients import services
from clients.models import CaseNote, Client, InformationEntry
from clients.tests.factories import AssignmentFactory, CaseNoteFactory, ClientFactory, InformationEntryFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def last_event():
    return AccessEvent.objects.order_by("-id").first()


# --- My caseload ---------------------------------------------------------------------------


def test_caseload_lists_my_open_clients_only(
    login, caseworker, own_client, team_client, other_team_client, closed_client
):
    response = login(caseworker).get(reverse("clients:caseload"))

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [own_client]
    assert b"Tariq" not in response.content
    assert b"Bethan" not in response.content


def test_a_managers_caseload_is_their_teams_open_clients(login, manager, own_client, team_client, other_team_client):
    response = login(manager).get(reverse("clients:caseload"))

    assert set(response.context["page"].object_list) == {own_client, team_client}


def test_caseload_is_audited_once_as_a_list(login, caseworker, own_client):
    login(caseworker).get(reverse("clients:caseload"), {"q": "Owens", "sort": "-opened"})

    [event] = AccessEvent.objects.all()
    assert (event.action, event.client, event.outcome) == ("list", None, "allowed")
    assert "q='Owens'" in event.detail
    assert "sort=-opened" in event.detail


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Abbott", "Mills", "Zephyr"]),
        ("-name", ["Zephyr", "Mills", "Abbott"]),
        ("reference", ["Mills", "Zephyr", "Abbott"]),
        ("-opened", ["Abbott", "Zephyr", "Mills"]),
        ("nonsense", ["Abbott", "Mills", "Zephyr"]),
    ],
)
def test_caseload_sorts_by_name_reference_and_opening(login, caseworker, team_a, sort, expected):
    import datetime

    for last, ref, opened in [("Zephyr", "R2", 2), ("Abbott", "R3", 3), ("Mills", "R1", 1)]:
        services.client_create(
            actor=caseworker,
            team=team_a,
            first_name="Sam",
            last_name=last,
            reference=ref,
            opened_on=datetime.date(2026, 1, opened),
        )

    response = login(caseworker).get(reverse("clients:caseload"), {"sort": sort})

    assert [c.last_name for c in response.context["page"].object_list] == expected


def test_caseload_searches_by_name_or_reference(login, caseworker, team_a, own_client):
    services.client_create(actor=caseworker, team=team_a, first_name="Kim", last_name="Price", reference="REF-77")
    test_client = login(caseworker)

    by_name = test_client.get(reverse("clients:caseload"), {"q": "olivia owe"})
    by_reference = test_client.get(reverse("clients:caseload"), {"q": "ref-77"})

    assert [c.pk for c in by_name.context["page"].object_list] == [own_client.pk]
    assert [c.reference for c in by_reference.context["page"].object_list] == ["REF-77"]


def test_caseload_is_paginated(login, caseworker, team_a):
    for n in range(30):
        AssignmentFactory(client=ClientFactory(team=team_a, last_name=f"Person{n:02d}"), caseworker=caseworker)
    test_client = login(caseworker)

    first = test_client.get(reverse("clients:caseload"))
    second = test_client.get(reverse("clients:caseload"), {"page": 2})
    nonsense = test_client.get(reverse("clients:caseload"), {"page": "zzz"})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert nonsense.status_code == 200


def test_a_caseload_page_past_the_end_shows_the_last_page(login, caseworker, team_a):
    for n in range(30):
        AssignmentFactory(client=ClientFactory(team=team_a, last_name=f"Person{n:02d}"), caseworker=caseworker)

    response = login(caseworker).get(reverse("clients:caseload"), {"page": 99})

    page = response.context["page"]
    assert (page.number, page.paginator.count, page.paginator.num_pages) == (2, 30, 2)
    assert [client.last_name for client in page.object_list] == [f"Person{n:02d}" for n in range(25, 30)]
    assert "30 open cases" in response.content.decode()


def test_a_caseload_row_names_the_key_worker_and_links_to_the_record(login, manager, own_client, caseworker):
    response = login(manager).get(reverse("clients:caseload"))

    row = response.content.decode().split(reverse("clients:record", args=[own_client.pk]))[1].split("</tr>")[0]
    assert own_client.display_name in row
    assert str(caseworker) in row


def _caseload_queries(login, user):
    test_client = login(user)
    with CaptureQueriesContext(connection) as queries:
        response = test_client.get(reverse("clients:caseload"))
    assert response.status_code == 200
    return len(queries)


def test_caseload_queries_do_not_grow_with_the_caseload(login, caseworker, team_a, django_assert_num_queries):
    AssignmentFactory(client=ClientFactory(team=team_a), caseworker=caseworker)
    one = _caseload_queries(login, caseworker)
    for _ in range(19):
        AssignmentFactory(client=ClientFactory(team=team_a), caseworker=caseworker)

    test_client = login(caseworker)
    with django_assert_num_queries(one):
        response = test_client.get(reverse("clients:caseload"))
    assert len(response.context["page"].object_list) == 20
    # The session (with the live-session check), the person, the page with its total, and
    # the audit row (in a savepoint here, inside the test's transaction).
    assert one <= 6


# --- Is this person already known? ---------------------------------------------------------


def test_search_finds_people_in_every_team_showing_only_minimal_details(
    login, caseworker, other_team_client, other_caseworker
):
    import datetime

    services.client_update(
        actor=other_caseworker,
        client=other_team_client,
        phone="07700 900999",
        address="12 Quay Street",
        date_of_birth=datetime.date(1990, 2, 14),
        national_insurance_number="AB123456C",
    )
    services.entry_create(
        actor=other_caseworker, client=other_team_client, category="mental_health", summary="Psychosis history"
    )

    response = login(caseworker).get(reverse("clients:search"), {"q": "Bethan"})

    assert response.status_code == 200
    [row] = response.context["rows"]
    assert (row["name"], row["year_of_birth"], row["key_worker"]) == ("Bethan Brooks", 1990, other_caseworker)
    content = response.content.decode()
    assert "Riverside Hostel" in content
    for withheld in ("Psychosis", "07700 900999", "Quay Street", "AB123456C", "14 Feb", "OTHER-001"):
        assert withheld not in content


def test_search_shows_the_year_of_birth_never_the_date(login, caseworker, team_b):
    import datetime

    ClientFactory(team=team_b, first_name="Dora", last_name="Dates", date_of_birth=datetime.date(1984, 7, 19))

    response = login(caseworker).get(reverse("clients:search"), {"q": "Dora", "year_of_birth": "1984"})

    content = response.content.decode()
    assert "1984" in content
    assert "19 Jul" not in content
    assert "July" not in content


def test_search_is_audited_with_what_was_asked(login, caseworker):
    login(caseworker).get(reverse("clients:search"), {"q": "Smith", "year_of_birth": "1980"})

    event = last_event()
    assert (event.action, event.client) == ("search", None)
    assert event.detail == "search q='Smith' born=1980"


def test_search_without_a_query_shows_the_form_and_audits_nothing(login, caseworker):
    response = login(caseworker).get(reverse("clients:search"))

    assert response.status_code == 200
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize(
    "params", [{"q": "a"}, {"q": "Smith", "year_of_birth": "3000"}, {"q": "Smith", "year_of_birth": "x"}]
)
def test_search_rejects_bad_input_beside_the_field(login, caseworker, params):
    response = login(caseworker).get(reverse("clients:search"), params)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert b"There is a problem" in response.content
    assert not AccessEvent.objects.exists()


def test_search_caps_the_results(login, caseworker, team_b):
    for n in range(30):
        ClientFactory(team=team_b, first_name="Common", last_name=f"Name{n}")

    response = login(caseworker).get(reverse("clients:search"), {"q": "Common"})

    assert len(response.context["rows"]) == 25
    assert response.context["too_many"]


# --- The client record ---------------------------------------------------------------------


def test_information_page_shows_information_by_category_in_registry_order_with_special_category_marked(
    login, caseworker, own_client
):
    services.entry_create(
        actor=caseworker,
        client=own_client,
        category="domestic_abuse",
        summary="Has experienced domestic abuse; needs single-gender support",
        detail="Ex-partner assaulted her in 2024",
    )
    services.entry_create(actor=caseworker, client=own_client, category="housing_history", summary="Sofa surfing")
    services.entry_create(actor=caseworker, client=own_client, category="offending_history", summary="Shoplifting")

    response = login(caseworker).get(reverse("clients:information", args=[own_client.pk]))

    content = response.content.decode()
    assert content.index("Sofa surfing") < content.index("single-gender support")
    assert "Ex-partner assaulted her" in content
    da = content[content.index('id="heading-domestic_abuse"') :][:300]
    assert "Special category" in da
    offending = content[content.index('id="heading-offending_history"') :][:300]
    assert "Criminal-offence data" in offending


def test_information_page_lists_empty_categories_once_instead_of_a_section_each(login, caseworker, own_client):
    services.entry_create(actor=caseworker, client=own_client, category="housing_history", summary="Sofa surfing")

    content = login(caseworker).get(reverse("clients:information", args=[own_client.pk])).content.decode()

    assert 'id="heading-housing_history"' in content
    assert 'id="heading-identity"' in content
    assert 'id="heading-mental_health"' not in content
    assert "Nothing recorded." not in content
    empty = content[content.index('id="nothing-recorded"') :].split("</p>")[0]
    assert "mental health" in empty
    assert "housing history" not in empty


def test_the_record_starts_with_who_the_person_is_then_the_latest_events(login, caseworker, own_client):
    CaseNoteFactory(client=own_client, author=caseworker, text="Came to the drop-in today")

    content = login(caseworker).get(reverse("clients:record", args=[own_client.pk])).content.decode()

    assert content.index("<h1") < content.index("Date of birth") < content.index("Came to the drop-in today")
    assert "Support needs (1)" in content
    assert reverse("clients:information", args=[own_client.pk]) in content


def test_record_audits_the_opening_once(login, caseworker, own_client):
    login(caseworker).get(reverse("clients:record", args=[own_client.pk]))

    [event] = AccessEvent.objects.all()
    assert (event.action, event.client, event.outcome, event.break_glass) == ("view", own_client, "allowed", False)
    assert event.session_hash
    assert event.ip_address == "127.0.0.1"


def test_outside_the_caseload_the_record_asks_for_a_reason_and_shows_nothing(login, caseworker, other_team_client):
    response = login(caseworker).get(reverse("clients:record", args=[other_team_client.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:reason", args=[other_team_client.pk]))
    assert b"Bethan" not in response.content


def test_after_a_reason_the_record_opens_and_says_so(login, caseworker, other_team_client):
    test_client = login(caseworker)
    url = reverse("clients:record", args=[other_team_client.pk])
    test_client.post(
        reverse("access:reason", args=[other_team_client.pk]),
        {"category": "covering", "text": "Covering Olly's caseload this week", "next": url},
    )

    response = test_client.get(url)

    assert response.status_code == 200
    assert b"You opened this record with a reason" in response.content
    event = last_event()
    assert event.break_glass
    assert (event.reason_category, event.reason) == ("covering", "Covering Olly's caseload this week")


def _record_queries(login, user, client):
    test_client = login(user)
    with CaptureQueriesContext(connection) as queries:
        response = test_client.get(reverse("clients:record", args=[client.pk]))
    assert response.status_code == 200
    return len(queries)


def test_record_queries_do_not_grow_with_what_is_held(login, caseworker, own_client, django_assert_num_queries):
    InformationEntryFactory(client=own_client, recorded_by=caseworker)
    CaseNoteFactory(client=own_client, author=caseworker)
    one = _record_queries(login, caseworker, own_client)
    categories = ["identity", "mental_health", "domestic_abuse", "finances", "risk_to_staff"]
    for n in range(19):
        author = UserFactory()  # different people, so names must not be fetched one by one
        InformationEntryFactory(client=own_client, recorded_by=author, category=categories[n % 5])
        CaseNoteFactory(client=own_client, author=author, category=categories[n % 5])

    # An event on the first page too, as there was at the first count (the case opening).
    services.alert_raise(actor=caseworker, client=own_client, kind="other", text="Prefers afternoons")

    test_client = login(caseworker)
    with django_assert_num_queries(one):
        response = test_client.get(reverse("clients:record", args=[own_client.pk]))
    assert response.content.count(b"Met at the drop-in") == 19
    # The session, the person, the gate's check and audit row in one statement (in a
    # savepoint here, inside the test's transaction), the timeline, the overview.
    assert one <= 7


def test_information_page_queries_do_not_grow_with_what_is_held(
    login, caseworker, own_client, django_assert_num_queries
):
    InformationEntryFactory(client=own_client, recorded_by=caseworker)
    CaseNoteFactory(client=own_client, author=caseworker)
    test_client = login(caseworker)
    url = reverse("clients:information", args=[own_client.pk])
    with CaptureQueriesContext(connection) as one:
        test_client.get(url)
    categories = ["identity", "mental_health", "domestic_abuse", "finances", "risk_to_staff"]
    for n in range(19):
        author = UserFactory()
        InformationEntryFactory(client=own_client, recorded_by=author, category=categories[n % 5])
        CaseNoteFactory(client=own_client, author=author, category=categories[n % 5])

    with django_assert_num_queries(len(one)):
        response = test_client.get(url)
    assert response.content.count(b"Evicted from a private let") == 20


# --- Fail closed ---------------------------------------------------------------------------


@pytest.fixture
def broken_audit(monkeypatch):
    def refuse(**kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(AccessEvent.objects, "create", refuse)
    if connection.vendor == "postgresql":
        # A page read checks and writes its row in one statement (access.gate._open_at_once),
        # not through the ORM: the database refuses the row too (undone with the test's transaction).
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION refuse_audit_row() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_audit_row BEFORE INSERT ON access_accessevent "
                "FOR EACH ROW EXECUTE FUNCTION refuse_audit_row()"
            )


def test_the_record_shows_nothing_when_the_audit_cannot_be_written(login, caseworker, own_client, broken_audit):
    services.entry_create(actor=caseworker, client=own_client, category="mental_health", summary="Bipolar disorder")

    response = login(caseworker).get(reverse("clients:record", args=[own_client.pk]))

    assert response.status_code == 503
    content = response.content.decode()
    for secret in ("Olivia", "Owens", own_client.reference, "Bipolar"):
        assert secret not in content


def test_an_edit_is_not_saved_when_the_audit_cannot_be_written(login, caseworker, own_client, broken_audit):
    response = login(caseworker).post(
        reverse("clients:entry_add", args=[own_client.pk]),
        {"category": "finances", "summary": "Universal Credit", "detail": ""},
    )

    assert response.status_code == 503
    assert not InformationEntry.objects.exists()


def test_lists_show_nothing_when_the_audit_cannot_be_written(login, caseworker, own_client, broken_audit):
    test_client = login(caseworker)

    caseload = test_client.get(reverse("clients:caseload"))
    search = test_client.get(reverse("clients:search"), {"q": "Olivia"})

    assert caseload.status_code == search.status_code == 503
    assert b"Owens" not in caseload.content
    assert b"Owens" not in search.content


@pytest.mark.postgres
def test_a_database_level_audit_failure_also_shows_nothing(login, caseworker, own_client):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL triggers")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit disk full'; END $$"
            " LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON access_accessevent"
            " FOR EACH ROW EXECUTE FUNCTION refuse_audit()"
        )

    response = login(caseworker).get(reverse("clients:record", args=[own_client.pk]))

    assert response.status_code == 503
    assert b"Owens" not in response.content
    assert b"OWN-001" not in response.content


# --- Adding and changing information ------------------------------------------------------


def test_caseworker_adds_an_entry_and_it_is_audited_as_an_edit(login, caseworker, own_client):
    response = login(caseworker).post(
        reverse("clients:entry_add", args=[own_client.pk]),
        {"category": "domestic_abuse", "summary": "Has experienced domestic abuse", "detail": "The account"},
    )

    assert response.status_code == 302
    entry = InformationEntry.objects.get()
    assert (entry.client, entry.recorded_by, entry.category) == (own_client, caseworker, "domestic_abuse")
    event = last_event()
    assert (event.action, event.client) == ("edit", own_client)


def test_bad_entry_input_is_shown_beside_the_fields_and_nothing_is_saved(login, caseworker, own_client):
    response = login(caseworker).post(
        reverse("clients:entry_add", args=[own_client.pk]), {"category": "astrology", "summary": ""}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"category", "summary"}
    assert b"There is a problem" in response.content
    assert not InformationEntry.objects.exists()


def test_caseworker_changes_an_entry_but_not_its_category(login, caseworker, own_client):
    entry = InformationEntryFactory(client=own_client, recorded_by=caseworker, category="finances", summary="PIP")

    login(caseworker).post(
        reverse("clients:entry_edit", args=[own_client.pk, entry.pk]),
        {"category": "mental_health", "summary": "PIP awarded", "detail": ""},
    )

    entry.refresh_from_db()
    assert (entry.summary, entry.category) == ("PIP awarded", "finances")
    event = last_event()
    assert event.object_type == "clients.InformationEntry"
    assert event.object_id == str(entry.pk)
    assert event.categories == ["finances"]


def test_an_entry_of_another_client_is_not_found_through_this_one(login, caseworker, own_client, other_team_client):
    theirs = InformationEntryFactory(client=other_team_client, recorded_by=caseworker)

    response = login(caseworker).get(reverse("clients:entry_edit", args=[own_client.pk, theirs.pk]))

    assert response.status_code == 404
    assert last_event().outcome == "denied"


def test_caseworker_adds_and_changes_a_note(login, caseworker, own_client):
    test_client = login(caseworker)
    test_client.post(
        reverse("clients:note_add", args=[own_client.pk]),
        {"category": "support_needs", "text": "Wants help with a PIP form"},
    )
    note = CaseNote.objects.get()

    test_client.post(
        reverse("clients:note_edit", args=[own_client.pk, note.pk]),
        {"category": "finances", "text": "Wants help with a PIP form", "held_in_confidence": "on"},
    )

    note.refresh_from_db()
    assert (note.category, note.held_in_confidence, note.author) == ("finances", True, caseworker)


def test_caseworker_changes_contact_details(login, caseworker, own_client):
    response = login(caseworker).post(
        reverse("clients:details_edit", args=[own_client.pk]),
        {"first_name": "Olivia", "last_name": "Owens", "phone": "07700 900456", "email": "not-an-email"},
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors

    login(caseworker).post(
        reverse("clients:details_edit", args=[own_client.pk]),
        {"first_name": "Olivia", "last_name": "Owens", "phone": "07700 900456"},
    )
    own_client.refresh_from_db()
    assert own_client.phone == "07700 900456"


def test_changes_tab_lists_who_changed_what(login, caseworker, own_client):
    entry = services.entry_create(actor=caseworker, client=own_client, category="finances", summary="UC")
    services.entry_update(actor=caseworker, entry=entry, summary="UC and PIP")

    response = login(caseworker).get(reverse("clients:changes", args=[own_client.pk]))

    changes = response.context["changes"]
    assert any(c.what == "Finances and benefits information" and c.fields == ["Summary"] for c in changes)
    assert any(c.what.startswith("Assignment of") and c.kind == "added" for c in changes)


def test_changes_tab_shows_old_and_new_values_with_labels_and_names(login, caseworker, manager, own_client, team_b):
    services.client_update(actor=caseworker, client=own_client, phone="07700 900001")
    services.client_update(actor=caseworker, client=own_client, phone="07700 900002", preferred_name="Liv")
    note = services.note_create(actor=caseworker, client=own_client, category="finances", text="Debt advice")
    services.note_update(actor=caseworker, note=note, category="mental_health", text="Debt advice booked")

    response = login(caseworker).get(reverse("clients:changes", args=[own_client.pk]))

    changes = response.context["changes"]
    details = next(c for c in changes if c.what == "Client details" and "07700 900002" in str(c.values))
    assert {(v.label, v.old, v.new) for v in details.values} == {
        ("Phone", "07700 900001", "07700 900002"),
        ("Preferred name", "", "Liv"),
    }
    edited = next(c for c in changes if c.kind == "changed" and c.what.startswith("Case note"))
    assert ("Category", "Finances and benefits", "Mental health") in {(v.label, v.old, v.new) for v in edited.values}
    added = next(c for c in changes if c.kind == "added" and c.what.startswith("Case note"))
    assert ("Author", "", str(caseworker)) in {(v.label, v.old, v.new) for v in added.values}
    content = response.content.decode()
    assert "07700 900001" in content
    assert "Debt advice booked" in content


def test_changes_tab_queries_do_not_grow_with_the_history(login, caseworker, own_client, django_assert_num_queries):
    test_client = login(caseworker)
    url = reverse("clients:changes", args=[own_client.pk])
    with CaptureQueriesContext(connection) as one:
        test_client.get(url)
    for n in range(10):
        author = UserFactory()
        note = services.note_create(actor=author, client=own_client, category="finances", text=f"Note {n}")
        services.note_update(actor=author, note=note, category="finances", text=f"Note {n} again")
        services.alert_raise(actor=author, client=own_client, kind="other", text=f"Alert {n}")

    with django_assert_num_queries(len(one)):
        response = test_client.get(url)
    assert b"Note 9 again" in response.content


# --- Creating a client ---------------------------------------------------------------------


def test_caseworker_creates_a_client_on_their_caseload(login, caseworker, team_a):
    response = login(caseworker).post(
        reverse("clients:create"), {"team": team_a.pk, "first_name": "Nia", "last_name": "Jones"}
    )

    client = Client.objects.get(last_name="Jones")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:record", args=[client.pk])
    assert client.assignments.get().caseworker == caseworker
    assert last_event().action == "edit"


def test_a_client_can_only_be_created_in_ones_own_team(login, caseworker, team_b):
    response = login(caseworker).post(
        reverse("clients:create"), {"team": team_b.pk, "first_name": "Nia", "last_name": "Jones"}
    )

    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert not Client.objects.exists()


@pytest.mark.parametrize("who", ["iso", "admin_user"])
def test_oversight_roles_do_not_open_cases(login, request, who):
    response = login(request.getfixturevalue(who)).get(reverse("clients:create"))

    assert response.status_code == 403


# --- Managers: assignments and case status -------------------------------------------------


def test_manager_assigns_and_unassigns_a_caseworker(login, manager, team_a, team_client):
    worker = UserFactory(username="newbie", teams=[team_a])
    test_client = login(manager)

    test_client.post(
        reverse("clients:assignments", args=[team_client.pk]), {"caseworker": worker.pk, "is_key_worker": "on"}
    )
    assignment = team_client.assignments.get()
    assert assignment.caseworker == worker

    test_client.post(reverse("clients:assignment_end", args=[team_client.pk, assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.ended_on is not None


def test_an_ended_assignment_shuts_the_caseworker_out_on_their_next_request(
    login, manager, caseworker, own_client, client
):
    from django.test import Client as DjangoClient

    worker_client = login(caseworker, DjangoClient())
    assert worker_client.get(reverse("clients:record", args=[own_client.pk])).status_code == 200

    login(manager).post(reverse("clients:assignment_end", args=[own_client.pk, own_client.assignments.get().pk]))

    response = worker_client.get(reverse("clients:record", args=[own_client.pk]))
    assert response.status_code == 302
    assert "/reason/" in response["Location"]


def test_assigning_someone_from_another_team_is_refused_beside_the_field(login, manager, other_caseworker, team_client):
    response = login(manager).post(
        reverse("clients:assignments", args=[team_client.pk]), {"caseworker": other_caseworker.pk}
    )

    assert response.status_code == 200
    assert "caseworker" in response.context["form"].errors
    assert not team_client.assignments.exists()


def test_manager_closes_and_reopens_a_case(login, manager, own_client):
    test_client = login(manager)
    response = test_client.post(reverse("clients:close", args=[own_client.pk]), {"closure_reason": ""})
    assert "closure_reason" in response.context["form"].errors

    test_client.post(reverse("clients:close", args=[own_client.pk]), {"closure_reason": "Housed in Leeds"})
    own_client.refresh_from_db()
    assert own_client.is_closed

    # Reopening a closed case is itself opening a closed case: it needs a reason.
    assert test_client.get(reverse("clients:reopen", args=[own_client.pk])).status_code == 302
    test_client.post(
        reverse("access:reason", args=[own_client.pk]),
        {"category": "other", "text": "Client has returned to the area"},
    )
    test_client.post(reverse("clients:reopen", args=[own_client.pk]))
    own_client.refresh_from_db()
    assert not own_client.is_closed


def test_a_caseworker_cannot_close_their_own_case(login, caseworker, own_client):
    response = login(caseworker).post(reverse("clients:close", args=[own_client.pk]), {"closure_reason": "Done"})

    assert response.status_code == 404
    own_client.refresh_from_db()
    assert not own_client.is_closed


def test_tabs_offer_caseworkers_and_the_access_log_to_team_managers_only(login, caseworker, manager, own_client):
    url = reverse("clients:record", args=[own_client.pk])
    as_manager = login(manager).get(url).content.decode()
    from django.test import Client as DjangoClient

    as_caseworker = login(caseworker, DjangoClient()).get(url).content.decode()

    assert reverse("clients:assignments", args=[own_client.pk]) in as_manager
    assert reverse("access:client_log", args=[own_client.pk]) in as_manager
    assert reverse("clients:assignments", args=[own_client.pk]) not in as_caseworker
    assert reverse("access:client_log", args=[own_client.pk]) not in as_caseworker


def test_the_access_log_shows_category_labels_not_internal_keys(login, caseworker, manager, own_client):
    login(caseworker).get(reverse("clients:record", args=[own_client.pk]))

    content = login(manager).get(reverse("access:client_log", args=[own_client.pk])).content.decode()

    assert "Mental health" in content
    assert "mental_health" not in content
