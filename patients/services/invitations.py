"""Portal invitations (a patient's own login, one-time token, 14 days) and carers' access.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from constel.models import Membership, Tenant, User
from constel.roles import Role
from constel.tenancy import tenant_context
from patients.models import (
    Patient,
    PortalInvitation,
)
from patients.services.records import INVITATION_VALIDITY, token_hash

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
