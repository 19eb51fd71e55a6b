from django import forms
from django.conf import settings

from accounts.models import Role, Team
from casework.forms import Form


class ImportForm(Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label="Choose a team")
    file = forms.FileField(
        label="Spreadsheet",
        help_text="A CSV file or an Excel .xlsx workbook, with a header row (see the example file).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(is_active=True).order_by("name")
        if user.role != Role.ADMIN:
            teams = teams.filter(memberships__user=user)
        self.fields["team"].queryset = teams
        self.fields["team"].help_text = "The service whose clients these are. Its managers will see them."
        if len(teams) == 1:
            self.fields["team"].initial = teams[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            mib = settings.IMPORT_MAX_BYTES / (1024 * 1024)
            raise forms.ValidationError(f"The file is larger than {mib:.0f} MB. Split it into smaller files.")
        return upload
