"""Readings in: a measurement validated, stored with its history and evaluated — by a
worker after commit (portal, nurse), in the same statement (the API) — and the follow-up a
patient login posts to."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from constel.db import Prepared, from_row
from constel.models import User
from constel.tenancy import tenant_context
from pathways.models import Enrollment
from telemonitoring import rules
from telemonitoring.catalogue import FOLLOWING_PHASES, number, unit_label
from telemonitoring.models import Alert, Indicator, Reading
from telemonitoring.sql import (
    _FOLLOWED_SQL,
    _INGEST_SQL,
    _PATIENT_ENROLLMENT_SQL,
    _PATIENT_INGEST_SQL,
    _READING_COLUMNS,
    _followed_sql,
    store_sql,
)


def following_enrollment(patient) -> Enrollment | None:
    """The patient's enrollment whose telefollow-up is running (the latest), or None."""
    return (Enrollment.objects.filter(tenant_id=patient.tenant_id, patient=patient,
                                      phase__in=FOLLOWING_PHASES)
            .order_by("-created_at").first())


def enrollment_of_patient_login(*, tenant_id, user_id) -> Enrollment | None:
    """The enrollment a patient login posts readings to without naming the patient (its own
    record's, when it acts for nobody else), or None."""
    params = {"tenant": tenant_id, "login": user_id}
    return next(iter(Enrollment.objects.raw(_PATIENT_ENROLLMENT_SQL, params)), None)


def measurement_codes(indicator_code: str) -> list[str]:
    """The indicators one measurement records: a blood pressure is systolic + diastolic."""
    if indicator_code in ("blood_pressure", "systolic_bp"):
        return ["systolic_bp", "diastolic_bp"]
    return [indicator_code]


#: How far ahead of now a measurement time is still taken (clocks differ): beyond, refused.
FUTURE_TOLERANCE = timedelta(minutes=5)


_PATIENT_TARGET_SQL: Prepared | None = None


def patient_ingest_target(*, tenant_id, user_id, codes: list[str]
                          ) -> tuple[Enrollment | None, dict[str, Indicator]]:
    """The API's hot path, in one query: the enrollment a patient login posts to
    (enrollment_of_patient_login) and {code: indicator} of the ``codes`` its active rules
    follow."""
    from django.db import connection

    global _PATIENT_TARGET_SQL
    if _PATIENT_TARGET_SQL is None:
        _PATIENT_TARGET_SQL = Prepared("constel_patient_ingest_target",
                                       _followed_sql(_PATIENT_ENROLLMENT_SQL))
    with connection.cursor() as cursor:
        _PATIENT_TARGET_SQL.execute(cursor, {"tenant": tenant_id, "login": user_id,
                                             "codes": codes})
        rows = cursor.fetchall()
    if not rows:
        return None, {}
    enrollment = from_row(connection.alias, rows[0], Enrollment)[0]
    skip = len(Enrollment._meta.concrete_fields)  # each row: the enrollment, then an indicator
    indicators = (from_row(connection.alias, row[skip:], Indicator)[0] for row in rows)
    return enrollment, {i.code: i for i in indicators if i is not None}


def typed_number(raw, field: str) -> Decimal:
    """A number as typed (French comma accepted); not a number (nor NaN, Infinity): the
    field's message."""
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, AttributeError) as exc:
        raise ValidationError({field: _("Enter a number, e.g. 72,5.")}) from exc
    if not value.is_finite():
        raise ValidationError({field: _("Enter a number, e.g. 72,5.")})
    return value


def _parse_value(raw, indicator: Indicator, unit: str | None, field: str) -> Decimal:
    value = typed_number(raw, field)
    unit = unit or indicator.unit
    if unit != indicator.unit:
        if unit not in indicator.alt_units:
            raise ValidationError({"unit": _("%(indicator)s is entered in %(units)s.")
                                   % {"indicator": indicator.label,
                                      "units": ", ".join([indicator.unit, *indicator.alt_units])}})
        value = rules.convert(value, unit, target=indicator.unit)
    if not indicator.plausible_min <= value <= indicator.plausible_max:
        u = unit_label(indicator.unit)
        raise ValidationError({field: _("%(v)s %(u)s is not a possible value for %(i)s "
                                        "(between %(lo)s and %(hi)s %(u)s): check the number.")
                               % {"v": number(value), "u": u, "i": indicator.label,
                                  "lo": number(indicator.plausible_min),
                                  "hi": number(indicator.plausible_max)}})
    return value


