"""Every URL pattern is classified, and every one that names a client is in the authorization matrix.

Adding a URL? Put its name in exactly one of the tables below, or these tests fail:

- PUBLIC: open without signing in.
- LOGIN_ONLY: any signed-in person, no client data, no object id.
- ROLE_ONLY: some roles only (`RoleUrl`); may take the id of an object that is not a
  client's (give `kwargs`). Checked for every standing user.
- CLIENT_URLS: shows or changes one client's data (`ClientUrl`); checked for every
  standing user against every standing client — own caseload, same team, other team,
  closed case, and an id that does not exist — once without a reason and once after a
  break-the-glass reason. Each response must match the policy grid *and* have written
  exactly one AccessEvent (allowed for "ok", denied otherwise); "login" and "page"
  responses write none.

Django admin URLs are staff-only by construction (checked for a non-staff user); an
admin page of a model holding client data must be in CLIENT_URLS or not viewable.

A `ClientUrl` builds its URL kwargs from the client (None: an id that does not exist)
and `fx`, which hands out any pytest fixture by attribute (`fx.manager`). For an object
inside the client, make one for that client in `kwargs`, e.g.
`lambda c, fx: {"client_id": pk(c), "entry_id": EntryFactory(client=c).pk if c else MISSING}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import Client as BrowserlessClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from access import gate
from access.models import AccessEvent
from clients.models import Client
from clients.tests.factories import AssignmentFactory, CaseNoteFactory, InformationEntryFactory

MISSING = 999_999_999

USERS = ("caseworker", "other_caseworker", "manager", "other_manager", "iso", "admin_user")
CLIENTS = ("own_client", "team_client", "other_team_client", "closed_client", None)
COLUMNS = {"own": "own_client", "team": "team_client", "other": "other_team_client", "closed": "closed_client"}


def grid(text: str) -> dict[tuple[str, str | None], str]:
    """Parse a policy grid: one row per user, one column per client ("missing": no such id).

    Cells: ok (allowed, one allowed row), why (sent to the reason page, one denied row),
    404 (refused, one denied row), login (sent to sign in, no row), page (shown, no client
    data, no row).
    """
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    cells = {}
    for user, *outcomes in rows:
        for column, outcome in zip(header, outcomes, strict=True):
            cells[(user, COLUMNS.get(column))] = outcome
    assert {user for user, _ in cells} == set(USERS), "a grid needs a row for every standing user"
    return cells


# The record and everything in it: caseload and team managers; anyone else with a reason.
RECORD = grid("""
                  own   team  other  closed  missing
caseworker        ok    why   why    why     why
other_caseworker  why   why   ok     why     why
manager           ok    ok    why    why     why
other_manager     why   why   ok     why     why
iso               why   why   why    why     why
admin_user        why   why   why    why     why
""")

# Managing the caseload and case status: the client's own team managers only.
TEAM_MANAGER = grid("""
                  own   team  other  closed  missing
caseworker        404   404   404    404     404
other_caseworker  404   404   404    404     404
manager           ok    ok    404    why     404
other_manager     404   404   ok     404     404
iso               404   404   404    404     404
admin_user        404   404   404    404     404
""")

# "Who accessed this record": the team's managers and the information security officer.
CLIENT_LOG = grid("""
                  own   team  other  closed  missing
caseworker        404   404   404    404     404
other_caseworker  404   404   404    404     404
manager           ok    ok    404    ok      404
other_manager     404   404   ok     404     404
iso               ok    ok    ok     ok      404
admin_user        404   404   404    404     404
""")

# Django admin's client pages: staff only, and then the gate like everywhere else.
ADMIN_RECORD = grid("""
                  own    team   other  closed  missing
caseworker        login  login  login  login   login
other_caseworker  login  login  login  login   login
manager           login  login  login  login   login
other_manager     login  login  login  login   login
iso               login  login  login  login   login
admin_user        why    why    why    why     why
""")

# A police or statutory request (logged by caseworker): whoever logged it, the client's team
# managers and the ISO; a request someone may not see is a 404 even with a reason.
STATUTORY_REQUEST = grid("""
                  own   team  other  closed  missing
