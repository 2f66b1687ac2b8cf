"""Patients and the professionals directory."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from constel.audit import clinical_history
from constel.tenancy import TenantOwned


class Professional(TenantOwned):
    """A professional of the directory; may or may not have a user account."""

    class Kind(models.TextChoices):
        GP = "gp", _("General practitioner")
        SPECIALIST = "specialist", _("Specialist")
        PHARMACIST = "pharmacist", _("Pharmacist")
        ALLIED = "allied", _("Allied professional")
        NURSE = "nurse", _("Nurse")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    profession = models.CharField(_("profession"), max_length=64, blank=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    rpps = models.CharField(_("RPPS"), max_length=11, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    secure_email = models.EmailField(_("secure e-mail (MSSanté)"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="professional_records",
    )

    history = clinical_history()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "rpps"], condition=~models.Q(rpps=""),
                name="professional_unique_rpps_per_tenant",
            ),
            models.UniqueConstraint(
                fields=["tenant", "user"], condition=models.Q(user__isnull=False),
                name="professional_unique_user_per_tenant",
            ),
        ]

    def __str__(self) -> str:
        prefix = "Dr " if self.kind in (self.Kind.GP, self.Kind.SPECIALIST) else ""
        return f"{prefix}{self.first_name} {self.last_name}"


class Patient(TenantOwned):
    """A patient of one programme. The same person in two tenants is two rows."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")

    class IdentityStatus(models.TextChoices):
        PROVISIONAL = "provisional", _("Provisional")
        RECOVERED = "recovered", _("Recovered")
        VALIDATED = "validated", _("Validated")
        QUALIFIED = "qualified", _("Qualified")

    birth_name = models.CharField(_("birth name"), max_length=100)
    used_name = models.CharField(_("used name"), max_length=100, blank=True)
    first_names = models.CharField(_("first names"), max_length=150)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    birth_place_code = models.CharField(_("birth place code (INSEE)"), max_length=5, blank=True)
    ins = models.CharField(_("INS (NIR)"), max_length=15, blank=True)
    identity_status = models.CharField(
        _("identity status"), max_length=16, choices=IdentityStatus.choices,
        default=IdentityStatus.PROVISIONAL,
    )
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    carer_name = models.CharField(_("carer"), max_length=150, blank=True)
    carer_phone = models.CharField(_("carer's phone"), max_length=32, blank=True)
    site = models.ForeignKey("constel.Site", null=True, blank=True, on_delete=models.PROTECT)
    gp = models.ForeignKey(
        Professional, null=True, blank=True, on_delete=models.PROTECT,
        related_name="gp_patients", verbose_name=_("GP (médecin traitant)"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="patient_records", verbose_name=_("portal account"),
    )
    # Consents and objections (DESIGN §3), changeable at any time.
    gp_online_access_agreed = models.BooleanField(
        _("agrees to the GP's online access"), default=False
    )
    objects_to_sharing = models.BooleanField(
        _("objects to sharing between the programme's professionals"), default=False
    )
    objects_to_evaluation = models.BooleanField(_("objects to use for evaluation"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = clinical_history()

    class Meta:
        ordering = ["birth_name", "first_names"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "ins"], condition=~models.Q(ins=""),
                name="patient_unique_ins_per_tenant",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "birth_name", "first_names"]),
            models.Index(fields=["tenant", "gp"]),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.birth_date:%d/%m/%Y})"

    @property
    def display_name(self) -> str:
        name = self.used_name or self.birth_name
        return f"{name.upper()} {self.first_names}"


class CareAssignment(TenantOwned):
    """A professional assigned to a patient: what gives specialists, pharmacists and
    allied professionals their (limited) view of the record."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="assignments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = clinical_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "patient", "professional"], name="assignment_unique"
            )
        ]
