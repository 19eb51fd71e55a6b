"""Forms validate input only; the services in clients.services do the writing."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone

from accounts.models import Role, Team
from casework.forms import Form, ModelForm

from .categories import CATEGORY_CHOICES, REGISTRY
from .identifiers import nhs_number_problem, ni_number_problem, normalise_identifier
from .models import Alert, Assignment, CaseNote, Client, InformationEntry
from .selectors import CASELOAD_SORTS, TIMELINE_KINDS, WHOLE_CASE, WHOLE_CASE_LABEL
from .services import check_date_of_birth, text_limits

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _limit_text(form) -> None:
    """Give the long text fields the services' limits, so an over-long note is refused beside the field."""
    for name, limit in text_limits().items():
        if name in form.fields:
            form.fields[name].max_length = limit
            form.fields[name].widget.attrs["maxlength"] = str(limit)
            form.fields[name].validators.append(
                MaxLengthValidator(
                    limit, message="Keep this to %(limit_value)s characters or fewer: it has %(show_value)s."
                )
            )


# The earliest and latest dates a reporting period may name. A far-future date such as
# 31/12/9999 is a typing slip, and the day after it does not exist (adding a day to it
# overflowed into a 500 on every page that reads a period).
EARLIEST_PERIOD_DATE = datetime.date(1900, 1, 1)
PERIOD_YEARS_AHEAD = 1


class PeriodDateField(forms.DateField):
    """A date that bounds a period of records: refused, beside the field, before 1900 or
    more than a year ahead (an end date names the last day included)."""

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        latest = timezone.localdate() + datetime.timedelta(days=366 * PERIOD_YEARS_AHEAD)
        if value < EARLIEST_PERIOD_DATE:
            raise forms.ValidationError(f"Choose a date from {EARLIEST_PERIOD_DATE:%d/%m/%Y} onwards.")
        if value > latest:
            raise forms.ValidationError(f"Choose a date no later than {latest:%d/%m/%Y}.")


def _category_choices():
    """Data categories in registry order, special-category ones marked."""
    return [("", "Choose a category")] + [
        (key, f"{label} (special category)" if REGISTRY[key].special else label) for key, label in CATEGORY_CHOICES
    ]


class CaseloadFilterForm(Form):
    q = forms.CharField(label="Name or reference", required=False, max_length=100)
    sort = forms.ChoiceField(choices=[(key, key) for key in CASELOAD_SORTS], required=False)

    def cleaned_or_defaults(self) -> tuple[str, str]:
        if self.is_valid():
            return self.cleaned_data["q"].strip(), self.cleaned_data["sort"] or "name"
        return "", "name"


class SearchForm(Form):
    q = forms.CharField(
        label="Name or reference",
        min_length=2,
        max_length=100,
        help_text="At least two letters. Search every team to see whether a person is already known.",
    )
    year_of_birth = forms.IntegerField(label="Year of birth (optional)", required=False, min_value=1900)

    def clean_year_of_birth(self):
        year = self.cleaned_data.get("year_of_birth")
        if year and year > timezone.localdate().year:
            raise forms.ValidationError("The year of birth cannot be in the future.")
        return year


class ClientDetailsForm(ModelForm):
    """Identity and contact details."""

    class Meta:
        model = Client
        fields = [
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "gender",
            "pronouns",
            "national_insurance_number",
            "nhs_number",
            "phone",
            "email",
            "address",
            "preferred_contact",
        ]
        widgets = {"date_of_birth": DATE_WIDGET, "address": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "nhs_number": "NHS number",
            "preferred_contact": "How the client prefers to be contacted",
        }

    def _clean_identifier(self, name: str, problem_of) -> str:
        """Normalised (as stored); refused beside the field when invalid, unless unchanged on an
        existing record (clients.services.check_identifiers applies the same rule)."""
        value = normalise_identifier(self.cleaned_data.get(name))
        if self.instance.pk and normalise_identifier(getattr(self.instance, name)) == value:
            return value
        problem = problem_of(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_nhs_number(self):
        return self._clean_identifier("nhs_number", nhs_number_problem)

    def clean_national_insurance_number(self):
        return self._clean_identifier("national_insurance_number", ni_number_problem)

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        try:
            check_date_of_birth(born)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["date_of_birth"]) from None
        return born


class ClientCreateForm(ClientDetailsForm):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label="Choose a team")

    class Meta(ClientDetailsForm.Meta):
        fields = ["team", *ClientDetailsForm.Meta.fields]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(memberships__user=user, is_active=True).order_by("name")
        self.fields["team"].queryset = teams
        self.fields["team"].help_text = "The service that will work with this client."
        if len(teams) == 1:
            self.fields["team"].initial = teams[0].pk
        self.order_fields(["team"])


