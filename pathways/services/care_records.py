"""What is recorded as care goes on: pre-assessment checklist, time spent and calls,
medication reconciliation, equipment loans, hospitalisations, lab results, goals, and the
final assessment. Each write is validated here and saved whole or not at all."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context
from pathways.models import (
    Activity,
    ChecklistItem,
    Enrollment,
    Equipment,
    EquipmentLoan,
    FinalAssessment,
    GoalReview,
    Hospitalisation,
    LabResult,
    MedicationReconciliation,
    Phase,
    TimeEntry,
)

#: §III.1.e.2 defaults (reference/constel-action.yaml: biology P3M, retinopathy P1Y);
#: a tenant overrides them in ``Tenant.checklist_validity_days``.
CHECKLIST = [
    ("biology", "Bilan biologique", 90),
    ("retinopathy_screening", "Dépistage de la rétinopathie (diabète)", 365),
    ("ecg", "ECG", None),
    ("reports", "Comptes rendus de consultation et d'hospitalisation récents", None),
    ("prescriptions", "Ordonnances en cours", None),
]
#: Plausible ranges of structured lab results (value outside → refused).
LAB_TESTS = {
    "hba1c": ("%", Decimal("3"), Decimal("20")),
    "ldl": ("g/L", Decimal("0.1"), Decimal("5")),
    "creatinine": ("µmol/L", Decimal("20"), Decimal("2000")),
    "egfr": ("mL/min/1.73m2", Decimal("1"), Decimal("200")),
    "nt_probnp": ("pg/mL", Decimal("0"), Decimal("70000")),
}


def _not_future(field: str, day: date) -> None:
    if day > dates.today():
        raise ValidationError({field: _("This date is in the future.")})


def _open(enrollment: Enrollment) -> None:
    if enrollment.phase in (Phase.EXITED, Phase.DECLINED):
        raise ValidationError({"enrollment": _("The patient has left the programme.")})


@transaction.atomic
def checklist_init(*, enrollment: Enrollment) -> int:
    """Create the pre-assessment checklist (idempotent)."""
    with tenant_context(enrollment.tenant_id):
        overrides = Tenant.objects.get(pk=enrollment.tenant_id).checklist_validity_days or {}
        codes = set(_diagnosis_codes(enrollment))
        created = 0
        for code, label, validity in CHECKLIST:
            if code == "retinopathy_screening" and not codes & {"type_1_diabetes",
                                                                "type_2_diabetes"}:
                continue
            _item, made = ChecklistItem.objects.get_or_create(
                tenant_id=enrollment.tenant_id, enrollment=enrollment, code=code,
                defaults={"label": label, "validity_days": overrides.get(code, validity)})
            created += made
        return created


def _diagnosis_codes(enrollment: Enrollment) -> list[str]:
    from patients.models import Diagnosis

    return list(Diagnosis.objects.filter(patient_id=enrollment.patient_id, ended_on=None)
                .values_list("pathology__code", flat=True))


@transaction.atomic
def checklist_mark(*, item: ChecklistItem, done_on: date | None, received: bool) -> ChecklistItem:
    if done_on is not None:
        _not_future("done_on", done_on)
    with tenant_context(item.tenant_id):
        item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
        item.done_on = done_on
        item.received = received
        item.save()
        return item


@transaction.atomic
def time_record(*, enrollment: Enrollment, kind: str, on: date, minutes: int, by: User | None,
                note: str = "") -> TimeEntry:
    if kind not in TimeEntry.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of time.")})
    if not 1 <= minutes <= 600:
        raise ValidationError({"minutes": _("Between 1 and 600 minutes.")})
    _not_future("on", on)
    with tenant_context(enrollment.tenant_id):
        _open(enrollment)
        patient = enrollment.patient
        if kind == TimeEntry.Kind.PHARMACIST_CALL and not patient.pharmacist_contact_agreed:
            raise ValidationError({"kind": _("The patient has not agreed to the community "
                                             "pharmacist being contacted.")})
        return TimeEntry.objects.create(tenant_id=enrollment.tenant_id, enrollment=enrollment,
                                        kind=kind, on=on, minutes=minutes, by=by,
                                        note=note[:500])


@transaction.atomic
def reconciliation_record(*, enrollment: Enrollment, pharmacist, done_on: date,
                          discrepancies: int, conclusion: str,
                          by: User | None) -> MedicationReconciliation:
    _not_future("done_on", done_on)
    if not conclusion.strip():
        raise ValidationError({"conclusion": _("Write the conclusion: it is sent to the GP.")})
    if not 0 <= discrepancies <= 100:
        raise ValidationError({"discrepancies": _("Between 0 and 100.")})
    with tenant_context(enrollment.tenant_id):
        _open(enrollment)
        reconciliation = MedicationReconciliation.objects.create(
            tenant_id=enrollment.tenant_id, enrollment=enrollment, pharmacist=pharmacist,
            done_on=done_on, discrepancies=discrepancies, conclusion=conclusion.strip(),
            recorded_by=by)
        from letters.services import letter_create, letter_language

        with letter_language():  # the GP reads French, whatever the author's screen
            found = ngettext("found %(n)s discrepancy", "found %(n)s discrepancies",
                             discrepancies) % {"n": discrepancies}
            letter_create(
                enrollment=enrollment, kind="reconciliation", event_key=reconciliation.pk,
                subject=_("Medication reconciliation of %(p)s")
                % {"p": enrollment.patient.display_name},
                body=_("Dear colleague,\n\nThe medication reconciliation of %(day)s "
                       "%(found)s.\n\nConclusion: %(c)s")
                % {"day": f"{done_on:%d/%m/%Y}", "found": found,
                   "c": reconciliation.conclusion})
        return reconciliation


@transaction.atomic
def equipment_create(*, tenant: Tenant, kind: str, serial_number: str, site=None) -> Equipment:
    serial_number = serial_number.strip()
    if kind not in Equipment.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of equipment.")})
    if not serial_number:
        raise ValidationError({"serial_number": _("Enter the serial number.")})
    limit = Equipment._meta.get_field("serial_number").max_length
    if len(serial_number) > limit:
        raise ValidationError({"serial_number": _("At most %(n)s characters.") % {"n": limit}})
    with tenant_context(tenant):
        try:
            with transaction.atomic():
                return Equipment.objects.create(tenant=tenant, kind=kind,
                                                serial_number=serial_number, site=site)
        except IntegrityError as exc:
            raise ValidationError({"serial_number": _("This serial number is already in the "
                                                      "inventory.")}) from exc


@transaction.atomic
def equipment_lend(*, equipment: Equipment, enrollment: Enrollment, on: date) -> EquipmentLoan:
    _not_future("lent_on", on)
    with tenant_context(equipment.tenant_id):
        _open(enrollment)
        equipment = Equipment.objects.select_for_update().get(pk=equipment.pk)
        if equipment.state != Equipment.State.AVAILABLE:
            raise ValidationError({"equipment": _("%(e)s is not available (%(s)s).")
                                   % {"e": equipment, "s": equipment.get_state_display()}})
        equipment.state = Equipment.State.LENT
        equipment.save()
        return EquipmentLoan.objects.create(tenant_id=equipment.tenant_id, equipment=equipment,
                                            enrollment=enrollment, lent_on=on)


@transaction.atomic
def equipment_return(*, loan: EquipmentLoan, on: date) -> EquipmentLoan:
    _not_future("returned_on", on)
    with tenant_context(loan.tenant_id):
        loan = EquipmentLoan.objects.select_for_update().select_related("equipment").get(
            pk=loan.pk)
        if loan.returned_on is not None:
            raise ValidationError({"returned_on": _("Already returned.")})
        if on < loan.lent_on:
            raise ValidationError({"returned_on": _("A return cannot precede the loan.")})
        loan.returned_on = on
        loan.save()
        Equipment.objects.filter(pk=loan.equipment_id).update(state=Equipment.State.AVAILABLE)
        return loan


@transaction.atomic
def hospitalisation_record(*, enrollment: Enrollment, kind: str, admitted_on: date,
                           discharged_on: date | None, planned: bool, cause: str,
                           place: str = "") -> Hospitalisation:
    """Record a stay or an ER visit; an unplanned hospitalisation plans the return-home
    review for the coordinating physician and nurse."""
    if kind not in Hospitalisation.Kind.values:
        raise ValidationError({"kind": _("Unknown kind.")})
    _not_future("admitted_on", admitted_on)
    if discharged_on is not None:
        _not_future("discharged_on", discharged_on)
        if discharged_on < admitted_on:
            raise ValidationError({"discharged_on": _("The discharge cannot precede the "
                                                      "admission.")})
    if not cause.strip():
        raise ValidationError({"cause": _("Give the cause.")})
    with tenant_context(enrollment.tenant_id):
        _open(enrollment)
        stay = Hospitalisation.objects.create(
            tenant_id=enrollment.tenant_id, enrollment=enrollment, kind=kind,
            admitted_on=admitted_on, discharged_on=discharged_on, planned=planned,
            cause=cause.strip(), place=place.strip())
        if kind == Hospitalisation.Kind.HOSPITALISATION and not planned:
            from pathways.services.activities import activity_plan

            review_day = max((discharged_on or admitted_on) + timedelta(days=2),
                             dates.today(enrollment.tenant_id))
            activity_plan(enrollment=enrollment, kind=Activity.Kind.RETURN_HOME_REVIEW,
                          scheduled_at=dates.at(review_day, time(10, 0), enrollment.tenant_id),
                          profession="physician_coordinator", duration_minutes=30,
                          note=_("After the stay: %(cause)s") % {"cause": stay.cause})
        return stay


@transaction.atomic
def lab_result_record(*, enrollment: Enrollment, code: str, value: Decimal,
                      measured_on: date) -> LabResult:
    if code not in LAB_TESTS:
        raise ValidationError({"code": _("Unknown test.")})
    unit, low, high = LAB_TESTS[code]
    if not low <= value <= high:
        raise ValidationError({"value": _("%(v)s %(u)s is not plausible (%(lo)s to %(hi)s).")
                               % {"v": value, "u": unit, "lo": low, "hi": high}})
    _not_future("measured_on", measured_on)
    with tenant_context(enrollment.tenant_id):
        return LabResult.objects.create(tenant_id=enrollment.tenant_id, enrollment=enrollment,
                                        code=code, value=value, unit=unit,
                                        measured_on=measured_on)


GOALS = {"weight": gettext_lazy("Weight"), "smoking": gettext_lazy("Smoking"),
         "physical_activity": gettext_lazy("Physical activity"),
         "biology": gettext_lazy("Biology targets")}


@transaction.atomic
def goal_review_record(*, enrollment: Enrollment, goal: str, status: str, on: date,
                       note: str = "") -> GoalReview:
    if goal not in GOALS:
        raise ValidationError({"goal": _("Unknown goal.")})
    if status not in GoalReview.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    _not_future("on", on)
    with tenant_context(enrollment.tenant_id):
        return GoalReview.objects.create(tenant_id=enrollment.tenant_id, enrollment=enrollment,
                                         goal=goal, status=status, on=on, note=note[:300])


@transaction.atomic
def final_assessment_record(*, enrollment: Enrollment, done_on: date, synthesis: str,
                            social_component: str, by: User | None) -> FinalAssessment:
    _not_future("done_on", done_on)
    if not synthesis.strip():
        raise ValidationError({"synthesis": _("Write the synthesis: it goes to the GP.")})
    with tenant_context(enrollment.tenant_id):
        if enrollment.phase != Phase.FINAL_ASSESSMENT:
            raise ValidationError({"phase": _("The final assessment is recorded in phase 5.")})
        assessment, _created = FinalAssessment.objects.update_or_create(
            tenant_id=enrollment.tenant_id, enrollment=enrollment,
            defaults={"done_on": done_on, "synthesis": synthesis.strip(),
                      "social_component": social_component.strip(), "recorded_by": by})
        return assessment
