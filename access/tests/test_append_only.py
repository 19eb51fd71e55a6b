"""Append-only on every database: each model whose Meta declares a `pgtrigger.Protect`
refuses the protected operations whether the suite runs on PostgreSQL or SQLite.

The walk is over the models, not a list: a model given a Protect trigger later is checked
here too (and needs a maker below, or the first test says so).
"""

import pytest
from django.db import DatabaseError, connection, transaction

from access.sqlite_triggers import PREFIX, installed_names, protect_triggers


def _access_event(fx):
    from access.gate import Action, Outcome, record

    return record(None, action=Action.LIST, outcome=Outcome.ALLOWED, detail="append-only check")


def _audit_seal(fx):
    from access.tests.test_audit import _events_and_seal

    return _events_and_seal()[1]


def _privacy_notice(fx):
    from consent.tests.factories import PrivacyNoticeFactory

    return PrivacyNoticeFactory()


def _disclosure(fx):
    from sharing.tests.factories import sent_referral

    return sent_referral(client=fx.getfixturevalue("own_client"), actor=fx.getfixturevalue("caseworker")).disclosure


def _attendance(fx):
    from consent.tests.factories import PartnerFactory
    from sharing.models import MeetingAttendance

    return MeetingAttendance.objects.create(disclosure=_disclosure(fx), partner=PartnerFactory())


def _statutory_disclosure(fx):
    from statutory.models import StatutoryDisclosure
    from statutory.tests.factories import StatutoryRequestFactory

    disclosure = _disclosure(fx)
    request = StatutoryRequestFactory(client=disclosure.client, received_by=fx.getfixturevalue("caseworker"))
    return StatutoryDisclosure.objects.create(statutory_request=request, disclosure=disclosure)


def _sar_release(fx):
    from rights.models import SarRelease
    from rights.tests.factories import released_pack

    fx.getfixturevalue("settings").PRIVATE_STORAGE_ROOT = fx.getfixturevalue("tmp_path")
    pack = released_pack(client=fx.getfixturevalue("own_client"), actor=fx.getfixturevalue("manager"))
    return SarRelease.objects.get(pack=pack)


MAKERS = {
    "access.AccessEvent": _access_event,
    "access.AuditSeal": _audit_seal,
    "consent.PrivacyNotice": _privacy_notice,
    "sharing.Disclosure": _disclosure,
    "sharing.MeetingAttendance": _attendance,
    "statutory.StatutoryDisclosure": _statutory_disclosure,
    "rights.SarRelease": _sar_release,
}

PROTECTED = [
    (model._meta.label, operation)
    for model, trigger in protect_triggers()
    for operation in (str(op) for op in trigger.operation)
    if operation in {"UPDATE", "DELETE"}
]


def test_every_protected_model_is_checked_here():
    labels = {model._meta.label for model, _ in protect_triggers()}
    assert labels >= {"access.AccessEvent", "access.AuditSeal", "sharing.Disclosure"}
    missing = labels - set(MAKERS)
    assert not missing, f"add a maker to MAKERS for {sorted(missing)} so its append-only trigger is tested"


def test_every_protect_trigger_is_installed_in_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'")
            present = {name for (name,) in cursor.fetchall()}
            expected = {trigger.get_pgid(model) for model, trigger in protect_triggers()}
        else:
            present = installed_names()
            expected = {
                f"{PREFIX}{trigger.name}__{operation.lower()}"
                for model, trigger in protect_triggers()
                for operation in (str(op) for op in trigger.operation)
                if operation != "TRUNCATE"
            }
    assert expected <= present, sorted(expected - present)


def _attempts(obj, operation):
    quote = connection.ops.quote_name
    table, pk_column, pk = quote(obj._meta.db_table), quote(obj._meta.pk.column), obj.pk
    if operation == "UPDATE":
        raw_update = f"UPDATE {table} SET {pk_column} = {pk_column} WHERE {pk_column} = %s"  # noqa: S608 (identifiers from model metadata)
        return {
            "raw update": (raw_update, [pk]),
            "queryset update": lambda: type(obj).objects.filter(pk=pk).update(**{obj._meta.pk.attname: pk}),
            "instance save": lambda: obj.save(),
        }
    raw_delete = f"DELETE FROM {table} WHERE {pk_column} = %s"  # noqa: S608 (identifiers from model metadata)
    return {
        "raw delete": (raw_delete, [pk]),
        "queryset delete": lambda: type(obj).objects.filter(pk=pk).delete(),
    }


@pytest.mark.parametrize(("label", "operation"), PROTECTED, ids=[f"{label} {op}" for label, op in PROTECTED])
def test_the_database_refuses_protected_changes(request, db, label, operation):
    obj = MAKERS[label](request)
    for how, attempt in _attempts(obj, operation).items():
        with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic():  # noqa: PT012
            if callable(attempt):
                attempt()
            else:
                with connection.cursor() as cursor:
                    cursor.execute(*attempt)
        assert type(obj).objects.filter(pk=obj.pk).exists(), (label, how)


def test_pgtrigger_ignore_lets_a_deliberate_change_through_on_either_database(db):
    import pgtrigger

    from access.models import AccessEvent

    event = _access_event(None)
    with pgtrigger.ignore("access.AccessEvent:accessevent_append_only"), transaction.atomic():
        AccessEvent.objects.filter(pk=event.pk).update(detail="changed on purpose")

    assert AccessEvent.objects.get(pk=event.pk).detail == "changed on purpose"


def test_flush_empties_a_test_database_despite_the_triggers(transactional_db):
    from django.core.management import call_command

    from access.models import AccessEvent

    _access_event(None)
    call_command("flush", interactive=False, verbosity=0)

    assert not AccessEvent.objects.exists()


def test_flush_refuses_a_database_that_is_not_for_tests(db, monkeypatch, settings):
    from django.core.management import CommandError, call_command

    from access.models import AccessEvent

    settings.DEBUG = False
    _access_event(None)
    monkeypatch.setitem(connection.settings_dict, "NAME", "casework")

    with pytest.raises(CommandError, match="append-only"):
        call_command("flush", interactive=False, verbosity=0)
    monkeypatch.undo()
    assert AccessEvent.objects.exists()
