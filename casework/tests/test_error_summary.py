"""The error summary links each error to its field: for a radio or checkbox group (which has
no single input for its label) the link goes to the first option, never to a bare `#`."""

from html.parser import HTMLParser

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from consent.forms import DateInput, SelectionField
from consent.tests.factories import PrivacyNoticeFactory

COLOURS = [("red", "Red"), ("blue", "Blue")]


class _Links(HTMLParser):
    """The ids in a page and the targets of the error summary's links."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.targets: list[str] = []
        self._in_summary = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if "error-summary" in (attrs.get("class") or "").split():
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.targets.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if self._in_summary and tag == "div":
            self._in_summary -= 1


def summary_links(html: str) -> tuple[list[str], set[str]]:
    parser = _Links()
    parser.feed(html)
    return parser.targets, parser.ids


def assert_every_link_has_a_target(html: str) -> list[str]:
    targets, ids = summary_links(html)
    assert targets, "no error summary links"
    for target in targets:
        assert target.startswith("#"), target
        assert target[1:] in ids, f"{target!r} points at nothing"
    return targets


class EveryKindOfField(forms.Form):
    colour = forms.ChoiceField(choices=COLOURS, widget=forms.RadioSelect, label="Colour")
    colours = forms.MultipleChoiceField(choices=COLOURS, widget=forms.CheckboxSelectMultiple, label="Colours")
    nothing = forms.ChoiceField(choices=[], widget=forms.RadioSelect, label="A question with no options yet")
    on = forms.DateField(widget=DateInput, label="On")
    selection = SelectionField(label="What information", required=True)


def test_each_error_links_to_the_first_option_of_a_group_or_to_the_field():
    form = EveryKindOfField(data={})
    html = render_to_string("includes/form.html", {"form": form})

    targets = assert_every_link_has_a_target(html)

    assert targets == ["#id_colour_0", "#id_colours_0", "#id_nothing", "#id_on", "#id_selection_0_0"]
    assert 'value="red" required aria-invalid="true" id="id_colour_0"' in html  # the first option


@pytest.mark.django_db
def test_the_police_request_form_links_every_error_to_a_field(login, caseworker, own_client):
    response = login(caseworker).post(reverse("statutory:new", args=[own_client.pk]), {"basis": "court_order"})

    assert response.status_code == 400
    html = response.content.decode()
    targets = assert_every_link_has_a_target(html)
    assert '<div class="reveal" data-reveal-when="basis" data-reveal-values="court_order emergency">' in html
    for radio_group in ("#id_body_0", "#id_verification_0", "#id_channel_0", "#id_order_kind_0", "#id_scope_0_0"):
        assert radio_group in targets
    assert "#id_order_date" in targets


@pytest.mark.django_db
def test_the_consent_form_links_every_error_to_a_field(login, caseworker, own_client):
    PrivacyNoticeFactory()

    response = login(caseworker).post(reverse("consent:record", args=[own_client.pk]), {"has_capacity": "yes"})

    assert response.status_code == 400
    html = response.content.decode()
    targets = assert_every_link_has_a_target(html)
    assert "#id_method_0" in targets
    # Without JavaScript every way's fields are there, grouped for static/js/reveal.js.
    assert '<fieldset class="reveal" data-reveal-when="method" data-reveal-values="verbal">' in html
    assert 'id="id_witness_name"' in html
    assert "#id_given_at" in targets


# --- One summary, one place ----------------------------------------------------------------

SUMMARY_MARKUP = ("error-summary", "data-error-summary", "There is a problem")


def test_no_template_writes_its_own_error_summary(settings):
    """Every error summary is includes/error_summary.html (focus, role, links to the fields):
    a template that writes the markup itself drifts from it (a missing link, role="note")."""
    root = settings.BASE_DIR / "templates"
    include = root / "includes" / "error_summary.html"
    templates = [path for path in root.rglob("*.html") if path != include]
    assert len(templates) > 50

    offenders = [
        f"{path.relative_to(root)}: {marker}"
        for path in templates
        for marker in SUMMARY_MARKUP
        if marker in path.read_text()
    ]

    assert offenders == []


def test_the_summary_lists_problems_that_belong_to_no_field_under_its_title():
    html = render_to_string(
        "includes/error_summary.html",
        {"form": None, "summary_problems": ["Not covered by a consent."], "summary_title": "This cannot be sent yet"},
    )

    assert 'role="alert"' in html
    assert "data-error-summary" in html
    assert '<h2 id="error-summary-title">This cannot be sent yet</h2>' in html
    assert "<li>Not covered by a consent.</li>" in html


def test_nothing_is_rendered_without_errors_or_problems():
    assert render_to_string("includes/error_summary.html", {"form": EveryKindOfField()}).strip() == ""
