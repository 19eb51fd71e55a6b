import io

from breaches import demo
from breaches.models import BreachReport
from deadlines.models import Alert


def seed_accounts():
    from accounts import demo as accounts_demo

    accounts_demo.seed(io.StringIO())


def test_the_demo_seeds_three_breaches_once(db):
    seed_accounts()

    demo.seed(io.StringIO())
    counts = (BreachReport.objects.count(), BreachReport.history.count(), Alert.objects.count())
    out = io.StringIO()
    demo.seed(out)

    assert counts == (BreachReport.objects.count(), BreachReport.history.count(), Alert.objects.count())
    assert "0 demo breaches created" in out.getvalue()
    assert sorted(BreachReport.objects.values_list("status", flat=True)) == ["assessed", "closed", "reported"]


def test_the_demo_skips_without_the_accounts_demo(db):
    out = io.StringIO()

    demo.seed(out)

    assert "skipped" in out.getvalue()
    assert not BreachReport.objects.exists()
