"""Every Django admin list accepts only the filters, search and dates it declares (issue 11, item 1).

Django lets any query-string parameter naming a local field through to the list's
queryset, so `?last_name=…` or `?date_of_birth__year=…` turn a list into a search engine.
These tests walk every registered ModelAdmin, so a new admin cannot forget.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from access.models import AccessEvent
from accounts.admin_base import StrictLookupMixin


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _declared_roots(model_admin) -> set[str]:
    roots = {model_admin.date_hierarchy} if model_admin.date_hierarchy else set()
    for item in model_admin.list_filter:
        if isinstance(item, (tuple, list)):
            item = item[0]
        if isinstance(item, str):
            roots.add(item.split("__")[0])
    return roots


def _undeclared_local_fields(model, model_admin) -> list[str]:
    declared = _declared_roots(model_admin)
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.name not in declared and not field.primary_key and field.name != "id"
    ]


REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_every_registered_admin_is_built_on_the_strict_base():
    loose = [model._meta.label for model, model_admin in REGISTRY if not isinstance(model_admin, StrictLookupMixin)]
    assert loose == []


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=[model._meta.label for model, _ in REGISTRY])
def test_an_undeclared_lookup_on_a_local_field_answers_400(login, admin_user, model, model_admin):
    fields = _undeclared_local_fields(model, model_admin)
    assert fields, f"{model._meta.label} has no undeclared local field to probe"
    test_client = login(admin_user)
    url = _changelist(model)

    assert test_client.get(url).status_code == 200
    for name in fields:
        for params in ({name: "1"}, {f"{name}__isnull": "False"}, {f"{name}__year": "1990"}):
            response = test_client.get(url, params)
            assert response.status_code == 400, (model._meta.label, params, response.status_code)


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=[model._meta.label for model, _ in REGISTRY])
def test_declared_filters_search_ordering_and_dates_still_work(login, admin_user, model, model_admin):
    test_client = login(admin_user)
    url = _changelist(model)
    request = test_client.get(url).wsgi_request
    changelist = model_admin.get_changelist_instance(request)
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            response = test_client.get(url + choice["query_string"])
            assert response.status_code == 200, (model._meta.label, choice["query_string"])
    assert test_client.get(url, {"q": "x", "o": "1", "p": "1"}).status_code == 200
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        params = {f"{field}__year": "2026", f"{field}__month": "1", f"{field}__day": "2"}
        assert test_client.get(url, params).status_code == 200


def test_the_client_list_refuses_a_surname_and_a_date_of_birth_probe(login, admin_user, own_client):
    test_client = login(admin_user)
    url = _changelist(own_client.__class__)

    for params in (
        {"last_name": own_client.last_name},
        {"last_name__icontains": own_client.last_name[:3]},
        {"date_of_birth__year": "1990"},
        {"team__name": own_client.team.name},
        {"nonexistent": "1"},
    ):
        assert test_client.get(url, params).status_code == 400, params
    assert own_client.last_name.encode() not in test_client.get(url, {"status__exact": "open"}).content


def test_every_client_list_audit_row_records_the_full_query(login, admin_user, own_client):
    test_client = login(admin_user)
    url = _changelist(own_client.__class__)

    test_client.get(url, {"status__exact": "open", "q": "OWN"})
    test_client.get(url, {"last_name": "Owens"})
    test_client.get(url, {"team__name": "Outreach"})

    allowed, local, related = AccessEvent.objects.filter(action="admin").order_by("pk")
    assert (allowed.outcome, allowed.detail) == ("allowed", "admin client list ?status__exact=open&q=OWN")
    assert (local.outcome, related.outcome) == ("denied", "denied")
    assert "last_name=Owens" in local.detail
    assert "team__name=Outreach" in related.detail


def test_a_raw_id_popup_accepts_only_the_limit_it_was_given(rf, admin_user):
    """The one place Django adds a lookup itself: a raw-id popup's `limit_choices_to`."""
    from accounts.admin_base import StrictChangeList
    from accounts.models import User

    model_admin = admin.site._registry[User]
    request = rf.get("/admin/accounts/user/", {"_popup": "1", "is_active__exact": "1"})
    request.user = admin_user
    changelist = StrictChangeList.__new__(StrictChangeList)
    changelist.model, changelist.model_admin, changelist.params = User, model_admin, dict(request.GET.lists())
    changelist.list_filter, changelist.date_hierarchy = (), None
    changelist.popup_lookups = lambda: {"is_active__exact": "1"}
    changelist.get_filters_params = lambda: {"is_active__exact": ["1"]}
    assert changelist.undeclared_parameters(request) == set()
    changelist.get_filters_params = lambda: {"is_active__exact": ["0"]}
    assert changelist.undeclared_parameters(request) == {"is_active__exact"}
