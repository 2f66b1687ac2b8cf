"""Billing (DESIGN §7): the forfait catalogue with dated tariffs, claim statements per
six-month period (immutable once issued, corrections as adjustment lines), the ledger of
forfaits claimed (one per enrollment × event × instalment, by constraint), remuneration of
the self-employed professionals, the tenant's budget plan, and the export log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from constel.audit import clinical_history
from constel.tenancy import TenantOwned


class DueEvent(models.TextChoices):
    FIRST_PPS_ISSUED = "first_pps_issued", _("First PPS issued")
    FOLLOW_UP_YEAR1_START = "follow_up_year1_start", _("Start of year-1 follow-up")
    FOLLOW_UP_YEAR2_START = "follow_up_year2_start", _("Start of year-2 follow-up")


class ForfaitKind(TenantOwned):
    code = models.CharField(_("code"), max_length=8)
    label = models.CharField(_("label"), max_length=200)
    group = models.CharField(_("group"), max_length=4, blank=True)  # "" = MONO or POLY
    due_on = models.CharField(_("falls due on"), max_length=32, choices=DueEvent.choices)
    #: [[offset in months, share], …]; shares add up to 1 (Constel'Action: [[0, 1]])
    instalments = models.JSONField(default=list)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"],
                                               name="forfait_kind_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class Tariff(TenantOwned):
    """The amount of a forfait from ``valid_from`` to ``valid_to`` (inclusive, open-ended
    when empty). Versions of a kind never overlap (service check + exclusion constraint on
    PostgreSQL); a claim line copies the amount, so a new version never changes past claims."""

    kind = models.ForeignKey(ForfaitKind, on_delete=models.PROTECT, related_name="tariffs")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    amount = models.DecimalField(_("amount (€)"), max_digits=9, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    history = clinical_history()

    class Meta:
        ordering = ["kind__code", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0),
                                   name="tariff_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="tariff_dates_in_order"),
        ]


class ClaimStatement(TenantOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")

    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    number = models.PositiveIntegerField(null=True, blank=True)  # per tenant, on issue
    compiled_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    #: forfaits that could not be priced (no tariff, no MONO/POLY group on the due date)
    warnings = models.JSONField(default=list, blank=True)

    history = clinical_history()

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "period_start"],
                                    name="claim_statement_one_per_period"),
            models.UniqueConstraint(fields=["tenant", "number"],
                                    condition=models.Q(number__isnull=False),
                                    name="claim_statement_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%d/%m/%Y} – {self.period_end:%d/%m/%Y}"


class ClaimLine(TenantOwned):
    """One patient × forfait × instalment on a statement. Adjustments credit (negative) or
    debit an earlier line, with the reason and the reference of that line."""

    class Type(models.TextChoices):
        ORIGINAL = "original", _("Forfait")
        DEBIT = "debit", _("Adjustment: debit")
        CREDIT = "credit", _("Adjustment: credit")

    statement = models.ForeignKey(ClaimStatement, on_delete=models.CASCADE, related_name="lines")
    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.PROTECT,
                                   related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.ForeignKey(ForfaitKind, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=32, choices=DueEvent.choices)
    instalment = models.PositiveSmallIntegerField(default=1)
    due_on = models.DateField()
    group = models.CharField(max_length=4, blank=True)
    tariff = models.DecimalField(max_digits=9, decimal_places=2)
    share = models.DecimalField(max_digits=5, decimal_places=4, default=1)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    type = models.CharField(max_length=8, choices=Type.choices, default=Type.ORIGINAL)
    reason = models.CharField(max_length=200, blank=True)
    adjusts = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="adjustments")
    reference = models.CharField(max_length=40)  # printed on exports: S3-000123

    class Meta:
        ordering = ["kind__code", "due_on"]
        indexes = [models.Index(fields=["tenant", "statement", "kind"])]


class ForfaitDue(TenantOwned):
    """The ledger of forfaits claimed: a line that claims a forfait holds one row here until a
    credit line reverses it. One standing row per enrollment × event × instalment: a forfait
    is never claimed twice, whatever runs at the same time (partial unique constraint)."""

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.PROTECT,
                                   related_name="+")
    event = models.CharField(max_length=32, choices=DueEvent.choices)
    instalment = models.PositiveSmallIntegerField(default=1)
    line = models.OneToOneField(ClaimLine, on_delete=models.CASCADE, related_name="due")
    credited_by = models.OneToOneField(ClaimLine, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="credits_due")

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["tenant", "enrollment", "event", "instalment"],
            condition=models.Q(credited_by__isnull=True), name="forfait_due_once")]


class RemunerationRate(TenantOwned):
    """What the programme pays a self-employed profession: per session (psychologist,
    tobacco specialist, dietitian) or per hour pro rata of the recorded duration (Table 10)."""

    profession = models.CharField(max_length=64)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    per_session = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    session_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    per_hour = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["profession", "valid_from"]
        constraints = [models.CheckConstraint(
            condition=models.Q(per_session__gte=0) | models.Q(per_hour__gte=0),
            name="remuneration_rate_not_negative")]


class RemunerationStatement(TenantOwned):
    professional = models.ForeignKey("patients.Professional", on_delete=models.PROTECT,
                                     related_name="remuneration_statements")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=8, choices=ClaimStatement.Status.choices,
                              default=ClaimStatement.Status.DRAFT)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    compiled_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    history = clinical_history()

    class Meta:
        ordering = ["-period_start", "professional__last_name"]
        constraints = [models.UniqueConstraint(
            fields=["tenant", "professional", "period_start"],
            name="remuneration_statement_one_per_period")]


class RemunerationLine(TenantOwned):
    statement = models.ForeignKey(RemunerationStatement, on_delete=models.CASCADE,
                                  related_name="lines")
    activity = models.ForeignKey("pathways.Activity", null=True, on_delete=models.PROTECT,
                                 related_name="+")
    on = models.DateField()
    label = models.CharField(max_length=200)
    minutes = models.PositiveSmallIntegerField()
    basis = models.CharField(max_length=80)  # "50.00 € / séance", "49 €/h × 60 min"
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    adjusts = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")

    class Meta:
        ordering = ["on"]
        constraints = [models.UniqueConstraint(
            fields=["tenant", "activity"], condition=models.Q(adjusts__isnull=True),
            name="remuneration_line_once_per_activity")]


class BudgetPlanYear(TenantOwned):
    """The tenant's plan (Table 13 for Constel'Action): inclusions and amounts per
    programme year (year 1 starts on the claim-period anchor)."""

    year = models.PositiveSmallIntegerField()
    inclusions = models.PositiveIntegerField(default=0)
    forfait_assessment = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    forfait_year1 = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    forfait_year2 = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["tenant", "year"],
                                               name="budget_plan_unique_year")]


class ExportLog(TenantOwned):
    """Every export of a statement: who, when, what."""

    # A discarded draft's exports stay logged (a file left the system), without it.
    statement = models.ForeignKey(ClaimStatement, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="exports")
    remuneration = models.ForeignKey(RemunerationStatement, null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=8)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                           related_name="+")
    at = models.DateTimeField(auto_now_add=True)
