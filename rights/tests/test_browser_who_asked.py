"""Browser: a request's representative fields show only when someone acts for the client,
and the page stays accessible (axe-core) either way."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "heading", "name_label"),
    [
        ("subject-access/new/", "Log a subject access request", "Name of the person acting for the client"),
        ("erasure/new/", "Log an erasure request", "Name of the person acting for the client"),
    ],
)
def test_the_representatives_fields_show_only_for_someone_acting_for_the_client(
    path, heading, name_label, page, axe, browser_login, manager, own_client
):
    browser_login(manager)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto(f"/rights/client/{own_client.pk}/{path}")
    page.get_by_role("heading", name=heading).wait_for()

    name = page.get_by_label(name_label)
    assert not name.is_visible()
    axe(page)

    page.get_by_label("Someone acting for the client").check()
    assert name.is_visible()
    assert name.is_enabled()
    axe(page)

    page.get_by_label("The client", exact=True).check()
    assert not name.is_visible()
    assert name.is_disabled()  # hidden and disabled: nothing unseen is sent
