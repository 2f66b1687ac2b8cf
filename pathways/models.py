"""Enrollments and their phases (DESIGN §4), GP agreement, eligibility assessments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from constel.audit import clinical_history
from constel.tenancy import TenantOwned


class Phase(models.TextChoices):
    """§III.1.e phases. (Table 7 numbers the final assessment "Phase 6".)"""

    ENTRY = "entry", _("0 · Entry")
    INITIAL_ASSESSMENT = "initial_assessment", _("1 · Initial assessment")
    PPS_DEFINITION = "pps_definition", _("2 · PPS definition")
    FOLLOW_UP_Y1 = "follow_up_y1", _("3 · Follow-up year 1")
    ANNUAL_UPDATE = "annual_update", _("4 · Annual PPS update")
    FOLLOW_UP_Y2 = "follow_up_y2", _("4 · Follow-up year 2")
    FINAL_ASSESSMENT = "final_assessment", _("5 · Final assessment")
    EXITED = "exited", _("Exited")
    DECLINED = "declined", _("Referral declined")


class Enrollment(TenantOwned):
    """One patient in one tenant's programme."""

    class Door(models.TextChoices):
        PROGRAMME_PHYSICIAN = "programme_physician", _("Proposed by a programme physician")
        GP_REFERRAL = "gp_referral", _("Referred by the GP")

    class ReferralStatus(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in_review", _("Being completed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    class ExitReason(models.TextChoices):
        END_OF_PROGRAMME = "end_of_programme", _("End of programme")
        PATIENT_CHOICE = "patient_choice", _("Patient's choice")
        DEATH = "death", _("Death")
        MOVE = "move", _("Moved away")
        GP_REQUEST = "gp_request", _("GP's request")
        LOST = "lost", _("Lost to follow-up")

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="enrollments")
    door = models.CharField(_("entry door"), max_length=32, choices=Door.choices)
    referrer = models.ForeignKey("patients.Professional", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="referrals",
                                 verbose_name=_("referring professional"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    phase = models.CharField(_("phase"), max_length=32, choices=Phase.choices,
                             default=Phase.ENTRY)
    referral_status = models.CharField(max_length=16, choices=ReferralStatus.choices,
                                       blank=True)
    referral_decline_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    included_on = models.DateField(_("inclusion date"), null=True, blank=True)
    exited_on = models.DateField(null=True, blank=True)
    exit_reason = models.CharField(max_length=32, choices=ExitReason.choices, blank=True)

    history = clinical_history()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "patient"],
                condition=~models.Q(phase__in=["exited", "declined"]),
                name="enrollment_one_open_per_patient",
            )
        ]
        indexes = [models.Index(fields=["tenant", "phase"]),
                   models.Index(fields=["tenant", "included_on"])]

    def __str__(self) -> str:
        return f"{self.patient} — {self.get_phase_display()}"


