"""The pathway's phases: inclusion, every other phase change, the exit (the doors in are in
entry.py).

Every phase change goes through ``enrollment_transition``, which checks ``ALLOWED`` and the
preconditions, and records who, when and why (EnrollmentTransition + history).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context
from pathways.models import (
    Enrollment,
    EnrollmentTransition,
    GpAgreement,
    Phase,
)
from patients.services import has_informed_consent

#: The phases an enrollment may move to from each phase (issue 4 completes the pathway).
ALLOWED: dict[str, set[str]] = {
    Phase.ENTRY: {Phase.INITIAL_ASSESSMENT, Phase.EXITED, Phase.DECLINED},
    Phase.INITIAL_ASSESSMENT: {Phase.PPS_DEFINITION, Phase.EXITED},
    Phase.PPS_DEFINITION: {Phase.FOLLOW_UP_Y1, Phase.EXITED},
    Phase.FOLLOW_UP_Y1: {Phase.ANNUAL_UPDATE, Phase.FINAL_ASSESSMENT, Phase.EXITED},
    Phase.ANNUAL_UPDATE: {Phase.FOLLOW_UP_Y2, Phase.EXITED},
    Phase.FOLLOW_UP_Y2: {Phase.FINAL_ASSESSMENT, Phase.EXITED},
    Phase.FINAL_ASSESSMENT: {Phase.EXITED},
    Phase.EXITED: set(),
    Phase.DECLINED: set(),
}


def _today() -> date:
    """Today in the programme's zone (services run inside its tenant's context)."""
    return dates.today()


def inclusion_count(tenant: Tenant) -> int:
    """Cumulative inclusions: an exit does not free a place."""
    with tenant_context(tenant):
        return Enrollment.objects.filter(included_on__isnull=False).count()


def inclusion_blockers(enrollment: Enrollment, *, on: date | None = None) -> list[str]:
    """Why the 0 → 1 transition cannot happen now (empty: it can)."""
    with tenant_context(enrollment.tenant_id):
        return _inclusion_blockers(enrollment, on=on or _today())


def _inclusion_blockers(enrollment: Enrollment, *, on: date) -> list[str]:
    tenant = Tenant.objects.get(pk=enrollment.tenant_id)
    blockers = []
    if enrollment.phase != Phase.ENTRY:
        blockers.append(_("The enrollment is not in the entry phase."))
    if enrollment.door == Enrollment.Door.GP_REFERRAL and \
            enrollment.referral_status != Enrollment.ReferralStatus.ACCEPTED:
        blockers.append(_("The referral has not been accepted yet."))
    agreement = GpAgreement.objects.for_tenant(tenant).filter(enrollment=enrollment).first()
    if agreement is None or not agreement.is_given:
        if agreement is not None and agreement.status == GpAgreement.Status.OPPOSED:
            blockers.append(_("The GP opposes the inclusion."))
        else:
            blockers.append(_("The GP's agreement has not been obtained."))
    if not has_informed_consent(enrollment.patient):
        blockers.append(_("The patient's informed consent is not recorded."))
    if on > tenant.inclusion_window_end:
        blockers.append(_("The inclusion window closed on %(end)s.")
                        % {"end": f"{tenant.inclusion_window_end:%d/%m/%Y}"})
    if inclusion_count(tenant) >= tenant.cumulative_inclusion_cap:
        blockers.append(_("The programme's cap of %(cap)s inclusions is reached.")
                        % {"cap": tenant.cumulative_inclusion_cap})
    patient = enrollment.patient
    if patient.age_on(on) < 18:
        blockers.append(_("The patient is under 18."))
    return blockers


def phase_blockers(enrollment: Enrollment, to_phase: str) -> list[str]:
    """Why ``enrollment`` cannot move to ``to_phase`` now (DESIGN §4); empty: it can."""
    from pathways.models import Activity, CarePlan

    with tenant_context(enrollment.tenant_id):
        plans = CarePlan.objects.filter(enrollment=enrollment)
        issued = plans.filter(status__in=[CarePlan.Status.ISSUED, CarePlan.Status.SUPERSEDED])
        current = plans.filter(status=CarePlan.Status.ISSUED).order_by("-version").first()
        blockers: list[str] = []
        if to_phase == Phase.PPS_DEFINITION and not Activity.objects.filter(
                enrollment=enrollment, kind=Activity.Kind.ASSESSMENT,
                status=Activity.Status.DONE).exists():
            blockers.append(_("No consultation of the initial assessment is recorded as done."))
        if to_phase == Phase.FOLLOW_UP_Y1 and not issued.exists():
            blockers.append(_("Follow-up starts once a PPS version is issued."))
        if to_phase == Phase.ANNUAL_UPDATE and current and current.planned_duration_years == 1:
            blockers.append(_("The PPS plans one year: go to the final assessment."))
        if to_phase == Phase.FOLLOW_UP_Y2:
            entered = (enrollment.transitions.filter(to_phase=Phase.ANNUAL_UPDATE)
                       .order_by("-at").first())
            updated = issued.filter(kind=CarePlan.Kind.ANNUAL_UPDATE)
            if entered is not None:
                updated = updated.filter(issued_at__gte=entered.at)
            if not updated.exists():
                blockers.append(_("Year 2 needs the annual PPS update to be issued."))
        if (to_phase == Phase.FINAL_ASSESSMENT and enrollment.phase == Phase.FOLLOW_UP_Y1
                and (current is None or current.planned_duration_years != 1)):
            blockers.append(_("The PPS plans two years: the annual update comes first."))
        return blockers


def next_phases(enrollment: Enrollment) -> list[tuple[str, list[str]]]:
    """The phases reachable from here (exit aside), each with what blocks it."""
    out = []
    for phase in Phase:
        if phase in ALLOWED[enrollment.phase] and phase not in (Phase.EXITED, Phase.DECLINED):
            blockers = (inclusion_blockers(enrollment) if phase == Phase.INITIAL_ASSESSMENT
                        else phase_blockers(enrollment, phase))
            out.append((phase, blockers))
    return out


@transaction.atomic
def enrollment_transition(*, enrollment: Enrollment, to_phase: str, actor: User | None,
                          effective_on: date | None = None, reason: str = "",
                          _exit: bool = False) -> Enrollment:
    if to_phase == Phase.EXITED and not _exit:
        # An exit has its reason and its letter to the GP: only enrollment_exit does it, so
        # a page or an API call cannot end a pathway without them.
        raise ValidationError({"exit_reason": _(
            "Ending the pathway needs its reason (and sends the exit letter to the GP): use "
            "the exit form, or give exit_reason.")})
    effective_on = effective_on or _today()
    with tenant_context(enrollment.tenant_id):
        if to_phase == Phase.INITIAL_ASSESSMENT:
            # Serialise inclusions of a tenant so the cap holds under concurrency.
            Tenant.objects.select_for_update().get(pk=enrollment.tenant_id)
        enrollment = Enrollment.objects.select_for_update().select_related("patient") \
            .get(pk=enrollment.pk)
        if to_phase not in ALLOWED[enrollment.phase]:
            raise ValidationError({"phase": _("An enrollment in phase “%(from)s” cannot move to "
                                              "“%(to)s”.")
                                   % {"from": enrollment.get_phase_display(),
                                      "to": Phase(to_phase).label}})
        if effective_on > _today():
            raise ValidationError({"effective_on": _("A transition cannot be dated in the "
                                                     "future.")})
        if to_phase == Phase.INITIAL_ASSESSMENT:
            blockers = inclusion_blockers(enrollment, on=effective_on)
            if blockers:
                raise ValidationError({"phase": blockers})
            enrollment.included_on = effective_on
        elif to_phase != Phase.EXITED and to_phase != Phase.DECLINED:
            blockers = phase_blockers(enrollment, to_phase)
            if blockers:
                raise ValidationError({"phase": blockers})
        if to_phase == Phase.EXITED:
            if not reason:
                raise ValidationError({"reason": _("Give the reason for the exit.")})
            enrollment.exited_on = effective_on
        EnrollmentTransition.objects.create(
            tenant_id=enrollment.tenant_id, enrollment=enrollment, from_phase=enrollment.phase,
            to_phase=to_phase, effective_on=effective_on, by=actor, reason=reason,
        )
        enrollment.phase = to_phase
        enrollment.save()
        if to_phase == Phase.INITIAL_ASSESSMENT:
            from pathways.services.care_records import checklist_init

            checklist_init(enrollment=enrollment)
        return enrollment


def enrollment_include(*, enrollment: Enrollment, actor: User | None,
                       on: date | None = None) -> Enrollment:
    return enrollment_transition(enrollment=enrollment, to_phase=Phase.INITIAL_ASSESSMENT,
                                 actor=actor, effective_on=on, reason=_("Inclusion"))


@transaction.atomic
def enrollment_exit(*, enrollment: Enrollment, actor: User | None, reason: str,
                    on: date | None = None, note: str = "") -> Enrollment:
    if reason not in Enrollment.ExitReason.values:
        raise ValidationError({"exit_reason": _("Choose a reason from the list.")})
    with tenant_context(enrollment.tenant_id):
        from pathways.models import FinalAssessment

        if reason == Enrollment.ExitReason.END_OF_PROGRAMME and not FinalAssessment.objects \
                .filter(enrollment=enrollment).exists():
            raise ValidationError({"exit_reason": _("An end of programme follows the final "
                                                    "assessment: record it first.")})
        Enrollment.objects.filter(pk=enrollment.pk).update(exit_reason=reason)
        enrollment.refresh_from_db()
        label = Enrollment.ExitReason(reason).label
        enrollment = enrollment_transition(enrollment=enrollment, to_phase=Phase.EXITED,
                                           actor=actor, effective_on=on,
                                           reason=f"{label}. {note}".strip(), _exit=True)
        from letters.services import letter_create, letter_language

        with letter_language():  # the GP reads French, whatever the author's screen
            letter_create(enrollment=enrollment, kind="exit", event_key=enrollment.pk,
                          subject=_("End of follow-up of %(p)s") % {
                              "p": enrollment.patient.display_name},
                          body=exit_synthesis(enrollment, Enrollment.ExitReason(reason).label))
        return enrollment


def exit_synthesis(enrollment: Enrollment, reason_label: str) -> str:
    """The synthesis of the data collected, for the exit letter."""
    from pathways.models import CarePlan, FinalAssessment, Hospitalisation
    from telemonitoring.models import Alert

    lines = [_("Dear colleague,"), "",
             _("Your patient's follow-up in the programme ended on %(day)s (%(reason)s).")
             % {"day": f"{enrollment.exited_on:%d/%m/%Y}", "reason": reason_label}, ""]
    lines.append(_("Pathway:"))
    for t in enrollment.transitions.order_by("at"):
        lines.append(f"- {t.effective_on:%d/%m/%Y} {t.get_to_phase_display()}")
    plans = CarePlan.objects.filter(enrollment=enrollment).exclude(status=CarePlan.Status.DRAFT)
    lines.append(_("PPS versions: %(n)s") % {"n": plans.count()})
    alerts = Alert.objects.filter(enrollment=enrollment)
    lines.append(_("Alerts: %(n)s (%(closed)s handled)")
                 % {"n": alerts.count(), "closed": alerts.filter(status="closed").count()})
    stays = Hospitalisation.objects.filter(enrollment=enrollment)
    lines.append(_("Hospitalisations and emergency visits recorded: %(n)s") % {"n": stays.count()})
    done = enrollment.activities.filter(status="done").count()
    lines.append(_("Sessions and consultations done: %(n)s") % {"n": done})
    final = FinalAssessment.objects.filter(enrollment=enrollment).first()
    if final:
        lines += ["", _("Final assessment (%(day)s): %(s)s")
                  % {"day": f"{final.done_on:%d/%m/%Y}", "s": final.synthesis}]
    return "\n".join(str(x) for x in lines)
