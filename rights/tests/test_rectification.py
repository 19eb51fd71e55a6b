"""Rectification (Art 16) and telling the recipients of a correction (Art 19)."""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccessEvent
from clients import services as client_services
from clients.categories import Selection
from clients.tests.factories import AssignmentFactory
from consent.models import ConsentRecord
from consent.services import consent_withdraw
from consent.tests.factories import ConsentRecordFactory, PartnerFactory
from deadlines.models import Alert, OutboxEmail
from rights import rectification
from rights.models import RectificationNotice, RectificationRequest
from sharing import services as sharing_services
from sharing.models import Disclosure
from sharing.tests.factories import DataSharingAgreementFactory, ReferralFactory, purpose

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
OLD = "Sleeping rough since March."
NEW = "Sleeping rough since February; a hostel place from next week."
DETAIL = "Evicted from a private let after rent arrears."
SELECTION = {"identity": "summary", "housing_history": "summary"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _referrals_go_without_approval(monkeypatch):
    from sharing.models import SharingPolicy

    field = SharingPolicy._meta.get_field("without_agreement")
    monkeypatch.setattr(field, "default", SharingPolicy.WithoutAgreement.LISTED)


def refer(client, actor, partner_name, selection=SELECTION) -> Disclosure:
    """A referral sent through sharing's service, on a consent that covers it."""
    partner = PartnerFactory(name=partner_name)
    housing = purpose("referral-housing")
    ConsentRecordFactory(client=client, partners=[partner], purposes=[housing], selection=selection, recorded_by=actor)
    DataSharingAgreementFactory(partner=partner, selection=selection, purposes=[housing])
    referral = ReferralFactory(client=client, partner=partner, purpose=housing, selection=selection, created_by=actor)
    return sharing_services.referral_send(actor=actor, referral=referral).disclosure


def statutory(client, actor) -> Disclosure:
    """A police disclosure under a court order to a force that is not a registered partner."""
    with transaction.atomic():
        return sharing_services.disclosure_record(
            actor=actor,
            kind=Disclosure.Kind.STATUTORY,
            client=client,
            recipient="Northshire Police (PC 123 Smith)",
            purpose=purpose("referral-housing"),
            purpose_label="Court order",
            basis=None,
            basis_label="Court order",
            selection=Selection({"housing_history": "summary"}),
            reasons={},
            now=dt.datetime.now(dt.UTC),
        )


def correct(entry, actor, summary=NEW, detail=""):
    with transaction.atomic():
        return client_services.entry_update(actor=actor, entry=entry, summary=summary, detail=detail)


@pytest.fixture
def entry(own_client, caseworker):
    with transaction.atomic():
        return client_services.entry_create(
            actor=caseworker, client=own_client, category="housing_history", summary=OLD, detail=DETAIL
        )


@pytest.fixture
def corrected(entry, own_client, caseworker, clock):
    """Sent to Riverside and Hope Street; corrected; then sent (corrected) to Late Partner."""
    clock.shift(dt.timedelta(hours=1))
    before = [refer(own_client, caseworker, "Riverside Housing"), refer(own_client, caseworker, "Hope Street")]
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker)
    clock.shift(dt.timedelta(hours=1))
    after = refer(own_client, caseworker, "Late Partner")
    return before, after


def item_key(entry):
    return f"entry:{entry.pk}"


# --- Who holds an older version ------------------------------------------------------------------


def test_recipients_of_the_old_version_are_listed_and_not_those_sent_the_corrected_one(entry, corrected, own_client):
    (riverside, hope), late = corrected

    items = rectification.corrected_items(own_client)

    assert [i.key for i in items] == [item_key(entry)]
    recipients = items[0].recipients
    assert [(r.name, r.disclosure.reference) for r in recipients] == [
        ("Riverside Housing", riverside.reference),
        ("Hope Street", hope.reference),
    ]
    assert all(r.corrected == [("Summary", NEW)] for r in recipients)
    assert late.reference not in {r.disclosure.reference for r in recipients}


