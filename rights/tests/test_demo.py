"""The demo's subject access requests: made through the services, once."""

import io

from accounts import demo as accounts_demo
from clients import demo as clients_demo
from rights import demo, retention
from rights.models import RetentionRule, SubjectAccessRequest


def test_the_demo_adds_two_requests_one_extended_once(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    accounts_demo.seed(io.StringIO())
    clients_demo.seed(io.StringIO())

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    assert sorted(SubjectAccessRequest.objects.values_list("extension_months", flat=True)) == [0, 1]
    closed_rule = RetentionRule.objects.get(kind=RetentionRule.Kind.CLOSED_CASES)
    assert sorted(retention.due_clients(closed_rule).values_list("reference", flat=True)) == ["ON-0090", "RH-0090"]


def test_the_demo_skips_requests_without_the_demo_staff_and_clients(db):
    out = io.StringIO()
    demo.seed(out)
    assert not SubjectAccessRequest.objects.exists()
    assert "no demo staff or clients" in out.getvalue()


def test_the_demo_sets_a_retention_rule_per_kind_once_and_keeps_an_admins_change(db):
    demo.seed(io.StringIO())
    RetentionRule.objects.filter(kind=RetentionRule.Kind.CLOSED_CASES).update(period_months=96)
    demo.seed(io.StringIO())

    rules = dict(RetentionRule.objects.values_list("kind", "period_months"))
    assert set(rules) == set(RetentionRule.Kind.values)
    assert rules[RetentionRule.Kind.CLOSED_CASES] == 96
    for rule in RetentionRule.objects.all():
        rule.full_clean()  # every demo start date fits its kind
