"""Back-office pages of phases 1–5: the enrollment's timeline and transitions, the PPS
versions, activities and group sessions, and the nurse's worklist."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from constel import dates
from constel.access import Cap, has_cap, log_patient_read, membership_required
from constel.dates import parse_day
from constel.forms_typed import Refused, require_int
from constel.tenancy import get_object_for_tenant_or_404
from pathways import selectors
from pathways.models import (
    Activity,
    CarePlan,
    CarePlanItem,
    Enrollment,
    Equipment,
    FinalAssessment,
    GoalReview,
    Hospitalisation,
    Phase,
    TimeEntry,
)
from pathways.selectors import (
    care_plan_get,
    enrollment_get,
)
from pathways.services import care_plans, care_records, enrollments
from patients.models import Professional
from telemonitoring.models import Indicator


def _enrollment(request: HttpRequest, enrollment_id, cap: Cap = Cap.PATIENT_CLINICAL):
    """The enrollment for the page, its read written to the access log."""
    enrollment = enrollment_get(membership=request.membership, pk=enrollment_id, cap=cap)
    log_patient_read(request, enrollment.patient)
    return enrollment


@membership_required(cap=Cap.BACK_OFFICE)
def enrollment_detail(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    return enrollment_page(request, _enrollment(request, enrollment_id))


def enrollment_page(request: HttpRequest, enrollment: Enrollment,
                    refused: Refused | None = None) -> HttpResponse:
    """The pathway page; after a refused form, with what was typed and the messages (400)."""
    if refused is not None:  # a service may have changed this copy before refusing
        enrollment.refresh_from_db()
    return render(request, "pathways/enrollment.html", {
        "refused": refused, "enrollment": enrollment,
        "today_iso": dates.today(request.tenant).isoformat(),
        "now_local": f"{dates.local_time(timezone.now(), request.tenant):%Y-%m-%dT%H:%M}",
        "patient": enrollment.patient,
        "transitions": enrollment.transitions.select_related("by"),
        "next_phases": enrollments.next_phases(enrollment)
        if enrollment.phase not in (Phase.EXITED, Phase.DECLINED) else [],
        "plans": enrollment.care_plans.order_by("-version"),
        "activities": enrollment.activities.select_related("professional", "group_session")
        .order_by("-scheduled_at"),
        "kinds": Activity.Kind.choices,
        "professionals": Professional.objects.for_tenant(request.tenant),
        "can_manage": has_cap(request.membership, Cap.ENROLLMENT_MANAGE),
        "can_edit_pps": has_cap(request.membership, Cap.PPS_EDIT),
        "can_activity": has_cap(request.membership, Cap.ACTIVITY_MANAGE),
        "plan_kinds": CarePlan.Kind.choices,
        "checklist": enrollment.checklist.all(),
        "today": dates.today(request.tenant),
        "time_entries": enrollment.time_entries.select_related("by")[:30],
        "time_kinds": TimeEntry.Kind.choices,
        "reconciliations": enrollment.reconciliations.all(),
        "loans": enrollment.equipment_loans.select_related("equipment"),
        "available_equipment": Equipment.objects.for_tenant(request.tenant).filter(
            state=Equipment.State.AVAILABLE),
        "stays": enrollment.hospitalisations.all(),
        "stay_kinds": Hospitalisation.Kind.choices,
        "lab_results": enrollment.lab_results.all()[:30],
        "lab_tests": care_records.LAB_TESTS,
        "goals": enrollment.goal_reviews.all()[:20],
        "goal_codes": care_records.GOALS,
        "goal_statuses": GoalReview.Status.choices,
        "final": FinalAssessment.objects.filter(enrollment=enrollment).first(),
        "can_medication": has_cap(request.membership, Cap.PATIENT_MEDICATION),
        "readings": enrollment.readings.select_related("indicator", "entered_by")[:40],
        "followed": Indicator.objects.for_tenant(request.tenant).filter(
            pk__in=enrollment.alert_rules.filter(active=True).values("indicator")),
        "open_alerts": enrollment.alerts.exclude(status="closed").select_related("indicator"),
        "can_alert": has_cap(request.membership, Cap.ALERT_HANDLE),
        "letters": enrollment.letters.defer("pdf").select_related("gp"),
        "charts": selectors.reading_charts(enrollment=enrollment,
                                           days=_days(request.GET.get("days"))),
        "days": _days(request.GET.get("days")),
    }, status=400 if refused else 200)


def _days(value: str | None) -> int:
    return int(value) if value in ("30", "90", "180", "365") else 90


@membership_required(cap=Cap.ENROLLMENT_MANAGE)
@require_POST
def transition(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ENROLLMENT_MANAGE)
    to_phase = request.POST.get("to_phase", "")
    on = request.POST.get("effective_on") or None
    try:
        if to_phase not in Phase.values:
            raise ValidationError({"to_phase": _("Choose the next phase.")})
        effective_on = parse_day(on) if on else None
        if on and effective_on is None:
            raise ValidationError({"effective_on": _("Enter a valid date.")})
        enrollments.enrollment_transition(enrollment=enrollment, to_phase=to_phase,
                                          actor=request.user, effective_on=effective_on,
                                          reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return enrollment_page(request, enrollment, Refused.of(
            f"phase-{to_phase}", request.POST, exc, {"phase": "effective_on"}))
    messages.success(request, _("Phase changed."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)


# --- PPS -------------------------------------------------------------------------------------

@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def care_plan_new(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    try:
        if request.POST.get("kind") not in CarePlan.Kind.values:
            raise ValidationError({"kind": _("Choose a kind of version.")})
        plan = care_plans.care_plan_draft(
            enrollment=enrollment, actor=request.user, kind=request.POST["kind"],
            reason=request.POST.get("reason", ""),
            apa_schedule=request.POST.get("apa_schedule", "group_of_10"))
    except ValidationError as exc:
        return enrollment_page(request, enrollment, Refused.of("pps", request.POST, exc))
    return redirect("pathways:care_plan", care_plan_id=plan.pk)


def _care_plan(request: HttpRequest, care_plan_id, cap: Cap = Cap.PATIENT_CLINICAL) -> CarePlan:
    plan = care_plan_get(membership=request.membership, pk=care_plan_id, cap=cap)
    log_patient_read(request, plan.enrollment.patient)
    return plan


@membership_required(cap=Cap.BACK_OFFICE)
def care_plan_detail(request: HttpRequest, care_plan_id: str) -> HttpResponse:
    return care_plan_page(request, _care_plan(request, care_plan_id))


_THRESHOLD_LABELS = {
    "crit_low": gettext_lazy("critical low"), "warn_low": gettext_lazy("warning low"),
    "warn_high": gettext_lazy("warning high"), "crit_high": gettext_lazy("critical high")}


def care_plan_page(request: HttpRequest, plan: CarePlan,
                   refused: Refused | None = None) -> HttpResponse:
    """The PPS version; after a refused form, with what was typed and the messages (400)."""
    if refused is not None:
        plan.refresh_from_db()
    from telemonitoring.services import PPS_INDICATORS

    catalogue = {i.code: i for i in Indicator.objects.for_tenant(request.tenant)}
    threshold_rows = []
    for item in plan.items.filter(kind=CarePlanItem.Kind.TELEFOLLOW_UP):
        code = item.details.get("indicator") or item.details.get("code") or ""
        for ind_code in PPS_INDICATORS.get(code, [code]):
            indicator = catalogue.get(ind_code)
            if indicator is None:
                continue
            own = item.details.get("thresholds", {}).get(ind_code, {})
            threshold_rows.append({"item": item, "indicator": indicator, "values": [
                (key, own.get(key, getattr(indicator, key)), _THRESHOLD_LABELS[key])
                for key in care_plans.THRESHOLD_KEYS]})
    return render(request, "pathways/care_plan.html", {
        "refused": refused, "threshold_rows": threshold_rows,
        "plan": plan, "patient": plan.enrollment.patient,
        "items": plan.items.select_related("professional"),
        "item_kinds": CarePlanItem.Kind.choices,
        "can_edit": plan.status == CarePlan.Status.DRAFT
        and has_cap(request.membership, Cap.PPS_EDIT),
        "can_issue": plan.status == CarePlan.Status.DRAFT
        and has_cap(request.membership, Cap.PPS_ISSUE),
    }, status=400 if refused else 200)


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def care_plan_edit(request: HttpRequest, care_plan_id: str) -> HttpResponse:
    plan = _care_plan(request, care_plan_id, Cap.PPS_EDIT)
    action = request.POST.get("action", "")
    form, done = action, None
    items = CarePlanItem.objects.filter(care_plan=plan)
    try:
        if action == "add":
            care_plans.care_plan_item_save(
                care_plan=plan, kind=request.POST.get("kind", ""),
                label=request.POST.get("label", "").strip(),
                profession=request.POST.get("profession", "").strip(),
                count_per_year=require_int(request.POST, "count_per_year"),
                frequency=request.POST.get("frequency", "").strip())
            done = _("Item added.")
        elif action == "count":
            item = get_object_for_tenant_or_404(items, request.tenant,
                                                pk=request.POST.get("item"))
            form = f"count-{item.pk}"
            care_plans.care_plan_item_save(
                care_plan=plan, item=item,
                count_per_year=require_int(request.POST, "count_per_year"))
            done = _("Number per year saved.")
        elif action == "thresholds":
            item = get_object_for_tenant_or_404(items, request.tenant,
                                                pk=request.POST.get("item"))
            codes = {k.split("__")[0] for k in request.POST if "__" in k}
            care_plans.care_plan_item_thresholds(item=item, thresholds={
                code: {key: request.POST.get(f"{code}__{key}", "")
                       for key in care_plans.THRESHOLD_KEYS} for code in codes})
            done = _("Thresholds saved.")
        elif action == "remove":
            item = get_object_for_tenant_or_404(items, request.tenant,
                                                pk=request.POST.get("item"))
            care_plans.care_plan_item_remove(item=item)
            done = _("Item removed.")
        elif action == "plan":
            care_plans.care_plan_update(
                care_plan=plan, planned_duration_years=require_int(
                    request.POST, "planned_duration_years", default=2),
                goals=request.POST.get("goals", ""))
            done = _("PPS saved.")
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        return care_plan_page(request, plan, Refused.of(
            form, request.POST, exc, {"status": "__all__", "item": "__all__",
                                      "thresholds": "__all__"}))
    messages.success(request, done)
    return redirect("pathways:care_plan", care_plan_id=plan.pk)


@membership_required(cap=Cap.PPS_ISSUE)
@require_POST
def care_plan_issue(request: HttpRequest, care_plan_id: str) -> HttpResponse:
    plan = _care_plan(request, care_plan_id, Cap.PPS_ISSUE)
    try:
        care_plans.care_plan_issue(care_plan=plan, actor=request.user)
    except ValidationError as exc:
        return care_plan_page(request, plan, Refused.of("issue", request.POST, exc, {
            "items": "__all__", "issued_on": "__all__", "status": "__all__"}))
    messages.success(request, _("PPS issued; the GP is asked to validate it."))
    return redirect("pathways:care_plan", care_plan_id=plan.pk)