def test_a_save_that_changes_nothing_is_no_correction(entry, own_client, caseworker, clock):
    clock.shift(dt.timedelta(hours=1))
    refer(own_client, caseworker, "Riverside Housing")
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker, summary=OLD, detail=DETAIL)

    assert rectification.corrected_items(own_client) == []


def test_a_detail_sent_only_at_summary_level_is_not_owed_a_notice(entry, own_client, caseworker, clock):
    clock.shift(dt.timedelta(hours=1))
    refer(own_client, caseworker, "Riverside Housing")  # housing history at summary level
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker, summary=OLD, detail="A corrected account of the eviction.")

    assert rectification.corrected_items(own_client) == []


def test_a_corrected_detail_is_listed_for_a_recipient_sent_the_detail(entry, own_client, caseworker, clock):
    clock.shift(dt.timedelta(hours=1))
    refer(own_client, caseworker, "Riverside Housing", {"identity": "summary", "housing_history": "detail"})
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker, summary=OLD, detail="A corrected account of the eviction.")

    [item] = rectification.corrected_items(own_client)
    assert item.recipients[0].corrected == [("Detail", "A corrected account of the eviction.")]


def test_a_corrected_name_is_listed_for_recipients_of_identity(own_client, caseworker, clock):
    clock.shift(dt.timedelta(hours=1))
    refer(own_client, caseworker, "Riverside Housing")
    clock.shift(dt.timedelta(hours=1))
    with transaction.atomic():
        client_services.client_update(actor=caseworker, client=own_client, last_name="Owen")
    own_client.refresh_from_db()

    [item] = rectification.corrected_items(own_client)
    assert item.key == "facts:identity"
    assert item.recipients[0].corrected == [("Name", "Olivia Owen")]


def test_every_organisation_present_at_a_meeting_is_a_recipient(entry, own_client, caseworker, clock):
    from consent.tests.factories import MeetingGroupFactory

    clock.shift(dt.timedelta(hours=1))
    one, two = PartnerFactory(name="Riverside Housing"), PartnerFactory(name="Hope Street")
    group = MeetingGroupFactory(name="Rough Sleeper Action Group", members=[one, two])
    meeting = purpose("multi-agency-risk-meeting")
    ConsentRecordFactory(
        client=own_client,
        partners=[],
        meeting_group=group,
        purposes=[meeting],
        selection=SELECTION,
        recorded_by=caseworker,
    )
    sharing_services.meeting_disclosure_record(
        actor=caseworker,
        client=own_client,
        group=group,
        meeting_on=dt.date(2026, 3, 2),
        present=[one, two],
        purpose=meeting,
        selection=Selection(SELECTION),
        reasons={},
    )
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker)

    [item] = rectification.corrected_items(own_client)
    assert [r.name for r in item.recipients] == ["Hope Street", "Riverside Housing"]
    rectification.rectification_notify(actor=caseworker, client=own_client, item=item.key)
    assert OutboxEmail.objects.count() == 2


def test_a_corrected_case_note_sent_with_a_referral_is_listed(own_client, caseworker, clock):
    from sharing.models import Referral

    with transaction.atomic():
        note = client_services.note_create(
            actor=caseworker, client=own_client, category="housing_history", text="Slept at the bus station."
        )
    clock.shift(dt.timedelta(hours=1))
    selection = {"identity": "summary", "housing_history": "detail"}
    disclosure = refer(own_client, caseworker, "Riverside Housing", selection)
    # The chosen notes are part of the draft; send one with the note chosen.
    referral = ReferralFactory(
        client=own_client,
        partner=disclosure.partner,
        purpose=disclosure.purpose,
        selection=selection,
        created_by=caseworker,
        notes=[note.pk],
    )
    sharing_services.referral_send(actor=caseworker, referral=referral)
    assert Referral.objects.filter(notes=[note.pk]).exists()
    clock.shift(dt.timedelta(hours=1))
    with transaction.atomic():
        client_services.note_update(
            actor=caseworker, note=note, category="housing_history", text="Slept at the railway station."
        )

    [item] = rectification.corrected_items(own_client)
    assert item.key == f"note:{note.pk}"
    assert item.recipients[0].corrected == [("Note", "Slept at the railway station.")]


