"""The access policy of DESIGN §3, in one place.

Two questions, always in this order:

1. *Capability*: may this role do this kind of thing at all? A declarative matrix
   role × capability. Missing → 403 (``PermissionDenied``).
2. *Relation to the patient*: is this patient within the user's scope? Other tenant's,
   another GP's, not assigned, objected → 404, exactly as if it did not exist.

Views and API endpoints call :func:`require`, :func:`patients_in_scope` and
:func:`get_patient_or_404`; nothing else checks roles.
"""

from __future__ import annotations

import enum
import uuid
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from constel.roles import COORDINATING_TEAM, Role

if TYPE_CHECKING:
    from constel.models import Membership
    from patients.models import Patient


class Cap(enum.StrEnum):
    """Capabilities. The names say what, the matrix says who."""

    PATIENT_LIST = "patient.list"  # the patient list of the back-office
    PATIENT_IDENTITY = "patient.identity"  # identity and administrative data
    PATIENT_CLINICAL = "patient.clinical"  # the medical record: readings, alerts, notes
    PATIENT_MEDICATION = "patient.medication"  # medication data and reconciliation
    PATIENT_CARE_ITEMS = "patient.care_items"  # PPS items and sessions assigned to oneself
    PATIENT_EDIT = "patient.edit"  # create and edit patients, enrollments
    ACCESS_LOG = "audit.access_log"
    #: a patient's whole record as a ZIP, on the patient's request (RGPD art. 15): DESIGN §3
    #: gives it to the privacy officer only (the patient has their own, on the portal)
    PATIENT_DATA_EXPORT = "patient.data_export"
    BILLING = "billing.statements"
    BILLING_AGGREGATES = "billing.aggregates"
    CONFIG_CLINICAL = "config.clinical"
    CONFIG_TARIFFS = "config.tariffs"
    CONFIG_USERS_SITES = "config.users_sites"
    EVALUATION_DASHBOARD = "evaluation.dashboard"
    EVALUATION_EXPORT = "evaluation.export"
    ENROLLMENT_PROPOSE = "enrollment.propose"  # door (a): a programme physician proposes
    ENROLLMENT_MANAGE = "enrollment.manage"  # agreement by phone, inclusion, exit
    REFERRAL_INBOX = "referral.inbox"  # door (b): the programme's single front door
    PPS_EDIT = "pps.edit"  # draft and edit a PPS version (nurse with the author)
    PPS_ISSUE = "pps.issue"  # sign and issue it: specialist (MONO), coordinating physician
    ACTIVITY_MANAGE = "activity.manage"  # plan sessions, mark them done / missed
    WORKLIST = "worklist.view"
    ALERT_HANDLE = "alert.handle"  # triage, take, escalate, close; readings by phone
    #: close an escalated alert with a medical outcome (consultation, medical action,
    #: hospitalisation): the coordinating physician's decision (DESIGN §5)
    ALERT_CLOSE_MEDICAL = "alert.close_medical"
    DIRECTORY = "directory.view"
    DIRECTORY_EDIT = "directory.edit"
    #: the back-office pages of a patient (record, pathway, PPS editor, call notes,
    #: hospitalisations, lab results): every professional of the programme's team, never
    #: the GP, who has the GP space's summary (DESIGN §3, "the GP's view, precisely")
    BACK_OFFICE = "backoffice.view"
    GP_SPACE = "gp.space"
    PORTAL = "portal.use"
    API = "api.use"


_CLINICAL_TEAM = {
    Cap.PATIENT_LIST, Cap.PATIENT_IDENTITY, Cap.PATIENT_CLINICAL, Cap.PATIENT_MEDICATION,
    Cap.PATIENT_CARE_ITEMS, Cap.PATIENT_EDIT, Cap.API, Cap.DIRECTORY, Cap.BACK_OFFICE,
}
_COORDINATION = {Cap.ENROLLMENT_MANAGE, Cap.REFERRAL_INBOX, Cap.PPS_EDIT, Cap.ACTIVITY_MANAGE,
                 Cap.WORKLIST, Cap.ALERT_HANDLE}

