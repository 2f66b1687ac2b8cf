"""Writes of patients and professionals (each in its tenant's context)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from constel.models import Tenant
from constel.tenancy import tenant_context
from patients.models import CareAssignment, Patient, Professional


@transaction.atomic
def professional_create(*, tenant: Tenant, kind: str, first_name: str, last_name: str,
                        **fields: Any) -> Professional:
    with tenant_context(tenant):
        pro = Professional(tenant=tenant, kind=kind, first_name=first_name, last_name=last_name,
                           **fields)
        pro.full_clean()
        pro.save()
        return pro


@transaction.atomic
def patient_create(*, tenant: Tenant, birth_name: str, first_names: str, sex: str,
                   birth_date: date, **fields: Any) -> Patient:
    with tenant_context(tenant):
        patient = Patient(tenant=tenant, birth_name=birth_name, first_names=first_names, sex=sex,
                          birth_date=birth_date, **fields)
        patient.full_clean()
        patient.save()
        return patient


@transaction.atomic
def care_assign(*, patient: Patient, professional: Professional) -> CareAssignment:
    with tenant_context(patient.tenant_id):
        assignment, _created = CareAssignment.objects.get_or_create(
            tenant_id=patient.tenant_id, patient=patient, professional=professional
        )
        return assignment