def test_a_statutory_body_that_is_a_registered_partner_is_emailed(entry, own_client, caseworker, manager, clock):
    clock.shift(dt.timedelta(hours=1))
    with transaction.atomic():
        sharing_services.disclosure_record(
            actor=manager,
            kind=Disclosure.Kind.STATUTORY,
            client=own_client,
            partner=PartnerFactory(name="Northshire Police"),
            recipient="Northshire Police (PC 123 Smith)",
            purpose=purpose("referral-housing"),
            purpose_label="Court order",
            basis=None,
            basis_label="Court order",
            selection=Selection({"housing_history": "summary"}),
            reasons={},
            now=dt.datetime.now(dt.UTC),
        )
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker)

    result = rectification.rectification_notify(actor=manager, client=own_client, item=f"entry:{entry.pk}")

    assert result.emails == 1
    assert OutboxEmail.objects.get().recipients == "referrals@northshire-police.example.org"


def test_a_statutory_body_without_a_registered_address_is_listed(entry, own_client, caseworker, manager, clock):
    clock.shift(dt.timedelta(hours=1))
    statutory(own_client, manager)
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker)

    [item] = rectification.corrected_items(own_client)
    [police] = item.recipients
    assert police.is_statutory
    assert police.address == ""
    assert police.name.startswith("Northshire Police")


# --- Telling them ----------------------------------------------------------------------------


def test_notices_email_each_partner_once_through_the_outbox_recorded_and_audited(
    entry, corrected, own_client, caseworker
):
    result = rectification.rectification_notify(actor=caseworker, client=own_client, item=item_key(entry))

    emails = list(OutboxEmail.objects.order_by("recipients"))
    assert result.emails == 2
    assert [e.recipients for e in emails] == [
        "referrals@hope-street.example.org",
        "referrals@riverside-housing.example.org",
    ]
    body = emails[1].body
    assert NEW in body
    assert "Housing history" in body
    assert corrected[0][0].reference in body
    # Minimisation: no name, no old text, no detail (sent at summary level), no other recipient.
    assert "Olivia" not in body
    assert OLD not in body
    assert DETAIL not in body
    assert "Hope Street" not in body
    notices = list(RectificationNotice.objects.order_by("pk"))
    assert [(n.recipient_label, n.how, n.outbox_email_id) for n in notices] == [
        ("Riverside Housing", "email", emails[1].pk),
        ("Hope Street", "email", emails[0].pk),
    ]
    shares = AccessEvent.objects.filter(action="share", object_type="rights.RectificationNotice")
    assert shares.count() == 2
    assert all(e.outcome == "allowed" and e.categories == ["housing_history"] for e in shares)
    assert all("Art 19" in e.basis for e in shares)


def test_a_second_click_sends_nothing_for_the_same_correction(entry, corrected, own_client, caseworker):
    rectification.rectification_notify(actor=caseworker, client=own_client, item=item_key(entry))
    again = rectification.rectification_notify(actor=caseworker, client=own_client, item=item_key(entry))

    assert again.emails == 0
    assert again.already_told == 2
    assert OutboxEmail.objects.count() == 2
    assert RectificationNotice.objects.count() == 2


def test_a_later_correction_is_told_again(entry, corrected, own_client, caseworker, clock):
    rectification.rectification_notify(actor=caseworker, client=own_client, item=item_key(entry))
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker, summary="In a hostel since 1 March.")

    [item] = rectification.corrected_items(own_client)
    assert len(item.pending) == 3  # the two told before, and Late Partner, sent the first correction


def test_one_recipient_can_be_told_alone(entry, corrected, own_client, caseworker):
    [item] = rectification.corrected_items(own_client)
    hope = item.recipients[1]

    rectification.rectification_notify(actor=caseworker, client=own_client, item=item_key(entry), recipients=[hope.id])

    assert list(RectificationNotice.objects.values_list("recipient_label", flat=True)) == ["Hope Street"]


