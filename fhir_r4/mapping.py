"""FHIR R4 (JSON) views of the platform's data (DESIGN §9): Patient (INS-NIR when the
identity is qualified), Practitioner (RPPS), Observation (readings: LOINC, UCUM), CarePlan
(PPS versions), Flag (alerts), and Patient/$everything as a Bundle. Pure mapping functions;
the views (pathways/views_fhir.py) scope them like the API."""

from __future__ import annotations

from constel import dates

INS_NIR_OID = "urn:oid:1.2.250.1.213.1.4.8"
RPPS_OID = "urn:oid:1.2.250.1.71.4.2.1"
IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
VITALS = {"body_weight", "systolic_bp", "diastolic_bp", "heart_rate", "spo2",
          "body_temperature"}


def _when(dt) -> str:
    return dates.local_time(dt).isoformat()


def patient(p) -> dict:
    out = {"resourceType": "Patient", "id": str(p.pk),
           "name": [{"use": "official", "family": p.birth_name,
                     "given": p.first_names.split()}],
           "gender": {"F": "female", "M": "male"}.get(p.sex, "unknown"),
           "birthDate": p.birth_date.isoformat()}
    if p.used_name:
        out["name"].append({"use": "usual", "family": p.used_name,
                            "given": p.first_names.split()[:1]})
    if p.ins_qualified:
        out["identifier"] = [{"use": "official", "system": INS_NIR_OID, "value": p.ins,
                              "type": {"coding": [{"system": IDENTIFIER_TYPES,
                                                   "code": "INS-NIR"}]}}]
    if p.gp_id:
        out["generalPractitioner"] = [{"reference": f"Practitioner/{p.gp_id}"}]
    return out


def practitioner(pro) -> dict:
    out = {"resourceType": "Practitioner", "id": str(pro.pk),
           "name": [{"family": pro.last_name, "given": [pro.first_name]}]}
    if pro.rpps:
        out["identifier"] = [{"system": RPPS_OID, "value": pro.rpps,
                              "type": {"coding": [{"system": IDENTIFIER_TYPES,
                                                   "code": "RPPS"}]}}]
    if pro.secure_email or pro.email:
        out["telecom"] = [{"system": "email", "value": pro.secure_email or pro.email}]
    return out


def observation(reading, patient_id) -> dict:
    ind = reading.indicator
    code = {"text": ind.label}
    if ind.loinc:
        code["coding"] = [{"system": LOINC, "code": ind.loinc, "display": ind.label}]
    unit = ind.unit
    quantity = {"value": float(reading.value), "unit": unit}
    if not unit.startswith("{"):  # annotations ({score}) are not UCUM codes
        quantity.update(system=UCUM, code=unit)
    out = {"resourceType": "Observation", "id": str(reading.pk), "status": "final",
           "code": code, "subject": {"reference": f"Patient/{patient_id}"},
           "effectiveDateTime": _when(reading.measured_at),
           "issued": _when(reading.entered_at), "valueQuantity": quantity}
    if ind.code in VITALS:
        out["category"] = [{"coding": [{"system": OBSERVATION_CATEGORY,
                                        "code": "vital-signs"}]}]
    return out


def care_plan(plan, patient_id) -> dict:
    status = {"draft": "draft", "issued": "active", "superseded": "revoked"}[plan.status]
    out = {"resourceType": "CarePlan", "id": str(plan.pk), "status": status,
           "intent": "plan", "title": f"PPS v{plan.version}",
           "subject": {"reference": f"Patient/{patient_id}"},
           "activity": [{"detail": {"status": "scheduled", "description": item.label,
                                    **({"scheduledString": item.frequency}
                                       if item.frequency else {})}}
                        for item in plan.items.all()]}
    if plan.issued_at:
        out["created"] = _when(plan.issued_at)
    if plan.goals:
        out["note"] = [{"text": plan.goals}]
    return out


def flag(alert, patient_id) -> dict:
    out = {"resourceType": "Flag", "id": str(alert.pk),
           "status": "inactive" if alert.status == "closed" else "active",
           "code": {"text": f"Alerte {alert.indicator.label} ({alert.level})"},
           "subject": {"reference": f"Patient/{patient_id}"},
           "period": {"start": _when(alert.opened_at)}}
    if alert.closed_at:
        out["period"]["end"] = _when(alert.closed_at)
    return out


def bundle(resources: list[dict], base: str) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}


def outcome(code: str, text: str) -> dict:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
