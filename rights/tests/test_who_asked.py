"""Who asked: the client, or someone acting for them. The representative's fields (name,
relationship, authority) show only when someone acts for the client (static/js/reveal.js),
are grouped for it without JavaScript, and the server decides what the answer needs."""

import datetime as dt
import importlib

import pytest
from django import forms
from django.apps import apps
from django.urls import reverse

from consent.forms import Reveal
from rights.models import ErasureRequest, RectificationRequest, SubjectAccessRequest

SAR = SubjectAccessRequest
REQUEST_PAGES = ["rights:sar_new", "rights:erasure_new", "rights:rectification_new"]
GROUP = '<fieldset class="reveal" data-reveal-when="requester" data-reveal-values="representative">'


def _forms_asking_who():
    """Every form class in the project with a "who asked" question (the Requester choices)."""
    found = []
    for config in apps.get_app_configs():
        if config.module.__name__.split(".")[0] not in {"rights", "statutory", "sharing", "consent", "clients"}:
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                field = value.base_fields.get("requester")
                if isinstance(field, forms.ChoiceField) and list(field.choices) == list(SAR.Requester.choices):
                    found.append(value)
    return found


def test_every_who_asked_form_shows_the_representatives_fields_only_for_a_representative():
    found = _forms_asking_who()
    assert {form.__name__ for form in found} >= {"SarLogForm", "ErasureLogForm", "RectificationLogForm"}
    for form in found:
        grouped = {
            name
            for item in form.LAYOUT
            if isinstance(item, Reveal) and item.control == "requester"
            for name in item.names
        }
        about_them = {
            name
            for name, field in form.base_fields.items()
            if name != "requester"
            and any(word in str(field.label).lower() for word in ("acting for", "relationship", "authority"))
        }
        assert about_them, form
        assert about_them <= grouped, f"{form.__name__} shows {about_them - grouped} whoever asks"
        assert all(
            item.values == (SAR.Requester.REPRESENTATIVE,)
            for item in form.LAYOUT
            if isinstance(item, Reveal) and item.control == "requester"
        )


@pytest.mark.parametrize("name", REQUEST_PAGES)
def test_the_request_form_groups_the_representatives_fields_for_reveal(name, login, manager, own_client):
    html = login(manager).get(reverse(name, args=[own_client.pk])).content.decode()

    assert GROUP in html
    assert 'src="/static/js/reveal.js"' in html
    assert 'id="id_requester_0"' in html


@pytest.mark.parametrize("name", ["rights:erasure_new", "rights:rectification_new"])
def test_a_representative_without_a_name_is_refused_and_their_group_shows_the_error(name, login, manager, own_client):
    response = login(manager).post(
        reverse(name, args=[own_client.pk]),
        {"requester": "representative", "received_on": "2026-03-09", "asked_text": "x", "what_is_wrong": "x"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    start = html.index(GROUP)
    group = html[start : html.index("</fieldset>", start)]  # its fields are plain text inputs
    assert 'class="field field-error"' in group  # so reveal.js shows it whatever is chosen
    assert "Enter the name of the person acting for the client." in html


def test_the_client_asking_stores_the_client_and_ignores_a_representative_typed_before(login, manager, own_client):
    test_client = login(manager)
    common = {"requester": "client", "asked_by": "Sam Solicitor", "requester_relationship": "solicitor"}

    test_client.post(
        reverse("rights:erasure_new", args=[own_client.pk]),
        {**common, "received_on": "2026-03-09", "asked_text": "Please delete my file."},
    )
    test_client.post(
        reverse("rights:rectification_new", args=[own_client.pk]),
        {**common, "received_on": dt.date.today().isoformat(), "what_is_wrong": "My date of birth."},
    )

    assert ErasureRequest.objects.get().asked_by == "The client"
    assert RectificationRequest.objects.get().asked_by == "The client"


def test_a_representative_is_stored_with_their_relationship(login, manager, own_client):
    login(manager).post(
        reverse("rights:erasure_new", args=[own_client.pk]),
        {
            "requester": "representative",
            "asked_by": "Sam Solicitor",
            "requester_relationship": "solicitor",
            "received_on": "2026-03-09",
            "asked_text": "Please delete my client's file.",
        },
    )

    assert ErasureRequest.objects.get().asked_by == "Sam Solicitor (solicitor)"


def test_a_subject_access_request_by_the_client_keeps_no_representative(login, manager, own_client):
    login(manager).post(
        reverse("rights:sar_new", args=[own_client.pk]),
        {
            "requester": "client",
            "requester_name": "Sam Solicitor",
            "authority": "solicitor",
            "verification": "known_in_person",
            "asked_for": "Everything.",
            "received_on": dt.date.today().isoformat(),
        },
    )

    sar = SubjectAccessRequest.objects.get()
    assert (sar.requester, sar.requester_name, sar.authority) == ("client", "", "")