def test_after_a_withdrawal_the_corrected_information_is_withheld_and_why_is_recorded(
    entry, corrected, own_client, caseworker
):
    riverside = corrected[0][0]
    consent_withdraw(actor=caseworker, consent=riverside.consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    rectification.rectification_notify(actor=caseworker, client=own_client, item=item_key(entry))

    notice = RectificationNotice.objects.get(disclosure=riverside)
    assert notice.how == "email_notice"
    assert "withdrawn" in notice.withheld_reason
    assert NEW not in notice.outbox_email.body
    assert "not able to send you the corrected information" in notice.outbox_email.body
    denied = AccessEvent.objects.get(action="share", outcome="denied", object_type="rights.RectificationNotice")
    assert "withdrawn" in denied.detail
    hope = RectificationNotice.objects.exclude(disclosure=riverside).get()
    assert NEW in hope.outbox_email.body


def test_a_statutory_body_without_an_address_is_told_another_way_and_recorded(
    entry, own_client, caseworker, manager, clock
):
    clock.shift(dt.timedelta(hours=1))
    statutory(own_client, manager)
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker)

    result = rectification.rectification_notify(actor=manager, client=own_client, item=item_key(entry))
    assert result.emails == 0
    assert len(result.other_means) == 1
    notice = rectification.rectification_told_otherwise(
        actor=manager,
        client=own_client,
        item=item_key(entry),
        recipient=result.other_means[0].id,
        how="phone",
        note="Told PC Smith by phone.",
    )

    assert notice.how == "phone"
    assert notice.outbox_email is None
    assert rectification.corrected_items(own_client)[0].pending == []


# --- Pages and permissions ------------------------------------------------------------------


def test_the_caseload_caseworker_sees_recipients_on_the_entry_page(entry, corrected, own_client, caseworker, login):
    page = login(caseworker).get(reverse("clients:entry_edit", args=[own_client.pk, entry.pk])).content.decode()

    assert "Sent to 2 organisations before this correction" in page
    assert corrected[0][0].reference in page
    assert "Late Partner" not in page


def test_the_entry_page_costs_the_same_queries_however_many_received_the_old_version(
    entry, own_client, caseworker, clock, login, django_assert_num_queries
):
    clock.shift(dt.timedelta(minutes=1))
    refer(own_client, caseworker, "Riverside Housing")
    clock.shift(dt.timedelta(minutes=1))
    correct(entry, caseworker)
    browser = login(caseworker)
    url = reverse("clients:entry_edit", args=[own_client.pk, entry.pk])
    browser.get(url)
    with CaptureQueriesContext(connection) as one:
        browser.get(url)
    one_recipient = len(one)
    clock.shift(dt.timedelta(minutes=1))
    correct(entry, caseworker, summary=OLD, detail=DETAIL)
    for name in ("Hope Street", "Third Partner", "Fourth Partner"):
        refer(own_client, caseworker, name)
    clock.shift(dt.timedelta(minutes=1))
    correct(entry, caseworker)
    browser.get(url)

    with django_assert_num_queries(one_recipient):
        page = browser.get(url).content.decode()
    assert "Sent to 4 organisations before this correction" in page


def test_the_information_page_says_there_are_corrections_to_pass_on(entry, corrected, own_client, caseworker, login):
    page = login(caseworker).get(reverse("clients:information", args=[own_client.pk])).content.decode()

    assert "Corrections to pass on to recipients" in page


def test_the_key_worker_tells_all_recipients_in_one_click(entry, corrected, own_client, caseworker, login):
    url = reverse("rights:corrections", args=[own_client.pk])
    response = login(caseworker).post(url, {"step": "notify", "item": item_key(entry)})

    assert response.status_code == 302
    assert OutboxEmail.objects.count() == 2


def test_the_team_manager_may_tell_recipients(entry, corrected, own_client, manager, login):
    url = reverse("rights:corrections", args=[own_client.pk])
    login(manager).post(url, {"step": "notify", "item": item_key(entry)})

    assert RectificationNotice.objects.count() == 2


def test_a_caseworker_who_is_not_the_key_worker_sees_recipients_but_cannot_send(
    entry, corrected, own_client, caseworker, team_a, login
):
    from accounts.tests.factories import UserFactory

    helper = UserFactory(username="harriet", teams=[team_a])
    AssignmentFactory(client=own_client, caseworker=helper, started_by=caseworker, is_key_worker=False)
    browser = login(helper)
    url = reverse("rights:corrections", args=[own_client.pk])

    assert "Riverside Housing" in browser.get(url).content.decode()
    response = browser.post(url, {"step": "notify", "item": item_key(entry)})

    assert response.status_code == 403
    assert OutboxEmail.objects.count() == 0
    assert AccessEvent.objects.filter(action="share", outcome="denied", actor=helper).exists()


