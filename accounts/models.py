"""Staff, teams (services), roles and security events."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Caseworker"
    SERVICE_MANAGER = "service_manager", "Service manager"
    INFORMATION_SECURITY_OFFICER = "iso", "Information security officer"
    ADMIN = "admin", "Admin"


# Each role is a Django group of the same label, created by a migration with its
# permissions; `staff_set_role` keeps a user's group in step with their role.
ROLE_GROUP_NAMES = {role.value: role.label for role in Role}

# Roles that must use two-factor authentication.
ROLES_REQUIRING_2FA = frozenset({Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER, Role.ADMIN})


class Team(models.Model):
    """A service, e.g. "Outreach North". Caseloads and manager oversight follow teams."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """One person, one account. Shared logins are detected (see SecurityEvent)."""

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.CASEWORKER)
    teams = models.ManyToManyField(Team, through="TeamMembership", related_name="members", blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    # Date of the person's last data-protection training, recorded in breach reports.
    data_protection_training_on = models.DateField(null=True, blank=True)
    # The identity provider's subject ("sub") this account is linked to, set at the first
    # single sign-on; from then on only that subject signs in as this person, whatever
    # e-mail address the provider later reports.
    sso_subject = models.CharField("single sign-on subject", max_length=255, blank=True, db_index=True)

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_caseworker(self) -> bool:
        return self.role == Role.CASEWORKER

    @property
    def is_service_manager(self) -> bool:
        return self.role == Role.SERVICE_MANAGER

    @property
    def is_information_security_officer(self) -> bool:
        return self.role == Role.INFORMATION_SECURITY_OFFICER

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def requires_2fa(self) -> bool:
        return self.role in ROLES_REQUIRING_2FA or self.is_superuser


class TeamMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    joined_on = models.DateField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="unique_team_membership")]

    def __str__(self):
        return f"{self.user} in {self.team}"


class ActiveSession(models.Model):
    """The one live session a person may have. A new login replaces the old one."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="active_session")
    session_key = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"{self.user} since {self.started_at:%Y-%m-%d %H:%M}"


class SecurityEvent(models.Model):
    class Kind(models.TextChoices):
        LOGIN = "login", "Logged in"
        LOGOUT = "logout", "Logged out"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOCKED_OUT = "locked_out", "Locked out"
        CONCURRENT_LOGIN = "concurrent_login", "Concurrent login (possible shared account)"
        SESSION_EXPIRED = "session_expired", "Session expired"
        TWO_FACTOR_ENROLLED = "2fa_enrolled", "Two-factor enrolled"
        TWO_FACTOR_FAILED = "2fa_failed", "Two-factor code rejected"
        TWO_FACTOR_REMOVED = "2fa_removed", "Two-factor turned off"
        TWO_FACTOR_RESET = "2fa_reset", "Two-factor reset by an admin"
        PASSWORD_RESET = "password_reset", "Password reset"
        PASSWORD_SET_BY_ADMIN = "password_admin_set", "Password set by an admin"
        BACKUP_CODES_GENERATED = "backup_codes_made", "Backup codes generated"
        BACKUP_CODE_USED = "backup_code_used", "Signed in with a backup code"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        UNLOCKED = "unlocked", "Lockout cleared"
        ROLE_CHANGED = "role_changed", "Role changed"
        SSO_REFUSED = "sso_refused", "Single sign-on refused"
        TEAM_LEFT = "team_left", "Left a team"
        DEACTIVATED = "deactivated", "Account deactivated"
        REACTIVATED = "reactivated", "Account reactivated"
        CASELOAD_ENDED = "caseload_ended", "Caseload assignments ended (job change)"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events")
    # The username typed, kept for failed logins that match no account.
    username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # For concurrent logins: the session that was ended.
    other_ip_address = models.GenericIPAddressField(null=True, blank=True)
    other_user_agent = models.CharField(max_length=300, blank=True)
    other_started_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the ended session's key, so its browser can be told why it was signed out.
    ended_session_hash = models.CharField(max_length=64, blank=True)
    # Who did it, when it was someone else (an admin changing a role or clearing a lockout).
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.CharField(max_length=200, blank=True)
    # The team a membership event concerns (a person leaving it, their caseload there
    # ending), so its managers still see the event once the person is no longer a member.
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["user", "-at"], name="securityevent_user_at"),
            models.Index(fields=["-at"], name="securityevent_concurrent_at", condition=Q(kind="concurrent_login")),
            models.Index(
                fields=["ended_session_hash"], name="securityevent_ended_session", condition=~Q(ended_session_hash="")
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.username or self.user} at {self.at:%Y-%m-%d %H:%M}"


class IdentityProviderDevice(Device):
    """Stands for "the organisation's identity provider asserted multi-factor sign-in".

    django-otp counts a session as verified when it names a confirmed device; single
    sign-on with multi-factor asserted (the `amr`/`acr` claims, accounts.sso) marks the
    session verified with this device, so people are not asked for a second factor twice.
    It holds no secret and verifies no code: only the sign-on callback can use it.
    """

    class Meta(Device.Meta):
        verbose_name = "identity provider (multi-factor sign-in)"

    def verify_token(self, token):
        return False


class BackupCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A person's set of one-time backup codes, for signing in without their phone.

    django-otp's own static device keeps its codes in plain text; this one keeps only
    keyed digests (`accounts.backup_codes`). It is a django-otp Device, so signing in
    with a code verifies the session like the authenticator app does. Made and used only
    through `accounts.services` (`backup_codes_generate`, `backup_code_verify`).
    """

    class Meta(Device.Meta):
        verbose_name = "backup code set"

    def get_throttle_factor(self) -> int:
        return settings.OTP_BACKUP_CODE_THROTTLE_FACTOR

    def verify_token(self, token) -> bool:
        """True, and the code is used up, if `token` is one of this set's unused codes."""
        from . import backup_codes

        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        used = self.codes.filter(digest__in=backup_codes.candidate_digests(str(token))).first()
        if used is None:
            self.throttle_increment()
            return False
        used.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class BackupCode(models.Model):
    """One unused backup code, as its digest. A used code is deleted."""

    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "digest"], name="unique_backup_code")]

    def __str__(self):
        return f"Backup code {self.pk} of set {self.device_id}"


class FormDraft(models.Model):
    """What a person typed into a form that arrived after their session ended (accounts.drafts).

    Encrypted at rest with a key derived from SECRET_KEY; kept at most the absolute session
    lifetime; deleted when restored. Never written to the audit log.
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    data = models.BinaryField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Draft for {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class FormSubmission(models.Model):
    """A one-time form token claimed by the first submission of a form (accounts.formtokens),
    with where that submission led: a second submission is sent there instead of acting twice."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField(db_index=True)
    result_url = models.CharField(max_length=2000, blank=True)
    # SHA-256 of the page and what was sent (tokens left out): the Back button renders the
    # form again with a new token, but the browser puts the same text back, so a repeat
    # is also recognised by its content for a short while (formtokens.REPEAT_WINDOW).
    content_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "content_digest"], name="formsubmission_repeat")]

    def __str__(self):
        return f"Form sent by {self.user_id} at {self.claimed_at:%Y-%m-%d %H:%M}"
