"""Once a request's pack is released, its compiled drafts (which hold the withheld items) are
no longer offered or served: only the released copy is."""

import pytest
from django.urls import reverse

from rights.tests.factories import ready_pack, released_pack


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


@pytest.mark.parametrize("name", ["rights:pack_pdf", "rights:pack_archive"])
def test_a_draft_downloads_until_its_pack_is_released_and_never_after(name, manager, own_client, login):
    draft = ready_pack(client=own_client, actor=manager)
    assert login(manager).get(reverse(name, args=[own_client.pk, draft.pk])).status_code == 200

    released = released_pack(client=own_client, actor=manager)
    browser = login(manager)

    assert browser.get(reverse(name, args=[own_client.pk, released.pk])).status_code == 404
    page = browser.get(reverse("rights:pack", args=[own_client.pk, released.pk])).content.decode()
    assert reverse(name, args=[own_client.pk, released.pk]) not in page
    assert reverse("rights:release_pdf", args=[own_client.pk, released.pk]) in page