class DifferentPersonForm(Form):
    """ "This is a different person": asked only when "Add a client" found possible matches."""

    reason = forms.CharField(
        label="Why you are sure this is a different person",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: a different middle name and mother's name, checked with the client.",
    )


class MergeForm(Form):
    """Merge another record of the same person into this one (clients.merge.client_merge)."""

    reference = forms.CharField(
        label="Reference of the other record",
        max_length=20,
        help_text="The record that will be merged into this one and closed, e.g. CL-7KQ2MX.",
    )
    reason = forms.CharField(
        label="How you know they are the same person",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EntryForm(ModelForm):
    category = forms.ChoiceField(label="Data category", choices=())

    class Meta:
        model = InformationEntry
        fields = ["category", "summary", "detail"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 2}), "detail": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, fixed_category: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()
        _limit_text(self)
        if fixed_category:
            # Moving information between categories is a new entry, not an edit.
            del self.fields["category"]


class NoteForm(ModelForm):
    category = forms.ChoiceField(label="Data category", choices=())

    class Meta:
        model = CaseNote
        fields = ["category", "text", "held_in_confidence"]
        labels = {"text": "Note", "held_in_confidence": "Held in confidence (counselling or welfare)"}
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()
        _limit_text(self)


class AssignmentStartForm(Form):
    caseworker = forms.ModelChoiceField(queryset=None, empty_label="Choose a caseworker")
    is_key_worker = forms.BooleanField(label="Make them the key worker", required=False, initial=True)

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        already = Assignment.objects.filter(client=client, ended_on__isnull=True).values("caseworker_id")
        self.fields["caseworker"].queryset = (
            get_user_model()
            .objects.filter(memberships__team_id=client.team_id, is_active=True, role=Role.CASEWORKER)
            .exclude(pk__in=already)
            .order_by("first_name", "last_name", "username")
        )


class CloseCaseForm(Form):
    closure_reason = forms.CharField(label="Why is the case closing?", max_length=200)
    closed_on = forms.DateField(label="Closing date", widget=DATE_WIDGET, required=False)

    def clean_closed_on(self):
        closed_on = self.cleaned_data.get("closed_on")
        if closed_on and closed_on > timezone.localdate():
            raise forms.ValidationError("The closing date cannot be in the future.")
        return closed_on


class AlertForm(ModelForm):
    kind = forms.ChoiceField(label="Kind of alert", choices=Alert.Kind.choices, widget=forms.RadioSelect)

    class Meta:
        model = Alert
        fields = ["kind", "text", "review_by"]
        labels = {"kind": "Kind of alert", "text": "What people need to know", "review_by": "Review by (optional)"}
        help_texts = {
            "text": "Short and factual: what to do or avoid, e.g. “Visit in pairs; has threatened staff with a knife”.",
            "review_by": "When someone should check whether the alert still applies.",
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 3}), "review_by": DATE_WIDGET}

    def clean_review_by(self):
        review_by = self.cleaned_data.get("review_by")
        if review_by and review_by < timezone.localdate():
            raise forms.ValidationError("The review date cannot be in the past.")
        return review_by


class AlertEndForm(Form):
    end_reason = forms.CharField(label="Why does the alert no longer apply?", max_length=300)


class TimelineFilterForm(Form):
    """The timeline's filters: by data category and by kind of entry. Bad values show everything."""

    category = forms.ChoiceField(label="Data category", required=False)
    kind = forms.ChoiceField(label="Kind", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", "All categories"),
            (WHOLE_CASE, f"{WHOLE_CASE_LABEL} (events about no one category)"),
            *CATEGORY_CHOICES,
        ]
        self.fields["kind"].choices = [("", "Everything"), *TIMELINE_KINDS]

    def filters(self) -> dict[str, str]:
        if self.is_valid():
            return {"category": self.cleaned_data["category"], "kind": self.cleaned_data["kind"]}
        return {"category": "", "kind": ""}


class ClientMoveForm(Form):
    KEEP_CHOICES = [
        ("end", "End every current assignment: the new team's managers assign new caseworkers"),
        ("keep", "Keep the assignments of caseworkers who are also members of the new team (end the rest)"),
    ]

    team = forms.ModelChoiceField(label="Move to", queryset=Team.objects.none(), empty_label="Choose a team")
    reason = forms.CharField(
        label="Why is the client moving?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the client's history and shown to both teams' managers.",
    )
    assignments = forms.ChoiceField(
        label="Current caseworkers", choices=KEEP_CHOICES, initial="end", widget=forms.RadioSelect
    )

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True).exclude(pk=client.team_id).order_by("name")

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the client is moving to another team.")
        return reason
