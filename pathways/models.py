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


# The care records of phases 1-5 (checklist, time, reconciliation, equipment,
# hospitalisations, lab results, goal reviews, final assessment) live in models_records.py.
from pathways.models_records import (  # noqa: E402,F401
    ChecklistItem,
    Equipment,
    EquipmentLoan,
    FinalAssessment,
    GoalReview,
    Hospitalisation,
    LabResult,
    MedicationReconciliation,
    TimeEntry,
)