@transaction.atomic
def reading_record(*, enrollment: Enrollment, indicator_code: str, value, measured_at: datetime,
                   entered_by: User | None, source: str, unit: str | None = None,
                   diastolic=None) -> list[Reading]:
    """Store a measurement (blood pressure: systolic with its diastolic) and enqueue its
    evaluation after commit. Refused whole with a field message when anything is wrong."""
    created = _record(enrollment=enrollment, indicator_code=indicator_code, value=value,
                      measured_at=measured_at, entered_by=entered_by, source=source, unit=unit,
                      diastolic=diastolic)
    ids = [str(r.pk) for r in created]
    tenant_id = str(enrollment.tenant_id)
    span = [measured_at.isoformat()] * 2

    def enqueue() -> None:
        from telemonitoring.tasks import evaluate_readings_task

        evaluate_readings_task.delay(tenant_id, ids, span)

    # robust: with the broker down the reading stays stored and unevaluated, and the
    # sweep evaluates it (never a 500 after the commit).
    transaction.on_commit(enqueue, robust=True)
    return created


def reading_record_evaluated(*, enrollment: Enrollment, **fields) -> tuple[list[Reading],
                                                                          list[Alert]]:
    """The API's path: store the measurement and evaluate it in the same transaction (its
    answer carries the result), so no task is needed — committed means evaluated. Returns
    the readings and the alerts their breaches attached to (id, level, status, indicator).
    The whole write is one statement (_INGEST_SQL)."""
    with tenant_context(enrollment.tenant_id):
        readings = _prepare(enrollment=enrollment, **fields)
        return readings, _ingest(readings, timezone.now())


def _record(**fields) -> list[Reading]:
    readings = _prepare(**fields)
    with tenant_context(readings[0].tenant_id):
        _store(readings)
    return readings


def _followed(enrollment: Enrollment, codes: list[str]) -> dict[str, Indicator]:
    """{code: indicator} of the codes the patient's active rules follow, in one query
    (the API's hot path: a constant statement, nothing to build)."""
    found = Indicator.objects.raw(_FOLLOWED_SQL, [enrollment.tenant_id, codes,
                                                  enrollment.tenant_id, enrollment.pk])
    return {i.code: i for i in found}


def _prepare(*, enrollment: Enrollment, indicator_code: str, value, measured_at: datetime,
             entered_by: User | None, source: str, unit: str | None = None,
             diastolic=None, followed: dict[str, Indicator] | None = None) -> list[Reading]:
    """The readings of one measurement, validated and not yet stored; a ValidationError
    naming the field otherwise. ``followed``: the measurement's indicators that the
    patient's active rules follow, when the caller has them (patient_ingest_target)."""
    now = timezone.now()
    if measured_at > now + FUTURE_TOLERANCE:
        raise ValidationError({"measured_at": _("A reading cannot be in the future.")})
    if source not in Reading.Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    with tenant_context(enrollment.tenant_id):
        if enrollment.phase not in FOLLOWING_PHASES:
            raise ValidationError({"enrollment": _("Telefollow-up has not started for this "
                                                   "patient.")})
        codes = measurement_codes(indicator_code)
        # The indicators the patient's active rules follow, in one query; the catalogue is
        # only read to tell an unknown indicator from one the PPS does not follow.
        indicators = _followed(enrollment, codes) if followed is None else followed
        if len(indicators) != len(codes):
            if Indicator.objects.filter(code__in=codes).count() != len(codes):
                raise ValidationError({"indicator": _("Unknown indicator.")})
            raise ValidationError({"indicator": _("This indicator is not in the patient's "
                                                  "care plan.")})
        values = {codes[0]: _parse_value(value, indicators[codes[0]], unit, "value")}
        if len(codes) == 2:
            if diastolic in (None, ""):
                raise ValidationError({"diastolic": _("Enter both numbers of the blood "
                                                      "pressure.")})
            values["diastolic_bp"] = _parse_value(diastolic, indicators["diastolic_bp"], None,
                                                  "diastolic")
            if values["diastolic_bp"] >= values["systolic_bp"]:
                raise ValidationError({"diastolic": _("The second number (diastolic) must be "
                                                      "lower than the first (systolic).")})
        measurement = Reading._meta.get_field("measurement_id").default()
        return [Reading(
            tenant_id=enrollment.tenant_id, enrollment=enrollment, indicator=indicators[c],
            value=v, measured_at=measured_at, entered_by=entered_by, source=source,
            measurement_id=measurement) for c, v in values.items()]


