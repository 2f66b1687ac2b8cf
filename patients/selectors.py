"""Reads of patients, always through the access policy's scope."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from constel.access import patients_in_scope
from constel.models import Membership
from constel.utils import is_uuid
from patients.models import GroupPeriod, Patient
from patients.search import search


def _current_enrollment():
    from pathways.models import Enrollment

    return Enrollment.objects.filter(patient=OuterRef("pk")).order_by("-created_at")


def patient_list(*, membership: Membership, query: str = "", phase: str = "", group: str = "",
                 site: str = "", gp: str = "") -> QuerySet[Patient]:
    """Patients visible to ``membership``, searched (patients/search.py: names without accents,
    in any order, with typos, best match first; INS; birth date dd/mm/yyyy), filtered by
    phase, group, site and GP; annotated with phase and group (constant queries)."""
    qs = patients_in_scope(membership).select_related("gp", "site").annotate(
        phase=Subquery(_current_enrollment().values("phase")[:1]),
        enrollment_id=Subquery(_current_enrollment().values("pk")[:1]),
        group=Subquery(GroupPeriod.objects.filter(patient=OuterRef("pk"))
                       .order_by("-valid_from", "-recorded_at").values("group")[:1]),
    )
    qs = search(qs, query)
    if phase:
        qs = qs.filter(phase=phase)
    if group in ("MONO", "POLY"):
        qs = qs.filter(group=group)
    if site:
        qs = qs.filter(site_id=site) if is_uuid(site) else qs.none()
    if gp:
        qs = qs.filter(gp_id=gp) if is_uuid(gp) else qs.none()
    return qs if query.strip() else qs.order_by("birth_name", "first_names", "pk")

