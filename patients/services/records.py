"""Writes of professionals, patients, assignments, diagnoses (and the MONO/POLY history)
and consents.

Every service runs in the tenant's context and raises ``ValidationError`` with field names
on bad input, so forms and the API show the same field-level messages and nothing is saved.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context
from patients.eligibility import group_of
from patients.models import (
    CareAssignment,
    Consent,
    Convention,
    Diagnosis,
    GroupPeriod,
    Patient,
    Professional,
)
from patients.validators import (
    age_on,
    check_birth_date,
    check_ins_matches_identity,
    normalise_ins,
    normalise_rpps,
)

INVITATION_VALIDITY = timedelta(days=14)
_MIRRORED = {
    Consent.Kind.GP_ONLINE_ACCESS: "gp_online_access_agreed",
    Consent.Kind.SHARING_OBJECTION: "objects_to_sharing",
    Consent.Kind.EVALUATION_OBJECTION: "objects_to_evaluation",
    Consent.Kind.PHARMACIST_CONTACT: "pharmacist_contact_agreed",
}


def today() -> date:
    """Today in the programme's zone (inside a tenant's context: its own)."""
    return dates.today()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Professionals --------------------------------------------------------------------------

@transaction.atomic
def professional_create(*, tenant: Tenant, kind: str, first_name: str, last_name: str,
                        **fields: Any) -> Professional:
    with tenant_context(tenant):
        if fields.get("rpps"):
            try:
                fields["rpps"] = normalise_rpps(fields["rpps"])
            except ValidationError as exc:
                raise ValidationError({"rpps": exc.messages}) from exc
            existing = Professional.objects.filter(rpps=fields["rpps"]).first()
            if existing:
                raise ValidationError({"rpps": _("This RPPS is already in the directory: %(p)s.")
                                       % {"p": existing}})
        pro = Professional(tenant=tenant, kind=kind, first_name=first_name, last_name=last_name,
                           **fields)
        pro.full_clean()
        pro.save()
        return pro


@transaction.atomic
def convention_record(*, professional: Professional, kind: str, signed_on: date) -> Convention:
    if signed_on > today():
        raise ValidationError({"signed_on": _("A convention cannot be signed in the future.")})
    with tenant_context(professional.tenant_id):
        return Convention.objects.create(tenant_id=professional.tenant_id,
                                         professional=professional, kind=kind,
                                         signed_on=signed_on)


# --- Patients -------------------------------------------------------------------------------

def _clean_identity(tenant: Tenant, data: dict[str, Any], *, instance: Patient | None) -> None:
    errors: dict[str, list[str]] = {}
    birth_date = data.get("birth_date")
    if isinstance(birth_date, date):
        try:
            check_birth_date(birth_date, today=today())
        except ValidationError as exc:
            errors.setdefault("birth_date", []).extend(exc.messages)
        else:
            if age_on(birth_date, today()) < 18:
                errors.setdefault("birth_date", []).append(
                    _("Patients under 18 cannot enter the programme (§III.2.b)."))
    if data.get("ins"):
        try:
            data["ins"] = normalise_ins(data["ins"])
            check_ins_matches_identity(data["ins"], sex=data.get("sex"), birth_date=birth_date
                                       if isinstance(birth_date, date) else None)
        except ValidationError as exc:
            errors.setdefault("ins", []).extend(exc.messages)
        else:
            duplicate = Patient.objects.for_tenant(tenant).filter(ins=data["ins"])
            if instance is not None:
                duplicate = duplicate.exclude(pk=instance.pk)
            existing = duplicate.first()
            if existing is not None:
                errors.setdefault("ins", []).append(
                    _("This INS is already the record of %(name)s (born %(born)s): open it "
                      "instead of creating a second one — %(url)s")
                    % {"name": existing.display_name, "born": f"{existing.birth_date:%d/%m/%Y}",
                       "url": reverse("patients:detail", args=[existing.pk])}
                )
    elif data.get("identity_status") == Patient.IdentityStatus.QUALIFIED:
        errors.setdefault("identity_status", []).append(
            _("A qualified identity needs its INS."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def patient_create(*, tenant: Tenant, birth_name: str, first_names: str, sex: str,
                   birth_date: date, **fields: Any) -> Patient:
    with tenant_context(tenant):
        data = {"birth_name": birth_name.strip().upper(), "first_names": first_names.strip(),
                "sex": sex, "birth_date": birth_date, **fields}
        if data.get("used_name"):
            data["used_name"] = data["used_name"].strip().upper()
        _clean_identity(tenant, data, instance=None)
        patient = Patient(tenant=tenant, **data)
        patient.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                patient.save()
        except IntegrityError as exc:  # a concurrent twin with the same INS
            raise ValidationError({"ins": _("This INS is already in the programme.")}) from exc
        return patient


@transaction.atomic
def patient_update(*, patient: Patient, **fields: Any) -> Patient:
    with tenant_context(patient.tenant_id):
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        data = {
            "birth_name": patient.birth_name, "sex": patient.sex,
            "birth_date": patient.birth_date, "ins": patient.ins,
            "identity_status": patient.identity_status, **fields,
        }
        _clean_identity(patient.tenant, data, instance=patient)
        for name, value in data.items():
            setattr(patient, name, value)
        patient.full_clean(validate_unique=False)
        patient.save()
        return patient


@transaction.atomic
def care_assign(*, patient: Patient, professional: Professional) -> CareAssignment:
    with tenant_context(patient.tenant_id):
        assignment, _created = CareAssignment.objects.get_or_create(
            tenant_id=patient.tenant_id, patient=patient, professional=professional
        )
        return assignment


# --- Diagnoses and the MONO/POLY history ----------------------------------------------------

def _current_codes(patient: Patient, on: date) -> list[tuple[str, str, bool, bool]]:
    rows = Diagnosis.objects.filter(patient=patient, diagnosed_on__lte=on).exclude(
        ended_on__lte=on
    ).select_related("pathology")
    return [(d.pathology.code, d.pathology.counts_as or d.pathology.code,
             d.pathology.oral_therapy_only, d.oral_therapy) for d in rows]


def group_from_diagnoses(patient: Patient, on: date) -> str | None:
    codes = [code for code, _c, oral_only, oral in _current_codes(patient, on)
             if not oral_only or oral]
    counts_as = {code: merged for code, merged, _o, _t in _current_codes(patient, on)}
    return group_of(codes, counts_as)


def _group_rebuild(patient: Patient) -> None:
    """Rebuild the MONO/POLY history from the diagnoses' dates.

    Each period starts on a diagnosis (or end) date; consecutive equal groups merge. A
    back-dated diagnosis therefore changes the past: billing compares its recomputation with
    what was claimed and issues adjustment lines (it never edits an issued statement).
    """
    diagnoses = list(Diagnosis.objects.filter(patient=patient).select_related("pathology"))
    days = sorted({d.diagnosed_on for d in diagnoses} | {d.ended_on for d in diagnoses
                                                          if d.ended_on})
    wanted: list[tuple[date, str | None]] = []
    for day in days:
        group = group_from_diagnoses(patient, day)
        if not wanted or wanted[-1][1] != group:
            wanted.append((day, group))
    existing = {(p.valid_from, p.group) for p in GroupPeriod.objects.filter(patient=patient)}
    target = {(day, group) for day, group in wanted if group is not None}
    if existing == target:
        return
    GroupPeriod.objects.filter(patient=patient).delete()
    for day, group in sorted(target):
        GroupPeriod.objects.create(tenant_id=patient.tenant_id, patient=patient, group=group,
                                   valid_from=day)


def group_on(patient: Patient, day: date) -> str | None:
    """MONO/POLY on ``day`` — what billing asks when a forfait falls due."""
    with tenant_context(patient.tenant_id):
        row = (GroupPeriod.objects.filter(patient=patient, valid_from__lte=day)
               .order_by("-valid_from", "-recorded_at").first())
    return row.group if row else None


@transaction.atomic
def diagnosis_add(*, patient: Patient, pathology, diagnosed_on: date,
                  oral_therapy: bool = False) -> Diagnosis:
    if diagnosed_on > today():
        raise ValidationError({"diagnosed_on": _("A diagnosis date cannot be in the future.")})
    if diagnosed_on < patient.birth_date:
        raise ValidationError({"diagnosed_on": _("A diagnosis cannot precede the birth date.")})
    with tenant_context(patient.tenant_id):
        if Diagnosis.objects.filter(patient=patient, pathology=pathology, ended_on=None).exists():
            raise ValidationError({"pathology": _("This pathology is already recorded.")})
        diagnosis = Diagnosis.objects.create(
            tenant_id=patient.tenant_id, patient=patient, pathology=pathology,
            diagnosed_on=diagnosed_on, oral_therapy=oral_therapy,
        )
        _group_rebuild(patient)
        return diagnosis


@transaction.atomic
def diagnosis_end(*, diagnosis: Diagnosis, ended_on: date) -> Diagnosis:
    if ended_on < diagnosis.diagnosed_on:
        raise ValidationError({"ended_on": _("The end cannot precede the diagnosis.")})
    with tenant_context(diagnosis.tenant_id):
        diagnosis.ended_on = ended_on
        diagnosis.save(update_fields=["ended_on"])
        _group_rebuild(diagnosis.patient)
        return diagnosis


# --- Consents -------------------------------------------------------------------------------

@transaction.atomic
def consent_record(*, patient: Patient, kind: str, granted: bool, method: str,
                   actor: User | None, notice_version: str = "", evidence: bytes | None = None,
                   ip_address: str | None = None, at: datetime | None = None) -> Consent:
    """Append a consent event and mirror the current state on the patient."""
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"at": _("A consent cannot be dated in the future.")})
    if kind == Consent.Kind.INFORMED and granted and not notice_version:
        raise ValidationError({"notice_version": _("Say which version of the information notice "
                                                   "the patient was given.")})
    if method == Consent.Method.PAPER and kind == Consent.Kind.INFORMED and granted \
            and not evidence:
        raise ValidationError({"evidence": _("Attach the scanned signed form.")})
    with tenant_context(patient.tenant_id):
        consent = Consent.objects.create(
            tenant_id=patient.tenant_id, patient=patient, kind=kind, granted=granted, at=at,
            notice_version=notice_version, method=method,
            evidence_sha256=hashlib.sha256(evidence).hexdigest() if evidence else "",
            ip_address=ip_address, recorded_by=actor,
        )
        field = _MIRRORED.get(kind)
        if field:
            row = Patient.objects.select_for_update().get(pk=patient.pk)
            setattr(row, field, granted)
            row.save(update_fields=[field])
            setattr(patient, field, granted)
        return consent


def consent_state(patient: Patient) -> dict[str, Consent]:
    """The latest event of each kind."""
    latest: dict[str, Consent] = {}
    with tenant_context(patient.tenant_id):
        for consent in Consent.objects.filter(patient=patient).order_by("kind", "-at"):
            latest.setdefault(consent.kind, consent)
    return latest


def has_informed_consent(patient: Patient) -> bool:
    state = consent_state(patient).get(Consent.Kind.INFORMED)
    return bool(state and state.granted)


@transaction.atomic
def pathology_counts_as(*, tenant: Tenant, mapping: dict[str, str]) -> None:
    """Declare pathologies that count together as one for MONO/POLY (DESIGN §4), then
    rebuild every patient's group history."""
    from patients.models import Pathology

    with tenant_context(tenant):
        codes = set(Pathology.objects.values_list("code", flat=True))
        for code, target in mapping.items():
            if target and (target not in codes or target == code):
                raise ValidationError({"counts_as": _("“%(code)s” cannot count as “%(t)s”.")
                                       % {"code": code, "t": target}})
            if target and mapping.get(target):
                raise ValidationError({"counts_as": _("Point to a pathology that itself counts "
                                                      "as itself (no chains).")})
        changed = False
        for pathology in Pathology.objects.select_for_update():
            wanted = mapping.get(pathology.code, pathology.counts_as)
            if wanted != pathology.counts_as:
                pathology.counts_as = wanted
                pathology.save(update_fields=["counts_as"])
                changed = True
        if changed:
            for patient in Patient.objects.filter(diagnoses__isnull=False).distinct():
                _group_rebuild(patient)
