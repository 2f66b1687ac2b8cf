"""Reads of patients, always through the access policy's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from constel.access import patients_in_scope
from constel.models import Membership
from patients.models import Patient


def patient_list(*, membership: Membership, query: str = "") -> QuerySet[Patient]:
    """Patients visible to ``membership``, searched by name, INS or birth date (dd/mm/yyyy)."""
    qs = patients_in_scope(membership).select_related("gp", "site")
    query = query.strip()
    if query:
        cond = Q(birth_name__icontains=query) | Q(used_name__icontains=query) | Q(
            first_names__icontains=query
        )
        compact = query.replace(" ", "")
        if compact.isdigit() or compact[:7].upper().replace("A", "").replace("B", "").isdigit():
            cond |= Q(ins__startswith=compact.upper())
        parts = query.split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                from datetime import date

                cond |= Q(birth_date=date(int(parts[2]), int(parts[1]), int(parts[0])))
            except ValueError:
                pass
        qs = qs.filter(cond)
    return qs.order_by("birth_name", "first_names", "pk")
