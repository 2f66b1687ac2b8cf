"""The pathway's writes: entry doors, GP agreement, inclusion and other phase changes.

Every phase change goes through ``enrollment_transition``, which checks ``ALLOWED`` and the
preconditions, and records who, when and why (EnrollmentTransition + history).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from constel.models import Tenant, User
from constel.tenancy import tenant_context
from pathways.models import (
    EligibilityAssessment,
    Enrollment,
    EnrollmentTransition,
    GpAgreement,
    Phase,
)
from patients import eligibility
from patients.models import Patient, Professional
from patients.services import has_informed_consent, patient_create, token_hash

AGREEMENT_LINK_VALIDITY = timedelta(days=30)

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
        from letters.services import letter_create

        letter_create(enrollment=enrollment, kind="exit", event_key=enrollment.pk,
                      subject=_("End of follow-up of %(p)s") % {
                          "p": enrollment.patient.display_name},
                      body=exit_synthesis(enrollment, label))
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


# --- Eligibility ----------------------------------------------------------------------------

def answers_from(patient: Patient, questionnaire: dict[str, Any], *,
                 gp_is_referrer: bool) -> eligibility.Answers:
    from patients.models import Diagnosis, Pathology

    pathologies = {d.pathology.code: d.oral_therapy for d in Diagnosis.objects
                   .for_tenant(patient.tenant_id).filter(patient=patient, ended_on=None)
                   .select_related("pathology")}
    pathologies.update(questionnaire.get("pathologies", {}))
    counts_as = dict(Pathology.objects.for_tenant(patient.tenant_id).exclude(counts_as="")
                     .values_list("code", "counts_as"))
    return eligibility.Answers(
        birth_date=patient.birth_date, today=_today(), pathologies=pathologies,
        mono_criteria=questionnaire.get("mono_criteria", []),
        therapeutic_failure=bool(questionnaire.get("therapeutic_failure")),
        medico_social=questionnaire.get("medico_social", []),
        programmes=questionnaire.get("programmes", []),
        exclusions=questionnaire.get("exclusions", []),
        gp_opposes=False, gp_is_referrer=gp_is_referrer, counts_as=counts_as,
    )


def _record_declared_pathologies(patient: Patient, questionnaire: dict) -> None:
    """Pathologies ticked in the questionnaire become diagnoses of the record (dated today
    when the date is unknown; the nurse corrects it after the call)."""
    from patients.models import Diagnosis, Pathology
    from patients.services import diagnosis_add

    declared = questionnaire.get("pathologies", {})
    if not declared:
        return
    current = set(Diagnosis.objects.for_tenant(patient.tenant_id)
                  .filter(patient=patient, ended_on=None).values_list("pathology__code",
                                                                       flat=True))
    for pathology in Pathology.objects.for_tenant(patient.tenant_id).filter(
            code__in=list(declared)):
        if pathology.code not in current:
            diagnosis_add(patient=patient, pathology=pathology, diagnosed_on=_today(),
                          oral_therapy=bool(declared[pathology.code]))


def _assess(enrollment: Enrollment, questionnaire: dict, actor: User | None,
            *, gp_is_referrer: bool) -> EligibilityAssessment:
    answers = answers_from(enrollment.patient, questionnaire, gp_is_referrer=gp_is_referrer)
    result = eligibility.assess(answers)
    stored = {k: (sorted(v) if isinstance(v, set | frozenset | list | tuple) else v)
              for k, v in asdict(answers).items()}
    stored["birth_date"] = answers.birth_date.isoformat()
    stored["today"] = answers.today.isoformat()
    stored["pathologies"] = dict(answers.pathologies)
    return EligibilityAssessment.objects.create(
        tenant_id=enrollment.tenant_id, enrollment=enrollment, answers=stored,
        eligible=result.eligible, group=result.group or "", reasons=list(result.reasons),
        notes=list(result.notes), assessed_by=actor,
    )


# --- Door (a): a programme physician proposes, the GP agrees ---------------------------------

def _agreement_link(tenant: Tenant, agreement: GpAgreement) -> str:
    token = secrets.token_urlsafe(32)
    agreement.token_hash = token_hash(token)
    agreement.token_expires_at = timezone.now() + AGREEMENT_LINK_VALIDITY
    agreement.save(update_fields=["token_hash", "token_expires_at"])
    return settings.SITE_URL.rstrip("/") + reverse(
        "gp:agreement", kwargs={"tenant_slug": tenant.slug, "token": token})


@transaction.atomic
def enrollment_propose(*, patient: Patient, actor: User, questionnaire: dict) -> Enrollment:
    """Door (a). Refused with the reasons when the questionnaire says "not eligible"."""
    with tenant_context(patient.tenant_id):
        if patient.gp_id is None:
            raise ValidationError({"gp": _("Record the patient's GP first: their agreement is "
                                           "needed.")})
        if Enrollment.objects.filter(patient=patient).exclude(
                phase__in=[Phase.EXITED, Phase.DECLINED]).exists():
            raise ValidationError({"patient": _("This patient is already in the programme.")})
        enrollment = Enrollment.objects.create(
            tenant_id=patient.tenant_id, patient=patient,
            door=Enrollment.Door.PROGRAMME_PHYSICIAN, proposed_by=actor,
        )
        _record_declared_pathologies(patient, questionnaire)
        assessment = _assess(enrollment, questionnaire, actor, gp_is_referrer=False)
        if not assessment.eligible:
            raise ValidationError({"eligibility": list(assessment.reasons) or
                                   [_("Not eligible.")]})
        agreement = GpAgreement.objects.create(tenant_id=patient.tenant_id,
                                               enrollment=enrollment, gp=patient.gp)
        tenant = Tenant.objects.get(pk=patient.tenant_id)
        link = _agreement_link(tenant, agreement)
        _mail_gp(patient.gp, _("Agreement requested for %(patient)s — %(programme)s")
                 % {"patient": patient.display_name, "programme": tenant.name},
                 _("A physician of %(programme)s proposes to include your patient %(patient)s. "
                   "Please confirm or oppose in your GP space:\n\n%(link)s")
                 % {"programme": tenant.name, "patient": patient.display_name, "link": link})
        return enrollment


def _mail_gp(gp: Professional, subject: str, body: str) -> None:
    address = gp.secure_email or gp.email
    if address:
        transaction.on_commit(lambda: send_mail(subject, body, None, [address]))


@transaction.atomic
def gp_agreement_record_phone(
    *, enrollment: Enrollment, actor: User, note: str = ""
) -> GpAgreement:
    with tenant_context(enrollment.tenant_id):
        agreement = GpAgreement.objects.select_for_update().get(enrollment=enrollment)
        if agreement.status == GpAgreement.Status.OPPOSED:
            raise ValidationError({"status": _("The GP has opposed in writing; a phone call "
                                               "does not override it.")})
        if agreement.status == GpAgreement.Status.CONFIRMED:
            return agreement
        agreement.status = GpAgreement.Status.PHONE
        agreement.phone_at = timezone.now()
        agreement.phone_recorded_by = actor
        agreement.phone_note = note
        agreement.save()
        return agreement


def agreement_for_token(*, tenant: Tenant, token: str) -> GpAgreement | None:
    with tenant_context(tenant):
        agreement = (GpAgreement.objects.select_related("enrollment__patient", "gp")
                     .filter(token_hash=token_hash(token)).first())
    if agreement is None or agreement.token_expires_at is None \
            or agreement.token_expires_at <= timezone.now():
        return None
    return agreement


@transaction.atomic
def gp_agreement_answer(*, tenant: Tenant, token: str, gp_user: User, agree: bool,
                        comment: str = "") -> GpAgreement:
    """The GP's written answer through the one-time link (must be that patient's GP)."""
    with tenant_context(tenant):
        agreement = agreement_for_token(tenant=tenant, token=token)
        if agreement is None or agreement.gp.user_id != gp_user.pk:
            raise ValidationError({"token": _("This link is not valid for you.")})
        agreement = GpAgreement.objects.select_for_update().get(pk=agreement.pk)
        agreement.status = GpAgreement.Status.CONFIRMED if agree else GpAgreement.Status.OPPOSED
        agreement.answered_at = timezone.now()
        agreement.comment = comment
        agreement.token_hash = ""  # one-time
        agreement.save()
        return agreement


# --- Door (b): the GP refers, the secretary accepts or declines ------------------------------

@transaction.atomic
def referral_submit(*, tenant: Tenant, gp: Professional, actor: User, identity: dict,
                    questionnaire: dict) -> Enrollment:
    """The GP's referral: a provisional identity, the questionnaire, in the secretary's inbox."""
    with tenant_context(tenant):
        patient = patient_create(tenant=tenant, gp=gp, **identity)
        enrollment = Enrollment.objects.create(
            tenant=tenant, patient=patient, door=Enrollment.Door.GP_REFERRAL, referrer=gp,
            proposed_by=actor, referral_status=Enrollment.ReferralStatus.RECEIVED,
        )
        _record_declared_pathologies(patient, questionnaire)
        _assess(enrollment, questionnaire, actor, gp_is_referrer=True)
        # The referring GP agrees by referring.
        GpAgreement.objects.create(tenant=tenant, enrollment=enrollment, gp=gp,
                                   status=GpAgreement.Status.CONFIRMED,
                                   answered_at=timezone.now(), comment=_("Referred by the GP"))
        return enrollment


@transaction.atomic
def referral_accept(*, enrollment: Enrollment, actor: User) -> Enrollment:
    with tenant_context(enrollment.tenant_id):
        enrollment = Enrollment.objects.select_for_update().select_related("patient").get(
            pk=enrollment.pk)
        if enrollment.door != Enrollment.Door.GP_REFERRAL or enrollment.referral_status not in (
                Enrollment.ReferralStatus.RECEIVED, Enrollment.ReferralStatus.IN_REVIEW):
            raise ValidationError({"referral_status": _("Only a pending referral can be "
                                                        "accepted.")})
        last = enrollment.eligibility_assessments.order_by("-at").first()
        if last is None or not last.eligible:
            raise ValidationError({"eligibility": (last.reasons if last else []) or
                                   [_("The questionnaire says the patient is not eligible: "
                                      "complete it or decline the referral.")]})
        enrollment.referral_status = Enrollment.ReferralStatus.ACCEPTED
        enrollment.save()
        return enrollment


@transaction.atomic
def referral_reassess(*, enrollment: Enrollment, actor: User, questionnaire: dict) -> Any:
    with tenant_context(enrollment.tenant_id):
        enrollment = Enrollment.objects.select_for_update().select_related("patient").get(
            pk=enrollment.pk)
        if enrollment.referral_status == Enrollment.ReferralStatus.RECEIVED:
            enrollment.referral_status = Enrollment.ReferralStatus.IN_REVIEW
            enrollment.save()
        return _assess(enrollment, questionnaire, actor,
                       gp_is_referrer=enrollment.door == Enrollment.Door.GP_REFERRAL)


@transaction.atomic
def referral_decline(*, enrollment: Enrollment, actor: User, reason: str) -> Enrollment:
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason: the GP will receive it.")})
    with tenant_context(enrollment.tenant_id):
        locked = (Enrollment.objects.select_for_update(of=("self",))
                  .select_related("patient", "referrer").get(pk=enrollment.pk))
        if locked.referral_status in (Enrollment.ReferralStatus.ACCEPTED,
                                      Enrollment.ReferralStatus.DECLINED):
            raise ValidationError({"referral_status": _("This referral was already answered.")})
        locked.referral_status = Enrollment.ReferralStatus.DECLINED
        locked.referral_decline_reason = reason.strip()
        locked.save()
        locked = enrollment_transition(enrollment=locked, to_phase=Phase.DECLINED, actor=actor,
                                       reason=reason.strip())
        tenant = Tenant.objects.get(pk=locked.tenant_id)
        from letters.services import letter_create

        letter_create(enrollment=locked, kind="referral_declined", event_key=locked.pk,
                      subject=_("Referral of %(patient)s not accepted — %(programme)s")
                      % {"patient": locked.patient.display_name, "programme": tenant.name},
                      body=_("Your referral of %(patient)s to %(programme)s was not "
                             "accepted.\n\nReason: %(reason)s")
                      % {"patient": locked.patient.display_name, "programme": tenant.name,
                         "reason": reason})
        return locked
