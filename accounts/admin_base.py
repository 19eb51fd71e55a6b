"""The base every Django admin in this project uses: lists accept only what they declare.

Django's `ModelAdmin.lookup_allowed` lets any query-string parameter naming a local
field through to `QuerySet.filter()`: `?last_name=Owens` lists that client whatever
`list_filter` says, and `?date_of_birth__year=…` then `__month`, `__day` recovers a
date of birth one request at a time. On a list built on `StrictLookupMixin` the query
string may carry only

- the parameters of the declared `list_filter` entries (each filter's own
  `expected_parameters()`),
- the `date_hierarchy` year, month and day,
- search (`q`), ordering (`o`), paging (`p`, `all`), facets, and the error flag, and
- in a raw-id popup (`_popup`), the `limit_choices_to` lookups Django adds itself
  (`_to_field` is checked by Django's own `to_field_allowed`).

Anything else answers 400 (`DisallowedModelAdminLookup`, a SuspiciousOperation that
Django logs to `django.security`). `accounts` is the lowest app, so every admin can
import this module; client-list auditing stays in `access.gate.record_list`.
"""

from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple, url_params_from_lookup_dict
from django.core.exceptions import ValidationError
from django.db.models import Field

from casework.forms import neutralise_fields


class DisallowedAdminLookup(DisallowedModelAdminLookup):
    """A list was asked to filter by something it does not declare (answered with 400).

    A subclass of Django's own, so one `except DisallowedModelAdminLookup` catches both
    this and Django's refusal of an undeclared lookup across a relation."""


class StrictChangeList(ChangeList):
    def get_filters(self, request):
        undeclared = self.undeclared_parameters(request)
        if undeclared:
            raise DisallowedAdminLookup(
                f"Filtering {self.opts.label} by {', '.join(sorted(undeclared))} is not allowed"
            )
        return super().get_filters(request)

    def undeclared_parameters(self, request) -> set[str]:
        """The filter parameters of this request that no declared filter consumes.

        Builds each declared filter exactly as Django's `get_filters` does, over a copy
        of the parameters, so "declared" means precisely what the filters themselves read.
        """
        params = {key: list(values) for key, values in self.get_filters_params().items()}
        if not params:
            return set()
        for list_filter in self.list_filter:
            if callable(list_filter) and not isinstance(list_filter, (tuple, list)):
                list_filter(request, params, self.model, self.model_admin)
                continue
            if isinstance(list_filter, (tuple, list)):
                field, filter_class = list_filter
            else:
                field, filter_class = list_filter, FieldListFilter.create
            field_path = None
            if not isinstance(field, Field):
                field_path = field
                field = get_fields_from_path(self.model, field_path)[-1]
            filter_class(field, request, params, self.model, self.model_admin, field_path=field_path)
        if self.date_hierarchy:
            for part in ("year", "month", "day"):
                params.pop(f"{self.date_hierarchy}__{part}", None)
        if IS_POPUP_VAR in request.GET:
            popup = self.popup_lookups()
            for key in list(params):
                if all(popup.get(key) == value for value in params[key]):
                    del params[key]
        return set(params)

    def popup_lookups(self) -> dict[str, str]:
        """The `limit_choices_to` parameters (and values) Django's raw-id widget adds to a popup."""
        lookups = {}
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            lookups.update(url_params_from_lookup_dict(fk_lookup))
        return lookups


def _valid_keys(field, values) -> list:
    """The submitted keys that are well-formed for the related model's key field."""
    remote = field.remote_field
    target = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
    valid = []
    for value in values:
        try:
            target.to_python(value)
        except ValidationError:
            continue
        valid.append(value)
    return valid


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete select re-renders a bound form by querying the submitted keys
    as they are: a hand-edited "abc" for a numeric key raises ValueError (a 500) instead of
    the form error the field already reports. Malformed keys are left out of that query."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _valid_keys(self.field, value), attr)


class SafeAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _valid_keys(self.field, value), attr)


class SafeFormsMixin:
    """For ModelAdmins and inlines: tampered form input is a form error, never a 500, and every
    text field neutralises invisible control characters (casework.forms) like the app's forms."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        neutralise_fields(form.base_fields)
        return form

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        neutralise_fields(formset.form.base_fields)
        return formset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SafeTabularInline(SafeFormsMixin, admin.TabularInline):
    """The base for tabular inlines."""


class StrictLookupMixin(SafeFormsMixin):
    """Put first in the bases of every ModelAdmin: its list accepts only declared filters,
    and its forms (and `SafeTabularInline` inlines) turn tampered input into form errors."""

    def get_changelist(self, request, **kwargs):
        return StrictChangeList


class StrictModelAdmin(StrictLookupMixin, admin.ModelAdmin):
    """A ModelAdmin whose list accepts only the filters, search and dates it declares."""
