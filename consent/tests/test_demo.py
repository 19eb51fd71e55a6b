import datetime as dt
import io

from django.utils import timezone

from consent import demo
from consent.models import ConsentRecord, LawfulBasisRecord, MeetingGroup, Partner, PrivacyNotice
from consent.selectors import consents_due_for_review

from .factories import client_on_caseload


def test_the_demo_seed_adds_realistic_consents_once(caseworker, team_a, private_root):
    clients = [
        client_on_caseload(caseworker=caseworker, team=team_a, first_name=name, last_name="Demo")
        for name in ("Ann", "Bea", "Cal", "Dev")
    ]
    for client in clients:  # known for a year: the demo consents are dated up to 200 days back
        client.opened_on = timezone.localdate() - dt.timedelta(days=365)
        client.save(update_fields=["opened_on"])
    demo.seed(io.StringIO())
    counts = (
        Partner.objects.count(),
        MeetingGroup.objects.get().members.count(),
        PrivacyNotice.objects.count(),
        ConsentRecord.objects.count(),
        ConsentRecord.history.count(),
        LawfulBasisRecord.objects.count(),
    )
    assert counts == (5, 4, 1, 4, 5, 2)
    assert ConsentRecord.objects.filter(withdrawn_at__isnull=False).count() == 1
    assert len(consents_due_for_review(clients=clients[0].__class__.objects.all())) == 2

    demo.seed(io.StringIO())
    assert counts == (
        Partner.objects.count(),
        MeetingGroup.objects.get().members.count(),
        PrivacyNotice.objects.count(),
        ConsentRecord.objects.count(),
        ConsentRecord.history.count(),
        LawfulBasisRecord.objects.count(),
    )


def test_the_demo_seed_skips_consents_without_demo_clients(db):
    out = io.StringIO()
    demo.seed(out)
    assert Partner.objects.filter(name="Riverside Housing Association").exists()
    assert not ConsentRecord.objects.exists()
    assert "no demo consents added" in out.getvalue()
