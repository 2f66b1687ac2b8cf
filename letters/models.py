"""Letters to the GP (DESIGN §6): one row per triggering event, created in the event's
transaction; a task renders the PDF and sends it exactly once.

Moved out of ``pathways`` without touching the tables: each model keeps its ``db_table``
(and its history's), so row-level security and the history stay as they were."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from constel.audit import clinical_history
from constel.tenancy import TenantOwned


class Letter(TenantOwned):
    class Kind(models.TextChoices):
        PPS = "pps", _("Care plan (PPS) issued")
        RECONCILIATION = "reconciliation", _("Medication reconciliation")
        ALERT = "alert", _("Alert handled")
        EXIT = "exit", _("End of follow-up")
        REFERRAL_DECLINED = "referral_declined", _("Referral declined")
        PERIODIC = "periodic", _("Periodic follow-up report")

    class Status(models.TextChoices):
        DRAFT = "draft", _("To render")
        RENDERED = "rendered", _("Rendered")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        NO_ADDRESS = "no_address", _("No secure address: to print")

    enrollment = models.ForeignKey("pathways.Enrollment", on_delete=models.CASCADE,
                                   related_name="letters")
    gp = models.ForeignKey("patients.Professional", null=True, on_delete=models.PROTECT,
                           related_name="letters")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    event_key = models.CharField(max_length=64)  # the triggering object: one letter per event
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    pdf = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sending_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    history = clinical_history(excluded_fields=["pdf"], table_name="pathways_historicalletter")

    class Meta:
        db_table = "pathways_letter"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "event_key"],
                                               name="letter_once_per_event")]
        indexes = [models.Index(fields=["tenant", "status"])]


class LetterTemplate(TenantOwned):
    """The tenant's wording around a kind of letter: an opening and a closing (Django
    template syntax over a restricted set of values: see letters.services.TEMPLATE_VALUES).
    A template that does not render is refused; the previous one stays."""

    kind = models.CharField(max_length=24, choices=Letter.Kind.choices)
    opening = models.TextField(blank=True)
    closing = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("constel.User", null=True, on_delete=models.PROTECT,
                                   related_name="+")

    history = clinical_history(table_name="pathways_historicallettertemplate")

    class Meta:
        db_table = "pathways_lettertemplate"
        constraints = [models.UniqueConstraint(fields=["tenant", "kind"],
                                               name="letter_template_one_per_kind")]