MATRIX: dict[Role, frozenset[Cap]] = {
    Role.NURSE_COORDINATOR: frozenset(_CLINICAL_TEAM | _COORDINATION),
    Role.PHYSICIAN_COORDINATOR: frozenset(
        _CLINICAL_TEAM | _COORDINATION
        | {Cap.CONFIG_CLINICAL, Cap.ENROLLMENT_PROPOSE, Cap.PPS_ISSUE, Cap.ALERT_CLOSE_MEDICAL}
    ),
    Role.CARE_MANAGER: frozenset(_CLINICAL_TEAM | _COORDINATION | {Cap.DIRECTORY_EDIT}),
    Role.SPECIALIST: frozenset(
        _CLINICAL_TEAM - {Cap.PATIENT_EDIT}
        | {Cap.ENROLLMENT_PROPOSE, Cap.PPS_EDIT, Cap.PPS_ISSUE}
    ),
    Role.GP: frozenset({Cap.GP_SPACE, Cap.PATIENT_IDENTITY, Cap.PATIENT_CLINICAL, Cap.API}),
    Role.PHARMACIST: frozenset(
        {Cap.PATIENT_LIST, Cap.PATIENT_IDENTITY, Cap.PATIENT_MEDICATION, Cap.API,
         Cap.BACK_OFFICE}
    ),
    Role.ALLIED_PROFESSIONAL: frozenset(
        {Cap.PATIENT_LIST, Cap.PATIENT_IDENTITY, Cap.PATIENT_CARE_ITEMS, Cap.API,
         Cap.BACK_OFFICE}
    ),
    Role.SECRETARY: frozenset(
        {Cap.PATIENT_LIST, Cap.PATIENT_IDENTITY, Cap.PATIENT_EDIT, Cap.API, Cap.DIRECTORY,
         Cap.BACK_OFFICE,
         Cap.DIRECTORY_EDIT, Cap.ENROLLMENT_MANAGE, Cap.REFERRAL_INBOX, Cap.ACTIVITY_MANAGE}
    ),
    Role.FINANCE: frozenset({Cap.BILLING, Cap.BILLING_AGGREGATES, Cap.CONFIG_TARIFFS, Cap.API}),
    Role.PROGRAMME_MANAGER: frozenset(
        {Cap.BILLING_AGGREGATES, Cap.CONFIG_CLINICAL, Cap.CONFIG_USERS_SITES,
         Cap.EVALUATION_DASHBOARD, Cap.EVALUATION_EXPORT, Cap.DIRECTORY, Cap.DIRECTORY_EDIT}
    ),
    Role.PRIVACY_OFFICER: frozenset({Cap.ACCESS_LOG, Cap.PATIENT_DATA_EXPORT}),
    Role.EVALUATOR: frozenset({Cap.EVALUATION_EXPORT}),
    Role.PATIENT: frozenset({Cap.PORTAL, Cap.API}),
}

#: Roles whose patient scope is every patient of the tenant (identity at least; the privacy
#: officer finds any patient to answer their request, and reads nothing clinical on a page).
_WHOLE_TENANT = COORDINATING_TEAM | {Role.SECRETARY, Role.FINANCE, Role.PRIVACY_OFFICER}
#: Roles that see patients through an assignment (CareAssignment) only.
_ASSIGNED = {Role.SPECIALIST, Role.PHARMACIST, Role.ALLIED_PROFESSIONAL}


def has_cap(membership: Membership | None, cap: Cap) -> bool:
    return membership is not None and membership.is_active and role_has_cap(membership.role, cap)


def role_has_cap(role: str, cap: Cap) -> bool:
    """What the matrix gives a role (a service told the acting role, not a membership)."""
    return cap in MATRIX[Role(role)]


#: Where each role's work is (a role not named starts on the programme's home page): the
#: coordinating physician on the alerts escalated to them, the programme manager on the
#: programme's dashboard.
_LANDING = {
    Role.PATIENT: "portal:home",
    Role.GP: "gp:home",
    Role.PRIVACY_OFFICER: "access_log",
    Role.NURSE_COORDINATOR: "pathways:worklist",
    Role.CARE_MANAGER: "pathways:worklist",
    Role.PHYSICIAN_COORDINATOR: "telemonitoring:alerts",
    Role.PROGRAMME_MANAGER: "evaluation:dashboard",
    Role.FINANCE: "billing:statements",
}


def landing_page(membership) -> str | None:
    """The URL name a member lands on after signing in, or None for the programme's home
    page (the one place that picks a page by role: views ask here)."""
    return _LANDING.get(Role(membership.role))


def require(membership: Membership | None, cap: Cap) -> None:
    """403 when the role lacks the capability (the object is not looked at)."""
    if not has_cap(membership, cap):
        raise PermissionDenied


def sees_whole_tenant(membership: Membership) -> bool:
    """patients_in_scope is every patient of the membership's tenant: a query already
    limited to the tenant needs no patient filter for this role."""
    return Role(membership.role) in _WHOLE_TENANT


