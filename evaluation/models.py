"""The pseudonymised exports for the programme's evaluation (who, when, which period)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from constel.tenancy import TenantOwned


class EvaluationExport(TenantOwned):
    """Every pseudonymised export for the evaluation: who, when, which period, how much."""

    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                           related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    period_start = models.DateField()
    period_end = models.DateField()
    patients = models.PositiveIntegerField()
    excluded_objections = models.PositiveIntegerField()

    class Meta:
        db_table = "pathways_evaluationexport"  # moved from pathways: the table stays
        ordering = ["-at"]
