"""The pseudonymised export for the programme's evaluation (DESIGN §9): a keyed hash per
tenant replaces the patient; birth date reduced to the year; no name, address, INS, phone
or free text; patients who objected to evaluation use are left out; every export logged."""

from __future__ import annotations

import hashlib
import hmac
import io
import zipfile
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context
from constel.utils import csv_bytes

DICTIONARY = [
    ("patients.csv", "pseudo_id", "keyed hash of the patient (HMAC-SHA256, per programme)"),
    ("patients.csv", "birth_year", "year of birth"),
    ("patients.csv", "sex", "F / M"),
    ("patients.csv", "group", "MONO or POLY at the end of the period"),
    ("patients.csv", "pathologies", "pathology codes (Table 4), separated by ;"),
    ("patients.csv", "door", "entry door (programme physician / GP referral)"),
    ("patients.csv", "phase", "pathway phase at export"),
    ("patients.csv", "included_on", "inclusion date"),
    ("patients.csv", "exited_on", "exit date, empty if still followed"),
    ("patients.csv", "exit_reason", "exit reason code"),
    ("patients.csv", "smoker", "smoking status at inclusion (true/false)"),
    ("patients.csv", "epices_score", "latest EPICES score (0-100; precarity >= 30.17)"),
    ("readings.csv", "indicator", "indicator code; loinc its LOINC code; unit UCUM"),
    ("readings.csv", "measured_on", "date of the measurement"),
    ("readings.csv", "value", "value in the unit"),
    ("readings.csv", "source", "portal (patient) or nurse_phone (entered after a call)"),
    ("alerts.csv", "level", "warning / critical"),
    ("alerts.csv", "status", "open, taken, escalated, closed; outcome the closing outcome"),
    ("alerts.csv", "opened_on", "date opened; closed_on date closed"),
    ("activities.csv", "kind", "appointment or session kind; profession who; status"),
    ("activities.csv", "minutes", "planned duration"),
    ("questionnaires.csv", "questionnaire", "questionnaire code; answers as recorded"),
]



def _local_midnight(day: date) -> datetime:
    return dates.day_start(day)

def pseudonym(tenant_id, patient_id) -> str:
    key = hmac.new(settings.SECRET_KEY.encode(), f"evaluation:{tenant_id}".encode(),
                   hashlib.sha256).digest()
    return hmac.new(key, str(patient_id).encode(), hashlib.sha256).hexdigest()[:20]


def parse_period(raw_start: str, raw_end: str) -> tuple[date, date]:
    """Two days typed as YYYY-MM-DD, between 1900 and 2100 (constel.dates.parse_day)."""
    from constel.dates import parse_day

    errors = {}
    start, end = parse_day(raw_start), parse_day(raw_end)
    if start is None:
        errors["start"] = _("Enter the first day as YYYY-MM-DD (1900 to 2100).")
    if end is None:
        errors["end"] = _("Enter the last day as YYYY-MM-DD (1900 to 2100).")
    if errors:
        raise ValidationError(errors)
    if end < start:
        raise ValidationError({"end": _("The period ends before it starts.")})
    return start, end


