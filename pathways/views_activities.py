"""Back-office pages of the sessions: planning one from the pathway page, its status (a
cancellation asks once more), group sessions and their rosters, the assessment day, and the
nurse's worklist."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from constel import dates
from constel.access import Cap, has_cap, log_patient_read, membership_required
from constel.dates import parse_day
from constel.forms_typed import Refused, require_int
from constel.models import Site
from constel.tenancy import get_object_for_tenant_or_404
from constel.utils import error_messages, is_uuid
from pathways import selectors
from pathways.models import Activity, Enrollment, GroupSession, Phase
from pathways.selectors import activities_in_scope, enrollments_in_scope
from pathways.services import activities as activity_services
from pathways.views_care import _enrollment, enrollment_page
from patients.models import Professional

# --- Activities -------------------------------------------------------------------------------

@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def activity_plan(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE
                             if not has_cap(request.membership, Cap.PATIENT_CLINICAL)
                             else Cap.PATIENT_CLINICAL)
    scheduled_at = dates.parse_moment(request.POST.get("scheduled_at"), request.tenant)
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
        duration = require_int(request.POST, "duration", default=30,
                               message=_("Enter a whole number of minutes."))
        activity_services.activity_plan(
            enrollment=enrollment, kind=request.POST.get("kind", ""), scheduled_at=scheduled_at,
            professional=professional, duration_minutes=duration,
            note=request.POST.get("note", ""))
    except ValidationError as exc:
        return enrollment_page(request, enrollment, Refused.of(
            "activity", request.POST, exc, {"duration_minutes": "duration",
                                            "enrollment": "__all__"}))
    messages.success(request, _("Session planned."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def activity_status(request: HttpRequest, activity_id: str) -> HttpResponse:
    activity = get_object_for_tenant_or_404(
        activities_in_scope(membership=request.membership),
        request.tenant, pk=activity_id)
    status = request.POST.get("status", "")
    if (status == Activity.Status.CANCELLED and activity.status == Activity.Status.PLANNED
            and request.POST.get("confirmed") != "1"):
        return _activity_cancel_confirm(request, activity)
    try:
        if status == "call":
            activity_services.activity_plan_call(activity=activity)
        else:
            if status not in Activity.Status.values:
                raise ValidationError({"status": _("Unknown status.")})
            activity_services.activity_set_status(activity=activity, status=status,
                                                  note=request.POST.get("note"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _STATUS_DONE.get(status, _("Session updated.")))
    if request.POST.get("next") == "worklist":
        return redirect("pathways:worklist")
    return redirect("pathways:enrollment", enrollment_id=activity.enrollment_id)


_STATUS_DONE = {
    "done": gettext_lazy("Session marked done."),
    "missed": gettext_lazy("Session marked missed."),
    "cancelled": gettext_lazy("Session cancelled."), "call": gettext_lazy("Call planned."),
}


def _activity_cancel_confirm(request: HttpRequest, activity: Activity) -> HttpResponse:
    """Cancelling a session asks once more, saying which one and what it does."""
    from django.urls import reverse

    from pathways.templatetags.pathway import identity

    patient = activity.enrollment.patient
    log_patient_read(request, patient)
    back = reverse("pathways:enrollment", args=[activity.enrollment_id])
    when = dates.local_time(activity.scheduled_at, request.tenant)
    who = activity.professional or activity.group_session or ""
    return render(request, "confirm.html", {
        "title": _("Cancel this session?"), "caption": _("The session"),
        "rows": [(_("Patient"), identity(patient)),
                 (_("Session"), activity.get_kind_display()),
                 (_("When"), f"{when:%d/%m/%Y %H:%M}"),
                 (_("With"), str(who) or "—")],
        "consequences": [_("The session is marked cancelled: it no longer counts in the "
                           "pathway and leaves the worklist.")],
        "action_url": request.path, "back_url": back, "back_label": _("Pathway"),
        "hidden": [("status", "cancelled"), ("next", request.POST.get("next", ""))],
        "note_label": _("Why (optional)"), "note_value": request.POST.get("note", ""),
        "confirm_label": _("Cancel the session"), "keep_label": _("Keep it"),
    })


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_http_methods(["GET", "POST"])
def group_sessions(request: HttpRequest) -> HttpResponse:
    refused = None
    if request.method == "POST":
        scheduled_at = dates.parse_moment(request.POST.get("scheduled_at"), request.tenant)
        wanted = request.POST.get("site") or ""
        site = Site.objects.for_tenant(request.tenant).filter(
            pk=wanted).first() if is_uuid(wanted) else None
        try:
            if scheduled_at is None:
                raise ValidationError({"scheduled_at": _("Enter a valid date and time.")})
            if wanted and site is None:
                raise ValidationError({"site": _("Choose a site from the list.")})
            activity_services.group_session_create(
                tenant=request.tenant, label=request.POST.get("label", "").strip() or "APA",
                scheduled_at=scheduled_at, site=site,
                capacity=require_int(request.POST, "capacity", default=0,
                                     message=_("Choose the group size.")))
        except ValidationError as exc:
            refused = Refused.of("group", request.POST, exc)
        else:
            messages.success(request, _("Group session created."))
            return redirect("pathways:group_sessions")
    from django.db.models import Count, Q

    sessions = (GroupSession.objects.for_tenant(request.tenant)
                .filter(scheduled_at__gte=timezone.now() - timedelta(days=30))
                .annotate(taken=Count("participants",
                                      filter=~Q(participants__status=Activity.Status.CANCELLED)))
                .select_related("site").order_by("scheduled_at")[:100])
    return render(request, "pathways/group_sessions.html",
                  {"sessions": sessions, "sites": Site.objects.for_tenant(request.tenant),
                   "refused": refused}, status=400 if refused else 200)


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
    mine = request.GET.get("mine") == "1"
    sections = selectors.worklist(membership=request.membership, site=site, group=group,
                                  mine=mine)
    # Sections with something to do come first, in their order; the others fold into one
    # line at the end ("nothing to do: …").
    return render(request, "pathways/worklist.html",
                  {"sections": [s for s in sections if s.count],
                   "idle": [str(s.title) for s in sections if not s.count],
                   "sites": Site.objects.for_tenant(request.tenant), "now": timezone.now(),
                   "mine": mine, "filtered": bool(site or group or mine)})


@membership_required(cap=Cap.ACTIVITY_MANAGE)
@require_POST
def assessment_day(request: HttpRequest, enrollment_id: str) -> HttpResponse:
    enrollment = _enrollment(request, enrollment_id, Cap.ACTIVITY_MANAGE)
    try:
        day = parse_day(request.POST.get("day", ""))
        if day is None:
            raise ValidationError({"day": _("Enter a valid date.")})
        activity_services.assessment_day_plan(enrollment=enrollment, day=day)
    except ValidationError as exc:
        return enrollment_page(request, enrollment, Refused.of(
            "assessment", request.POST, exc, {"phase": "__all__"}))
    messages.success(request, _("Assessment day planned."))
    return redirect("pathways:enrollment", enrollment_id=enrollment.pk)
