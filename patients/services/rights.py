"""The patient's rights: the right of access (everything held, as a ZIP) and retention
(anonymisation when the period is over)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from django.db import transaction
from django.template.loader import render_to_string

from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context
from constel.utils import csv_bytes
from patients.models import (
    Patient,
)

# --- Right of access ---------------------------------------------------------------------------

class _UniqueNames:
    """A ZIP being written whose entries never share a name: two letters of the same kind on
    the same day become ``…-2.pdf`` (an unzip would otherwise keep one of them)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.used: set[str] = set()

    def writestr(self, name: str, data) -> None:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while candidate in self.used:
            n += 1
            candidate = f"{stem}-{n}.{ext}" if dot else f"{stem}-{n}"
        self.used.add(candidate)
        self.archive.writestr(candidate, data)


def patient_data_zip(*, patient) -> bytes:
    """All of a patient's data as a ZIP (right of access, RGPD art. 15): identity, PPS
    versions (PDF), readings, alerts, messages and their attachments, letters (PDF),
    questionnaires — for the portal's download and for staff answering a request."""
    from constel.pdf import render as render_pdf
    from constel.utils import safe_filename
    from engagement.models import Message, QuestionnaireResponse
    from letters.models import Letter
    from pathways.models import CarePlan
    from telemonitoring.models import Alert, Reading

    tenant = Tenant.objects.get(pk=patient.tenant_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        z = _UniqueNames(archive)
        z.writestr("identite.csv", csv_bytes(
            ["nom_naissance", "nom_usage", "prenoms", "sexe", "date_naissance", "ins", "email",
             "telephone"],
            [[patient.birth_name, patient.used_name, patient.first_names, patient.sex,
              patient.birth_date.isoformat(), patient.ins if patient.ins_qualified else "",
              patient.email, patient.phone]]))
        readings = Reading.objects.filter(enrollment__patient=patient).select_related(
            "indicator").order_by("measured_at")
        z.writestr("mesures.csv", csv_bytes(
            ["code", "indicateur", "valeur", "unite", "mesure_le", "saisie_le", "source"],
            [[r.indicator.code, r.indicator.label, r.value, r.indicator.unit,
              r.measured_at.isoformat(), r.entered_at.isoformat(), r.source]
             for r in readings]))
        alerts = Alert.objects.filter(enrollment__patient=patient).select_related("indicator")
        z.writestr("alertes.csv", csv_bytes(
            ["indicateur", "niveau", "statut", "issue", "ouverte_le", "fermee_le"],
            [[a.indicator.label, a.level, a.status, a.outcome, a.opened_at.isoformat(),
              a.closed_at.isoformat() if a.closed_at else ""] for a in alerts]))
        thread = Message.objects.filter(patient=patient).prefetch_related("attachments")
        z.writestr("messages.csv", csv_bytes(
            ["envoye_le", "de", "message", "pieces_jointes"],
            [[m.sent_at.isoformat(), "patient" if m.from_patient else "equipe", m.body,
              " ".join(a.name for a in m.attachments.all())] for m in thread]))
        for m in thread:
            for a in m.attachments.all():
                z.writestr(f"pieces-jointes/{a.pk}-{safe_filename(a.name, a.content_type)}",
                           bytes(a.data))
        for plan in CarePlan.objects.filter(enrollment__patient=patient).exclude(
                status=CarePlan.Status.DRAFT).prefetch_related("items"):
            html = render_to_string("portal/export_care_plan.html", {
                "plan": plan, "patient": patient, "tenant": tenant})
            z.writestr(f"pps/pps-v{plan.version}.pdf", render_pdf(html))
        for letter in Letter.objects.filter(enrollment__patient=patient, pdf__isnull=False):
            z.writestr(f"courriers/{letter.created_at:%Y-%m-%d}-{letter.kind}.pdf",
                       bytes(letter.pdf))
        for q in QuestionnaireResponse.objects.filter(patient=patient):
            z.writestr(f"questionnaires/{q.kind}-{q.answered_at:%Y-%m-%d}.csv",
                       csv_bytes(["question", "reponse"],
                                 [[i + 1, a] for i, a in enumerate(q.answers)]))
    return buf.getvalue()


# --- Retention ------------------------------------------------------------------------------

def retention_due(*, tenant: Tenant, today: date | None = None) -> list:
    """Patients whose every enrollment ended more than ``tenant.retention_years`` ago."""
    from django.db.models import Exists, Max, OuterRef

    from pathways.models import Enrollment, Phase

    today = today or dates.today(tenant)
    limit = date(today.year - tenant.retention_years, today.month, min(today.day, 28))
    with tenant_context(tenant):
        open_ = Enrollment.objects.filter(patient=OuterRef("pk")).exclude(
            phase__in=[Phase.EXITED, Phase.DECLINED])
        return list(Patient.objects.annotate(last_exit=Max("enrollments__exited_on"))
                    .filter(last_exit__lt=limit).exclude(Exists(open_))
                    .exclude(birth_name="ANONYME").order_by("last_exit"))


@transaction.atomic
def anonymise(*, patient: Patient) -> None:
    """Once the retention period is over: the identity goes (and its history), messages and
    attachments go, portal and carer logins close; what remains (pathway dates, readings,
    claims already paid) no longer designates anyone."""
    from engagement.models import Message
    from patients.models import CarerAccess

    with tenant_context(patient.tenant_id):
        row = Patient.objects.select_for_update().get(pk=patient.pk)
        user_id = row.user_id
        for field, value in (("birth_name", "ANONYME"), ("used_name", ""),
                             ("first_names", "-"), ("ins", ""), ("birth_place_code", ""),
                             ("address", ""), ("phone", ""), ("email", ""), ("carer_name", ""),
                             ("carer_phone", ""), ("user", None)):
            setattr(row, field, value)
        row.birth_date = date(row.birth_date.year, 1, 1)
        row.save()
        Patient.history.filter(id=row.pk).delete()
        Message.objects.filter(patient=row).delete()
        carers = list(CarerAccess.objects.filter(patient=row).values_list("user_id",
                                                                           flat=True))
        CarerAccess.objects.filter(patient=row).delete()
    for uid in [u for u in [user_id, *carers] if u]:
        User.objects.filter(pk=uid).update(is_active=False)