class EnrollmentTransition(TenantOwned):
    """Every phase change: who, when, why (the pathway's audit trail)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="transitions")
    from_phase = models.CharField(max_length=32, choices=Phase.choices)
    to_phase = models.CharField(max_length=32, choices=Phase.choices)
    effective_on = models.DateField()
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                           related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]


class GpAgreement(TenantOwned):
    """The GP's agreement to the inclusion (door a): by phone, then confirmed in writing."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PHONE = "phone", _("Agreed by phone, written confirmation pending")
        CONFIRMED = "confirmed", _("Confirmed in writing")
        OPPOSED = "opposed", _("The GP opposes")

    enrollment = models.OneToOneField(Enrollment, on_delete=models.CASCADE,
                                      related_name="gp_agreement")
    gp = models.ForeignKey("patients.Professional", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(auto_now_add=True)
    phone_at = models.DateTimeField(null=True, blank=True)
    phone_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    phone_note = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    token_hash = models.CharField(max_length=64, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)

    history = clinical_history()

    @property
    def is_given(self) -> bool:
        return self.status in (self.Status.PHONE, self.Status.CONFIRMED)


class EligibilityAssessment(TenantOwned):
    """The questionnaire's answers and its verdict with reasons."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="eligibility_assessments")
    answers = models.JSONField()
    eligible = models.BooleanField()
    group = models.CharField(max_length=4, blank=True)
    reasons = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                    related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]


class CarePlan(TenantOwned):
    """A version of the PPS. Issued versions are never edited (a change is a new version)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        SUPERSEDED = "superseded", _("Superseded by a later version")

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial PPS")
        ANNUAL_UPDATE = "annual_update", _("Annual update")
        REVISION = "revision", _("Revision")

    class GpStatus(models.TextChoices):
        PENDING = "pending", _("Awaiting the GP's validation")
        VALIDATED = "validated", _("Validated by the GP")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested by the GP")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="care_plans")
    version = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    year = models.PositiveSmallIntegerField(default=1)
    reason = models.TextField(blank=True)
    planned_duration_years = models.PositiveSmallIntegerField(default=2)
    apa_schedule = models.CharField(max_length=16, default="group_of_10")
    goals = models.TextField(_("goals"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    gp_status = models.CharField(max_length=20, choices=GpStatus.choices, blank=True)
    gp_answered_at = models.DateTimeField(null=True, blank=True)
    gp_comment = models.TextField(blank=True)
    gp_reminders_sent = models.PositiveSmallIntegerField(default=0)

    history = clinical_history()

    class Meta:
        ordering = ["enrollment", "version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "enrollment", "version"],
                                    name="care_plan_unique_version"),
            models.UniqueConstraint(fields=["tenant", "enrollment"],
                                    condition=models.Q(status="draft"),
                                    name="care_plan_one_draft"),
        ]
        indexes = [
            # The worklist's "PPS awaiting the GP's validation" and the GP reminders: a few
            # plans among every version a tenant ever issued.
            models.Index(fields=["tenant", "issued_at"], name="care_plan_awaiting_gp",
                         condition=models.Q(status="issued", gp_status="pending")),
        ]

    def __str__(self) -> str:
        return f"PPS v{self.version} ({self.get_status_display()})"


class CarePlanItem(TenantOwned):
    """One line of a PPS version: a consultation, a session series, an indicator, a goal…"""

    class Kind(models.TextChoices):
        MEDICAL = "medical", _("Medical consultation")
        ALLIED = "allied", _("Allied consultation")
        NON_REIMBURSED = "non_reimbursed", _("Non-reimbursed consultation")
        EDUCATION = "education", _("Education (ETP)")
        APA = "apa", _("Adapted physical activity")
        TELEFOLLOW_UP = "telefollow_up", _("Telefollow-up indicator")
        EQUIPMENT = "equipment", _("Equipment lent")
        GOAL = "goal", _("Goal")

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    label = models.CharField(max_length=200)
    profession = models.CharField(max_length=64, blank=True)
    professional = models.ForeignKey("patients.Professional", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    count_per_year = models.PositiveSmallIntegerField(null=True, blank=True)
    frequency = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    history = clinical_history()

    class Meta:
        ordering = ["care_plan", "position"]


class Activity(TenantOwned):
    """An appointment or session of a patient: assessment consultation, follow-up
    consultation, education or APA session (individual or in a group), call, review."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("Assessment consultation")
        CONSULTATION = "consultation", _("Consultation")
        NON_REIMBURSED = "non_reimbursed", _("Non-reimbursed consultation")
        EDUCATION = "education", _("Education session")
        APA = "apa", _("APA session")
        ALERT_CONSULTATION = "alert_consultation", _("Alert consultation")
        CALL = "call", _("Phone call")
        RETURN_HOME_REVIEW = "return_home_review", _("Return-home review")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="activities")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    profession = models.CharField(max_length=64, blank=True)
    professional = models.ForeignKey("patients.Professional", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="activities")
    group_session = models.ForeignKey("GroupSession", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="participants")
    care_plan_item = models.ForeignKey(CarePlanItem, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    note = models.CharField(max_length=500, blank=True)
    follow_up_call_planned = models.BooleanField(default=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = clinical_history()

    class Meta:
        ordering = ["scheduled_at"]
        indexes = [models.Index(fields=["tenant", "status", "scheduled_at"]),
                   models.Index(fields=["tenant", "enrollment", "scheduled_at"])]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "group_session", "enrollment"],
                                    condition=models.Q(group_session__isnull=False),
                                    name="activity_once_per_group_session"),
        ]


class GroupSession(TenantOwned):
    """A group session (APA in groups of 4 or 10, ETP in groups of 8) with its roster."""

    kind = models.CharField(max_length=24, choices=Activity.Kind.choices,
                            default=Activity.Kind.APA)
    label = models.CharField(max_length=200)
    site = models.ForeignKey("constel.Site", null=True, blank=True, on_delete=models.PROTECT)
    professional = models.ForeignKey("patients.Professional", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    capacity = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["scheduled_at"]


class ChecklistItem(TenantOwned):
    """Pre-assessment checklist (phase 1): what to collect, and what need not be repeated
    because it was done recently (biology < 3 months, retinopathy screening < 1 year)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="checklist")
    code = models.SlugField(max_length=64)
    label = models.CharField(max_length=200)
    validity_days = models.PositiveSmallIntegerField(null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    received = models.BooleanField(default=False)

    history = clinical_history()

    class Meta:
        ordering = ["enrollment", "label"]
        constraints = [models.UniqueConstraint(fields=["tenant", "enrollment", "code"],
                                               name="checklist_unique_code")]

    def not_to_repeat(self, today) -> bool:
        return bool(self.done_on and self.validity_days is not None
                    and (today - self.done_on).days <= self.validity_days)


class TimeEntry(TenantOwned):
    """Time actually spent on a patient (Tables 7 and 11 compare it with the cost model);
    calls carry their note (the secretary's call log, the call to the pharmacist)."""

    class Kind(models.TextChoices):
        PRE_ASSESSMENT_CALL = "pre_assessment_call", _("Pre-assessment call (secretary)")
        PHARMACIST_CALL = "pharmacist_call", _("Call to the community pharmacist")
        MOTIVATIONAL = "motivational", _("Motivational follow-up")
        PPS_FOLLOW_UP = "pps_follow_up", _("PPS follow-up")
        DATA_COLLECTION = "data_collection", _("Data collection")
        ALERT_HANDLING = "alert_handling", _("Alert handling")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="time_entries")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    on = models.DateField()
    minutes = models.PositiveSmallIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                           related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-on"]
        indexes = [models.Index(fields=["tenant", "kind", "on"])]


class MedicationReconciliation(TenantOwned):
    """Medication reconciliation by the pharmacist; its conclusion goes to the GP."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="reconciliations")
    pharmacist = models.ForeignKey("patients.Professional", null=True, on_delete=models.PROTECT,
                                   related_name="+")
    done_on = models.DateField()
    discrepancies = models.PositiveSmallIntegerField(default=0)
    conclusion = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.PROTECT, related_name="+")

    history = clinical_history()


class Equipment(TenantOwned):
    """Lent equipment: scales, blood-pressure monitors, pulse oximeters, pedometers."""

    class Kind(models.TextChoices):
        SCALE = "scale", _("Scale")
        BLOOD_PRESSURE_MONITOR = "blood_pressure_monitor", _("Blood-pressure monitor")
        PULSE_OXIMETER = "pulse_oximeter", _("Pulse oximeter")
        PEDOMETER = "pedometer", _("Pedometer")

    class State(models.TextChoices):
        AVAILABLE = "available", _("Available")
        LENT = "lent", _("Lent")
        REPAIR = "repair", _("Being repaired")
        RETIRED = "retired", _("Retired")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    serial_number = models.CharField(_("serial number"), max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.AVAILABLE)
    site = models.ForeignKey("constel.Site", null=True, blank=True, on_delete=models.PROTECT)

    history = clinical_history()

    class Meta:
        ordering = ["kind", "serial_number"]
        constraints = [models.UniqueConstraint(fields=["tenant", "serial_number"],
                                               name="equipment_unique_serial")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial_number}"


class EquipmentLoan(TenantOwned):
    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, related_name="loans")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="equipment_loans")
    lent_on = models.DateField()
    returned_on = models.DateField(null=True, blank=True)

    history = clinical_history()

    class Meta:
        ordering = ["-lent_on"]
        constraints = [models.UniqueConstraint(
            fields=["tenant", "equipment"], condition=models.Q(returned_on=None),
            name="equipment_one_open_loan")]


class Hospitalisation(TenantOwned):
    """Unplanned hospitalisations and emergency visits (Table 14 needs them)."""

    class Kind(models.TextChoices):
        HOSPITALISATION = "hospitalisation", _("Hospitalisation")
        EMERGENCY = "emergency", _("Emergency-department visit")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="hospitalisations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    admitted_on = models.DateField(_("admitted on"))
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    planned = models.BooleanField(_("planned"), default=False)
    cause = models.CharField(_("cause"), max_length=300)
    place = models.CharField(_("place"), max_length=200, blank=True)

    history = clinical_history()

    class Meta:
        ordering = ["-admitted_on"]

    @property
    def length_days(self) -> int | None:
        return (self.discharged_on - self.admitted_on).days if self.discharged_on else None


class LabResult(TenantOwned):
    """Structured results from the reports collected (HbA1c, LDL, creatinine, eGFR…)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="lab_results")
    code = models.CharField(max_length=32)
    value = models.DecimalField(max_digits=8, decimal_places=2)
    unit = models.CharField(max_length=16)
    measured_on = models.DateField()

    history = clinical_history()

    class Meta:
        ordering = ["-measured_on"]
        indexes = [models.Index(fields=["tenant", "code", "measured_on"])]


class GoalReview(TenantOwned):
    """Progress on a goal of the PPS (weight, smoking, physical activity, biology)."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        ACHIEVED = "achieved", _("Achieved")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE,
                                   related_name="goal_reviews")
    goal = models.CharField(max_length=32)
    on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-on"]


class FinalAssessment(TenantOwned):
    """Phase 5: the final assessment and its synthesis (feeds the exit letter)."""

    enrollment = models.OneToOneField(Enrollment, on_delete=models.CASCADE,
                                      related_name="final_assessment")
    done_on = models.DateField()
    synthesis = models.TextField(_("synthesis"))
    social_component = models.TextField(_("social component"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.PROTECT, related_name="+")

    history = clinical_history()