def test_another_team_gets_the_same_answer_for_this_client_as_for_an_unknown_one(
    entry, corrected, own_client, other_caseworker, login
):
    browser = login(other_caseworker)
    known = browser.post(reverse("rights:corrections", args=[own_client.pk]), {"step": "notify", "item": "x"})
    unknown = browser.post(reverse("rights:corrections", args=[999_999]), {"step": "notify", "item": "x"})

    assert known.status_code == unknown.status_code == 404
    assert OutboxEmail.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"step": "notify", "item": "entry:not-a-number"},
        {"step": "notify", "item": "note:999999"},
        {"step": "notify", "item": "", "recipient": "x" * 500},
        {"step": "other", "item": "facts:identity", "recipient": "1-body", "other-1-body-how": "carrier-pigeon"},
        {"step": "nonsense"},
    ],
)
def test_bad_input_never_fails_with_a_server_error(data, entry, corrected, own_client, caseworker, login):
    response = login(caseworker).post(reverse("rights:corrections", args=[own_client.pk]), data)

    assert response.status_code in (200, 302, 400)
    assert OutboxEmail.objects.count() == 0


def test_recording_another_way_without_saying_how_shows_the_error_beside_the_field(
    entry, own_client, caseworker, manager, clock, login
):
    clock.shift(dt.timedelta(hours=1))
    statutory(own_client, manager)
    clock.shift(dt.timedelta(hours=1))
    correct(entry, caseworker)
    [item] = rectification.corrected_items(own_client)
    police = item.recipients[0]

    response = login(manager).post(
        reverse("rights:corrections", args=[own_client.pk]),
        {"step": "other", "item": item.key, "recipient": police.id, f"other-{police.id}-how": "other"},
    )

    assert response.status_code == 400
    assert "Say how the recipient was told." in response.content.decode()


def test_the_corrections_page_costs_the_same_queries_however_much_was_sent(
    entry, own_client, caseworker, clock, login, django_assert_num_queries
):
    clock.shift(dt.timedelta(minutes=1))
    refer(own_client, caseworker, "Riverside Housing")
    clock.shift(dt.timedelta(minutes=1))
    correct(entry, caseworker)
    browser = login(caseworker)
    url = reverse("rights:corrections", args=[own_client.pk])
    browser.get(url)
    with CaptureQueriesContext(connection) as one:
        browser.get(url)
    one_recipient = len(one)

    clock.shift(dt.timedelta(minutes=1))
    with transaction.atomic():
        second = client_services.entry_create(
            actor=caseworker, client=own_client, category="housing_history", summary="Had a flat in 2024."
        )
    for name in ("Hope Street", "Third Partner", "Fourth Partner"):
        refer(own_client, caseworker, name)
    clock.shift(dt.timedelta(minutes=1))
    correct(entry, caseworker, summary="Third version.")
    correct(second, caseworker, summary="Had a flat in 2023.")
    rectification.rectification_notify(actor=caseworker, client=own_client, item=item_key(entry))
    browser.get(url)  # the session's activity stamp moves with the clock: written once, not measured

    with django_assert_num_queries(one_recipient):
        response = browser.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fourth Partner" in page
    assert "Had a flat in 2023." in page


# --- A client's rectification request and its clock ----------------------------------------------


def test_a_rectification_request_is_logged_on_the_one_month_clock_and_listed_in_the_register(
    own_client, manager, login, clock
):
    clock.move_to(dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC))
    browser = login(manager)
    response = browser.post(
        reverse("rights:rectification_new", args=[own_client.pk]),
        {"received_on": "2026-01-31", "asked_by": "The client", "what_is_wrong": "My date of birth is wrong."},
    )

    obj = RectificationRequest.objects.get()
    assert response.status_code == 302
    assert obj.due_on == dt.date(2026, 2, 28)  # 31 January -> 28 February
    register = browser.get(reverse("rights:register")).content.decode()
    assert "Rectification requests" in register
    assert "25 days left" in register
    assert "Rectification" in browser.get(reverse("rights:client", args=[own_client.pk])).content.decode()


