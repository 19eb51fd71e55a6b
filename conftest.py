"""Standing users for every test: one per role and relationship.

team_a holds `caseworker` and `manager`; team_b holds `other_caseworker` and
`other_manager`. `own_client` is on caseworker's caseload in team_a; `team_client` is in
team_a on nobody's caseload; `other_team_client` is in team_b (other_caseworker's);
`closed_client` is caseworker's but closed. They are made through clients.services, so
the access rows the gate reads exist.
"""

import pytest

from accounts.models import Role
from accounts.tests.factories import TeamFactory, UserFactory


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Outreach North", slug="outreach-north")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Riverside Hostel", slug="riverside-hostel")


@pytest.fixture
def caseworker(team_a):
    return UserFactory(username="casey", first_name="Casey", last_name="Worker", teams=[team_a])


@pytest.fixture
def other_caseworker(team_b):
    return UserFactory(username="olly", first_name="Olly", last_name="Other", teams=[team_b])


@pytest.fixture
def manager(team_a):
    return UserFactory(
        username="morgan", first_name="Morgan", last_name="Manager", role=Role.SERVICE_MANAGER, teams=[team_a]
    )


@pytest.fixture
def other_manager(team_b):
    return UserFactory(
        username="mina", first_name="Mina", last_name="Manager", role=Role.SERVICE_MANAGER, teams=[team_b]
    )


@pytest.fixture
def iso(db):
    return UserFactory(username="isla", first_name="Isla", last_name="Officer", role=Role.INFORMATION_SECURITY_OFFICER)


@pytest.fixture
def admin_user(db):
    return UserFactory(
        username="ada", first_name="Ada", last_name="Admin", role=Role.ADMIN, is_staff=True, is_superuser=True
    )


# --- Standing clients (made through clients.services, so access rows exist) -------------


@pytest.fixture
def own_client(team_a, caseworker, manager):
    from clients import services

    return services.client_create(
        actor=caseworker, team=team_a, first_name="Olivia", last_name="Owens", reference="OWN-001"
    )


@pytest.fixture
def team_client(team_a, manager):
    """In team_a, on nobody's caseload."""
    from clients import services

    return services.client_create(
        actor=manager, team=team_a, first_name="Tariq", last_name="Teale", reference="TEAM-001"
    )


@pytest.fixture
def other_team_client(team_b, other_caseworker, other_manager):
    from clients import services

    return services.client_create(
        actor=other_caseworker, team=team_b, first_name="Bethan", last_name="Brooks", reference="OTHER-001"
    )


@pytest.fixture
def closed_client(team_a, caseworker, manager):
    """caseworker's client, but the case is closed."""
    from clients import services

    client = services.client_create(
        actor=caseworker, team=team_a, first_name="Connor", last_name="Close", reference="CLOSED-001"
    )
    return services.client_close(actor=manager, client=client, reason="Moved out of area")


# --- E-mail through the outbox ---------------------------------------------------------


@pytest.fixture
def outbox_sent(monkeypatch, django_capture_on_commit_callbacks):
    """`with outbox_sent(): ...` runs what the block commits and sends its outbox e-mails at once.

    Outside tests a queued e-mail goes to the worker after commit (deadlines.enqueue); here
    it is claimed and sent in this process, through the same outbox_send, into mail.outbox.
    """
    from functools import partial

    from deadlines import enqueue, services

    monkeypatch.setattr(enqueue, "send_soon", lambda ids: [services.outbox_send(outbox_id=pk) for pk in ids])
    return partial(django_capture_on_commit_callbacks, execute=True)


# --- Migration tests ---------------------------------------------------------------------


@pytest.fixture
def schema_restored():
    """For a test that migrates the database back: afterwards, forward to every app's latest
    migration again, whether the test passed or not. A test database left on an old schema
    fails every transactional test after it with missing columns."""
    yield
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


# --- Logging in -------------------------------------------------------------------------


@pytest.fixture
def login(client):
    """Log a standing user in with the test client, 2FA-verified where the role needs it."""
    from accounts.testing import force_verified_login

    def _login(user, test_client=None):
        return force_verified_login(test_client or client, user)

    return _login


# --- Browser tests (Playwright driving Debian's Chromium) -------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make between browser steps are ordinary synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def axe():
    """Call `axe(page)` on each page a flow visits: fails on serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    checker = Axe()

    def _check(page):
        results = checker.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
        assert not bad, "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in bad
        )

    return _check


@pytest.fixture
def browser_login(page):
    """Sign in through the real login form. 2FA roles get a TOTP device and enter a code."""

    def _login(user, password=None, target=None):
        from accounts.tests.factories import PASSWORD, unused_totp_code

        device = None
        if user.requires_2fa:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device, _ = TOTPDevice.objects.get_or_create(user=user, name="Test phone", defaults={"confirmed": True})
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password or PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        if device is not None:
            page.get_by_label("Code").fill(unused_totp_code(device))
            page.get_by_role("button", name="Verify").click()
        return page

    return _login
