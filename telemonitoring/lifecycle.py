"""An alert's life: taken, escalated, closed with an outcome (and the GP letter), and a
reading corrected."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from constel.access import Cap, role_has_cap
from constel.models import User
from constel.tenancy import tenant_context
from pathways.models import Activity, Enrollment
from telemonitoring.ingest import _parse_value
from telemonitoring.models import Alert, AlertNote, Reading

NURSE_OUTCOMES = {Alert.Outcome.NO_ACTION, Alert.Outcome.ADVICE, Alert.Outcome.ERRONEOUS}


PHYSICIAN_OUTCOMES = {Alert.Outcome.ALERT_CONSULTATION, Alert.Outcome.MEDICAL_ACTION,
                      Alert.Outcome.HOSPITALISATION}


CONSULTATION_PROFESSIONS = {"dietitian", "education_nurse", "sports_educator"}


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


#: The moves an alert may make (DESIGN §5). Every change of status goes through
#: alert_transition, which checks this table and saves (a historical row each time).
ALERT_MOVES: dict[str, frozenset[str]] = {
    Alert.Status.OPEN: frozenset({Alert.Status.TAKEN, Alert.Status.ESCALATED,
                                  Alert.Status.CLOSED}),
    Alert.Status.TAKEN: frozenset({Alert.Status.ESCALATED, Alert.Status.CLOSED}),
    Alert.Status.ESCALATED: frozenset({Alert.Status.CLOSED}),
    Alert.Status.CLOSED: frozenset(),
}


def alert_transition(alert: Alert, to: str, **fields) -> Alert:
    """Move a locked ``alert`` to ``to`` with the given fields, or refuse naming its status;
    the save writes the alert's historical row (who and which job: constel.audit)."""
    if to not in ALERT_MOVES[alert.status]:
        raise ValidationError({"status": _("An alert %(from)s cannot become %(to)s.") % {
            "from": Alert.Status(alert.status).label, "to": Alert.Status(to).label}})
    alert.status = to
    for name, value in fields.items():
        setattr(alert, name, value)
    alert.save()
    return alert


#: A note's longest text (a paragraph; a longer one is refused, never cut).
NOTE_MAX = 2000


def _note(alert: Alert, kind: str, by: User | None, text: str = "") -> AlertNote:
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise ValidationError({"note": _("A note holds %(n)s characters at most.")
                               % {"n": NOTE_MAX}})
    return AlertNote.objects.create(tenant_id=alert.tenant_id, alert=alert, kind=kind,
                                    author=by, text=text)


@transaction.atomic
def alert_note_add(*, alert: Alert, by: User, text: str) -> AlertNote:
    """A note on an alert not closed yet (for the coordinating physician once escalated),
    shown in order with its author and time."""
    if not (text or "").strip():
        raise ValidationError({"note": _("Write the note.")})
    with tenant_context(alert.tenant_id):
        alert = _locked(alert)
        if alert.status == Alert.Status.CLOSED:
            raise ValidationError({"status": _("This alert is already closed.")})
        return _note(alert, AlertNote.Kind.NOTE, by, text)


@transaction.atomic
def alert_take(*, alert: Alert, nurse: User) -> Alert:
    with tenant_context(alert.tenant_id):
        alert = _locked(alert)
        if alert.status != Alert.Status.OPEN:
            raise ValidationError({"status": _("This alert is already handled.")})
        return alert_transition(alert, Alert.Status.TAKEN, taken_by=nurse,
                                taken_at=timezone.now())


@transaction.atomic
def alert_escalate(*, alert: Alert, by: User, note: str = "") -> Alert:
    with tenant_context(alert.tenant_id):
        alert = _locked(alert)
        if alert.status not in (Alert.Status.OPEN, Alert.Status.TAKEN):
            raise ValidationError({"status": _("Only an open or taken alert can be "
                                               "escalated.")})
        _note(alert, AlertNote.Kind.ESCALATION, by, note)
        return alert_transition(alert, Alert.Status.ESCALATED, escalated_at=timezone.now(),
                                taken_by=alert.taken_by or by)


