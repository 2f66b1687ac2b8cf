"""Small forms of the enrollment page: checklist, time and calls, medication reconciliation,
equipment, hospitalisations, lab results, goals, final assessment; the equipment inventory."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from constel import dates
from constel.access import Cap, membership_required
from constel.models import Site
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import error_messages, is_uuid
from pathways.models import ChecklistItem, Equipment, EquipmentLoan
from pathways.services import care_records
from pathways.views_care import _enrollment
from patients.models import Professional


def _day(value: str | None, *, required: bool = True) -> date | None:
    if not value:
        if required:
            raise ValidationError(_("Enter a date."))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(_("Enter a valid date.")) from exc


def _back(enrollment) -> HttpResponse:
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)


def _run(request: HttpRequest, func, success: str) -> None:
    try:
        func()
    except ValidationError as exc:
        error_messages(request, exc)
    except (ValueError, InvalidOperation):
        messages.error(request, _("Check the numbers entered."))
    else:
        messages.success(request, success)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def checklist_mark(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    item = get_object_for_tenant_or_404(ChecklistItem.objects.filter(enrollment=enrollment),
                                        request.tenant, pk=request.POST.get("item"))
    _run(request, lambda: care_records.checklist_mark(
        item=item, done_on=_day(request.POST.get("done_on"), required=False),
        received=request.POST.get("received") == "on"), _("Checklist updated."))
    return _back(enrollment)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def time_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    _run(request, lambda: care_records.time_record(
        enrollment=enrollment, kind=request.POST.get("kind", ""),
        on=_day(request.POST.get("on")), minutes=int(request.POST.get("minutes") or 0),
        by=request.user, note=request.POST.get("note", "")), _("Time recorded."))
    return _back(enrollment)


@membership_required(cap=Cap.PATIENT_MEDICATION)
@require_POST
def reconciliation_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PATIENT_MEDICATION)
    pharmacist = Professional.objects.for_tenant(request.tenant).filter(
        user=request.user).first()
    _run(request, lambda: care_records.reconciliation_record(
        enrollment=enrollment, pharmacist=pharmacist, done_on=_day(request.POST.get("done_on")),
        discrepancies=int(request.POST.get("discrepancies") or 0),
        conclusion=request.POST.get("conclusion", ""), by=request.user),
        _("Medication reconciliation recorded."))
    return _back(enrollment)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def equipment_lend(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    equipment = get_object_for_tenant_or_404(Equipment, request.tenant,
                                             pk=request.POST.get("equipment"))
    _run(request, lambda: care_records.equipment_lend(
        equipment=equipment, enrollment=enrollment,
        on=_day(request.POST.get("on")) or dates.today(request.tenant)), _("Equipment lent."))
    return _back(enrollment)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def equipment_return(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    loan = get_object_for_tenant_or_404(EquipmentLoan.objects.filter(enrollment=enrollment),
                                        request.tenant, pk=request.POST.get("loan"))
    _run(request, lambda: care_records.equipment_return(
        loan=loan, on=_day(request.POST.get("on")) or dates.today(request.tenant)),
        _("Equipment returned."))
    return _back(enrollment)


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def hospitalisation_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    _run(request, lambda: care_records.hospitalisation_record(
        enrollment=enrollment, kind=request.POST.get("kind", ""),
        admitted_on=_day(request.POST.get("admitted_on")),
        discharged_on=_day(request.POST.get("discharged_on"), required=False),
        planned=request.POST.get("planned") == "on", cause=request.POST.get("cause", ""),
        place=request.POST.get("place", "")), _("Stay recorded."))
    return _back(enrollment)


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def lab_result_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    _run(request, lambda: care_records.lab_result_record(
        enrollment=enrollment, code=request.POST.get("code", ""),
        value=Decimal(request.POST.get("value", "").replace(",", ".") or "x"),
        measured_on=_day(request.POST.get("measured_on"))), _("Result recorded."))
    return _back(enrollment)


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def goal_review_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    _run(request, lambda: care_records.goal_review_record(
        enrollment=enrollment, goal=request.POST.get("goal", ""),
        status=request.POST.get("status", ""), on=_day(request.POST.get("on")),
        note=request.POST.get("note", "")), _("Progress recorded."))
    return _back(enrollment)


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def final_assessment_record(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    _run(request, lambda: care_records.final_assessment_record(
        enrollment=enrollment, done_on=_day(request.POST.get("done_on")),
        synthesis=request.POST.get("synthesis", ""),
        social_component=request.POST.get("social_component", ""), by=request.user),
        _("Final assessment recorded."))
    return _back(enrollment)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_http_methods(["GET", "POST"])
def equipment_inventory(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        wanted = request.POST.get("site") or ""
        site = Site.objects.for_tenant(request.tenant).filter(
            pk=wanted).first() if is_uuid(wanted) else None
        if wanted and site is None:
            messages.error(request, _("Choose a site from the list."))
            return redirect("pathways:equipment")
        _run(request, lambda: care_records.equipment_create(
            tenant=request.tenant, kind=request.POST.get("kind", ""),
            serial_number=request.POST.get("serial_number", ""), site=site),
            _("Equipment added."))
        return redirect("pathways:equipment")
    items = (Equipment.objects.for_tenant(request.tenant).select_related("site")
             .order_by("kind", "serial_number"))
    open_loans = {loan.equipment_id: loan for loan in EquipmentLoan.objects.for_tenant(
        request.tenant).filter(returned_on=None).select_related("enrollment__patient")}
    rows = [(e, open_loans.get(e.pk)) for e in items]
    return render(request, "pathways/equipment.html",
                  {"rows": rows, "kinds": Equipment.Kind.choices,
                   "sites": Site.objects.for_tenant(request.tenant)})
