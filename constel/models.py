"""Accounts and tenancy: users, programmes (tenants), sites, memberships, the access log."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from constel.roles import STAFF_ROLES, Role
from constel.tenancy import TenantOwned


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who logs in, by e-mail. Roles come from memberships, per tenant."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    def __str__(self) -> str:
        return self.get_full_name() or self.email


def validate_time_zone(value: str) -> None:
    import zoneinfo

    from django.core.exceptions import ValidationError

    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: use a name such as Europe/Paris."))


class Tenant(models.Model):
    """One programme run by one operator (e.g. Constel'Action — Clinavenir, Cardio+)."""

    class PeriodKind(models.TextChoices):
        ANCHORED = "anchored", _("Every six months from the anchor date")
        CALENDAR = "calendar", _("Calendar semesters")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    operator = models.CharField(_("operator"), max_length=200)
    inclusion_window_end = models.DateField(_("inclusion window end (inclusive)"))
    cumulative_inclusion_cap = models.PositiveIntegerField(_("cumulative inclusion cap"))
    claim_period_anchor = models.DateField(_("claim-period anchor"))
    #: Every "which day is it" of the programme is decided in this zone (constel.dates):
    #: Europe/Paris for the mainland, America/Martinique, Indian/Reunion… overseas.
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris",
                                 validators=[validate_time_zone])
    claim_period_kind = models.CharField(
        max_length=16, choices=PeriodKind.choices, default=PeriodKind.ANCHORED
    )
    critical_alert_delay_minutes = models.PositiveIntegerField(default=240)
    #: years after the exit before a record is anonymised (health data: 20 years in France)
    retention_years = models.PositiveSmallIntegerField(default=20)
    #: the GP's periodic follow-up report ("bilan de suivi périodique"), every N months
    periodic_report_months = models.PositiveSmallIntegerField(default=3)
    #: members may sign in with the OpenID Connect provider of the settings (Pro Santé Connect)
    oidc_login = models.BooleanField(_("OpenID Connect sign-in"), default=False)
    # §III.1.e.2: tests done recently are not repeated (days of validity, per test).
    checklist_validity_days = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(TenantOwned):
    """A clinic or place of assessment."""

    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=120, blank=True)
    finess = models.CharField(_("FINESS number"), max_length=9, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="site_unique_name_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TenantOwned):
    """A user's role in one tenant; a GP in two programmes has two memberships."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    profession = models.CharField(_("profession"), max_length=64, blank=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "role"], name="membership_unique_role_per_tenant"
            )
        ]
        indexes = [models.Index(fields=["user", "tenant"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


class AccessLog(TenantOwned):
    """Append-only: one row per read of a patient record (who, when, what)."""

    # PROTECT: the log is append-only (the application role may not UPDATE it), so a user
    # who read records is deactivated, never deleted.
    user = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    patient_id = models.UUIDField(db_index=True)
    view = models.CharField(max_length=120)
    path = models.CharField(max_length=500)
    #: why, when the read answers something (e.g. the patient's right-of-access request)
    reason = models.CharField(max_length=200, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "patient_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} read {self.patient_id} ({self.view})"


class ApiToken(models.Model):
    """A personal API token scoped to one tenant membership.

    Not tenant-owned in the RLS sense: it is a credential looked up before any tenant is
    known (like sessions and MFA authenticators) and holds no patient data. Only its SHA-256
    is stored; the key is shown once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    #: The one membership (role) the token acts as (DESIGN §3: "an API token is bound to one
    #: membership"): a role the user gains later never changes what an existing token is.
    #: NULL only for tokens made before the binding whose membership could not be found:
    #: they are refused.
    membership = models.ForeignKey(Membership, null=True, on_delete=models.CASCADE,
                                   related_name="+")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (cst_{self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "cst_" + secrets.token_urlsafe(32)


class ProcessingPurpose(TenantOwned):
    """The tenant's register of processing purposes (RGPD art. 30), shown to every user."""

    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("purpose"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    data = models.TextField(_("data"))
    recipients = models.TextField(_("recipients"))
    retention = models.CharField(_("retention"), max_length=300)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title
