"""The doors into the pathway (DESIGN §4): eligibility assessed from the questionnaire, door
(a) a programme physician proposes and the patient's GP agrees (link or phone), door (b) the
GP refers and the secretary accepts, reassesses or declines."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from constel.models import Tenant, User
from constel.tenancy import tenant_context
from pathways.models import (
    EligibilityAssessment,
    Enrollment,
    GpAgreement,
    Phase,
)
from pathways.services.enrollments import _today, enrollment_transition
from patients import eligibility
from patients.models import Patient, Professional
from patients.services import patient_create, token_hash

AGREEMENT_LINK_VALIDITY = timedelta(days=30)


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
        from letters.services import letter_create, letter_language

        with letter_language():  # the GP reads French, whatever the author's screen
            letter_create(enrollment=locked, kind="referral_declined", event_key=locked.pk,
                          subject=_("Referral of %(patient)s not accepted — %(programme)s")
                          % {"patient": locked.patient.display_name, "programme": tenant.name},
                          body=_("Your referral of %(patient)s to %(programme)s was not "
                                 "accepted.\n\nReason: %(reason)s")
                          % {"patient": locked.patient.display_name, "programme": tenant.name,
                             "reason": reason})
        return locked