caseworker        ok    why   why    why     404
other_caseworker  404   404   404    404     404
manager           ok    ok    404    why     404
other_manager     404   404   ok     404     404
iso               why   why   why    why     404
admin_user        404   404   404    404     404
""")

# Deciding one: the client's team managers and the ISO only.
STATUTORY_DECIDER = grid("""
                  own   team  other  closed  missing
caseworker        404   404   404    404     404
other_caseworker  404   404   404    404     404
manager           ok    ok    404    why     404
other_manager     404   404   ok     404     404
iso               why   why   why    why     404
admin_user        404   404   404    404     404
""")

# Lifting a client's legal hold: the same people, on the client alone.
LEGAL_HOLD = grid("""
                  own   team  other  closed  missing
caseworker        404   404   404    404     404
other_caseworker  404   404   404    404     404
manager           ok    ok    404    why     404
other_manager     404   404   ok     404     404
iso               why   why   why    why     why
admin_user        404   404   404    404     404
""")

# Pages that take a client id but show nothing of the client (the reason page).
NO_CLIENT_DATA = grid("""
                  own   team  other  closed  missing
caseworker        page  page  page   page    page
other_caseworker  page  page  page   page    page
manager           page  page  page   page    page
other_manager     page  page  page   page    page
iso               page  page  page   page    page
admin_user        page  page  page   page    page
""")


def pk(client: Client | None) -> int:
    return client.pk if client is not None else MISSING


def _client_id(client, fx):
    return {"client_id": pk(client)}


@dataclass(frozen=True)
class ClientUrl:
    policy: dict
    kwargs: Callable = _client_id
    method: str = "get"
    data: Callable | None = None
    ok_status: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class RoleUrl:
    allowed: frozenset[str]
    kwargs: Callable | None = None  # fx -> URL kwargs, for patterns with ids
    method: str = "get"
    data: dict = field(default_factory=dict)
    ok_status: tuple[int, ...] = (200,)
    denied_status: tuple[int, ...] = (403,)


MANAGERS_AND_ISO = frozenset({"manager", "other_manager", "iso"})
CASEWORK = frozenset({"caseworker", "other_caseworker", "manager", "other_manager"})


def _entry(client, fx):
    entry = InformationEntryFactory(client=client, recorded_by=fx.manager).pk if client else MISSING
    return {"client_id": pk(client), "entry_id": entry}


def _note(client, fx):
    note = CaseNoteFactory(client=client, author=fx.manager).pk if client else MISSING
    return {"client_id": pk(client), "note_id": note}


def _open_assignment(client, fx):
    if client is None:
        return {"client_id": MISSING, "assignment_id": MISSING}
    from accounts.tests.factories import UserFactory

    worker = UserFactory(teams=[client.team])
    return {"client_id": client.pk, "assignment_id": AssignmentFactory(client=client, caseworker=worker).pk}


def _alert(client, fx):
    from clients.tests.factories import AlertFactory

    return {
        "client_id": pk(client),
        "alert_id": AlertFactory(client=client, raised_by=fx.caseworker).pk if client else MISSING,
    }


def _consent(client, fx):
    from consent.tests.factories import ConsentRecordFactory

    consent = ConsentRecordFactory(client=client, recorded_by=fx.manager).pk if client else MISSING
    return {"client_id": pk(client), "consent_id": consent}


def _consent_with_evidence(client, fx):
    from consent.tests.factories import consent_with_evidence

    consent = consent_with_evidence(client=client, actor=fx.manager).pk if client else MISSING
    return {"client_id": pk(client), "consent_id": consent}


def _lawful_basis(client, fx):
    from consent.tests.factories import LawfulBasisRecordFactory

    basis = (
        LawfulBasisRecordFactory(client=client, recorded_by=fx.caseworker, requires_approval=True).pk
        if client
        else MISSING
    )
    return {"client_id": pk(client), "basis_id": basis}


def _referral(client, fx):
    from sharing.tests.factories import ReferralFactory

    referral = ReferralFactory(client=client, created_by=fx.manager).pk if client else MISSING
    return {"client_id": pk(client), "referral_id": referral}


def _sent_referral(client, fx):
    from sharing.tests.factories import sent_referral

    referral = sent_referral(client=client, actor=fx.manager).pk if client else MISSING
    return {"client_id": pk(client), "referral_id": referral}


def _disclosure(client, fx):
    from sharing.tests.factories import sent_referral

    disclosure = sent_referral(client=client, actor=fx.manager).disclosure_id if client else MISSING
    return {"client_id": pk(client), "disclosure_id": disclosure}


def _recipient_notice(client, fx):
    from sharing.tests.factories import recipient_notice

    notice = recipient_notice(client=client, actor=fx.manager).pk if client else MISSING
    return {"client_id": pk(client), "notice_id": notice}


def _own_stopped_transmission(fx):
    from sharing.tests.factories import stopped_transmission

    return {"transmission_id": stopped_transmission(client=fx.own_client, actor=fx.caseworker).pk}


def _team_a_import(fx):
    from imports.models import ClientImport

    client_import = ClientImport.objects.create(
        team=fx.team_a,
        uploaded_by=fx.manager,
        uploaded_at=fx.manager.date_joined,
        file_name="x.csv",
        kind="csv",
        sha256="",
    )
    return {"import_id": client_import.pk}


def _team_a_retention_batch(fx):
    from rights.models import RetentionBatch, RetentionRule

    team, manager = fx.team_a, fx.manager  # the fixtures bring the database
    rule, _ = RetentionRule.objects.get_or_create(
        kind="closed_cases", defaults={"period_months": 72, "starts_from": "case_closed"}
    )
    batch = RetentionBatch.objects.create(
        rule=rule, period_months=72, team=team, approved_by=manager, approved_at=manager.date_joined
    )
    return {"batch_id": batch.pk}


def _statutory(client, fx):
    from statutory.tests.factories import StatutoryRequestFactory

    request = StatutoryRequestFactory(client=client, received_by=fx.caseworker).pk if client else MISSING
    return {"client_id": pk(client), "request_id": request}


def _statutory_awaiting_review(client, fx):
    from statutory.tests.factories import emergency_disclosed_request

    request = emergency_disclosed_request(client=client, caseworker=fx.caseworker).pk if client else MISSING
    return {"client_id": pk(client), "request_id": request}


def _statutory_disclosed(client, fx):
    from statutory.tests.factories import decided_request

    request = decided_request(client=client, logged_by=fx.caseworker, decided_by=fx.iso).pk if client else MISSING
    return {"client_id": pk(client), "request_id": request}


def _statutory_document(client, fx):
    from statutory.tests.factories import court_order_request

    if client is None:
        return {"client_id": MISSING, "request_id": MISSING, "document_id": MISSING}
    request = court_order_request(client=client, actor=fx.caseworker)
    return {"client_id": client.pk, "request_id": request.pk, "document_id": request.documents.get().pk}


def _team_a_breach(fx):
    from breaches.tests.factories import BreachReportFactory

    return {"pk": BreachReportFactory(team=fx.team_a).pk}


def _own_breach_report(fx):
    from breaches.tests.factories import BreachReportFactory

    return {"pk": BreachReportFactory(team=fx.team_a, reported_by=fx.caseworker).pk}


def _sar(client, fx):
    from rights.tests.factories import SubjectAccessRequestFactory

    sar = SubjectAccessRequestFactory(client=client, logged_by=fx.manager).pk if client else MISSING
    return {"client_id": pk(client), "obj_id": sar}


def _sar_pack(client, fx):
    if client is None:
        return {"client_id": MISSING, "obj_id": MISSING}
    from rights.tests.factories import ready_pack

    return {"client_id": client.pk, "obj_id": ready_pack(client=client, actor=fx.manager).pk}


def _sar_released_pack(client, fx):
    if client is None:
        return {"client_id": MISSING, "obj_id": MISSING}
    from rights.tests.factories import released_pack

    return {"client_id": client.pk, "obj_id": released_pack(client=client, actor=fx.manager).pk}


def _erasure(client, fx):
    from rights.models import ErasureRequest

    erasure = (
        ErasureRequest.objects.create(
            client=client,
            received_on=client.opened_on,
            asked_by="The client",
            asked_text="Erase my records.",
            logged_by=fx.manager,
            logged_at=client.created_at,
        ).pk
        if client
        else MISSING
    )
    return {"client_id": pk(client), "obj_id": erasure}


def _rectification(client, fx):
    from rights.models import RectificationRequest

    obj = (
        RectificationRequest.objects.create(
            client=client,
            received_on=client.opened_on,
            asked_by="The client",
            what_is_wrong="My date of birth is wrong.",
            due_on=client.opened_on,
            logged_by=fx.manager,
            logged_at=client.created_at,
        ).pk
        if client
        else MISSING
    )
    return {"client_id": pk(client), "obj_id": obj}


def _admin_object(client, fx):
    return {"object_id": str(pk(client))}


PUBLIC = {
    "healthz",
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    # Single sign-on: 404 until configured; then the provider's round trip.
    "accounts:sso_start",
    "accounts:sso_callback",
}

LOGIN_ONLY = {
    "home",
    "accounts:two_factor",
    "accounts:two_factor_enrol",
    "accounts:two_factor_verify",
    "accounts:two_factor_remove",
    "accounts:two_factor_backup_codes",
    "accounts:password_change",
    "accounts:keep_alive",
    "clients:caseload",
    "clients:search",
    "breaches:report",
}

ROLE_ONLY: dict[str, RoleUrl] = {
    "accounts:security_events": RoleUrl(MANAGERS_AND_ISO),
    "clients:create": RoleUrl(CASEWORK),
    "clients:needs_key_worker": RoleUrl(frozenset({"manager", "other_manager"})),
    "clients:idle_assignments": RoleUrl(frozenset({"manager", "other_manager"})),
    "access:review": RoleUrl(MANAGERS_AND_ISO),
    # An empty form: reviewers are sent back with a message, everyone else is refused.
    "access:review_mark": RoleUrl(MANAGERS_AND_ISO, method="post", ok_status=(302,)),
    "sharing:without_agreement": RoleUrl(MANAGERS_AND_ISO),
    # Dismissing the dashboard's message about a transmission that did not go: its requester only.
    "sharing:transmission_dismiss": RoleUrl(
        frozenset({"caseworker"}),
        kwargs=_own_stopped_transmission,
        method="post",
        ok_status=(302,),
        denied_status=(404,),
    ),
    "statutory:queue": RoleUrl(MANAGERS_AND_ISO),
    "statutory:report": RoleUrl(MANAGERS_AND_ISO),
    "rights:register": RoleUrl(MANAGERS_AND_ISO),
    "rights:retention": RoleUrl(MANAGERS_AND_ISO),
    # A team_a retention batch: its manager and the ISO; other roles 403, another team's manager 404.
    "rights:retention_batch": RoleUrl(
        frozenset({"manager", "iso"}), kwargs=_team_a_retention_batch, denied_status=(403, 404)
    ),
    "breaches:queue": RoleUrl(MANAGERS_AND_ISO),
    "breaches:export": RoleUrl(MANAGERS_AND_ISO),
    "reports:page": RoleUrl(MANAGERS_AND_ISO),
    # The records of processing (Art 30): the ISO and admins; no client is named.
    "reports:processing": RoleUrl(frozenset({"iso", "admin_user"})),
    "reports:processing_download": RoleUrl(frozenset({"iso", "admin_user"}), kwargs=lambda fx: {"fmt": "csv"}),
    "imports:index": RoleUrl(MANAGERS_AND_ISO | {"admin_user"}),
    # A team_a import: its managers, admins and the ISO see it; only its managers and admins decide.
    **{
        f"imports:{page}": RoleUrl(
            frozenset({"manager", "iso", "admin_user"}), kwargs=_team_a_import, denied_status=(403, 404)
        )
        for page in ("detail", "progress")
    },
    **{
        f"imports:{page}": RoleUrl(
            frozenset({"manager", "admin_user"}),
            kwargs=_team_a_import,
            method="post",
            ok_status=(302,),
            denied_status=(403, 404, 405),
        )
        for page in ("confirm", "cancel")
    },
    "reports:download": RoleUrl(MANAGERS_AND_ISO, kwargs=lambda fx: {"key": "caseload", "fmt": "xlsx"}),
    # The reporter's confirmation page: the reporter only (404 for anyone else).
    "breaches:reported": RoleUrl(frozenset({"caseworker"}), kwargs=_own_breach_report, denied_status=(404,)),
    # A team_a breach: its manager and the ISO; other roles 403, another team's manager 404.
    **{
        f"breaches:{page}": RoleUrl(frozenset({"manager", "iso"}), kwargs=_team_a_breach, denied_status=(403, 404))
        for page in ("detail", "triage", "assess", "decide", "notify", "close", "history", "ico_report")
    },
}

CLIENT_URLS: dict[str, ClientUrl] = {
    "clients:record": ClientUrl(RECORD),
    "clients:information": ClientUrl(RECORD),
    "clients:details_edit": ClientUrl(RECORD),
    "clients:changes": ClientUrl(RECORD),
    "clients:entry_add": ClientUrl(RECORD),
    "clients:entry_edit": ClientUrl(RECORD, kwargs=_entry),
    "clients:note_add": ClientUrl(RECORD),
    "clients:note_edit": ClientUrl(RECORD, kwargs=_note),
    "clients:alert_add": ClientUrl(RECORD),
    "clients:alert_end": ClientUrl(RECORD, kwargs=_alert),
    "clients:assignments": ClientUrl(TEAM_MANAGER),
    "clients:assignment_end": ClientUrl(TEAM_MANAGER, kwargs=_open_assignment, method="post", ok_status=(302,)),
    # Closing a closed case (or reopening an open one) sends the manager back to the record.
    "clients:move": ClientUrl(TEAM_MANAGER),
    "clients:close": ClientUrl(TEAM_MANAGER, ok_status=(200, 302)),
    "clients:reopen": ClientUrl(TEAM_MANAGER, ok_status=(200, 302)),
    "clients:merge": ClientUrl(TEAM_MANAGER),
    "access:reason": ClientUrl(NO_CLIENT_DATA),
    "access:client_log": ClientUrl(CLIENT_LOG),
    "access:client_log_export": ClientUrl(CLIENT_LOG, kwargs=lambda c, fx: {"client_id": pk(c), "fmt": "xlsx"}),
    "admin:clients_client_change": ClientUrl(ADMIN_RECORD, kwargs=_admin_object),
    "admin:clients_client_history": ClientUrl(ADMIN_RECORD, kwargs=_admin_object),
    "consent:tab": ClientUrl(RECORD),
    "consent:record": ClientUrl(RECORD),
    "consent:summary_pdf": ClientUrl(RECORD),
    "consent:detail": ClientUrl(RECORD, kwargs=_consent),
    "consent:withdraw": ClientUrl(RECORD, kwargs=_consent),
    "consent:review": ClientUrl(RECORD, kwargs=_consent),
    "consent:evidence": ClientUrl(RECORD, kwargs=_consent_with_evidence),
    "consent:basis_record": ClientUrl(RECORD),
    "consent:basis_approve": ClientUrl(TEAM_MANAGER, kwargs=_lawful_basis),
    "consent:basis_end": ClientUrl(RECORD, kwargs=_lawful_basis),
    "consent:restriction": ClientUrl(RECORD),
    "sharing:history": ClientUrl(RECORD),
    "sharing:referral_new": ClientUrl(RECORD),
    "sharing:meeting_new": ClientUrl(RECORD),
    "sharing:referral": ClientUrl(RECORD, kwargs=_referral),
    "sharing:referral_pdf": ClientUrl(RECORD, kwargs=_sent_referral),
    "sharing:referral_preview": ClientUrl(RECORD, kwargs=_referral),
    # Discarding a draft sends the person back to the sharing history.
    "sharing:referral_discard": ClientUrl(RECORD, kwargs=_referral, method="post", ok_status=(302,)),
    # A team manager's approval to send without a data-sharing agreement; back to the referral.
    "sharing:referral_approve": ClientUrl(TEAM_MANAGER, kwargs=_referral, method="post", ok_status=(302,)),
    # Queues the e-mail to the partner's registered address and sends the person back to the referral.
    "sharing:referral_email": ClientUrl(RECORD, kwargs=_sent_referral, method="post", ok_status=(302,)),
    "sharing:disclosure": ClientUrl(RECORD, kwargs=_disclosure),
    "sharing:notice": ClientUrl(RECORD, kwargs=_recipient_notice),
    # Queues the notice for e-mail to the registered address and sends the person back to the task.
    "sharing:notice_send": ClientUrl(RECORD, kwargs=_recipient_notice, method="post", ok_status=(302,)),
    "statutory:client": ClientUrl(RECORD),
    "statutory:new": ClientUrl(RECORD),
    "statutory:legal_hold": ClientUrl(LEGAL_HOLD),
    "statutory:request": ClientUrl(STATUTORY_REQUEST, kwargs=_statutory),
    # A decider is sent on to the decision page.
    "statutory:emergency": ClientUrl(STATUTORY_REQUEST, kwargs=_statutory, ok_status=(200, 302)),
    "statutory:decide": ClientUrl(STATUTORY_DECIDER, kwargs=_statutory),
    "statutory:review": ClientUrl(STATUTORY_DECIDER, kwargs=_statutory_awaiting_review),
    "statutory:pdf": ClientUrl(STATUTORY_REQUEST, kwargs=_statutory_disclosed),
    "statutory:document": ClientUrl(STATUTORY_REQUEST, kwargs=_statutory_document),
    # Clients' rights requests: the client's team managers and the ISO, like a legal hold.
    "rights:client": ClientUrl(LEGAL_HOLD),
    "rights:sar_new": ClientUrl(LEGAL_HOLD),
    "rights:sar": ClientUrl(STATUTORY_DECIDER, kwargs=_sar),
    "rights:pack": ClientUrl(STATUTORY_DECIDER, kwargs=_sar_pack),
    "rights:pack_pdf": ClientUrl(STATUTORY_DECIDER, kwargs=_sar_pack),
    "rights:pack_archive": ClientUrl(STATUTORY_DECIDER, kwargs=_sar_pack),
    "rights:review": ClientUrl(STATUTORY_DECIDER, kwargs=_sar_pack),
    "rights:review_withhold": ClientUrl(STATUTORY_DECIDER, kwargs=_sar_pack, data=lambda c, fx: {"item": "notes:0"}),
    "rights:release_pdf": ClientUrl(STATUTORY_DECIDER, kwargs=_sar_released_pack),
    "rights:release_archive": ClientUrl(STATUTORY_DECIDER, kwargs=_sar_released_pack),
    "rights:erasure_new": ClientUrl(LEGAL_HOLD),
    "rights:erasure": ClientUrl(STATUTORY_DECIDER, kwargs=_erasure),
    # Who was sent an older version of corrected information: anyone the record opens for.
    "rights:corrections": ClientUrl(RECORD),
    "rights:rectification_new": ClientUrl(LEGAL_HOLD),
    "rights:rectification": ClientUrl(STATUTORY_DECIDER, kwargs=_rectification),
}


# --- Walking the URL configuration ---------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str
    route: str
    params: tuple[str, ...]
    named: bool = True
    positional: int = 0  # unnamed groups of a regex route


def all_patterns() -> list[Pattern]:
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                name = entry.name or f"<unnamed {prefix}{entry.pattern}>"
                qualified = f"{namespace}:{name}" if namespace else name
                regex = entry.pattern.regex
                found.append(
                    Pattern(
                        qualified,
                        prefix + str(entry.pattern),
                        tuple(regex.groupindex),
                        named=bool(entry.name),
                        positional=regex.groups - len(regex.groupindex),
                    )
                )

    walk(get_resolver().url_patterns, "", "")
    return found


PATTERNS = all_patterns()


def is_admin(name: str) -> bool:
    return name.startswith("admin:")


def classification(name: str) -> list[str]:
    tables = {"public": PUBLIC, "login only": LOGIN_ONLY, "role only": ROLE_ONLY, "client": CLIENT_URLS}
    return [label for label, table in tables.items() if name in table]


def test_every_url_pattern_is_classified():
    unclassified = [p for p in PATTERNS if not is_admin(p.name) and not classification(p.name)]
    twice = {p.name: classification(p.name) for p in PATTERNS if len(classification(p.name)) > 1}
    assert not unclassified, "Classify these URLs in casework/tests/test_url_coverage.py:\n" + "\n".join(
        f"  {p.name}  ({p.route})" for p in unclassified
    )
    assert not twice, f"URLs in more than one table: {twice}"


def test_every_url_with_an_object_id_is_in_the_authorization_matrix():
    missing = [
        p
        for p in PATTERNS
        if (p.params or p.positional)
        and not is_admin(p.name)
        and p.name not in PUBLIC
        and p.name not in CLIENT_URLS
        and (p.name not in ROLE_ONLY or ROLE_ONLY[p.name].kwargs is None)
    ]
    assert not missing, "URLs naming an object need a matrix entry (ClientUrl, or RoleUrl with kwargs):\n" + "\n".join(
        f"  {p.name}  ({p.route})" for p in missing
    )
    login_only_with_ids = [p.name for p in PATTERNS if p.params and p.name in LOGIN_ONLY]
    assert not login_only_with_ids, f"A URL naming an object cannot be login-only: {login_only_with_ids}"


def test_the_tables_name_no_url_that_does_not_exist():
    names = {p.name for p in PATTERNS}
    stale = (PUBLIC | LOGIN_ONLY | set(ROLE_ONLY) | set(CLIENT_URLS)) - names
    assert not stale, f"Classified but not in the URL configuration: {sorted(stale)}"


def _url_for(pattern: Pattern) -> str:
    """A URL for the pattern with placeholder values (enough for checks that come before any lookup)."""
    converters = dict((name, converter) for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", pattern.route))
    kwargs = {}
    for name in pattern.params:
        converter = converters.get(name, "")
        if name == "app_label":
            kwargs[name] = "clients"
        elif converter == "uuid":
            kwargs[name] = "00000000-0000-0000-0000-000000000000"
        elif converter == "int" or name == "pk" or name.endswith("id"):
            kwargs[name] = "1"
        else:
            kwargs[name] = "x"
    if pattern.positional:
        return reverse(pattern.name, args=["1"] * pattern.positional)
    if not pattern.named:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: kwargs[match.group(1)], pattern.route)
    return reverse(pattern.name, kwargs=kwargs)


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if p.name not in PUBLIC], ids=lambda p: p.name)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, pattern):
    response = client.get(_url_for(pattern))

    assert response.status_code == 302, pattern.name
    # Admin's sign-out sends a visitor who is not signed in to the admin index, which asks them to.
    assert "login" in response["Location"] or pattern.name == "admin:logout", (pattern.name, response["Location"])


@pytest.mark.parametrize(
    "pattern",
    [p for p in PATTERNS if is_admin(p.name) and p.name not in {"admin:login", "admin:logout"}],
    ids=lambda p: p.name,
)
def test_django_admin_is_for_staff_only(login, caseworker, pattern):
    url = _url_for(pattern)
    response = login(caseworker).get(url)

    assert response.status_code == 302, pattern.name
    assert "login" in response["Location"]


def test_admin_never_shows_client_data_without_the_gate(rf, admin_user):
    """A model with client data in Django admin is either behind the gate or not viewable."""
    request = rf.get("/admin/")
    request.user = admin_user
    exposed = []
    for model, model_admin in admin.site._registry.items():
        holds_client_data = model is Client or any(
            getattr(f, "related_model", None) is Client for f in model._meta.get_fields() if f.many_to_one
        )
        if not holds_client_data or not model_admin.has_view_permission(request):
            continue
        change = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        if change not in CLIENT_URLS:
            exposed.append(model._meta.label)
    # The audit log names clients by id only (see access.admin), so it may be viewed.
    assert set(exposed) <= {"access.AccessEvent"}, f"client data in admin without the gate: {exposed}"


# --- Role-restricted URLs ------------------------------------------------------------------


class Fixtures:
    """Hand out pytest fixtures by attribute: `fx.manager`."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return self._request.getfixturevalue(name)


