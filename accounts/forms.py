from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator

from casework.forms import Form, NeutralisingFormMixin


class LoginForm(NeutralisingFormMixin, AuthenticationForm):
    """Django's login form with messages that say what to do next."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "The username or password is not right. Check both and try again "
            "(the password is case-sensitive). After %(limit)d wrong attempts, "
            "signing in from this device is paused for %(minutes)d minutes."
        ),
        "inactive": "This account has been switched off. Ask your service manager or an admin.",
        "sso_only": "People in your role sign in with {provider}: use the button below the form.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        from .sso import password_sign_in_allowed

        if not password_sign_in_allowed(user):
            raise forms.ValidationError(
                self.error_messages["sso_only"].format(provider=settings.OIDC_PROVIDER_NAME), code="sso_only"
            )

    def clean_username(self):
        # Django sets max_length on this field after the validators are built, so it is
        # not enforced; an over-long name would otherwise reach the lockout table.
        username = self.cleaned_data["username"]
        if len(username) > self.fields["username"].max_length:
            raise forms.ValidationError("That is longer than any username here. Check it and try again.")
        return username

    def get_invalid_login_error(self):
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "limit": settings.AXES_FAILURE_LIMIT,
                "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            },
        )


class CodeField(forms.CharField):
    """A one-time code; spaces are ignored, as codes are often shown as "123 456"."""

    def to_python(self, value):
        return super().to_python(value).replace(" ", "")


class TokenForm(Form):
    token = CodeField(
        label="Code",
        help_text="The 6-digit code shown in your authenticator app.",
        max_length=20,
        validators=[RegexValidator(r"^[0-9]{6}$", "Enter the 6-digit code from your authenticator app, numbers only.")],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}),
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
    )


class BackupCodeForm(Form):
    backup_code = forms.CharField(
        label="Backup code",
        help_text="One of the codes you saved when you set up two-factor authentication, like abcd-efgh-jkmn.",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
        error_messages={"required": "Enter one of your backup codes."},
    )