@transaction.atomic
def evaluation_export(*, tenant: Tenant, start: date, end: date, by: User) -> bytes:
    # long: one CSV per file of the export, its columns beside its query: the export's
    # dictionary in code
    from engagement.models import QuestionnaireResponse
    from evaluation.models import EvaluationExport
    from pathways.models import Activity, Enrollment
    from patients.models import Diagnosis, GroupPeriod
    from telemonitoring.models import Alert, Reading

    with tenant_context(tenant):
        enrollments = list(Enrollment.objects.filter(included_on__isnull=False,
                                                     included_on__lte=end)
                           .select_related("patient").order_by("included_on"))
        kept = [e for e in enrollments if not e.patient.objects_to_evaluation]
        excluded = len({e.patient_id for e in enrollments}) - len({e.patient_id for e in kept})
        ids = {e.patient_id for e in kept}
        pseudo = {pid: pseudonym(tenant.pk, pid) for pid in ids}
        groups: dict = {}
        for pid, group in GroupPeriod.objects.filter(patient_id__in=ids, valid_from__lte=end) \
                .order_by("valid_from", "recorded_at").values_list("patient_id", "group"):
            groups[pid] = group
        pathologies: dict = {}
        for pid, code in Diagnosis.objects.filter(patient_id__in=ids).values_list(
                "patient_id", "pathology__code"):
            pathologies.setdefault(pid, []).append(code)
        epices = {}
        for pid, score in QuestionnaireResponse.objects.filter(
                patient_id__in=ids, kind="epices").order_by("answered_at").values_list(
                "patient_id", "score"):
            epices[pid] = score
        files = {
            "patients.csv": csv_bytes(
                ["pseudo_id", "birth_year", "sex", "group", "pathologies", "door", "phase",
                 "included_on", "exited_on", "exit_reason", "smoker", "epices_score"],
                [[pseudo[e.patient_id], e.patient.birth_date.year, e.patient.sex,
                  groups.get(e.patient_id, ""), ";".join(sorted(pathologies.get(
                      e.patient_id, []))), e.door, e.phase, e.included_on,
                  e.exited_on or "", e.exit_reason, getattr(e.patient, "smoker", ""),
                  epices.get(e.patient_id, "")] for e in kept]),
            "readings.csv": csv_bytes(
                ["pseudo_id", "indicator", "loinc", "unit", "measured_on", "value", "source"],
                [[pseudo[pid], code, loinc, unit, dates.local_day(at), value, src]
                 for pid, code, loinc, unit, at, value, src in Reading.objects.filter(
                     # bounds on the column itself: only the period's monthly partitions
                     enrollment__patient_id__in=ids, measured_at__gte=_local_midnight(start),
                     measured_at__lt=_local_midnight(end + timedelta(days=1)))
                 .order_by("measured_at").values_list(
                     "enrollment__patient_id", "indicator__code", "indicator__loinc",
                     "indicator__unit", "measured_at", "value", "source")]),
            "alerts.csv": csv_bytes(
                ["pseudo_id", "indicator", "level", "status", "outcome", "opened_on",
                 "closed_on"],
                [[pseudo[pid], code, level, status, outcome, dates.local_day(o),
                  dates.local_day(c) if c else ""]
                 for pid, code, level, status, outcome, o, c in Alert.objects.filter(
                     enrollment__patient_id__in=ids, opened_at__date__gte=start,
                     opened_at__date__lte=end).values_list(
                     "enrollment__patient_id", "indicator__code", "level", "status",
                     "outcome", "opened_at", "closed_at")]),
            "activities.csv": csv_bytes(
                ["pseudo_id", "kind", "profession", "on", "status", "minutes"],
                [[pseudo[pid], kind, prof, dates.local_day(at), status, minutes]
                 for pid, kind, prof, at, status, minutes in Activity.objects.filter(
                     enrollment__patient_id__in=ids, scheduled_at__date__gte=start,
                     scheduled_at__date__lte=end).values_list(
                     "enrollment__patient_id", "kind", "profession", "scheduled_at", "status",
                     "duration_minutes")]),
            "questionnaires.csv": csv_bytes(
                ["pseudo_id", "questionnaire", "answered_on", "score", "answers"],
                [[pseudo[pid], code or kind, dates.local_day(at), score or "",
                  # numbers and yes/no only: free text could name someone
                  ";".join(str(a) if isinstance(a, int) or a in ("yes", "no") else ""
                           for a in answers)]
                 for pid, kind, code, at, score, answers in QuestionnaireResponse.objects
                 .filter(patient_id__in=ids, answered_at__date__gte=start,
                         answered_at__date__lte=end).values_list(
                     "patient_id", "kind", "questionnaire__code", "answered_at", "score",
                     "answers")]),
            "dictionary.csv": csv_bytes(["file", "column", "meaning"], DICTIONARY),
        }
        EvaluationExport.objects.create(tenant=tenant, by=by, period_start=start,
                                        period_end=end, patients=len(ids),
                                        excluded_objections=excluded)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()