@pytest.fixture
def fx(request):
    return Fixtures(request)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Dozens of standing users per test: hashing their passwords with Argon2 is the slow part.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("name", sorted(ROLE_ONLY))
def test_role_only_urls_admit_exactly_their_roles(name, fx, login):
    spec = ROLE_ONLY[name]
    kwargs = spec.kwargs(fx) if spec.kwargs else {}
    url = reverse(name, kwargs=kwargs)
    wrong = {}
    for user_key in USERS:
        test_client = login(getattr(fx, user_key), BrowserlessClient())
        response = getattr(test_client, spec.method)(url, spec.data)
        expected = spec.ok_status if user_key in spec.allowed else spec.denied_status
        if response.status_code not in expected:
            wrong[user_key] = (response.status_code, expected)
    assert not wrong, f"{name}: {wrong}"


# --- The authorization matrix for client URLs ----------------------------------------------


def give_reasons(test_client, client_ids):
    """Store a break-the-glass reason for each client id in the test client's session."""
    session = test_client.session
    fake = SimpleNamespace(session=session)
    for client_id in client_ids:
        gate.session_reason_store(fake, client_id, category="other", text="Authorization matrix")
    session.save()


def _expected(policy, user_key, client_key, *, with_reason: bool, method: str) -> str:
    outcome = policy[(user_key, client_key)]
    if outcome == "why" and with_reason:
        outcome = "ok" if client_key is not None else "404"
    if outcome == "why" and method != "get":
        outcome = "404"  # only a page is sent to the reason page; a form post is refused
    return outcome


