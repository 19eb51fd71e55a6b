"""History that never skips a change.

simple-history writes its row from `save()`; `QuerySet.update()`, `bulk_update()` and
`bulk_create()` bypass it, so the newest history row would disagree with the live row.
One check fails the build on such a call on a history-tracked model anywhere in the
apps' code (outside ALLOWED, each with its reason); the tests after it run the services
that used to do it and compare the newest history row with the live row.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
BYPASSING = {"update", "bulk_update", "bulk_create"}

# (path, model) -> why a history-skipping write is right there. Keep it short.
ALLOWED: dict[tuple[str, str], str] = {}


def tracked_models() -> dict[str, str]:
    """Class name -> label of every model with simple-history."""
    return {
        model.__name__: model._meta.label
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
    }


def _imported_models(tree, own_app: str) -> dict[str, str]:
    """Local name -> "app.Model" for the model names a module imports (`from .models import
    Alert` in deadlines is deadlines.Alert, not clients.Alert: two apps may reuse a name)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            app = own_app if node.level else (node.module or "").split(".")[0]
            for alias in node.names:
                names[alias.asname or alias.name] = f"{app}.{alias.name}"
    return names


def _root_name(node) -> tuple[str | None, bool]:
    """The name a call chain starts from (`Client` in `Client.objects.filter().update`) and
    whether it passes through a manager attribute (`.objects`)."""
    through_manager = False
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            through_manager = through_manager or node.attr in {"objects", "_default_manager", "_base_manager"}
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id, through_manager
        else:
            return None, through_manager


def history_skipping_writes() -> list[tuple[str, int, str, str]]:
    """(path, line, model, call) for every update/bulk call on a tracked model's manager."""
    tracked = set(tracked_models().values())
    app_dirs = {Path(config.path) for config in apps.get_app_configs() if Path(config.path).is_relative_to(ROOT)}
    found = []
    for app_dir in sorted(app_dirs):
        for path in sorted(app_dir.rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/tests/" in f"/{relative}" or "/migrations/" in relative or "/bench/" in relative:
                continue
            tree = ast.parse(path.read_text(), filename=relative)
            imported = _imported_models(tree, app_dir.name)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in BYPASSING:
                    name, through_manager = _root_name(node.func.value)
                    label = imported.get(name, f"{app_dir.name}.{name}") if name else None
                    if label in tracked and through_manager:
                        found.append((relative, node.lineno, name, node.func.attr))
    return found


def test_no_history_tracked_model_is_written_past_its_history():
    offending = [
        f"{path}:{line}: {model}.objects…{call}() writes no history row; use a locked fetch and "
        "save(update_fields=...), or add it to ALLOWED with the reason"
        for path, line, model, call in history_skipping_writes()
        if (path, model) not in ALLOWED
    ]
    assert not offending, "\n".join(offending)


def test_the_check_finds_what_it_is_meant_to_find(tmp_path):
    source = "def f(b):\n    BreachReport.objects.filter(pk=b.pk).update(x=1)\n    Referral.objects.update(y=2)\n"
    tree = ast.parse(source)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "update"]
    names = {_root_name(call.func.value) for call in calls}
    assert ("BreachReport", True) in names
    assert "BreachReport" in tracked_models()
    assert "Referral" not in tracked_models()


def test_a_model_name_is_read_through_the_modules_imports():
    tree = ast.parse("from .models import Alert\nfrom clients.models import Alert as ClientAlert\n")
    assert _imported_models(tree, "deadlines") == {"Alert": "deadlines.Alert", "ClientAlert": "clients.Alert"}
    assert "clients.Alert" in tracked_models().values()
    assert "deadlines.Alert" not in tracked_models().values()


# --- The newest history row equals the live row ----------------------------------------------


def assert_history_matches(obj):
    """The newest history row of `obj` holds the same value in every tracked field as the database."""
    live = type(obj).objects.get(pk=obj.pk)
    newest = live.history.order_by("-history_id").first()
    assert newest is not None, f"{obj!r} has no history"
    # (Fields a model leaves out of its history, such as the deadline sweep's cursor, are not compared.)
    tracked = {f.attname for f in live.history.model._meta.fields}
    fields = [f.attname for f in type(obj)._meta.concrete_fields if f.attname in tracked]
    differ = {
        name: (getattr(newest, name), getattr(live, name))
        for name in fields
        if getattr(newest, name) != getattr(live, name)
    }
    assert not differ, f"newest history row disagrees with the live row: {differ}"


