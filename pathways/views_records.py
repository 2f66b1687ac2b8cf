"""Small forms of the enrollment page: checklist, time and calls, medication reconciliation,
equipment, hospitalisations, lab results, goals, final assessment; the equipment inventory."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from constel import dates
from constel.access import Cap, membership_required
from constel.forms_typed import Refused, require_int
from constel.models import Site
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import is_uuid
from pathways.models import ChecklistItem, Equipment, EquipmentLoan
from pathways.services import care_records
from pathways.views_care import _enrollment, enrollment_page
from patients.models import Professional
from telemonitoring.ingest import typed_number


def _day(data, name: str, *, required: bool = True) -> date | None:
    """The day typed in ``name``, or a ValidationError on that field."""
    value = (data.get(name) or "").strip()
    if not value:
        if required:
            raise ValidationError({name: _("Enter a date.")})
        return None
    day = dates.parse_day(value)
    if day is None:
        raise ValidationError({name: _("Enter a valid date.")})
    return day


def _run(request: HttpRequest, enrollment, form: str, func, success: str,
         rename: dict[str, str] | None = None) -> HttpResponse:
    """Record, then back to the pathway page; refused, the page again as typed (400)."""
    try:
        func()
    except ValidationError as exc:
        return enrollment_page(request, enrollment, Refused.of(
            form, request.POST, exc, {"enrollment": "__all__", "phase": "__all__"}
            | (rename or {})))
    messages.success(request, success)
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def checklist_mark(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    item = get_object_for_tenant_or_404(ChecklistItem.objects.filter(enrollment=enrollment),
                                        request.tenant, pk=request.POST.get("item"))
    return _run(request, enrollment, f"checklist-{item.pk}", lambda: care_records.checklist_mark(
        item=item, done_on=_day(request.POST, "done_on", required=False),
        received=request.POST.get("received") == "on"), _("Checklist updated."))


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def time_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    return _run(request, enrollment, "time", lambda: care_records.time_record(
        enrollment=enrollment, kind=request.POST.get("kind", ""),
        on=_day(request.POST, "on"), minutes=require_int(request.POST, "minutes", default=0),
        by=request.user, note=request.POST.get("note", "")), _("Time recorded."))


@membership_required(cap=Cap.PATIENT_MEDICATION)
@require_POST
def reconciliation_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PATIENT_MEDICATION)
    pharmacist = Professional.objects.for_tenant(request.tenant).filter(
        user=request.user).first()
    return _run(request, enrollment, "reconciliation", lambda: care_records.reconciliation_record(
        enrollment=enrollment, pharmacist=pharmacist, done_on=_day(request.POST, "done_on"),
        discrepancies=require_int(request.POST, "discrepancies", default=0),
        conclusion=request.POST.get("conclusion", ""), by=request.user),
        _("Medication reconciliation recorded."))


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def equipment_lend(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    equipment = get_object_for_tenant_or_404(Equipment, request.tenant,
                                             pk=request.POST.get("equipment"))
    return _run(request, enrollment, "lend", lambda: care_records.equipment_lend(
        equipment=equipment, enrollment=enrollment,
        on=_day(request.POST, "on", required=False) or dates.today(request.tenant)),
        _("Equipment lent."))


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def equipment_return(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    loan = get_object_for_tenant_or_404(EquipmentLoan.objects.filter(enrollment=enrollment),
                                        request.tenant, pk=request.POST.get("loan"))
    return _run(request, enrollment, "lend", lambda: care_records.equipment_return(
        loan=loan, on=_day(request.POST, "on", required=False) or dates.today(request.tenant)),
        _("Equipment returned."), {"returned_on": "__all__"})


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def hospitalisation_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    return _run(request, enrollment, "stay", lambda: care_records.hospitalisation_record(
        enrollment=enrollment, kind=request.POST.get("kind", ""),
        admitted_on=_day(request.POST, "admitted_on"),
        discharged_on=_day(request.POST, "discharged_on", required=False),
        planned=request.POST.get("planned") == "on", cause=request.POST.get("cause", ""),
        place=request.POST.get("place", "")), _("Stay recorded."))


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def lab_result_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    return _run(request, enrollment, "lab", lambda: care_records.lab_result_record(
        enrollment=enrollment, code=request.POST.get("code", ""),
        value=typed_number(request.POST.get("value", ""), "value"),
        measured_on=_day(request.POST, "measured_on")), _("Result recorded."))


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def goal_review_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    return _run(request, enrollment, "goal", lambda: care_records.goal_review_record(
        enrollment=enrollment, goal=request.POST.get("goal", ""),
        status=request.POST.get("status", ""), on=_day(request.POST, "on"),
        note=request.POST.get("note", "")), _("Progress recorded."))


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def final_assessment_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    return _run(request, enrollment, "final", lambda: care_records.final_assessment_record(
        enrollment=enrollment, done_on=_day(request.POST, "done_on"),
        synthesis=request.POST.get("synthesis", ""),
        social_component=request.POST.get("social_component", ""), by=request.user),
        _("Final assessment recorded."))


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_http_methods(["GET", "POST"])
def equipment_inventory(request: HttpRequest) -> HttpResponse:
    refused = None
    if request.method == "POST":
        wanted = request.POST.get("site") or ""
        site = Site.objects.for_tenant(request.tenant).filter(
            pk=wanted).first() if is_uuid(wanted) else None
        try:
            if wanted and site is None:
                raise ValidationError({"site": _("Choose a site from the list.")})
            care_records.equipment_create(
                tenant=request.tenant, kind=request.POST.get("kind", ""),
                serial_number=request.POST.get("serial_number", ""), site=site)
        except ValidationError as exc:
            refused = Refused.of("equipment", request.POST, exc)
        else:
            messages.success(request, _("Equipment added."))
            return redirect("pathways:equipment")
    items = (Equipment.objects.for_tenant(request.tenant).select_related("site")
             .order_by("kind", "serial_number"))
    open_loans = {loan.equipment_id: loan for loan in EquipmentLoan.objects.for_tenant(
        request.tenant).filter(returned_on=None).select_related("enrollment__patient")}
    rows = [(e, open_loans.get(e.pk)) for e in items]
    return render(request, "pathways/equipment.html",
                  {"rows": rows, "kinds": Equipment.Kind.choices, "refused": refused,
                   "sites": Site.objects.for_tenant(request.tenant)},
                  status=400 if refused else 200)