def _check(response, outcome, spec, client, new_events, reason_url_prefix):
    status = response.status_code
    location = response.get("Location", "")
    problems = []
    if outcome == "ok":
        if status not in spec.ok_status or location.startswith(reason_url_prefix):
            problems.append(f"status {status} {location}")
        if len(new_events) != 1 or new_events[0].outcome != "allowed" or new_events[0].client_id != pk(client):
            problems.append(f"audit {[(e.outcome, e.client_id) for e in new_events]}")
    elif outcome == "why":
        if status != 302 or not location.startswith(reason_url_prefix):
            problems.append(f"status {status} {location}")
        if len(new_events) != 1 or new_events[0].outcome != "denied":
            problems.append(f"audit {[(e.outcome, e.client_id) for e in new_events]}")
    elif outcome == "404":
        if status != 404:
            problems.append(f"status {status} {location}")
        if len(new_events) != 1 or new_events[0].outcome != "denied":
            problems.append(f"audit {[(e.outcome, e.client_id) for e in new_events]}")
    elif outcome == "login":
        if status != 302 or "login" not in location:
            problems.append(f"status {status} {location}")
        if new_events:
            problems.append(f"audit {len(new_events)} rows")
    elif outcome == "page":
        if status != 200:
            problems.append(f"status {status}")
        if new_events:
            problems.append(f"audit {len(new_events)} rows")
        if client is not None and client.last_name.encode() in response.content:
            problems.append("shows the client's name")
    else:
        raise AssertionError(f"unknown outcome {outcome!r}")
    if new_events and client is not None and any(e.client_id not in (client.pk, None) for e in new_events):
        problems.append("audited against another client")
    return problems


