"""Forms for reporting and handling a breach. They check input; the services hold the rules."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from accounts.models import Team, User
from casework.forms import Form
from clients.categories import CATEGORY_CHOICES

from .models import BreachNotification, IcoDecision, PeopleCategory, SubjectsException, SubjectsInformed
from .risk import Likelihood, Severity
from .services import parse_client_references

TEXT_LIMIT = 10_000
NO_NAMES = "Don’t name the people affected here: link them below instead."


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _datetime_field(label, *, required=True, help_text=""):
    # Entered in UK local time. An hour repeated when the clocks go back is ambiguous and
    # comes back as an error beside the field rather than a guess.
    return forms.DateTimeField(label=label, required=required, help_text=help_text, widget=DateTimeLocalInput)


def _text(label, *, required=True, help_text="", rows=4):
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def now_local_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class ConfirmOldAwarenessMixin(Form):
    """A "became aware" date more than BREACH_AWARE_CONFIRM_DAYS ago is usually a slip of the
    year: ask the person to confirm it rather than accept it (and an already-missed 72 hours) silently.
    The confirmation box appears only once the date has been questioned."""

    confirm_old_date = forms.BooleanField(
        label="The date I became aware is right, even though it is more than a year ago",
        required=False,
        widget=forms.HiddenInput,
    )

    def clean(self):
        cleaned = super().clean()
        aware = cleaned.get("became_aware_at")
        limit = timezone.now() - timedelta(days=settings.BREACH_AWARE_CONFIRM_DAYS)
        if aware is not None and aware < limit and not cleaned.get("confirm_old_date"):
            self.fields["confirm_old_date"].widget = forms.CheckboxInput()
            self.add_error(
                "became_aware_at",
                f"That is more than {settings.BREACH_AWARE_CONFIRM_DAYS} days ago. Check the date; if it is right, "
                "tick the box to confirm it.",
            )
        return cleaned


class ClientChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.reference})"


class ClientReferencesField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        refs = parse_client_references(value)
        if any(len(ref) > 20 for ref in refs):
            raise forms.ValidationError("Client references are at most 20 characters, separated by commas or spaces.")
        if len(refs) > 200:
            raise forms.ValidationError("Give at most 200 references; put the rest in the description.")
        return " ".join(refs)


class DisclosureChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return (
            f"{obj.reference}: {obj.get_kind_display().lower()} to {obj.recipient_label}, "
            f"{timezone.localtime(obj.disclosed_at):%d %b %Y}"
        )


class ReportForm(ConfirmOldAwarenessMixin, Form):
    """The short form any member of staff fills in. The clock starts at became_aware_at."""

    what_happened = _text("What happened?", help_text=f"For example “my notebook was stolen on the bus”. {NO_NAMES}")
    occurred_at = _datetime_field(
        "When did it happen?", required=False, help_text="As near as you know. Leave blank if you don’t know."
    )
    occurred_note = forms.CharField(
        label="When did it happen, in words (optional)",
        required=False,
        max_length=200,
        help_text="For example “some time on Tuesday afternoon”.",
    )
    became_aware_at = _datetime_field(
        "When did you become aware of it?", help_text="The 72 hours for reporting to the ICO start here."
    )
    categories = forms.MultipleChoiceField(
        label="What kinds of information were involved?",
        required=False,
        choices=CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    clients = ClientChoiceField(
        label="Clients affected, if you know",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only clients you work with are listed.",
    )
    client_references = ClientReferencesField(
        label="Other clients’ references, if you know them",
        help_text="Separate references with commas or spaces, for example C000123, C000456.",
    )
    team = forms.ModelChoiceField(
        label="Which service is this about?",
        queryset=Team.objects.none(),
        required=False,
        help_text="Its managers are alerted.",
    )
    disclosures = DisclosureChoiceField(
        label="Disclosures this is about",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="From the client's sharing history.",
    )

    def __init__(self, *args, clients, teams, disclosures=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clients is None:  # nobody on their caseload: nothing to choose from
            del self.fields["clients"]
        else:
            self.fields["clients"].queryset = clients
        if disclosures is None:  # not started from a disclosure
            del self.fields["disclosures"]
        else:
            self.fields["disclosures"].queryset = disclosures
        self.fields["became_aware_at"].initial = now_local_minute
        if len(teams) == 1:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = (
                Team.objects.filter(pk__in=[t.pk for t in teams]) if teams else Team.objects.filter(is_active=True)
            )
            self.fields["team"].required = bool(teams)


class TriageForm(Form):
    what_happened = _text("What happened?", help_text=NO_NAMES)
    how_discovered = _text("How was it discovered?", required=False, rows=3)
    occurred_at = _datetime_field("When did it happen?", required=False)
    occurred_note = forms.CharField(label="When did it happen, in words", required=False, max_length=200)
    became_aware_at = _datetime_field(
        "When did the organisation become aware?",
        help_text="Changing this moves the 72-hour deadline with it.",
    )
    categories = forms.MultipleChoiceField(
        label="Data categories involved", required=False, choices=CATEGORY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    people_affected_approx = forms.IntegerField(
        label="Approximate number of people affected", required=False, min_value=0, max_value=100_000_000
    )
    records_affected_approx = forms.IntegerField(
        label="Approximate number of records affected", required=False, min_value=0, max_value=1_000_000_000
    )
    people_categories = forms.MultipleChoiceField(
        label="Who are the people affected?",
        required=False,
        choices=PeopleCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    client_references = ClientReferencesField(
        label="References of the clients affected",
        help_text="Separate them with commas or spaces. References that match no client are kept for you to check.",
    )
    cyber_incident = forms.BooleanField(label="This was a cyber incident", required=False)
    cyber_details = _text(
        "Cyber incident: what kind, and what systems?",
        required=False,
        rows=3,
        help_text="For example phishing, ransomware, a compromised account. Leave blank if not a cyber incident.",
    )
    containment = _text("Containment and recovery: what has been done?", required=False)
    team = forms.ModelChoiceField(
        label="Service",
        queryset=Team.objects.filter(is_active=True),
        required=False,
        help_text="Its managers are alerted.",
    )


class AssessForm(Form):
    likely_consequences = _text("What are the likely consequences for the people affected?")
    likelihood = forms.ChoiceField(
        label="How likely is harm to the people affected?", choices=Likelihood.choices, widget=forms.RadioSelect
    )
    severity = forms.ChoiceField(label="How severe would it be?", choices=Severity.choices, widget=forms.RadioSelect)
    risk_reasoning = _text("Reasoning behind the assessment")
    staff_involved = forms.ModelMultipleChoiceField(
        label="Staff involved",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Their data-protection training date is recorded with the breach.",
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_involved"].queryset = staff
        self.fields["staff_involved"].label_from_instance = _staff_label


def _staff_label(user):
    trained = (
        f"trained {user.data_protection_training_on:%d %b %Y}"
        if user.data_protection_training_on
        else "no training recorded"
    )
    return f"{user} – {trained}"


class DecisionForm(Form):
    notify_ico = forms.ChoiceField(label="Notify the ICO?", choices=IcoDecision.choices, widget=forms.RadioSelect)
    decision_reasons = _text("Reasons for the decision")
    subjects_informed = forms.ChoiceField(
        label="Have the people affected been told?",
        choices=SubjectsInformed.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    subjects_informed_at = _datetime_field("When were they told?", required=False)
    subjects_informed_how = _text("How were they told?", required=False, rows=2)
    subjects_exception = forms.ChoiceField(
        label="If not, which exception applies?",
        choices=SubjectsException.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    other_organisations_told = _text(
        "Other organisations told",
        required=False,
        rows=3,
        help_text="For example the police, a partner agency, the commissioner, the insurer.",
    )


class NotificationForm(Form):
    kind = forms.ChoiceField(label="Kind of report", choices=BreachNotification.Kind.choices, widget=forms.RadioSelect)
    notified_at = _datetime_field("When was the ICO notified?")
    method = forms.ChoiceField(label="How", choices=BreachNotification.Method.choices)
    reference = forms.CharField(label="ICO reference", required=False, max_length=60)
    summary = _text("What was reported", required=False, rows=3)
    delay_reasons = _text(
        "Reasons for any delay beyond 72 hours",
        required=False,
        rows=3,
        help_text="Required when the initial report was made after the deadline.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notified_at"].initial = now_local_minute


class CloseForm(Form):
    lessons = _text("Lessons learned and actions taken")