def _store(readings: list[Reading]) -> None:
    """Insert new readings with their historical rows (django-simple-history's table, the
    same row its signal writes): one statement for the measurement and its history (a
    blood pressure: 1 round trip instead of 4)."""
    from django.db import connection

    from constel.audit import current_actor

    user_id, job = current_actor()
    now = timezone.now()
    params: list = []
    for reading in readings:
        reading.entered_at = now
        params += [getattr(reading, c) for c in _READING_COLUMNS]
    sql = store_sql(len(readings))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, now, user_id, job])
    for reading in readings:
        reading._state.adding = False
        reading._state.db = connection.alias


#: Planned once per connection: planning it took 2.8 ms, running it 0.6 ms (constel.db).
_INGEST = Prepared("constel_reading_ingest", _INGEST_SQL)


_PATIENT_INGEST = Prepared("constel_patient_reading_ingest", _PATIENT_INGEST_SQL)


def patient_measurement_ingest(*, tenant_id, user: User, indicator_code: str, value,
                               measured_at: datetime, diastolic=None
                               ) -> tuple[list[Reading], list[Alert]] | None:
    """A patient's own measurement (API, portal source, no unit given) found, checked,
    stored and evaluated in one statement (_PATIENT_INGEST_SQL; PostgreSQL): (readings,
    alerts) as reading_record_evaluated returns them. None when anything is off — nothing
    was stored; the caller then takes the path that names the field (patient_ingest_target
    and reading_record_evaluated, which also decide every case this one refuses)."""
    from uuid import uuid4

    from django.db import connection

    from constel.audit import current_actor

    now = timezone.now()
    if measured_at > now + FUTURE_TOLERANCE:
        return None
    codes = measurement_codes(indicator_code)
    try:
        values = [typed_number(value, "value")] + (
            [typed_number(diastolic, "diastolic")] if len(codes) == 2 else [])
    except ValidationError:
        return None
    if len(codes) == 2 and values[1] >= values[0]:
        return None
    ids = [uuid4() for _code in codes]
    measurement = Reading._meta.get_field("measurement_id").default()
    actor, job = current_actor()
    with tenant_context(tenant_id), connection.cursor() as cursor:
        _PATIENT_INGEST.execute(cursor, {
            "tenant": tenant_id, "login": user.pk, "ids": ids, "codes": codes,
            "values": values, "measured": measured_at, "now": now, "author": user.pk,
            "source": "portal", "measurement": measurement, "user": actor,
            "job": job})
        rows = cursor.fetchall()
    stored = {row[1]: row for row in rows if row[0] == "r"}
    if not stored:
        return None
    readings = []
    for pk, v in zip(ids, values, strict=True):
        _kind, _id, code, unit, indicator_id, enrollment_id = stored[pk]
        reading = Reading(
            pk=pk, tenant_id=tenant_id, enrollment_id=enrollment_id,
            indicator=Indicator(pk=indicator_id, tenant_id=tenant_id, code=code, unit=unit),
            value=v, measured_at=measured_at, entered_at=now, evaluated_at=now,
            entered_by=user, source="portal", measurement_id=measurement)
        reading._state.adding = False
        reading._state.db = connection.alias
        readings.append(reading)
    return readings, [Alert(pk=pk, tenant_id=tenant_id, level=level, status=state,
                            indicator_id=indicator)
                      for kind, pk, level, state, indicator, _e in rows if kind == "a"]


def _ingest(readings: list[Reading], now: datetime) -> list[Alert]:
    """Run _INGEST_SQL for the readings of one measurement (same enrollment, time, author,
    source and measurement id); they come back stored and marked evaluated at ``now``."""
    from django.db import connection

    from constel.audit import current_actor

    first = readings[0]
    user_id, job = current_actor()
    with connection.cursor() as cursor:
        _INGEST.execute(cursor, {
            "tenant": first.tenant_id, "enrollment": first.enrollment_id,
            "measured": first.measured_at, "now": now, "author": first.entered_by_id,
            "source": first.source, "measurement": first.measurement_id,
            "ids": [r.pk for r in readings], "indicators": [r.indicator_id for r in readings],
            "values": [r.value for r in readings], "user": user_id, "job": job})
        rows = cursor.fetchall()
    for reading in readings:
        reading.entered_at = reading.evaluated_at = now
        reading._state.adding = False
        reading._state.db = connection.alias
    return [Alert(pk=pk, tenant_id=first.tenant_id, level=level, status=state,
                  indicator_id=indicator) for pk, level, state, indicator in rows]