@pytest.mark.parametrize("with_reason", [False, True], ids=["no reason", "with a reason"])
@pytest.mark.parametrize("name", sorted(CLIENT_URLS))
def test_authorization_matrix(name, with_reason, fx, login):
    spec = CLIENT_URLS[name]
    clients = {key: getattr(fx, key) if key else None for key in CLIENTS}
    problems = {}
    for user_key in USERS:
        test_client = login(getattr(fx, user_key), BrowserlessClient())
        if with_reason:
            give_reasons(test_client, [pk(c) for c in clients.values()])
        for client_key, client in clients.items():
            expected = _expected(spec.policy, user_key, client_key, with_reason=with_reason, method=spec.method)
            url = reverse(name, kwargs=spec.kwargs(client, fx))
            data = spec.data(client, fx) if spec.data else {}
            last = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = getattr(test_client, spec.method)(url, data)
            new_events = list(AccessEvent.objects.filter(id__gt=last).order_by("id"))
            found = _check(response, expected, spec, client, new_events, f"/access/clients/{pk(client)}/reason/")
            if (
                expected == "ok"
                and with_reason
                and spec.policy[(user_key, client_key)] == "why"
                and new_events
                and not new_events[0].break_glass
            ):
                found.append("not audited as break-the-glass")
            if found:
                problems[(user_key, client_key or "missing")] = (expected, found)
    assert not problems, f"{name} ({'with' if with_reason else 'without'} a reason):\n" + "\n".join(
        f"  {user:17} {client:18} expected {expected:5} got {found}"
        for (user, client), (expected, found) in problems.items()
    )
