"""The reports page's choices: the period and the team."""

import datetime as dt

from django import forms

from casework.forms import Form
from clients.forms import PeriodDateField

from .selectors import Period

# The longest period one page covers: enough for a year-on-year comparison.
LONGEST_PERIOD = dt.timedelta(days=3 * 366)


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportForm(Form):
    start = PeriodDateField(label="From", widget=DATE_WIDGET)
    end = PeriodDateField(label="To", widget=DATE_WIDGET)
    team = forms.TypedChoiceField(label="Team", coerce=int, empty_value=None, required=False)

    def __init__(self, *args, teams, everything_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", everything_label)] + [(team.pk, team.name) for team in teams]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end of the period must be on or after its start.")
            elif end - start > LONGEST_PERIOD:
                self.add_error("start", "Choose a period of at most three years.")
        return data

    def period(self) -> Period:
        return Period(start=self.cleaned_data["start"], end=self.cleaned_data["end"])
