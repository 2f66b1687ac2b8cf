"""Telefollow-up (DESIGN §5): indicators, readings, per-patient rules, alerts.

Moved out of ``pathways`` without touching the tables: each model keeps its ``db_table``
(and its history's), so row-level security, the readings' partitions and the SQL statements
stay as they were."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from constel.audit import clinical_history
from constel.tenancy import TenantOwned


class Indicator(TenantOwned):
    """The tenant's indicator catalogue (LOINC/UCUM where they exist)."""

    code = models.SlugField(max_length=64)
    loinc = models.CharField(max_length=16, blank=True)
    label = models.CharField(max_length=120)
    unit = models.CharField(max_length=16)
    alt_units = models.JSONField(default=list, blank=True)
    decimals = models.PositiveSmallIntegerField(default=0)
    plausible_min = models.DecimalField(max_digits=9, decimal_places=2)
    plausible_max = models.DecimalField(max_digits=9, decimal_places=2)
    warn_low = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    warn_high = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    crit_low = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    crit_high = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    paired_with = models.SlugField(max_length=64, blank=True)  # systolic ↔ diastolic
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "pathways_indicator"
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"],
                                               name="indicator_unique_code")]

    def __str__(self) -> str:
        return self.label


class Reading(TenantOwned):
    """One value typed by the patient on the portal or by the nurse after a call."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("Entered by the patient")
        CARER = "carer", _("Entered by a carer")
        NURSE_PHONE = "nurse_phone", _("Entered by the nurse after a call")

    # The largest table: no single-column index on tenant, indicator or author (every query
    # goes through the (tenant, enrollment, indicator, measured_at) index; a catalogue
    # indicator or a user is never deleted, only retired), so a reading written or marked
    # evaluated maintains three indexes, not six.
    tenant = models.ForeignKey("constel.Tenant", on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
                                   related_name="readings")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+",
                                  db_index=False)
    value = models.DecimalField(max_digits=9, decimal_places=2)
    measured_at = models.DateTimeField()
    entered_at = models.DateTimeField(auto_now_add=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.PROTECT, related_name="+", db_index=False)
    source = models.CharField(max_length=16, choices=Source.choices)
    measurement_id = models.UUIDField(default=uuid.uuid4)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    @property
    def entered_by_name(self) -> str | None:
        """Who typed it (their name), shown beside its capacity (``source``)."""
        if self.entered_by_id is None:
            return None
        user = self.entered_by
        return user.get_full_name() or _("(unnamed account)")

    # Its history is read per reading (the correction trail): only the id is indexed.
    history = clinical_history(table_name="pathways_historicalreading",
                               no_db_index=["tenant", "enrollment", "indicator", "entered_by"])

    class Meta:
        db_table = "pathways_reading"
        ordering = ["-measured_at"]
        indexes = [
            models.Index(fields=["tenant", "enrollment", "indicator", "measured_at"]),
        ]
        # No index on evaluated_at: marking a reading evaluated is then a HOT update (the
        # table has free room on its pages, fillfactor 85); the sweep finds unevaluated
        # readings through a BRIN index on entered_at (PostgreSQL, migration 0011).
        # PostgreSQL: partitioned by month on measured_at, primary key (id, measured_at)
        # (migration 0023); queries that know the time span prune partitions.


class AlertRule(TenantOwned):
    """A rule of one patient's PPS version on one indicator."""

    class Kind(models.TextChoices):
        BOUNDS = "bounds", _("Absolute bounds")
        CHANGE = "change", _("Change over a window")
        MISSING = "missing", _("Missing data")

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
                                   related_name="alert_rules")
    care_plan = models.ForeignKey("pathways.CarePlan", null=True, on_delete=models.SET_NULL,
                                  related_name="alert_rules")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    warn_low = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    warn_high = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    crit_low = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    crit_high = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    window_hours = models.PositiveIntegerField(null=True, blank=True)
    direction = models.CharField(max_length=4, blank=True)
    expected_interval_hours = models.PositiveIntegerField(null=True, blank=True)
    tolerance = models.DecimalField(max_digits=4, decimal_places=2, default=2)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = clinical_history(table_name="pathways_historicalalertrule")

    class Meta:
        db_table = "pathways_alertrule"
        indexes = [models.Index(fields=["tenant", "enrollment", "indicator", "active"])]


class Alert(TenantOwned):
    """One open alert per patient and rule; new breaches attach to it (AlertEvent)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        TAKEN = "taken", _("Taken by a nurse")
        ESCALATED = "escalated", _("Escalated to the coordinating physician")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        NO_ACTION = "no_action", _("No action")
        ADVICE = "advice", _("Advice / education given")
        ERRONEOUS = "erroneous_entry", _("Erroneous entry")
        ALERT_CONSULTATION = "alert_consultation", _("Alert consultation")
        MEDICAL_ACTION = "medical_action", _("Medical action")
        HOSPITALISATION = "hospitalisation", _("Hospitalisation")
        RESOLVED_BY_READING = "resolved_by_reading", _("Resolved by a new reading")

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
                                   related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    auto_escalated = models.BooleanField(default=False)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=24, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)
    gp_involvement = models.TextField(blank=True)

    history = clinical_history(table_name="pathways_historicalalert")

    class Meta:
        db_table = "pathways_alert"
        ordering = ["-opened_at"]
        constraints = [models.UniqueConstraint(
            fields=["tenant", "rule"], condition=~models.Q(status="closed"),
            name="alert_one_open_per_rule")]
        indexes = [models.Index(fields=["tenant", "status", "level", "opened_at"])]


class AlertEvent(TenantOwned):
    """A breach: a reading × rule (unique, so evaluating twice changes nothing), or a
    missing-data detection (no reading)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="+")
    # No database constraint: readings are partitioned by month (migration 0023) and a
    # foreign key to them would need measured_at; the ORM still cascades.
    reading = models.ForeignKey(Reading, null=True, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    level = models.CharField(max_length=8)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "pathways_alertevent"
        constraints = [models.UniqueConstraint(
            fields=["tenant", "reading", "rule"], condition=models.Q(reading__isnull=False),
            name="alert_event_once_per_reading_rule")]


class AlertNote(TenantOwned):
    """What was said about an alert, in order: the escalation's note, the notes added for the
    coordinating physician, the auto-escalation, the closing note. Written once, never
    edited (the alert's own history keeps its status changes)."""

    class Kind(models.TextChoices):
        ESCALATION = "escalation", _("Escalated")
        AUTO_ESCALATION = "auto_escalation", _("Escalated automatically")
        NOTE = "note", _("Note")
        CLOSING = "closing", _("Closed")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["tenant", "alert", "at"])]
