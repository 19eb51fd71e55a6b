"""Admin inline forms with tampered input answer a form error or 400, never 500 (issue 11, item 20).

Every registered admin with inlines is posted its own change form with each inline's
ids and management-form counts tampered with, in every way a hand-edited request could.
"""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class FormFields(HTMLParser):
    """The name/value pairs a browser would submit for the page's change form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file", "image"}:
            if attrs.get("type") in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.setdefault(self._select, []).append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def _with_inlines():
    return sorted(
        ((model, model_admin) for model, model_admin in admin.site._registry.items() if model_admin.inlines),
        key=lambda item: item[0]._meta.label,
    )


def _prefixes(data) -> list[str]:
    return [name.removesuffix("-TOTAL_FORMS") for name in data if name.endswith("-TOTAL_FORMS")]


def _tampered(data, prefix, other_ids):
    """Yield (what, post data) for each way the inline `prefix` could be tampered with."""

    def changed(**updates):
        copy = {key: list(values) for key, values in data.items()}
        for key, value in updates.items():
            name = f"{prefix}-{key}"
            if value is None:
                copy.pop(name, None)
            else:
                copy[name] = [value]
        return copy

    yield "non-numeric id", changed(**{"0-id": "abc", "INITIAL_FORMS": "1", "TOTAL_FORMS": "1"})
    yield "unknown id", changed(**{"0-id": "987654", "INITIAL_FORMS": "1", "TOTAL_FORMS": "1"})
    for other in other_ids:
        yield "another object's id", changed(**{"0-id": str(other), "INITIAL_FORMS": "1", "TOTAL_FORMS": "1"})
    yield "initial count above the rows", changed(INITIAL_FORMS="7", TOTAL_FORMS="7")
    yield "negative counts", changed(INITIAL_FORMS="-1", TOTAL_FORMS="-3")
    yield "non-numeric counts", changed(INITIAL_FORMS="x", TOTAL_FORMS="y")
    yield "huge total", changed(TOTAL_FORMS="100000000")
    yield "initial above total", changed(INITIAL_FORMS="3", TOTAL_FORMS="1")
    yield "no management form", changed(INITIAL_FORMS=None, TOTAL_FORMS=None)
    yield "non-numeric foreign key", changed(**{"0-team": "abc", "0-user": "abc", "TOTAL_FORMS": "1"})
    yield "deleting a non-numeric id", changed(**{"0-id": "abc", "0-DELETE": "on", "INITIAL_FORMS": "1"})


@pytest.mark.parametrize(
    ("model", "model_admin"), _with_inlines(), ids=lambda x: getattr(getattr(x, "_meta", None), "label", "")
)
def test_tampered_inline_forms_never_answer_500(
    login, admin_user, team_a, team_b, caseworker, other_caseworker, model, model_admin
):
    test_client = login(admin_user)
    objects = list(model_admin.get_queryset(test_client.get("/admin/").wsgi_request).order_by("pk")[:2])
    assert objects
    target = objects[0]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[target.pk])
    page = test_client.get(url)
    assert page.status_code == 200
    fields = FormFields()
    fields.feed(page.content.decode())
    prefixes = _prefixes(fields.data)
    assert prefixes, f"{model._meta.label}: no inline formset found on the change page"

    before = {inline.model: sorted(inline.model._default_manager.values_list()) for inline in model_admin.inlines}
    for inline in model_admin.inlines:
        related = inline.model._default_manager.exclude(pk__in=[])
        other_ids = list(related.values_list("pk", flat=True)[:3])
        for prefix in prefixes:
            for what, data in _tampered(fields.data, prefix, other_ids):
                response = test_client.post(url, data)
                assert response.status_code in {200, 302, 400}, (model._meta.label, prefix, what, response.status_code)
    # No tampered post changed, moved or added a row.
    assert before == {
        inline.model: sorted(inline.model._default_manager.values_list()) for inline in model_admin.inlines
    }


def test_every_inline_of_every_admin_is_built_on_the_safe_base():
    from accounts.admin_base import SafeFormsMixin

    loose = [
        f"{model._meta.label}: {inline.__name__}"
        for model, model_admin in admin.site._registry.items()
        for inline in model_admin.inlines
        if not issubclass(inline, SafeFormsMixin)
    ]
    assert loose == []
