"""The PPS: drafted with defaults, issued (signed), validated or returned by the GP.

An issued version is never edited: every change is a new version (revision, annual update,
or the draft a GP's request for changes starts).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context
from pathways import pps_defaults
from pathways.models import CarePlan, CarePlanItem, Enrollment, Phase
from patients.models import Diagnosis
from patients.services import group_on

DRAFT_PHASES = {
    CarePlan.Kind.INITIAL: {Phase.PPS_DEFINITION},
    CarePlan.Kind.ANNUAL_UPDATE: {Phase.ANNUAL_UPDATE},
    CarePlan.Kind.REVISION: {Phase.FOLLOW_UP_Y1, Phase.FOLLOW_UP_Y2, Phase.ANNUAL_UPDATE,
                             Phase.PPS_DEFINITION},
}
REMINDER_DAYS = (7, 14)


#: The moves of a PPS version: a draft is issued; an issued version is superseded when the
#: next one is issued. A superseded version never changes again.
CARE_PLAN_MOVES: dict[str, frozenset[str]] = {
    CarePlan.Status.DRAFT: frozenset({CarePlan.Status.ISSUED}),
    CarePlan.Status.ISSUED: frozenset({CarePlan.Status.SUPERSEDED}),
    CarePlan.Status.SUPERSEDED: frozenset(),
}
#: The GP's answer to an issued version: awaited from the issue, then given once.
GP_ANSWER_MOVES: dict[str, frozenset[str]] = {
    "": frozenset({CarePlan.GpStatus.PENDING}),
    CarePlan.GpStatus.PENDING: frozenset({CarePlan.GpStatus.VALIDATED,
                                          CarePlan.GpStatus.CHANGES_REQUESTED}),
    CarePlan.GpStatus.VALIDATED: frozenset(),
    CarePlan.GpStatus.CHANGES_REQUESTED: frozenset(),
}


def care_plan_transition(plan: CarePlan, *, actor: User | None, status: str | None = None,
                         gp_status: str | None = None, **fields) -> CarePlan:
    """Move a locked version (CARE_PLAN_MOVES, GP_ANSWER_MOVES) with the given fields, saved
    with its historical row (by ``actor``); refused naming the status otherwise (a GP who
    answers twice, a version issued twice)."""
    if status is not None and status not in CARE_PLAN_MOVES[plan.status]:
        raise ValidationError({"status": _("This version is %(status)s: it cannot change.")
                               % {"status": plan.get_status_display().lower()}})
    if gp_status is not None and gp_status not in GP_ANSWER_MOVES[plan.gp_status]:
        raise ValidationError({"status": _("This version is not awaiting your answer.")})
    if status is not None:
        plan.status = status
    if gp_status is not None:
        plan.gp_status = gp_status
    for name, value in fields.items():
        setattr(plan, name, value)
    plan._history_user = actor
    plan.save()
    return plan


def _locked_plan(care_plan: CarePlan) -> CarePlan:
    return (CarePlan.objects.select_for_update(of=("self",))
            .select_related("enrollment__patient__gp").get(pk=care_plan.pk))


def _copy_items(source: CarePlan, target: CarePlan) -> None:
    for item in source.items.all():
        CarePlanItem.objects.create(
            tenant_id=target.tenant_id, care_plan=target, kind=item.kind, label=item.label,
            profession=item.profession, professional=item.professional,
            count_per_year=item.count_per_year, frequency=item.frequency,
            details=item.details, position=item.position)


def _default_items(enrollment: Enrollment, target: CarePlan, *, year: int) -> None:
    patient = enrollment.patient
    today = dates.today(enrollment.tenant_id)
    group = group_on(patient, today) or "MONO"
    codes = list(Diagnosis.objects.filter(patient=patient, ended_on=None)
                 .values_list("pathology__code", flat=True))
    schedule = target.apa_schedule if group == "POLY" else "group_of_10"
    proposals = pps_defaults.propose(group=group, year=year, age=patient.age_on(today),
                                     smoker=bool(getattr(patient, "smoker", False)),
                                     pathologies=codes, apa_schedule=schedule)
    for position, p in enumerate(proposals):
        CarePlanItem.objects.create(
            tenant_id=target.tenant_id, care_plan=target, kind=p.kind, label=p.label,
            profession=p.profession, count_per_year=p.count_per_year, frequency=p.frequency,
            details={**p.details, "code": p.code}, position=position)


@transaction.atomic
def care_plan_draft(*, enrollment: Enrollment, actor: User | None, kind: str,
                    reason: str = "", apa_schedule: str = "group_of_10") -> CarePlan:
    """A new draft version, proposing the defaults (first version, annual update) or
    copying the current issued version (revision)."""
    with tenant_context(enrollment.tenant_id):
        enrollment = Enrollment.objects.select_for_update().select_related("patient") \
            .get(pk=enrollment.pk)
        if enrollment.phase not in DRAFT_PHASES[kind]:
            raise ValidationError({"kind": _("A “%(kind)s” cannot be drafted in phase "
                                             "“%(phase)s”.")
                                   % {"kind": CarePlan.Kind(kind).label,
                                      "phase": enrollment.get_phase_display()}})
        plans = CarePlan.objects.filter(enrollment=enrollment)
        if plans.filter(status=CarePlan.Status.DRAFT).exists():
            raise ValidationError({"kind": _("A draft version already exists: finish it "
                                             "first.")})
        current = plans.filter(status=CarePlan.Status.ISSUED).order_by("-version").first()
        if kind == CarePlan.Kind.INITIAL and plans.exists():
            kind = CarePlan.Kind.REVISION
        if kind == CarePlan.Kind.REVISION and current is None:
            raise ValidationError({"kind": _("There is no issued version to revise.")})
        if kind == CarePlan.Kind.REVISION and not reason.strip():
            raise ValidationError({"reason": _("Say why the PPS is revised.")})
        if apa_schedule not in pps_defaults.APA_SCHEDULES:
            raise ValidationError({"apa_schedule": _("Unknown APA schedule.")})
        version = (plans.aggregate(v=Max("version"))["v"] or 0) + 1
        year = 2 if kind == CarePlan.Kind.ANNUAL_UPDATE else (current.year if current else 1)
        plan = CarePlan.objects.create(
            tenant_id=enrollment.tenant_id, enrollment=enrollment, version=version, kind=kind,
            year=year, reason=reason.strip(), author=actor, apa_schedule=apa_schedule,
            planned_duration_years=current.planned_duration_years if current else 2,
            goals=current.goals if current else "",
        )
        if kind == CarePlan.Kind.REVISION:
            _copy_items(current, plan)
        else:
            _default_items(enrollment, plan, year=year)
        return plan


def _editable(care_plan: CarePlan) -> CarePlan:
    plan = _locked_plan(care_plan)
    if plan.status != CarePlan.Status.DRAFT:
        raise ValidationError({"status": _("An issued version is never edited: draft a new "
                                           "version.")})
    return plan


@transaction.atomic
def care_plan_update(*, care_plan: CarePlan, planned_duration_years: int | None = None,
                     goals: str | None = None) -> CarePlan:
    with tenant_context(care_plan.tenant_id):
        plan = _editable(care_plan)
        if planned_duration_years is not None:
            if planned_duration_years not in (1, 2):
                raise ValidationError({"planned_duration_years": _("One or two years.")})
            plan.planned_duration_years = planned_duration_years
        if goals is not None:
            plan.goals = goals
        plan.save()
        return plan


@transaction.atomic
def care_plan_item_save(*, care_plan: CarePlan, item: CarePlanItem | None = None,
                        **fields) -> CarePlanItem:
    with tenant_context(care_plan.tenant_id):
        plan = _editable(care_plan)
        if fields.get("kind") and fields["kind"] not in CarePlanItem.Kind.values:
            raise ValidationError({"kind": _("Unknown item kind.")})
        from constel.utils import check_lengths

        check_lengths(CarePlanItem, fields)
        count = fields.get("count_per_year")
        if count is not None and not 0 <= count <= 366:
            raise ValidationError({"count_per_year": _("Between 0 and 366 a year.")})
        if item is None:
            position = plan.items.count()
            item = CarePlanItem(tenant_id=plan.tenant_id, care_plan=plan, position=position)
        elif item.care_plan_id != plan.pk:
            raise ValidationError({"item": _("This item belongs to another version.")})
        for name, value in fields.items():
            setattr(item, name, value)
        if not item.label:
            raise ValidationError({"label": _("Name the item.")})
        item.save()
        return item


@transaction.atomic
def care_plan_item_remove(*, item: CarePlanItem) -> None:
    with tenant_context(item.tenant_id):
        _editable(item.care_plan)
        item.delete()


@transaction.atomic
def care_plan_issue(*, care_plan: CarePlan, actor: User, on=None) -> CarePlan:
    """Sign and issue the draft; earlier issued versions become superseded."""
    on = on or dates.today(care_plan.tenant_id)
    if on > dates.today(care_plan.tenant_id):
        raise ValidationError({"issued_on": _("A PPS cannot be issued in the future.")})
    with tenant_context(care_plan.tenant_id):
        plan = _editable(care_plan)
        if not plan.items.exists():
            raise ValidationError({"items": _("An empty PPS cannot be issued.")})
        for earlier in CarePlan.objects.select_for_update().filter(
                enrollment_id=plan.enrollment_id, status=CarePlan.Status.ISSUED):
            care_plan_transition(earlier, actor=actor, status=CarePlan.Status.SUPERSEDED)
        care_plan_transition(plan, actor=actor, status=CarePlan.Status.ISSUED,
                             gp_status=CarePlan.GpStatus.PENDING, issued_at=timezone.now(),
                             issued_on=on, issued_by=actor)
        from telemonitoring.services import rules_from_care_plan

        rules_from_care_plan(care_plan=plan)
        from letters.services import letter_create, letter_language

        with letter_language():  # the GP reads French, whatever the author's screen
            items = "\n".join(
                f"- {i.get_kind_display()} : {i.label}"
                + (f" ({i.count_per_year}/an)" if i.count_per_year else "")
                + (f", {i.frequency}" if i.frequency else "")
                for i in plan.items.all())
            letter_create(
                enrollment=plan.enrollment, kind="pps", event_key=plan.pk,
                subject=_("PPS v%(v)s of %(patient)s") % {
                    "v": plan.version, "patient": plan.enrollment.patient.display_name},
                body=_("Dear colleague,\n\nHere is version %(v)s (%(kind)s) of the personalised "
                       "care plan of your patient, issued on %(day)s. You can validate it or ask "
                       "for changes in your GP space.\n\n%(items)s\n\nGoals: %(goals)s")
                % {"v": plan.version, "kind": plan.get_kind_display(),
                   "day": f"{plan.issued_on:%d/%m/%Y}", "items": items,
                   "goals": plan.goals or "—"})
            return plan


@transaction.atomic
def care_plan_gp_answer(*, care_plan: CarePlan, gp_user: User, validate: bool,
                        comment: str = "") -> CarePlan:
    """The patient's GP validates the issued version, or returns it with a comment, which
    starts a new draft version."""
    with tenant_context(care_plan.tenant_id):
        plan = _locked_plan(care_plan)
        gp = plan.enrollment.patient.gp
        if gp is None or gp.user_id != gp_user.pk:
            raise ValidationError({"gp": _("Only the patient's GP can answer.")})
        if plan.status != CarePlan.Status.ISSUED or plan.gp_status != CarePlan.GpStatus.PENDING:
            raise ValidationError({"status": _("This version is not awaiting your answer.")})
        if not validate and not comment.strip():
            raise ValidationError({"comment": _("Say which changes you would like.")})
        care_plan_transition(plan, actor=gp_user, gp_status=(
            CarePlan.GpStatus.VALIDATED if validate else CarePlan.GpStatus.CHANGES_REQUESTED),
            gp_answered_at=timezone.now(), gp_comment=comment.strip())
        if not validate and not CarePlan.objects.filter(
                enrollment_id=plan.enrollment_id, status=CarePlan.Status.DRAFT).exists():
            version = (CarePlan.objects.filter(enrollment_id=plan.enrollment_id)
                       .aggregate(v=Max("version"))["v"]) + 1
            draft = CarePlan.objects.create(
                tenant_id=plan.tenant_id, enrollment_id=plan.enrollment_id, version=version,
                kind=CarePlan.Kind.REVISION, year=plan.year,
                reason=_("GP's request: %(c)s") % {"c": plan.gp_comment}, author=None,
                apa_schedule=plan.apa_schedule,
                planned_duration_years=plan.planned_duration_years, goals=plan.goals)
            _copy_items(plan, draft)
        return plan


def care_plan_remind_gps(*, tenant: Tenant, now=None) -> int:
    """Chase GP validations at 7 and 14 days (idempotent: one reminder per threshold)."""
    now = now or timezone.now()
    sent = 0
    with tenant_context(tenant):
        for i, days in enumerate(REMINDER_DAYS, start=1):
            due = (CarePlan.objects.select_related("enrollment__patient__gp")
                   .filter(status=CarePlan.Status.ISSUED, gp_status=CarePlan.GpStatus.PENDING,
                           gp_reminders_sent=i - 1, issued_at__lte=now - timedelta(days=days)))
            for plan in due:
                with transaction.atomic():
                    updated = CarePlan.objects.filter(pk=plan.pk, gp_reminders_sent=i - 1) \
                        .update(gp_reminders_sent=i)
                    gp = plan.enrollment.patient.gp
                    if updated and gp is not None and (gp.secure_email or gp.email):
                        address = gp.secure_email or gp.email
                        name = plan.enrollment.patient.display_name
                        transaction.on_commit(lambda a=address, n=name: send_mail(
                            _("Reminder: PPS of %(p)s awaiting your validation") % {"p": n},
                            _("The personalised care plan of your patient awaits your "
                              "validation in your GP space."), None, [a]))
                        sent += 1
    return sent


THRESHOLD_KEYS = ("crit_low", "warn_low", "warn_high", "crit_high")


@transaction.atomic
def care_plan_item_thresholds(*, item: CarePlanItem, thresholds: dict[str, dict]) -> CarePlanItem:
    """The author's thresholds for a telefollow-up item (per indicator), checked for order
    (critical low < warning low < warning high < critical high) and plausibility; they
    become the patient's rules when the version is issued."""
    from telemonitoring.catalogue import number, unit_label
    from telemonitoring.ingest import typed_number
    from telemonitoring.models import Indicator

    with tenant_context(item.tenant_id):
        _editable(item.care_plan)
        if item.kind != CarePlanItem.Kind.TELEFOLLOW_UP:
            raise ValidationError({"item": _("Only telefollow-up items have thresholds.")})
        catalogue = {i.code: i for i in Indicator.objects.filter(code__in=list(thresholds))}
        clean: dict[str, dict] = {}
        for code, values in thresholds.items():
            indicator = catalogue.get(code)
            if indicator is None:
                raise ValidationError({"thresholds": _("Unknown indicator.")})
            parsed = {}
            for key in THRESHOLD_KEYS:
                raw = str(values.get(key, "") or "").strip().replace(",", ".")
                if not raw:
                    continue
                value = typed_number(raw, f"{code}__{key}")
                if not indicator.plausible_min <= value <= indicator.plausible_max:
                    raise ValidationError({f"{code}__{key}": _(
                        "%(v)s is outside the possible range of %(i)s (%(lo)s to %(hi)s %(u)s).")
                        % {"v": number(value), "i": indicator.label,
                           "lo": number(indicator.plausible_min),
                           "hi": number(indicator.plausible_max),
                           "u": unit_label(indicator.unit)}})
                parsed[key] = value
            ordered = [parsed[k] for k in THRESHOLD_KEYS if k in parsed]
            if ordered != sorted(ordered) or len(set(ordered)) != len(ordered):
                raise ValidationError({f"{code}__{THRESHOLD_KEYS[0]}": _(
                    "%(i)s: thresholds must rise from critical low to critical high.")
                    % {"i": indicator.label}})
            clean[code] = {k: str(v) for k, v in parsed.items()}
        item.details = {**item.details, "thresholds": clean}
        item.save(update_fields=["details"])
        return item
