"""Writes of patients, professionals, diagnoses, consents and portal invitations.

Every service runs in the tenant's context and raises ``ValidationError`` with field names
on bad input, so forms and the API show the same field-level messages and nothing is saved.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from constel.models import Membership, Tenant, User
from constel.roles import Role
from constel.tenancy import tenant_context
from constel.utils import csv_bytes
from patients.eligibility import group_of
from patients.models import (
    CareAssignment,
    Consent,
    Convention,
    Diagnosis,
    GroupPeriod,
    Patient,
    PortalInvitation,
    Professional,
)
from patients.validators import (
    age_on,
    check_birth_date,
    check_ins_matches_identity,
    normalise_ins,
    normalise_rpps,
)

INVITATION_VALIDITY = timedelta(days=14)
_MIRRORED = {
    Consent.Kind.GP_ONLINE_ACCESS: "gp_online_access_agreed",
    Consent.Kind.SHARING_OBJECTION: "objects_to_sharing",
    Consent.Kind.EVALUATION_OBJECTION: "objects_to_evaluation",
    Consent.Kind.PHARMACIST_CONTACT: "pharmacist_contact_agreed",
}


def today() -> date:
    """Today in the programme's zone (inside a tenant's context: its own)."""
    return dates.today()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Professionals --------------------------------------------------------------------------

@transaction.atomic
def professional_create(*, tenant: Tenant, kind: str, first_name: str, last_name: str,
                        **fields: Any) -> Professional:
    with tenant_context(tenant):
        if fields.get("rpps"):
            try:
                fields["rpps"] = normalise_rpps(fields["rpps"])
            except ValidationError as exc:
                raise ValidationError({"rpps": exc.messages}) from exc
            existing = Professional.objects.filter(rpps=fields["rpps"]).first()
            if existing:
                raise ValidationError({"rpps": _("This RPPS is already in the directory: %(p)s.")
                                       % {"p": existing}})
        pro = Professional(tenant=tenant, kind=kind, first_name=first_name, last_name=last_name,
                           **fields)
        pro.full_clean()
        pro.save()
        return pro


@transaction.atomic
def convention_record(*, professional: Professional, kind: str, signed_on: date) -> Convention:
    if signed_on > today():
        raise ValidationError({"signed_on": _("A convention cannot be signed in the future.")})
    with tenant_context(professional.tenant_id):
        return Convention.objects.create(tenant_id=professional.tenant_id,
                                         professional=professional, kind=kind,
                                         signed_on=signed_on)


# --- Patients -------------------------------------------------------------------------------

def _clean_identity(tenant: Tenant, data: dict[str, Any], *, instance: Patient | None) -> None:
    errors: dict[str, list[str]] = {}
    birth_date = data.get("birth_date")
    if isinstance(birth_date, date):
        try:
            check_birth_date(birth_date, today=today())
        except ValidationError as exc:
            errors.setdefault("birth_date", []).extend(exc.messages)
        else:
            if age_on(birth_date, today()) < 18:
                errors.setdefault("birth_date", []).append(
                    _("Patients under 18 cannot enter the programme (§III.2.b)."))
    if data.get("ins"):
        try:
            data["ins"] = normalise_ins(data["ins"])
            check_ins_matches_identity(data["ins"], sex=data.get("sex"), birth_date=birth_date
                                       if isinstance(birth_date, date) else None)
        except ValidationError as exc:
            errors.setdefault("ins", []).extend(exc.messages)
        else:
            duplicate = Patient.objects.for_tenant(tenant).filter(ins=data["ins"])
            if instance is not None:
                duplicate = duplicate.exclude(pk=instance.pk)
            existing = duplicate.first()
            if existing is not None:
                errors.setdefault("ins", []).append(
                    _("This INS is already the record of %(name)s (born %(born)s): open it "
                      "instead of creating a second one — %(url)s")
                    % {"name": existing.display_name, "born": f"{existing.birth_date:%d/%m/%Y}",
                       "url": reverse("patients:detail", args=[existing.pk])}
                )
    elif data.get("identity_status") == Patient.IdentityStatus.QUALIFIED:
        errors.setdefault("identity_status", []).append(
            _("A qualified identity needs its INS."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def patient_create(*, tenant: Tenant, birth_name: str, first_names: str, sex: str,
                   birth_date: date, **fields: Any) -> Patient:
    with tenant_context(tenant):
        data = {"birth_name": birth_name.strip().upper(), "first_names": first_names.strip(),
                "sex": sex, "birth_date": birth_date, **fields}
        if data.get("used_name"):
            data["used_name"] = data["used_name"].strip().upper()
        _clean_identity(tenant, data, instance=None)
        patient = Patient(tenant=tenant, **data)
        patient.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                patient.save()
        except IntegrityError as exc:  # a concurrent twin with the same INS
            raise ValidationError({"ins": _("This INS is already in the programme.")}) from exc
        return patient


@transaction.atomic
def patient_update(*, patient: Patient, **fields: Any) -> Patient:
    with tenant_context(patient.tenant_id):
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        data = {
            "birth_name": patient.birth_name, "sex": patient.sex,
            "birth_date": patient.birth_date, "ins": patient.ins,
            "identity_status": patient.identity_status, **fields,
        }
        _clean_identity(patient.tenant, data, instance=patient)
        for name, value in data.items():
            setattr(patient, name, value)
        patient.full_clean(validate_unique=False)
        patient.save()
        return patient


@transaction.atomic
def care_assign(*, patient: Patient, professional: Professional) -> CareAssignment:
    with tenant_context(patient.tenant_id):
        assignment, _created = CareAssignment.objects.get_or_create(
            tenant_id=patient.tenant_id, patient=patient, professional=professional
        )
        return assignment


# --- Diagnoses and the MONO/POLY history ----------------------------------------------------

def _current_codes(patient: Patient, on: date) -> list[tuple[str, str, bool, bool]]:
    rows = Diagnosis.objects.filter(patient=patient, diagnosed_on__lte=on).exclude(
        ended_on__lte=on
    ).select_related("pathology")
    return [(d.pathology.code, d.pathology.counts_as or d.pathology.code,
             d.pathology.oral_therapy_only, d.oral_therapy) for d in rows]


def group_from_diagnoses(patient: Patient, on: date) -> str | None:
    codes = [code for code, _c, oral_only, oral in _current_codes(patient, on)
             if not oral_only or oral]
    counts_as = {code: merged for code, merged, _o, _t in _current_codes(patient, on)}
    return group_of(codes, counts_as)


def _group_rebuild(patient: Patient) -> None:
    """Rebuild the MONO/POLY history from the diagnoses' dates.

    Each period starts on a diagnosis (or end) date; consecutive equal groups merge. A
    back-dated diagnosis therefore changes the past: billing compares its recomputation with
    what was claimed and issues adjustment lines (it never edits an issued statement).
    """
    diagnoses = list(Diagnosis.objects.filter(patient=patient).select_related("pathology"))
    days = sorted({d.diagnosed_on for d in diagnoses} | {d.ended_on for d in diagnoses
                                                          if d.ended_on})
    wanted: list[tuple[date, str | None]] = []
    for day in days:
        group = group_from_diagnoses(patient, day)
        if not wanted or wanted[-1][1] != group:
            wanted.append((day, group))
    existing = {(p.valid_from, p.group) for p in GroupPeriod.objects.filter(patient=patient)}
    target = {(day, group) for day, group in wanted if group is not None}
    if existing == target:
        return
    GroupPeriod.objects.filter(patient=patient).delete()
    for day, group in sorted(target):
        GroupPeriod.objects.create(tenant_id=patient.tenant_id, patient=patient, group=group,
                                   valid_from=day)


def group_on(patient: Patient, day: date) -> str | None:
    """MONO/POLY on ``day`` — what billing asks when a forfait falls due."""
    with tenant_context(patient.tenant_id):
        row = (GroupPeriod.objects.filter(patient=patient, valid_from__lte=day)
               .order_by("-valid_from", "-recorded_at").first())
    return row.group if row else None


@transaction.atomic
def diagnosis_add(*, patient: Patient, pathology, diagnosed_on: date,
                  oral_therapy: bool = False) -> Diagnosis:
    if diagnosed_on > today():
        raise ValidationError({"diagnosed_on": _("A diagnosis date cannot be in the future.")})
    if diagnosed_on < patient.birth_date:
        raise ValidationError({"diagnosed_on": _("A diagnosis cannot precede the birth date.")})
    with tenant_context(patient.tenant_id):
        if Diagnosis.objects.filter(patient=patient, pathology=pathology, ended_on=None).exists():
            raise ValidationError({"pathology": _("This pathology is already recorded.")})
        diagnosis = Diagnosis.objects.create(
            tenant_id=patient.tenant_id, patient=patient, pathology=pathology,
            diagnosed_on=diagnosed_on, oral_therapy=oral_therapy,
        )
        _group_rebuild(patient)
        return diagnosis


@transaction.atomic
def diagnosis_end(*, diagnosis: Diagnosis, ended_on: date) -> Diagnosis:
    if ended_on < diagnosis.diagnosed_on:
        raise ValidationError({"ended_on": _("The end cannot precede the diagnosis.")})
    with tenant_context(diagnosis.tenant_id):
        diagnosis.ended_on = ended_on
        diagnosis.save(update_fields=["ended_on"])
        _group_rebuild(diagnosis.patient)
        return diagnosis


# --- Consents -------------------------------------------------------------------------------

@transaction.atomic
def consent_record(*, patient: Patient, kind: str, granted: bool, method: str,
                   actor: User | None, notice_version: str = "", evidence: bytes | None = None,
                   ip_address: str | None = None, at: datetime | None = None) -> Consent:
    """Append a consent event and mirror the current state on the patient."""
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"at": _("A consent cannot be dated in the future.")})
    if kind == Consent.Kind.INFORMED and granted and not notice_version:
        raise ValidationError({"notice_version": _("Say which version of the information notice "
                                                   "the patient was given.")})
    if method == Consent.Method.PAPER and kind == Consent.Kind.INFORMED and granted \
            and not evidence:
        raise ValidationError({"evidence": _("Attach the scanned signed form.")})
    with tenant_context(patient.tenant_id):
        consent = Consent.objects.create(
            tenant_id=patient.tenant_id, patient=patient, kind=kind, granted=granted, at=at,
            notice_version=notice_version, method=method,
            evidence_sha256=hashlib.sha256(evidence).hexdigest() if evidence else "",
            ip_address=ip_address, recorded_by=actor,
        )
        field = _MIRRORED.get(kind)
        if field:
            row = Patient.objects.select_for_update().get(pk=patient.pk)
            setattr(row, field, granted)
            row.save(update_fields=[field])
            setattr(patient, field, granted)
        return consent


def consent_state(patient: Patient) -> dict[str, Consent]:
    """The latest event of each kind."""
    latest: dict[str, Consent] = {}
    with tenant_context(patient.tenant_id):
        for consent in Consent.objects.filter(patient=patient).order_by("kind", "-at"):
            latest.setdefault(consent.kind, consent)
    return latest


def has_informed_consent(patient: Patient) -> bool:
    state = consent_state(patient).get(Consent.Kind.INFORMED)
    return bool(state and state.granted)


# --- Portal invitations ---------------------------------------------------------------------

def _invitation_address(raw: str | None) -> str:
    """The invitee's address, checked before anything is written: one address, no control
    characters (a CR/LF would be a header injection, a NUL a database error), at most 254
    characters (RFC 5321)."""
    from django.core.validators import validate_email

    email = (raw or "").strip().lower()
    if any(ch in email for ch in "\r\n\x00") or len(email) > 254:
        raise ValidationError({"email": _("Enter a valid e-mail address.")})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    return email


def is_professional_account(user: User) -> bool:
    """An account that holds (or held) any staff role, in any programme, or Django's staff
    flags: such an account never receives a patient or carer membership by invitation
    (DESIGN §3). Memberships are read as the user themself (their own rows across tenants)."""
    from constel.roles import STAFF_ROLES

    if user.is_staff or user.is_superuser:
        return True
    with tenant_context(None, user_id=user.pk):
        return Membership.unscoped.filter(user_id=user.pk, role__in=STAFF_ROLES).exists()


@transaction.atomic
def invitation_send(*, patient: Patient, email: str | None = None,
                    carer_name: str = "") -> PortalInvitation:
    """A new one-time link (previous pending links stop working) sent by e-mail: to the
    patient, or with ``carer_name`` to a carer who gets their own login to the portal.
    Everything is checked before the previous link is revoked."""
    carer_name = carer_name.replace("\x00", "").strip()[:150]
    raw = email if email else ("" if carer_name else patient.email)
    if not (raw or "").strip():
        raise ValidationError({"email": _("The carer's e-mail address is needed.")
                               if carer_name else
                               _("The patient has no e-mail address: add one first.")})
    email = _invitation_address(raw)
    if carer_name and patient.email and email == patient.email.lower():
        raise ValidationError({"email": _("This is the patient's own address: a carer needs "
                                          "their own.")})
    if patient.user_id and not carer_name:
        raise ValidationError({"email": _("The patient already has a portal account.")})
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and is_professional_account(existing):
        raise ValidationError({"email": _("This address belongs to a professional's account: "
                                          "a patient or a carer needs an address of their "
                                          "own.")})
    with tenant_context(patient.tenant_id):
        PortalInvitation.objects.filter(patient=patient, accepted_at=None, revoked_at=None,
                                        carer_name=carer_name).update(revoked_at=timezone.now())
        token = secrets.token_urlsafe(32)
        invitation = PortalInvitation.objects.create(
            tenant_id=patient.tenant_id, patient=patient, email=email, carer_name=carer_name,
            token_hash=token_hash(token), expires_at=timezone.now() + INVITATION_VALIDITY,
        )
        tenant = Tenant.objects.get(pk=patient.tenant_id)
        url = settings.SITE_URL.rstrip("/") + reverse(
            "invitation_accept", kwargs={"tenant_slug": tenant.slug, "token": token})
        transaction.on_commit(lambda: send_mail(
            subject=_("Your follow-up space — %(programme)s") % {"programme": tenant.name},
            message=_("Hello,\n\nThe care team of %(programme)s invites you to create your "
                      "follow-up space. Open this link within 14 days:\n\n%(url)s\n\n"
                      "If the link has expired, call the care team for a new one.")
            % {"programme": tenant.name, "url": url},
            from_email=None, recipient_list=[email],
        ))
        return invitation


def invitation_for_token(*, tenant: Tenant, token: str) -> PortalInvitation | None:
    with tenant_context(tenant):
        return (PortalInvitation.objects.select_related("patient")
                .filter(token_hash=token_hash(token)).first())


def invitation_account(invitation: PortalInvitation) -> User | None:
    """The account that already has the invitation's address, if any."""
    return User.objects.filter(email__iexact=invitation.email).first()


