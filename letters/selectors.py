"""Reads of the letters for a membership, within its patient scope (constel.access)."""

from __future__ import annotations

from django.db.models import F, QuerySet

from constel.access import Cap, object_in_scope, within_scope
from constel.models import Membership
from letters.models import Letter


def letters_in_scope(*, membership: Membership) -> QuerySet[Letter]:
    """The letters about the patients the membership may see. Identity scope: a letter is
    what the GP receives anyway (an objection stops online clinical access, not letters)."""
    return within_scope(Letter.objects.filter(tenant_id=membership.tenant_id), membership,
                        patient_path="enrollment__patient", clinical=False)


def gp_inbox(*, membership: Membership) -> QuerySet[Letter]:
    """Unread first, then the newest (the PDF column left out)."""
    return (letters_in_scope(membership=membership).select_related("enrollment__patient")
            .defer("pdf").order_by(F("read_at").asc(nulls_first=True), "-created_at", "pk"))


def letter_get(*, membership: Membership, pk, cap: Cap, clinical: bool = True) -> Letter:
    """403 without ``cap``, 404 out of scope (as missing)."""
    return object_in_scope(Letter.objects.select_related("enrollment__patient"),
                           membership=membership, patient_path="enrollment__patient",
                           cap=cap, clinical=clinical, pk=pk)