def alert_close_check(*, alert: Alert, role: str, outcome: str, gp_involvement: str = "",
                      consultation_profession: str = "") -> None:
    """Whether ``role`` may close ``alert`` with ``outcome`` (a ValidationError naming the
    field if not): asked before the confirmation page, and again under the lock."""
    if outcome not in Alert.Outcome.values or outcome == Alert.Outcome.RESOLVED_BY_READING:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if alert.status == Alert.Status.CLOSED:
        raise ValidationError({"status": _("This alert is already closed.")})
    medical = role_has_cap(role, Cap.ALERT_CLOSE_MEDICAL)
    if alert.status == Alert.Status.ESCALATED and not medical:
        raise ValidationError({"status": _(
            "This alert was escalated to the coordinating physician: only they close it. "
            "Add a note for them instead.")})
    if outcome in PHYSICIAN_OUTCOMES:
        if not medical:
            raise ValidationError({"outcome": _("This outcome is decided by the "
                                                "coordinating physician.")})
        if alert.status != Alert.Status.ESCALATED:
            raise ValidationError({"outcome": _("Escalate the alert first.")})
        if not gp_involvement.strip():
            raise ValidationError({"gp_involvement": _("Record how the GP was involved.")})
    elif alert.status == Alert.Status.OPEN:
        raise ValidationError({"status": _("Take the alert before closing it.")})
    if outcome == Alert.Outcome.ALERT_CONSULTATION \
            and consultation_profession not in CONSULTATION_PROFESSIONS:
        raise ValidationError({"consultation_profession": _(
            "Choose the dietitian, the education nurse or APA.")})


@transaction.atomic
def alert_close(*, alert: Alert, by: User, role: str, outcome: str, note: str = "",
                gp_involvement: str = "", consultation_profession: str = "") -> Alert:
    """Close with an outcome: the nurse alone for no action / advice / erroneous entry; the
    coordinating physician, after escalation, for a consultation, a medical action or a
    hospitalisation, with the GP's involvement recorded."""
    with tenant_context(alert.tenant_id):
        alert = _locked(alert)
        alert_close_check(alert=alert, role=role, outcome=outcome, gp_involvement=gp_involvement,
                          consultation_profession=consultation_profession)
        if outcome == Alert.Outcome.ALERT_CONSULTATION:
            try:
                Activity.objects.create(
                    tenant_id=alert.tenant_id, enrollment_id=alert.enrollment_id,
                    kind=Activity.Kind.ALERT_CONSULTATION, profession=consultation_profession,
                    scheduled_at=timezone.now() + timedelta(days=2), duration_minutes=45,
                    note=_("After an alert"))
            except IntegrityError as exc:  # pragma: no cover - no constraint expected
                raise ValidationError(str(exc)) from exc
        _note(alert, AlertNote.Kind.CLOSING, by, note)
        # The alert's note is the closing one: an escalation note stays the escalation's.
        alert_transition(alert, Alert.Status.CLOSED, outcome=outcome, closed_by=by,
                         closed_at=timezone.now(), note=note.strip(),
                         gp_involvement=gp_involvement)
        if outcome != Alert.Outcome.ERRONEOUS:  # DESIGN §5: every handled alert but these
            from letters.services import letter_create, letter_language

            with letter_language():  # the GP reads French, whatever the author's screen
                enrollment = Enrollment.objects.select_related("patient").get(
                    pk=alert.enrollment_id)
                letter_create(
                    enrollment=enrollment, kind="alert", event_key=alert.pk,
                    subject=_("Alert on %(i)s for %(p)s") % {"i": alert.indicator.label,
                                                             "p": enrollment.patient.display_name},
                    body=_("Dear colleague,\n\nAn alert (%(level)s) on %(i)s opened on %(opened)s "
                           "was handled by the programme's team.\n\nOutcome: %(outcome)s\n"
                           "Note: %(note)s\nYour involvement: %(gp)s")
                    % {"level": alert.level, "i": alert.indicator.label,
                       "opened": f"{dates.local_time(alert.opened_at):%d/%m/%Y %H:%M}",
                       "outcome": alert.get_outcome_display(), "note": alert.note or "—",
                       "gp": gp_involvement or "—"})
        return alert


@transaction.atomic
def reading_correct(*, reading: Reading, value, by: User) -> Reading:
    """Correct a mistyped value: the previous one stays in the reading's history, and the
    corrected reading is evaluated again (its earlier breaches remain on the alert, which the
    nurse closes as an erroneous entry when that is what it was)."""
    with tenant_context(reading.tenant_id):
        reading = Reading.objects.select_for_update().select_related("indicator").get(
            pk=reading.pk)
        reading.value = _parse_value(value, reading.indicator, None, "value")
        reading.evaluated_at = None
        reading._history_user = by
        reading.save()
        reading_id, tenant_id = str(reading.pk), str(reading.tenant_id)
        span = [reading.measured_at.isoformat()] * 2

        def enqueue() -> None:
            from telemonitoring.tasks import evaluate_readings_task

            evaluate_readings_task.delay(tenant_id, [reading_id], span)

        # robust: with the broker down the reading stays stored and unevaluated, and the
        # sweep evaluates it (never a 500 after the commit).
        transaction.on_commit(enqueue, robust=True)
        return reading
