import datetime as dt
import io

from django.utils import timezone

from consent import demo as consent_demo
from consent.tests.factories import client_on_caseload
from sharing import demo
from sharing.models import DataSharingAgreement, Disclosure, PurposeTemplate, Referral


def demo_clients(caseworker, team):
    """Four clients known for a year: the demo consents are dated up to 200 days back."""
    for name in ("Ann", "Bea", "Cal", "Dev"):
        client = client_on_caseload(caseworker=caseworker, team=team, first_name=name, last_name="Demo")
        client.opened_on = timezone.localdate() - dt.timedelta(days=365)
        client.save(update_fields=["opened_on"])


def counts():
    return (
        PurposeTemplate.objects.count(),
        DataSharingAgreement.objects.count(),
        Referral.objects.filter(status=Referral.Status.SENT).count(),
        Referral.objects.count(),
        Disclosure.objects.count(),
    )


def test_the_demo_seed_adds_templates_agreements_referrals_and_a_meeting_once(caseworker, team_a, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    demo_clients(caseworker, team_a)
    consent_demo.seed(io.StringIO())

    demo.seed(io.StringIO())

    assert counts() == (3, 3, 2, 2, 3)
    da = PurposeTemplate.objects.get(purpose__key="referral-domestic-abuse").selection_obj
    assert da.to_json() == {
        "identity": "summary",
        "contact": "summary",
        "support_needs": "detail",
        "domestic_abuse": "detail",
    }
    unagreed = Disclosure.objects.filter(kind="referral", agreement__isnull=True).get()
    assert unagreed.partner.name == "Safe Haven Domestic Abuse Service"
    assert Disclosure.objects.filter(kind="meeting").count() == 1

    demo.seed(io.StringIO())
    assert counts() == (3, 3, 2, 2, 3)


def test_without_demo_consents_it_adds_the_reference_data_only(db):
    out = io.StringIO()

    demo.seed(out)

    assert PurposeTemplate.objects.count() == 3
    assert not Referral.objects.exists()
    assert "no demo referrals" in out.getvalue()


def test_under_the_default_policy_a_team_manager_approves_the_demo_referral_without_an_agreement(
    caseworker, manager, team_a, settings, tmp_path, monkeypatch
):
    from sharing.models import SharingPolicy

    monkeypatch.setattr(
        SharingPolicy._meta.get_field("without_agreement"), "default", SharingPolicy.WithoutAgreement.APPROVAL
    )
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    demo_clients(caseworker, team_a)
    consent_demo.seed(io.StringIO())

    demo.seed(io.StringIO())

    assert counts() == (3, 3, 2, 2, 3)
    unagreed = Referral.objects.get(disclosure__agreement__isnull=True)
    assert unagreed.unagreed_approved_by == manager