def _pending_invitation(tenant: Tenant, token: str) -> PortalInvitation:
    invitation = (PortalInvitation.objects.select_for_update()
                  .filter(token_hash=token_hash(token)).first())
    if invitation is None or invitation.status(timezone.now()) != "pending":
        raise ValidationError({"token": _("This invitation link is no longer valid.")})
    return invitation


def _invitation_attach(tenant: Tenant, invitation: PortalInvitation, user: User) -> Membership:
    membership, _created = Membership.objects.get_or_create(tenant=tenant, user=user,
                                                            role=Role.PATIENT)
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    patient = invitation.patient
    if invitation.carer_name:
        from patients.models import CarerAccess

        CarerAccess.objects.get_or_create(tenant=tenant, patient=patient, user=user,
                                          revoked_at=None,
                                          defaults={"name": invitation.carer_name})
    else:
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        if patient.user_id and patient.user_id != user.pk:
            raise ValidationError({"token": _("The patient already has a portal account.")})
        patient.user = user
        patient.save(update_fields=["user"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def invitation_accept(*, tenant: Tenant, token: str, password: str) -> User:
    """A new account for the invitation's address, with the password typed on the
    invitation page. Never an existing account: that one must sign in normally and then
    use :func:`invitation_attach`."""
    from django.contrib.auth.password_validation import validate_password

    with tenant_context(tenant):
        invitation = _pending_invitation(tenant, token)
        if invitation_account(invitation) is not None:
            raise ValidationError({"token": _("An account already exists for this address: "
                                              "sign in to it first.")})
        patient = invitation.patient
        if invitation.carer_name:
            first, _sep, last = invitation.carer_name.partition(" ")
        else:
            first = patient.first_names.split()[0]
            last = (patient.used_name or patient.birth_name).title()
        user = User(email=invitation.email, first_name=first, last_name=last)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
        user.save()
        _invitation_attach(tenant, invitation, user)
        return user


@transaction.atomic
def invitation_attach(*, tenant: Tenant, token: str, user: User) -> Membership:
    """Attach the invitation to ``user``, an account that has signed in normally (password
    and, where it has one, second factor) and whose address is the invitation's. A
    professional's account is refused (DESIGN §3)."""
    with tenant_context(tenant, user_id=user.pk):
        invitation = _pending_invitation(tenant, token)
        if (user.email or "").lower() != invitation.email.lower():
            raise ValidationError({"token": _("This invitation was sent to another address.")})
        if is_professional_account(user):
            raise ValidationError({"token": _("A professional's account cannot become a "
                                              "patient's or a carer's account. Ask the care "
                                              "team for an invitation to another address.")})
        return _invitation_attach(tenant, invitation, user)


@transaction.atomic
def pathology_counts_as(*, tenant: Tenant, mapping: dict[str, str]) -> None:
    """Declare pathologies that count together as one for MONO/POLY (DESIGN §4), then
    rebuild every patient's group history."""
    from patients.models import Pathology

    with tenant_context(tenant):
        codes = set(Pathology.objects.values_list("code", flat=True))
        for code, target in mapping.items():
            if target and (target not in codes or target == code):
                raise ValidationError({"counts_as": _("“%(code)s” cannot count as “%(t)s”.")
                                       % {"code": code, "t": target}})
            if target and mapping.get(target):
                raise ValidationError({"counts_as": _("Point to a pathology that itself counts "
                                                      "as itself (no chains).")})
        changed = False
        for pathology in Pathology.objects.select_for_update():
            wanted = mapping.get(pathology.code, pathology.counts_as)
            if wanted != pathology.counts_as:
                pathology.counts_as = wanted
                pathology.save(update_fields=["counts_as"])
                changed = True
        if changed:
            for patient in Patient.objects.filter(diagnoses__isnull=False).distinct():
                _group_rebuild(patient)


@transaction.atomic
def carer_revoke(*, patient: Patient, carer_id, actor: User) -> None:
    """The carer's login to this patient's portal ends (recorded, not deleted)."""
    from patients.models import CarerAccess

    with tenant_context(patient.tenant_id):
        access = CarerAccess.objects.select_for_update().filter(
            pk=carer_id, patient=patient, revoked_at__isnull=True).first()
        if access is None:
            raise ValidationError({"carer": _("This carer access is already closed.")})
        access.revoked_at = timezone.now()
        access.revoked_by = actor
        access._history_user = actor
        access.save()


# --- Right of access ---------------------------------------------------------------------------

class _UniqueNames:
    """A ZIP being written whose entries never share a name: two letters of the same kind on
    the same day become ``…-2.pdf`` (an unzip would otherwise keep one of them)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.used: set[str] = set()

    def writestr(self, name: str, data) -> None:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while candidate in self.used:
            n += 1
            candidate = f"{stem}-{n}.{ext}" if dot else f"{stem}-{n}"
        self.used.add(candidate)
        self.archive.writestr(candidate, data)


def patient_data_zip(*, patient) -> bytes:
    """All of a patient's data as a ZIP (right of access, RGPD art. 15): identity, PPS
    versions (PDF), readings, alerts, messages and their attachments, letters (PDF),
    questionnaires — for the portal's download and for staff answering a request."""
    from constel.pdf import render as render_pdf
    from constel.utils import safe_filename
    from engagement.models import Message, QuestionnaireResponse
    from letters.models import Letter
    from pathways.models import CarePlan
    from telemonitoring.models import Alert, Reading

    tenant = Tenant.objects.get(pk=patient.tenant_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        z = _UniqueNames(archive)
        z.writestr("identite.csv", csv_bytes(
            ["nom_naissance", "nom_usage", "prenoms", "sexe", "date_naissance", "ins", "email",
             "telephone"],
            [[patient.birth_name, patient.used_name, patient.first_names, patient.sex,
              patient.birth_date.isoformat(), patient.ins if patient.ins_qualified else "",
              patient.email, patient.phone]]))
        readings = Reading.objects.filter(enrollment__patient=patient).select_related(
            "indicator").order_by("measured_at")
        z.writestr("mesures.csv", csv_bytes(
            ["code", "indicateur", "valeur", "unite", "mesure_le", "saisie_le", "source"],
            [[r.indicator.code, r.indicator.label, r.value, r.indicator.unit,
              r.measured_at.isoformat(), r.entered_at.isoformat(), r.source]
             for r in readings]))
        alerts = Alert.objects.filter(enrollment__patient=patient).select_related("indicator")
        z.writestr("alertes.csv", csv_bytes(
            ["indicateur", "niveau", "statut", "issue", "ouverte_le", "fermee_le"],
            [[a.indicator.label, a.level, a.status, a.outcome, a.opened_at.isoformat(),
              a.closed_at.isoformat() if a.closed_at else ""] for a in alerts]))
        thread = Message.objects.filter(patient=patient).prefetch_related("attachments")
        z.writestr("messages.csv", csv_bytes(
            ["envoye_le", "de", "message", "pieces_jointes"],
            [[m.sent_at.isoformat(), "patient" if m.from_patient else "equipe", m.body,
              " ".join(a.name for a in m.attachments.all())] for m in thread]))
        for m in thread:
            for a in m.attachments.all():
                z.writestr(f"pieces-jointes/{a.pk}-{safe_filename(a.name, a.content_type)}",
                           bytes(a.data))
        for plan in CarePlan.objects.filter(enrollment__patient=patient).exclude(
                status=CarePlan.Status.DRAFT).prefetch_related("items"):
            html = render_to_string("portal/export_care_plan.html", {
                "plan": plan, "patient": patient, "tenant": tenant})
            z.writestr(f"pps/pps-v{plan.version}.pdf", render_pdf(html))
        for letter in Letter.objects.filter(enrollment__patient=patient, pdf__isnull=False):
            z.writestr(f"courriers/{letter.created_at:%Y-%m-%d}-{letter.kind}.pdf",
                       bytes(letter.pdf))
        for q in QuestionnaireResponse.objects.filter(patient=patient):
            z.writestr(f"questionnaires/{q.kind}-{q.answered_at:%Y-%m-%d}.csv",
                       csv_bytes(["question", "reponse"],
                                 [[i + 1, a] for i, a in enumerate(q.answers)]))
    return buf.getvalue()


# --- Retention ------------------------------------------------------------------------------

def retention_due(*, tenant: Tenant, today: date | None = None) -> list:
    """Patients whose every enrollment ended more than ``tenant.retention_years`` ago."""
    from django.db.models import Exists, Max, OuterRef

    from pathways.models import Enrollment, Phase

    today = today or dates.today(tenant)
    limit = date(today.year - tenant.retention_years, today.month, min(today.day, 28))
    with tenant_context(tenant):
        open_ = Enrollment.objects.filter(patient=OuterRef("pk")).exclude(
            phase__in=[Phase.EXITED, Phase.DECLINED])
        return list(Patient.objects.annotate(last_exit=Max("enrollments__exited_on"))
                    .filter(last_exit__lt=limit).exclude(Exists(open_))
                    .exclude(birth_name="ANONYME").order_by("last_exit"))


@transaction.atomic
def anonymise(*, patient: Patient) -> None:
    """Once the retention period is over: the identity goes (and its history), messages and
    attachments go, portal and carer logins close; what remains (pathway dates, readings,
    claims already paid) no longer designates anyone."""
    from engagement.models import Message
    from patients.models import CarerAccess

    with tenant_context(patient.tenant_id):
        row = Patient.objects.select_for_update().get(pk=patient.pk)
        user_id = row.user_id
        for field, value in (("birth_name", "ANONYME"), ("used_name", ""),
                             ("first_names", "-"), ("ins", ""), ("birth_place_code", ""),
                             ("address", ""), ("phone", ""), ("email", ""), ("carer_name", ""),
                             ("carer_phone", ""), ("user", None)):
            setattr(row, field, value)
        row.birth_date = date(row.birth_date.year, 1, 1)
        row.save()
        Patient.history.filter(id=row.pk).delete()
        Message.objects.filter(patient=row).delete()
        carers = list(CarerAccess.objects.filter(patient=row).values_list("user_id",
                                                                           flat=True))
        CarerAccess.objects.filter(patient=row).delete()
    for uid in [u for u in [user_id, *carers] if u]:
        User.objects.filter(pk=uid).update(is_active=False)
