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