def patients_in_scope(membership: Membership, *, clinical: bool = False) -> QuerySet[Patient]:
    """The patients this membership may see at all, by relation (DESIGN §3); ``clinical``:
    those whose clinical data it may see (consents and objections apply)."""
    if clinical:
        return patients_in_scope(membership).filter(clinical_scope_filter(membership))
    Patient = apps.get_model("patients", "Patient")  # noqa: N806 (a model class)

    qs = Patient.objects.for_tenant(membership.tenant_id)
    role = Role(membership.role)
    if role in _WHOLE_TENANT:
        return qs
    if role == Role.GP:
        # Own patients only; objections do not hide the patient (letters still go), they
        # remove online clinical access (see can_see_clinical).
        return qs.filter(gp__user_id=membership.user_id)
    if role in _ASSIGNED:
        return qs.filter(
            assignments__professional__user_id=membership.user_id
        ).distinct()
    if role == Role.PATIENT:
        # The patient's own record, or the one a carer was given a login to: a UNION of
        # two index lookups (an OR with EXISTS would scan every patient of the tenant).
        CarerAccess = apps.get_model("patients", "CarerAccess")  # noqa: N806

        own = Patient.objects.filter(user_id=membership.user_id).order_by().values("pk")
        carer = CarerAccess.objects.filter(user_id=membership.user_id,
                                           revoked_at__isnull=True).order_by().values(
                                               "patient_id")
        return qs.filter(pk__in=own.union(carer))
    return qs.none()


def _table(model: str) -> str:
    return apps.get_model("patients", model)._meta.db_table


def _column(model: str, field: str) -> str:
    return apps.get_model("patients", model)._meta.get_field(field).column


# noqa S608 below: table and column names come from the models, placeholders from the caller.
def patient_scope_sql(role: str, *, tenant: str, login: str, clinical: bool = False) -> str:
    """``patients_in_scope`` (``clinical``: with ``clinical_scope_filter``) as one SQL
    statement selecting patient ids, for the raw statements of a hot path; ``tenant`` and
    ``login`` are the placeholders (or SQL expressions) of the tenant id and the user id.
    Same role sets as the ORM function above, names from the models;
    tests/constel/test_access.py checks both give the same patients for every role."""
    r = Role(role)
    patient = _table("Patient")
    base = f"SELECT p.id FROM {patient} p WHERE p.tenant_id = {tenant}"  # noqa: S608
    if r in _WHOLE_TENANT:
        rows = base
    elif r == Role.GP:
        rows = (f"{base} AND p.{_column('Patient', 'gp')} IN (SELECT pr.id FROM "  # noqa: S608
                f"{_table('Professional')} pr WHERE pr.tenant_id = {tenant} "
                f"AND pr.{_column('Professional', 'user')} = {login})")
    elif r in _ASSIGNED:
        rows = (f"{base} AND p.id IN (SELECT a.{_column('CareAssignment', 'patient')} FROM "  # noqa: S608
                f"{_table('CareAssignment')} a JOIN {_table('Professional')} pr "
                f"ON pr.id = a.{_column('CareAssignment', 'professional')} "
                f"WHERE a.tenant_id = {tenant} AND pr.{_column('Professional', 'user')} = "
                f"{login})")
    elif r == Role.PATIENT:
        # Two index lookups side by side (own record, records as a carer): wrapping them in
        # the base statement's IN made the planner scan every patient of the tenant.
        return (f"SELECT o.id FROM {patient} o WHERE o.tenant_id = {tenant} "  # noqa: S608
                f"AND o.{_column('Patient', 'user')} = {login} UNION ALL "
                f"SELECT c.{_column('CarerAccess', 'patient')} FROM {_table('CarerAccess')} c "
                f"WHERE c.tenant_id = {tenant} AND c.{_column('CarerAccess', 'user')} = {login}"
                f" AND c.revoked_at IS NULL")
    else:
        rows = f"{base} AND FALSE"
    if not clinical or r in COORDINATING_TEAM or r in (Role.PATIENT, Role.SPECIALIST):
        return rows
    if r == Role.GP:
        return f"{rows} AND p.gp_online_access_agreed AND NOT p.objects_to_sharing"
    return f"{rows} AND NOT p.objects_to_sharing"


