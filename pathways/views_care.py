"""Back-office pages of phases 1–5: the enrollment's timeline and transitions, the PPS
versions, activities and group sessions, and the nurse's worklist."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from constel import dates
from constel.access import Cap, has_cap, log_patient_read, membership_required
from constel.dates import parse_day
from constel.models import Site
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import error_messages, is_uuid
from pathways import selectors
from pathways.models import (
    Activity,
    CarePlan,
    CarePlanItem,
    Enrollment,
    Equipment,
    FinalAssessment,
    GoalReview,
    GroupSession,
    Hospitalisation,
    Phase,
    TimeEntry,
)
from pathways.selectors import (
    activities_in_scope,
    care_plan_get,
    enrollment_get,
    enrollments_in_scope,
)
from pathways.services import activities as activity_services
from pathways.services import care_plans, care_records, enrollments
from patients.models import Professional
from telemonitoring.models import Indicator


def _enrollment(request: HttpRequest, enrollment_id, cap: Cap = Cap.PATIENT_CLINICAL):
    """The enrollment for the page, its read written to the access log."""
    enrollment = enrollment_get(membership=request.membership, pk=enrollment_id, cap=cap)
    log_patient_read(request, enrollment.patient)
    return enrollment


def _parse_dt(value: str | None) -> datetime | None:
    try:
        naive = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


@membership_required(cap=Cap.BACK_OFFICE)
def enrollment_detail(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id)
    return render(request, "pathways/enrollment.html", {
        "enrollment": enrollment, "patient": enrollment.patient,
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
    })


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
            raise ValueError(on)
        enrollments.enrollment_transition(enrollment=enrollment, to_phase=to_phase,
                                          actor=request.user, effective_on=effective_on,
                                          reason=request.POST.get("reason", ""))
    except ValueError:
        messages.error(request, _("Enter a valid date."))
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("Phase changed."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)


# --- PPS -------------------------------------------------------------------------------------

@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def care_plan_new(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.PPS_EDIT)
    try:
        plan = care_plans.care_plan_draft(
            enrollment=enrollment, actor=request.user,
            kind=request.POST.get("kind", CarePlan.Kind.INITIAL),
            reason=request.POST.get("reason", ""),
            apa_schedule=request.POST.get("apa_schedule", "group_of_10"))
    except (ValidationError, KeyError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            error_messages(request, exc)
        else:
            messages.error(request, _("Choose a kind of version."))
        return redirect("pathways:enrollment", enrollment_id=enrollment.pk)
    return redirect("pathways:care_plan", care_plan_id=plan.pk)


def _care_plan(request: HttpRequest, care_plan_id, cap: Cap = Cap.PATIENT_CLINICAL) -> CarePlan:
    plan = care_plan_get(membership=request.membership, pk=care_plan_id, cap=cap)
    log_patient_read(request, plan.enrollment.patient)
    return plan


@membership_required(cap=Cap.BACK_OFFICE)
def care_plan_detail(request: HttpRequest, care_plan_id: str) -> HttpResponse:
    plan = _care_plan(request, care_plan_id)
    from telemonitoring.models import Indicator
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
                (key, own.get(key, getattr(indicator, key)))
                for key in care_plans.THRESHOLD_KEYS]})
    return render(request, "pathways/care_plan.html", {
        "threshold_rows": threshold_rows,
        "plan": plan, "patient": plan.enrollment.patient,
        "items": plan.items.select_related("professional"),
        "item_kinds": CarePlanItem.Kind.choices,
        "can_edit": plan.status == CarePlan.Status.DRAFT
        and has_cap(request.membership, Cap.PPS_EDIT),
        "can_issue": plan.status == CarePlan.Status.DRAFT
        and has_cap(request.membership, Cap.PPS_ISSUE),
    })


@membership_required(cap=Cap.PPS_EDIT)
@require_POST
def care_plan_edit(request: HttpRequest, care_plan_id: str) -> HttpResponse:
    plan = _care_plan(request, care_plan_id, Cap.PPS_EDIT)
    action = request.POST.get("action")
    try:
        if action == "add":
            count = request.POST.get("count_per_year") or None
            care_plans.care_plan_item_save(
                care_plan=plan, kind=request.POST.get("kind", ""),
                label=request.POST.get("label", "").strip(),
                profession=request.POST.get("profession", "").strip(),
                count_per_year=int(count) if count is not None else None,
                frequency=request.POST.get("frequency", "").strip())
        elif action == "count":
            item = get_object_for_tenant_or_404(CarePlanItem.objects.filter(care_plan=plan),
                                                request.tenant, pk=request.POST.get("item"))
            count = request.POST.get("count_per_year") or None
            care_plans.care_plan_item_save(care_plan=plan, item=item,
                                           count_per_year=int(count) if count else None)
        elif action == "thresholds":
            item = get_object_for_tenant_or_404(CarePlanItem.objects.filter(care_plan=plan),
                                                request.tenant, pk=request.POST.get("item"))
            codes = {k.split("__")[0] for k in request.POST if "__" in k}
            care_plans.care_plan_item_thresholds(item=item, thresholds={
                code: {key: request.POST.get(f"{code}__{key}", "")
                       for key in care_plans.THRESHOLD_KEYS} for code in codes})
            messages.success(request, _("Thresholds saved."))
        elif action == "remove":
            item = get_object_for_tenant_or_404(CarePlanItem.objects.filter(care_plan=plan),
                                                request.tenant, pk=request.POST.get("item"))
            care_plans.care_plan_item_remove(item=item)
        elif action == "plan":
            care_plans.care_plan_update(
                care_plan=plan,
                planned_duration_years=int(request.POST.get("planned_duration_years", 2)),
                goals=request.POST.get("goals", ""))
        else:
            messages.error(request, _("Unknown action."))
    except ValueError:
        messages.error(request, _("Enter a whole number."))
    except ValidationError as exc:
        error_messages(request, exc)
    return redirect("pathways:care_plan", care_plan_id=plan.pk)


@membership_required(cap=Cap.PPS_ISSUE)
@require_POST
def care_plan_issue(request: HttpRequest, care_plan_id: str) -> HttpResponse:
    plan = _care_plan(request, care_plan_id, Cap.PPS_ISSUE)
    try:
        care_plans.care_plan_issue(care_plan=plan, actor=request.user)
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("PPS issued; the GP is asked to validate it."))
    return redirect("pathways:care_plan", care_plan_id=plan.pk)


# --- Activities -------------------------------------------------------------------------------

@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def activity_plan(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE
                             if not has_cap(request.membership, Cap.PATIENT_CLINICAL)
                             else Cap.PATIENT_CLINICAL)
    scheduled_at = _parse_dt(request.POST.get("scheduled_at"))
    professional = None
    wanted = request.POST.get("professional")
    if wanted:
        professional = Professional.objects.for_tenant(request.tenant).filter(
            pk=wanted).first() if is_uuid(wanted) else None
    try:
        if wanted and professional is None:
            raise ValidationError({"professional": _("Choose a professional from the list.")})
        if scheduled_at is None:
            raise ValidationError({"scheduled_at": _("Enter a valid date and time.")})
        activity_services.activity_plan(
            enrollment=enrollment, kind=request.POST.get("kind", ""), scheduled_at=scheduled_at,
            professional=professional, duration_minutes=int(request.POST.get("duration") or 30),
            note=request.POST.get("note", ""))
    except ValueError:
        messages.error(request, _("Enter a whole number of minutes."))
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("Session planned."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def activity_status(request: HttpRequest, activity_id: str) -> HttpResponse:
    activity = get_object_for_tenant_or_404(
        activities_in_scope(membership=request.membership),
        request.tenant, pk=activity_id)
    try:
        if request.POST.get("status") == "call":
            activity_services.activity_plan_call(activity=activity)
        else:
            activity_services.activity_set_status(activity=activity,
                                                  status=request.POST.get("status", ""),
                                                  note=request.POST.get("note"))
    except (ValidationError, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [_("Unknown status.")])))
    next_url = request.POST.get("next")
    if next_url == "worklist":
        return redirect("pathways:worklist")
    return redirect("pathways:enrollment", enrollment_id=activity.enrollment_id)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_http_methods(["GET", "POST"])
def group_sessions(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        scheduled_at = _parse_dt(request.POST.get("scheduled_at"))
        try:
            if scheduled_at is None:
                raise ValidationError({"scheduled_at": _("Enter a valid date and time.")})
            site = Site.objects.for_tenant(request.tenant).filter(
                pk=request.POST.get("site") or None).first()
            activity_services.group_session_create(
                tenant=request.tenant, label=request.POST.get("label", "").strip() or "APA",
                scheduled_at=scheduled_at, capacity=int(request.POST.get("capacity") or 0),
                site=site)
        except ValueError:
            messages.error(request, _("Choose the group size."))
        except ValidationError as exc:
            error_messages(request, exc)
        return redirect("pathways:group_sessions")
    from django.db.models import Count, Q

    sessions = (GroupSession.objects.for_tenant(request.tenant)
                .filter(scheduled_at__gte=timezone.now() - timedelta(days=30))
                .annotate(taken=Count("participants",
                                      filter=~Q(participants__status=Activity.Status.CANCELLED)))
                .select_related("site").order_by("scheduled_at")[:100])
    return render(request, "pathways/group_sessions.html",
                  {"sessions": sessions, "sites": Site.objects.for_tenant(request.tenant)})


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_http_methods(["GET", "POST"])
def group_session_detail(request: HttpRequest, session_id: str) -> HttpResponse:
    session = get_object_for_tenant_or_404(GroupSession, request.tenant, pk=session_id)
    if request.method == "POST":
        enrollment = get_object_for_tenant_or_404(
            enrollments_in_scope(membership=request.membership),
            request.tenant, pk=request.POST.get("enrollment"))
        try:
            activity_services.group_session_enrol(session=session, enrollment=enrollment)
        except ValidationError as exc:
            error_messages(request, exc)
        return redirect("pathways:group_session", session_id=session.pk)
    roster = session.participants.select_related("enrollment__patient")
    candidates = (Enrollment.objects.for_tenant(request.tenant)
                  .filter(phase__in=[Phase.FOLLOW_UP_Y1, Phase.FOLLOW_UP_Y2,
                                     Phase.ANNUAL_UPDATE])
                  .exclude(pk__in=roster.values("enrollment_id"))
                  .select_related("patient").order_by("patient__birth_name")[:200])
    return render(request, "pathways/group_session.html",
                  {"session": session, "roster": roster, "candidates": candidates})


@membership_required(cap=Cap.WORKLIST)
def worklist(request: HttpRequest) -> HttpResponse:
    site, group = request.GET.get("site", ""), request.GET.get("group", "")
    sections = selectors.worklist(membership=request.membership, site=site, group=group)
    # Sections with something to do come first, in their order; the others fold into one
    # line at the end ("nothing to do: …").
    return render(request, "pathways/worklist.html",
                  {"sections": [s for s in sections if s.count],
                   "idle": [str(s.title) for s in sections if not s.count],
                   "sites": Site.objects.for_tenant(request.tenant), "now": timezone.now()})


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def assessment_day(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
        activity_services.assessment_day_plan(enrollment=enrollment, day=day)
    except ValueError:
        messages.error(request, _("Enter a valid date."))
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, _("Assessment day planned."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)
