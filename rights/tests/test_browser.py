"""Browser: the ISO logs a subject access request, a manager compiles the pack, reviews it,
withholds one item under an exemption, releases it and downloads the client's PDF."""

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from clients import services as client_services
from rights import services, tasks
from rights.models import SarRelease, SubjectAccessRequest

pytestmark = pytest.mark.browser

THIRD_PARTY = "Staying with her sister Morwenna Tregothnan on Hope Street"
NOTE = "Agreed to meet at the library on Tuesdays"


@pytest.fixture
def compiled_at_once(monkeypatch, settings, tmp_path):
    """The worker's jobs done in the request's on-commit, so the pack is ready (or released) when the page loads."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    monkeypatch.setattr(tasks.compile_sar_pack, "delay", lambda pack_id: services.sar_pack_compile(pack_id=pack_id))
    monkeypatch.setattr(tasks.release_sar_pack, "delay", lambda pack_id: services.sar_pack_release_run(pack_id=pack_id))


def test_the_iso_logs_a_request_and_a_manager_reviews_withholds_releases_and_downloads_it(
    page, axe, browser_login, iso, manager, caseworker, own_client, compiled_at_once
):
    entry = client_services.entry_create(
        actor=caseworker, client=own_client, category="housing_history", summary=THIRD_PARTY
    )
    client_services.note_create(actor=caseworker, client=own_client, category="support_needs", text=NOTE)

    # The ISO logs the request; the record asks for a reason first, as for anyone outside the team.
    browser_login(iso)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto(f"/rights/client/{own_client.pk}/subject-access/new/")
    page.get_by_role("heading", name="Why do you need this record?").wait_for()
    axe(page)
    page.get_by_label("Data-protection request").check()
    page.get_by_label("Explain why you need this record now").fill("Logging a subject access request")
    page.get_by_role("button", name="Open the record").click()
    page.get_by_role("heading", name="Log a subject access request").wait_for()
    axe(page)
    page.get_by_label("The client", exact=True).check()
    page.get_by_label("Known to staff and seen in person").check()
    page.get_by_label("What they asked for").fill("Everything you hold about me.")
    page.get_by_label("Date received").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Log the request").click()
    sar = SubjectAccessRequest.objects.get()
    page.get_by_role("heading", name=f"Subject access request {sar.reference}").wait_for()
    axe(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()

    # The client's manager compiles the pack.
    browser_login(manager)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto(f"/rights/client/{own_client.pk}/subject-access/{sar.pk}/")
    page.get_by_role("button", name="Compile the pack").click()
    page.get_by_role("heading", name=f"Subject access pack for {sar.reference}").wait_for()
    page.get_by_text("Ready", exact=True).wait_for()
    axe(page)

    # Reviews it item by item and withholds the sister's address.
    page.get_by_role("link", name="Review before release").click()
    page.get_by_role("heading", name=f"Review the pack for {sar.reference}").wait_for()
    assert THIRD_PARTY in page.content()
    axe(page)
    page.locator(f"#item-entries{entry.pk}").get_by_role("link", name="Withhold").click()
    page.get_by_role("heading", name=f"Withhold an item from the pack for {sar.reference}").wait_for()
    axe(page)
    page.get_by_label("Information about another person (DPA 2018 Sch 2 Part 3 para 16)").check()
    page.get_by_label("Why it applies to this item").fill("Her sister's address; her sister has not agreed.")
    page.get_by_role("button", name="Withhold the item").click()
    page.get_by_text("The item is withheld.").wait_for()
    assert page.get_by_text("Her sister's address; her sister has not agreed.").is_visible()
    axe(page)

    # Releases it, and downloads the client's copy.
    page.get_by_role("button", name="Release the pack").click()
    page.get_by_role("link", name="The client's copy as released (PDF)").wait_for()
    axe(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="The client's copy as released (PDF)").click()
    with open(download_info.value.path(), "rb") as pdf:
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages).split())

    assert NOTE in text
    assert THIRD_PARTY not in text
    assert "Morwenna" not in text
    assert SarRelease.objects.get(sar=sar).released_by == manager

    # The request's page shows the release and the decision.
    page.get_by_role("link", name="Back to the request").click()
    page.get_by_role("heading", name="Withheld from the requester").wait_for()
    assert page.get_by_text("Information about another person (DPA 2018 Sch 2 Part 3 para 16)").is_visible()
    assert not page.get_by_role("button", name="Compile the pack").is_visible()
    axe(page)