def test_logging_a_request_with_nothing_filled_in_shows_errors_beside_the_fields(own_client, manager, login):
    response = login(manager).post(
        reverse("rights:rectification_new", args=[own_client.pk]), {"received_on": "", "what_is_wrong": ""}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the date the request was received." in page
    assert "Write down what they say is wrong or incomplete." in page


def test_a_refusal_needs_reasons_and_deciding_stops_the_clock(own_client, manager, login):
    obj = rectification.rectification_request_log(
        actor=manager, client=own_client, received_on=dt.date(2026, 3, 1), asked_by="The client", what_is_wrong="x"
    )
    browser = login(manager)
    url = reverse("rights:rectification", args=[own_client.pk, obj.pk])

    refused = browser.post(url, {"decide-decision": "refused", "decide-outcome_on": "2026-03-02"})
    assert refused.status_code == 400
    assert "Give the reasons" in refused.content.decode()

    browser.post(
        url,
        {"decide-decision": "refused", "decide-reason": "The record is accurate.", "decide-outcome_on": "2026-03-02"},
    )
    obj.refresh_from_db()
    assert obj.decision == "refused"
    assert obj.outcome_on == dt.date(2026, 3, 2)
    assert rectification.running(dt.datetime(2027, 1, 1, tzinfo=dt.UTC), None) == []


def test_only_rights_handlers_log_requests(own_client, caseworker):
    with pytest.raises(rectification.NotRightsOfficer):
        rectification.rectification_request_log(
            actor=caseworker, client=own_client, received_on=dt.date(2026, 3, 1), asked_by="x", what_is_wrong="x"
        )


def test_the_clock_alerts_the_team_managers_once_before_the_deadline_and_when_overdue(own_client, manager, clock):
    from deadlines.services import deadlines_sweep

    obj = rectification.rectification_request_log(
        actor=manager, client=own_client, received_on=dt.date(2026, 3, 1), asked_by="The client", what_is_wrong="x"
    )
    assert obj.due_on == dt.date(2026, 4, 1)
    deadlines_sweep()
    assert not Alert.objects.filter(clock=rectification.RECTIFICATION_CLOCK).exists()

    clock.move_to(dt.datetime(2026, 3, 27, 9, 0, tzinfo=dt.UTC))  # within 7 days
    deadlines_sweep()
    deadlines_sweep()
    assert list(Alert.objects.filter(clock=rectification.RECTIFICATION_CLOCK).values_list("threshold", flat=True)) == [
        "7d"
    ]

    clock.move_to(dt.datetime(2026, 4, 3, 9, 0, tzinfo=dt.UTC))  # overdue
    deadlines_sweep()
    alerts = Alert.objects.filter(clock=rectification.RECTIFICATION_CLOCK).order_by("fire_at")
    assert [a.threshold for a in alerts] == ["7d", "due"]
    message = rectification.message(alerts[1], [], dt.datetime(2026, 4, 3, 9, 0, tzinfo=dt.UTC))
    assert manager.email in message.recipients
    assert own_client.reference in message.subject
    assert "Olivia" not in message.body


def test_anonymising_the_client_blanks_their_rectification_requests_and_leaves_nothing_to_pass_on(
    entry, corrected, own_client, manager
):
    from rights.services import client_anonymise

    obj = rectification.rectification_request_log(
        actor=manager,
        client=own_client,
        received_on=dt.date(2026, 3, 1),
        asked_by="Olivia Owens",
        what_is_wrong="My housing history is wrong.",
    )
    client_anonymise(actor=manager, client=own_client, reason="erasure request granted")

    obj.refresh_from_db()
    assert obj.asked_by == ""
    assert obj.what_is_wrong == ""
    assert not RectificationRequest.history.filter(what_is_wrong__contains="housing").exists()
    own_client.refresh_from_db()
    assert rectification.corrected_items(own_client) == []