def test_attaching_a_signed_agreement_is_in_the_agreements_history(admin_user):
    from consent.evidence import check_upload
    from consent.tests.factories import PDF_BYTES
    from sharing import services
    from sharing.tests.factories import DataSharingAgreementFactory

    agreement = DataSharingAgreementFactory()
    checked = check_upload(SimpleUploadedFile("signed.pdf", PDF_BYTES, content_type="application/pdf"))

    document = services.agreement_document_attach(actor=admin_user, agreement=agreement, checked=checked)

    assert_history_matches(agreement)
    newest = agreement.history.order_by("-history_id").first()
    assert newest.document_id == document.pk
    assert newest.history_user == admin_user


@pytest.mark.parametrize("stage", ["report", "triage"])
def test_unmatched_client_references_are_in_the_breachs_history(caseworker, manager, own_client, stage):
    from breaches import services

    breach = services.breach_report(
        actor=caseworker,
        what_happened="A notebook left on the bus.",
        became_aware_at=timezone.now(),
        client_references=f"{own_client.reference} NOPE-404" if stage == "report" else "",
    )
    if stage == "triage":
        breach = services.breach_triage(
            actor=manager,
            breach=breach,
            what_happened="A notebook left on the bus.",
            how_discovered="The worker noticed at the office.",
            became_aware_at=breach.became_aware_at,
            occurred_at=None,
            occurred_note="",
            categories=["identity"],
            people_affected_approx=1,
            records_affected_approx=1,
            people_categories=["clients"],
            cyber_incident=False,
            cyber_details="",
            containment="Called lost property.",
            client_references="GONE-1 GONE-2",
            team=breach.team,
        )

    assert_history_matches(breach)
    assert breach.history.order_by("-history_id").first().unresolved_client_references in {"NOPE-404", "GONE-1 GONE-2"}


def test_a_court_orders_legal_hold_is_in_the_requests_history(caseworker, own_client):
    from statutory.tests.factories import court_order_request

    logged = court_order_request(client=own_client, actor=caseworker)

    assert logged.placed_legal_hold
    assert_history_matches(logged)


def _clients_services(fx):
    from clients import services
    from clients.models import Assignment

    client = fx("own_client")
    manager, caseworker, team_b = fx("manager"), fx("caseworker"), fx("team_b")
    return {
        "client_create": lambda: services.client_create(
            actor=caseworker, team=client.team, first_name="Nia", last_name="New", reference="NEW-9"
        ),
        "client_update": lambda: services.client_update(actor=caseworker, client=client, last_name="Owens-Hart"),
        "client_close": lambda: services.client_close(actor=manager, client=client, reason="Moved away"),
        "client_reopen": lambda: services.client_reopen(
            actor=manager, client=services.client_close(actor=manager, client=client, reason="Moved away")
        ),
        "client_move": lambda: (
            services.client_move(actor=manager, client=client, team=team_b, reason="Moved into the hostel").client
        ),
        "assignment_end": lambda: services.assignment_end(
            actor=manager, assignment=Assignment.objects.filter(client=client).first()
        ),
        "entry_update": lambda: services.entry_update(
            actor=caseworker,
            entry=services.entry_create(actor=caseworker, client=client, category="housing_history", summary="Hostel"),
            summary="Flat",
        ),
        "note_update": lambda: services.note_update(
            actor=caseworker,
            note=services.note_create(actor=caseworker, client=client, category="support_needs", text="First"),
            category="support_needs",
            text="Second",
        ),
    }


SERVICES = [
    "client_create",
    "client_update",
    "client_close",
    "client_reopen",
    "client_move",
    "assignment_end",
    "entry_update",
    "note_update",
]


@pytest.mark.parametrize("name", SERVICES)
def test_after_each_clients_service_the_newest_history_row_equals_the_live_row(db, request, name):
    result = _clients_services(request.getfixturevalue)[name]()

    assert_history_matches(result)


def test_after_a_withdrawal_the_consents_newest_history_row_equals_the_live_row(caseworker, own_client):
    from consent.services import consent_withdraw
    from consent.tests.factories import ConsentRecordFactory

    consent = ConsentRecordFactory(client=own_client, recorded_by=caseworker)
    consent_withdraw(actor=caseworker, consent=consent, how="phone")

    assert_history_matches(consent)
