"""/fhir/R4/: read-only FHIR JSON, scoped like the API (the patient's clinical scope)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from constel.access import Cap, has_cap, patients_in_scope
from constel.utils import is_uuid
from fhir_r4 import mapping as fhir
from pathways.models import CarePlan
from telemonitoring.models import Alert, Reading

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
BASE = "/fhir/R4/"


def _json(data: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status,
                        content_type=CONTENT_TYPE)


def _error(status: int, code: str, text: str) -> HttpResponse:
    return _json(fhir.outcome(code, text), status)


def _guard(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return _error(401, "login", "Authentication required (session or personal token).")
    membership = getattr(request, "membership", None)
    if membership is None or not has_cap(membership, Cap.PATIENT_CLINICAL):
        return _error(403, "forbidden", "Your role does not give access to clinical data.")
    return None


def _patients(request: HttpRequest):
    membership = request.membership
    return patients_in_scope(membership, clinical=True)


def _params(request: HttpRequest, allowed: set[str]) -> HttpResponse | None:
    unknown = sorted(set(request.GET) - allowed - {"_format"})
    if unknown:
        return _error(400, "not-supported", f"Unknown search parameter(s): {', '.join(unknown)}"
                      f" (supported: {', '.join(sorted(allowed)) or 'none'}).")
    return None


def _one_patient(request: HttpRequest, patient_id: str):
    if not is_uuid(patient_id):
        return None
    return _patients(request).select_related("gp").filter(pk=patient_id).first()


def _readings(patient, code: str | None = None):
    qs = (Reading.objects.filter(enrollment__patient=patient).select_related("indicator")
          .order_by("measured_at"))
    return qs.filter(indicator__loinc=code) if code else qs


def _plans(patient):
    return (CarePlan.objects.filter(enrollment__patient=patient)
            .prefetch_related("items").order_by("version"))


def _flags(patient):
    return Alert.objects.filter(enrollment__patient=patient).select_related("indicator")


@require_GET
def patient_read(request: HttpRequest, patient_id: str) -> HttpResponse:
    if (denied := _guard(request)) is not None:
        return denied
    p = _one_patient(request, patient_id)
    if p is None:
        return _error(404, "not-found", f"Patient/{patient_id} is not known.")
    return _json(fhir.patient(p))


@require_GET
def patient_everything(request: HttpRequest, patient_id: str) -> HttpResponse:
    if (denied := _guard(request)) is not None:
        return denied
    if (bad := _params(request, set())) is not None:
        return bad
    p = _one_patient(request, patient_id)
    if p is None:
        return _error(404, "not-found", f"Patient/{patient_id} is not known.")
    resources = [fhir.patient(p)]
    if p.gp is not None:
        resources.append(fhir.practitioner(p.gp))
    resources += [fhir.observation(r, p.pk) for r in _readings(p)]
    resources += [fhir.care_plan(c, p.pk) for c in _plans(p)]
    resources += [fhir.flag(a, p.pk) for a in _flags(p)]
    return _json(fhir.bundle(resources, BASE))


@require_GET
def practitioner_read(request: HttpRequest, practitioner_id: str) -> HttpResponse:
    if (denied := _guard(request)) is not None:
        return denied
    from patients.models import Professional

    pro = (Professional.objects.for_tenant(request.tenant).filter(pk=practitioner_id).first()
           if is_uuid(practitioner_id) else None)
    if pro is None:
        return _error(404, "not-found", f"Practitioner/{practitioner_id} is not known.")
    return _json(fhir.practitioner(pro))


def _search(request: HttpRequest, allowed: set[str], build) -> HttpResponse:
    if (denied := _guard(request)) is not None:
        return denied
    if (bad := _params(request, allowed)) is not None:
        return bad
    patient_id = request.GET.get("patient", "").removeprefix("Patient/")
    if not patient_id:
        return _error(400, "required", "The 'patient' search parameter is required.")
    p = _one_patient(request, patient_id)
    if p is None:
        return _json(fhir.bundle([], BASE))  # nothing visible: an empty result, no leak
    return _json(fhir.bundle(build(p), BASE))


@require_GET
def observation_search(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").removeprefix(f"{fhir.LOINC}|") or None
    return _search(request, {"patient", "code"},
                   lambda p: [fhir.observation(r, p.pk) for r in _readings(p, code)])


@require_GET
def care_plan_search(request: HttpRequest) -> HttpResponse:
    return _search(request, {"patient"},
                   lambda p: [fhir.care_plan(c, p.pk) for c in _plans(p)])


@require_GET
def flag_search(request: HttpRequest) -> HttpResponse:
    return _search(request, {"patient"}, lambda p: [fhir.flag(a, p.pk) for a in _flags(p)])
