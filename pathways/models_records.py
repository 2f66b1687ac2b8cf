"""The care records of the pathway (phases 1-5): the pre-assessment checklist, the time
spent per patient, medication reconciliations, equipment and its loans, hospitalisations,
lab results, goal reviews and the final assessment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from constel.audit import clinical_history
from constel.tenancy import TenantOwned


class ChecklistItem(TenantOwned):
    """Pre-assessment checklist (phase 1): what to collect, and what need not be repeated
    because it was done recently (biology < 3 months, retinopathy screening < 1 year)."""

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
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

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
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

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
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
    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
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

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
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

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
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

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
                                   related_name="goal_reviews")
    goal = models.CharField(max_length=32)
    on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-on"]


class FinalAssessment(TenantOwned):
    """Phase 5: the final assessment and its synthesis (feeds the exit letter)."""

    enrollment = models.OneToOneField("pathways.Enrollment", on_delete=models.CASCADE,
                                      related_name="final_assessment")
    done_on = models.DateField()
    synthesis = models.TextField(_("synthesis"))
    social_component = models.TextField(_("social component"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.PROTECT, related_name="+")

    history = clinical_history()