def acting_for(membership: Membership) -> list[tuple[Patient, bool]]:
    """The patients a patient-role login acts for, as (patient, is_own_record): its own
    record first, then those it is a carer of (DESIGN §3: such a login always says for
    whom; a reading is filed on the one named, never on a guess)."""
    Patient = apps.get_model("patients", "Patient")  # noqa: N806
    CarerAccess = apps.get_model("patients", "CarerAccess")  # noqa: N806

    if Role(membership.role) != Role.PATIENT:
        return []
    own = list(Patient.objects.for_tenant(membership.tenant_id)
               .filter(user_id=membership.user_id))
    cared = list(Patient.objects.for_tenant(membership.tenant_id).filter(
        pk__in=CarerAccess.objects.filter(user_id=membership.user_id, revoked_at__isnull=True)
        .values("patient_id")).exclude(user_id=membership.user_id)
        .order_by("birth_name", "first_names"))
    return [(p, True) for p in own] + [(p, False) for p in cared]


def clinical_scope_filter(membership: Membership) -> Q:
    """Extra condition for clinical data: the patient's consents and objections."""
    role = Role(membership.role)
    if role in COORDINATING_TEAM or role == Role.PATIENT:
        return Q()
    if role == Role.GP:
        return Q(gp_online_access_agreed=True, objects_to_sharing=False)
    # Specialists see patients they assess (assignment = their own acts) even when the
    # patient objects to sharing; nobody else does.
    if role == Role.SPECIALIST:
        return Q()
    return Q(objects_to_sharing=False)


def within_scope(queryset: QuerySet, membership: Membership, *, patient_path: str,
                 clinical: bool = True) -> QuerySet:
    """``queryset`` — already limited to the membership's tenant — limited to the patients
    this membership may see (``clinical``: and whose consents and objections let them see
    clinical data). No filter for a role whose scope is the whole tenant: ``patient IN (every
    patient of the tenant)`` is a semi-join for nothing, and planning it was most of the cost
    of a one-row lookup (7.4 of 7.7 ms for an alert on the 100,000-patient set)."""
    cond = clinical_scope_filter(membership) if clinical else Q()
    if sees_whole_tenant(membership) and not cond:
        return queryset
    return queryset.filter(**{f"{patient_path}__in": patients_in_scope(membership,
                                                                         clinical=clinical)})


def can_see_clinical(membership: Membership, patient: Patient) -> bool:
    if not has_cap(membership, Cap.PATIENT_CLINICAL):
        return False
    cond = clinical_scope_filter(membership)
    if not cond:
        return True
    from constel.tenancy import tenant_context

    with tenant_context(membership.tenant_id, user_id=membership.user_id):
        return patients_in_scope(membership, clinical=True).filter(pk=patient.pk).exists()


def get_patient_or_404(
    request: Any, patient_id: uuid.UUID | str, cap: Cap = Cap.PATIENT_IDENTITY, *,
    reason: str = "",
) -> Patient:
    """The patient, if the capability is held (else 403) and the patient is in scope (else
    404, the same answer as a missing one). The read is written to the access log."""
    membership = getattr(request, "membership", None)
    require(membership, cap)
    qs = patients_in_scope(membership, clinical=cap == Cap.PATIENT_CLINICAL)
    try:
        patient = qs.get(pk=patient_id)
    except (qs.model.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    log_patient_read(request, patient, reason=reason)
    return patient


def log_patient_read(request: Any, patient: Patient, *, reason: str = "") -> None:
    from constel.models import AccessLog

    match = getattr(request, "resolver_match", None)
    AccessLog.objects.create(
        tenant_id=patient.tenant_id,
        user=request.user if request.user.is_authenticated else None,
        patient_id=patient.pk,
        view=(match.view_name if match else "")[:120],
        path=request.path[:500],
        reason=reason[:200],
    )


def membership_required(view_func: Any = None, *, cap: Cap | None = None) -> Any:
    """Decorator for function views: login, an active tenant, and optionally a capability."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.shortcuts import redirect

    def decorator(func: Any) -> Any:
        @wraps(func)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(request, "membership", None) is None:
                return redirect("tenant_choose")
            if cap is not None:
                require(request.membership, cap)
            return func(request, *args, **kwargs)

        wrapper.required_cap = cap  # type: ignore[attr-defined]
        return wrapper

    return decorator(view_func) if view_func is not None else decorator


def object_in_scope(queryset: QuerySet, *, membership: Membership | None, patient_path: str,
                    cap: Cap = Cap.PATIENT_CLINICAL, clinical: bool = True,
                    **lookup: Any) -> Any:
    """An object hanging off a patient (enrollment, PPS, alert, letter…) for a membership,
    the two questions every selector asks: the capability (else 403), then the patient
    within the membership's scope — clinical unless told — (else 404, the same answer as a
    missing object, another tenant's, or a malformed id)."""
    require(membership, cap)
    qs = within_scope(queryset.filter(tenant_id=membership.tenant_id), membership,
                      patient_path=patient_path, clinical=clinical)
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
