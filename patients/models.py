"""Patients and the professionals directory."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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
    appointment_sms = models.BooleanField(_("SMS reminder the day before an appointment"),
                                          default=True)
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
    pharmacist_contact_agreed = models.BooleanField(
        _("agrees to the community pharmacist being contacted"), default=False
    )
    # Risk factors (§III.2): shown, they do not change the group.
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1, null=True,
                                    blank=True)
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"), null=True, blank=True)
    antidepressant_treatment = models.BooleanField(_("antidepressant treatment"), default=False)
    smoker = models.BooleanField(_("smoker"), default=False)  # history kept by simple-history
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

    @property
    def bmi(self) -> Decimal | None:
        if not self.weight_kg or not self.height_cm:
            return None
        metres = Decimal(self.height_cm) / 100
        return (Decimal(self.weight_kg) / (metres * metres)).quantize(Decimal("0.1"))

    def age_on(self, day: date) -> int:
        return day.year - self.birth_date.year - (
            (day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    def risk_factors(self, today: date) -> list[str]:
        """§III.2: obesity (BMI ≥ 30), age ≥ 75, antidepressant treatment."""
        factors = []
        bmi = self.bmi
        if bmi is not None and bmi >= 30:
            from django.utils.formats import number_format

            factors.append(_("Obesity (BMI %(bmi)s)") % {"bmi": number_format(bmi, 1)})
        if self.age_on(today) >= 75:
            factors.append(_("Age ≥ 75"))
        if self.antidepressant_treatment:
            factors.append(_("Antidepressant treatment"))
        return factors

    @property
    def ins_qualified(self) -> bool:
        """Only a qualified identity may show its INS as such (identity vigilance)."""
        return bool(self.ins) and self.identity_status == self.IdentityStatus.QUALIFIED


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


class Pathology(TenantOwned):
    """The tenant's pathology catalogue (Constel'Action: Table 4, 17 pathologies, 7 groups)."""

    code = models.SlugField(max_length=64)
    label = models.CharField(_("pathology"), max_length=200)
    group_code = models.SlugField(max_length=64)
    group_label = models.CharField(_("group"), max_length=200)
    # Pathologies the tenant declares to count together as one for MONO/POLY.
    counts_as = models.SlugField(max_length=64, blank=True)
    oral_therapy_only = models.BooleanField(default=False)
    needs_another = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="pathology_unique_code")
        ]

    def __str__(self) -> str:
        return self.label


class Diagnosis(TenantOwned):
    """A diagnosed pathology of a patient; ``ended_on`` keeps the group history right."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="diagnoses")
    pathology = models.ForeignKey(Pathology, on_delete=models.PROTECT, related_name="+")
    diagnosed_on = models.DateField(_("diagnosed on"))
    oral_therapy = models.BooleanField(_("under oral therapy"), default=False)
    ended_on = models.DateField(null=True, blank=True)

    history = clinical_history()

    class Meta:
        ordering = ["diagnosed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "patient", "pathology"], condition=models.Q(ended_on=None),
                name="diagnosis_unique_current",
            )
        ]


class GroupPeriod(TenantOwned):
    """MONO/POLY history of a patient: the group from ``valid_from`` until the next row.
    Billing asks for the group on a date (``group_on``)."""

    class Group(models.TextChoices):
        MONO = "MONO", "MONO"
        POLY = "POLY", "POLY"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="group_periods")
    group = models.CharField(max_length=4, choices=Group.choices)
    valid_from = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    history = clinical_history()

    class Meta:
        ordering = ["valid_from", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "patient", "valid_from"],
                                    name="group_period_unique_day")
        ]


class Convention(TenantOwned):
    """A convention signed with a professional (Table 14: conventions signed)."""

    professional = models.ForeignKey(Professional, on_delete=models.CASCADE,
                                     related_name="conventions")
    kind = models.CharField(_("kind"), max_length=120)
    signed_on = models.DateField(_("signed on"))

    history = clinical_history()

    class Meta:
        ordering = ["-signed_on"]


class Consent(TenantOwned):
    """One consent event (append-only); the patient's current state is mirrored on Patient."""

    class Kind(models.TextChoices):
        INFORMED = "informed", _("Informed consent to the programme")
        GP_ONLINE_ACCESS = "gp_online_access", _("GP's online access to the data")
        SHARING_OBJECTION = "sharing_objection", _("Objection to sharing between professionals")
        EVALUATION_OBJECTION = "evaluation_objection", _("Objection to use for evaluation")
        PHARMACIST_CONTACT = "pharmacist_contact", _("Contact with the community pharmacist")

    class Method(models.TextChoices):
        PORTAL = "portal", _("Signed on the portal")
        PAPER = "paper", _("On paper, scanned")
        ORAL = "oral", _("Told to the care team")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    granted = models.BooleanField()
    at = models.DateTimeField()
    notice_version = models.CharField(_("information notice version"), max_length=32, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "patient", "kind", "at"])]


class PortalInvitation(TenantOwned):
    """A one-time, expiring link to create the patient's portal account."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    #: empty for the patient; the carer's name when the link gives a carer their own login
    carer_name = models.CharField(max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_count = models.PositiveSmallIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def status(self, now) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "replaced"
        return "expired" if now >= self.expires_at else "pending"


class CarerAccess(TenantOwned):
    """A carer's own login to a patient's portal (DESIGN §8), recorded as such: what the
    carer types or sends carries the carer's account, not the patient's."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="carers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="carer_of")
    name = models.CharField(_("carer"), max_length=150)
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    history = clinical_history()

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["tenant", "patient", "user"], condition=models.Q(revoked_at__isnull=True),
            name="carer_access_once")]
