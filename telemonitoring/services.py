"""Telefollow-up writes: the indicator catalogue, readings, rules from the PPS, set-based
evaluation into alerts, and the alert lifecycle (DESIGN §5)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from uuid import UUID

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from constel import dates
from constel.db import Prepared, from_row, select_columns
from constel.models import Tenant, User
from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import Activity, CarePlan, Enrollment, Phase
from telemonitoring import rules
from telemonitoring.models import Alert, AlertRule, Indicator, Reading

LABELS = {
    "body_weight": "Poids", "systolic_bp": "Tension systolique",
    "diastolic_bp": "Tension diastolique", "heart_rate": "Fréquence cardiaque",
    "spo2": "Saturation en oxygène (SpO2)", "steps": "Nombre de pas",
    "capillary_glucose": "Glycémie capillaire", "body_temperature": "Température",
    "dyspnoea": "Essoufflement (échelle mMRC 0 à 4)", "wellbeing": "Comment je me sens (0 à 10)",
}
DECIMALS = {"body_weight": 1, "capillary_glucose": 2, "body_temperature": 1}
#: PPS item code → indicators it follows
PPS_INDICATORS = {"blood_pressure": ["systolic_bp", "diastolic_bp"]}
FREQUENCY_HOURS = {"daily": 24, "3/week": 56, "2/week": 84, "weekly": 168}
FOLLOWING_PHASES = {Phase.PPS_DEFINITION, Phase.FOLLOW_UP_Y1, Phase.ANNUAL_UPDATE,
                    Phase.FOLLOW_UP_Y2, Phase.FINAL_ASSESSMENT}


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def indicators_load(*, tenant: Tenant) -> int:
    """The catalogue from reference/constel-action.yaml (LOINC, UCUM, ranges, thresholds)
    plus a dyspnoea score and a "how do you feel" scale."""
    facts = yaml.safe_load((Path(settings.BASE_DIR) / "reference" / "constel-action.yaml")
                           .read_text())["indicators"]
    facts = {k: v for k, v in facts.items() if not v.get("derived")}
    facts["dyspnoea"] = {"loinc": "", "unit": "{score}", "plausible": [0, 4], "warn_high": 3,
                         "crit_high": 4}
    facts["wellbeing"] = {"loinc": "", "unit": "{score}", "plausible": [0, 10], "warn_low": 3}
    with tenant_context(tenant):
        for position, (code, f) in enumerate(facts.items()):
            warn = f.get("warn") or [f.get("warn_low"), f.get("warn_high")]
            crit = f.get("crit") or [f.get("crit_low"), f.get("crit_high")]
            Indicator.objects.update_or_create(tenant=tenant, code=code, defaults={
                "loinc": f.get("loinc", ""), "label": LABELS.get(code, code), "unit": f["unit"],
                "alt_units": ["mmol/L"] if code == "capillary_glucose" else [],
                "decimals": DECIMALS.get(code, 0),
                "plausible_min": _d(f["plausible"][0]), "plausible_max": _d(f["plausible"][1]),
                "warn_low": _d(warn[0]), "warn_high": _d(warn[1]),
                "crit_low": _d(crit[0]), "crit_high": _d(crit[1]),
                "paired_with": {"systolic_bp": "diastolic_bp",
                                "diastolic_bp": "systolic_bp"}.get(code, ""),
                "position": position,
            })
        return Indicator.objects.count()


# --- Rules from the PPS ------------------------------------------------------------------------

@transaction.atomic
def rules_from_care_plan(*, care_plan: CarePlan) -> int:
    """On issue: the PPS's telefollow-up items become the patient's active rules (defaults
    from the catalogue; the author's thresholds in ``details`` win); earlier ones retire."""
    with tenant_context(care_plan.tenant_id):
        catalogue = {i.code: i for i in Indicator.objects.all()}
        AlertRule.objects.filter(enrollment_id=care_plan.enrollment_id, active=True) \
            .update(active=False)
        created = 0
        for item in care_plan.items.filter(kind="telefollow_up"):
            code = item.details.get("indicator") or item.details.get("code") or item.label
            hours = FREQUENCY_HOURS.get(item.details.get("frequency", ""), 24)
            for ind_code in PPS_INDICATORS.get(code, [code]):
                indicator = catalogue.get(ind_code)
                if indicator is None:
                    continue
                t = item.details.get("thresholds", {}).get(ind_code, {})
                AlertRule.objects.create(
                    tenant_id=care_plan.tenant_id, enrollment_id=care_plan.enrollment_id,
                    care_plan=care_plan, indicator=indicator, kind=AlertRule.Kind.BOUNDS,
                    warn_low=_d(t.get("warn_low", indicator.warn_low)),
                    warn_high=_d(t.get("warn_high", indicator.warn_high)),
                    crit_low=_d(t.get("crit_low", indicator.crit_low)),
                    crit_high=_d(t.get("crit_high", indicator.crit_high)))
                AlertRule.objects.create(
                    tenant_id=care_plan.tenant_id, enrollment_id=care_plan.enrollment_id,
                    care_plan=care_plan, indicator=indicator, kind=AlertRule.Kind.MISSING,
                    expected_interval_hours=hours)
                created += 2
                if ind_code == "body_weight" and "2 kg" in item.details.get("rule", ""):
                    AlertRule.objects.create(
                        tenant_id=care_plan.tenant_id, enrollment_id=care_plan.enrollment_id,
                        care_plan=care_plan, indicator=indicator, kind=AlertRule.Kind.CHANGE,
                        amount=Decimal("2.0"), window_hours=72, direction="rise")
                    created += 1
        return created


# --- Readings --------------------------------------------------------------------------------

#: The enrollment in telefollow-up of a patient login (their own record, or the one a carer's
#: login was given), latest first: constel.access.patients_in_scope for the patient role in
#: one statement, for the API's hot path (the ORM's UNION costs more to build than to run).
#: The follow-up a login posts to without naming a patient: its own record's, and only when
#: the login acts for nobody else (DESIGN §3: a login that is patient and carer always says
#: for whom; nothing is filed by guessing). A carer's login names the patient and takes the
#: checking path (acting_for).
_PATIENT_ENROLLMENT = """
SELECT e.* FROM pathways_enrollment e
WHERE e.tenant_id = {tenant} AND e.phase IN ({phases}) AND e.patient_id IN (
    SELECT p.id FROM patients_patient p WHERE p.tenant_id = {tenant} AND p.user_id = {login})
  AND NOT EXISTS (
    SELECT 1 FROM patients_careraccess c
    WHERE c.tenant_id = {tenant} AND c.user_id = {login} AND c.revoked_at IS NULL)
ORDER BY e.created_at DESC
LIMIT 1
"""
_PHASES = ", ".join(f"'{p.value}'" for p in sorted(FOLLOWING_PHASES))
#: Parameters: tenant, tenant, login, tenant, login.
_PATIENT_ENROLLMENT_SQL = _PATIENT_ENROLLMENT.format(tenant="%s", login="%s", phases=_PHASES)


def following_enrollment(patient) -> Enrollment | None:
    """The patient's enrollment whose telefollow-up is running (the latest), or None."""
    return (Enrollment.objects.filter(tenant_id=patient.tenant_id, patient=patient,
                                      phase__in=FOLLOWING_PHASES)
            .order_by("-created_at").first())


def enrollment_of_patient_login(*, tenant_id, user_id) -> Enrollment | None:
    """The enrollment a patient login posts readings to without naming the patient (its own
    record's, when it acts for nobody else), or None."""
    params = [tenant_id, tenant_id, user_id, tenant_id, user_id]
    return next(iter(Enrollment.objects.raw(_PATIENT_ENROLLMENT_SQL, params)), None)


def measurement_codes(indicator_code: str) -> list[str]:
    """The indicators one measurement records: a blood pressure is systolic + diastolic."""
    if indicator_code in ("blood_pressure", "systolic_bp"):
        return ["systolic_bp", "diastolic_bp"]
    return [indicator_code]


#: The indicator ``i`` is followed by an active rule of the enrollment ``e`` (SQL condition).
_FOLLOWED_BY_E = """EXISTS (
     SELECT 1 FROM pathways_alertrule ru
     WHERE ru.tenant_id = e.tenant_id AND ru.enrollment_id = e.id AND ru.indicator_id = i.id
       AND ru.active)"""
#: How far ahead of now a measurement time is still taken (clocks differ): beyond, refused.
FUTURE_TOLERANCE = timedelta(minutes=5)


def _followed_sql(enrollments: str) -> str:
    """Each enrollment of the query ``enrollments`` (alias e) with the indicators among the
    codes (last parameter) that its active rules follow: one row per indicator, or one row
    with no indicator."""
    return f"""
WITH e AS ({enrollments})
SELECT {select_columns(Enrollment, "e")}, {select_columns(Indicator, "i")}
FROM e LEFT JOIN pathways_indicator i
  ON i.tenant_id = e.tenant_id AND i.code = ANY(%s::text[]) AND {_FOLLOWED_BY_E}
"""  # noqa: S608 (column names from the models, a constant query)


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
        _PATIENT_TARGET_SQL.execute(cursor, [tenant_id, tenant_id, user_id, tenant_id, user_id,
                                             codes])
        rows = cursor.fetchall()
    if not rows:
        return None, {}
    enrollment = from_row(connection.alias, rows[0], Enrollment)[0]
    skip = len(Enrollment._meta.concrete_fields)  # each row: the enrollment, then an indicator
    indicators = (from_row(connection.alias, row[skip:], Indicator)[0] for row in rows)
    return enrollment, {i.code: i for i in indicators if i is not None}


def _decimal(raw, field: str) -> Decimal:
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
    value = _decimal(raw, field)
    unit = unit or indicator.unit
    if unit != indicator.unit:
        if unit not in indicator.alt_units:
            raise ValidationError({"unit": _("%(indicator)s is entered in %(units)s.")
                                   % {"indicator": indicator.label,
                                      "units": ", ".join([indicator.unit, *indicator.alt_units])}})
        value = rules.convert(value, unit, target=indicator.unit)
    if not indicator.plausible_min <= value <= indicator.plausible_max:
        raise ValidationError({field: _("%(v)s %(u)s is not a possible value for %(i)s "
                                        "(%(lo)s to %(hi)s): check the number.")
                               % {"v": value, "u": indicator.unit, "i": indicator.label,
                                  "lo": indicator.plausible_min, "hi": indicator.plausible_max}})
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


#: The indicators among some codes that a patient's active rules follow.
_FOLLOWED_SQL = """
SELECT i.* FROM pathways_indicator i
WHERE i.tenant_id = %s AND i.code = ANY(%s) AND EXISTS (
  SELECT 1 FROM pathways_alertrule ru
  WHERE ru.tenant_id = %s AND ru.enrollment_id = %s AND ru.indicator_id = i.id AND ru.active)
"""


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


#: Columns of a reading, as its historical table repeats them.
_READING_COLUMNS = ("id", "tenant_id", "enrollment_id", "indicator_id", "value", "measured_at",
                    "entered_at", "entered_by_id", "source", "measurement_id", "evaluated_at")


def _store(readings: list[Reading]) -> None:
    """Insert new readings with their historical rows (django-simple-history's table, the
    same row its signal writes): one statement for the measurement and its history (a
    blood pressure: 1 round trip instead of 4)."""
    from django.db import connection

    from constel.audit import current_actor

    user_id, job = current_actor()
    now = timezone.now()
    row = "(" + ", ".join(["%s"] * len(_READING_COLUMNS)) + ")"
    params: list = []
    for reading in readings:
        reading.entered_at = now
        params += [getattr(reading, c) for c in _READING_COLUMNS]
    columns = ", ".join(_READING_COLUMNS)
    sql = (f"WITH r AS (INSERT INTO pathways_reading ({columns}) "  # noqa: S608 (constants)
           f"VALUES {', '.join([row] * len(readings))} RETURNING {columns}) "
           "INSERT INTO pathways_historicalreading (history_id, history_date, history_type, "
           f"history_change_reason, history_user_id, history_job, {columns}) "
           f"SELECT gen_random_uuid(), %s, '+', NULL, %s, %s, {columns} FROM r")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, now, user_id, job])
    for reading in readings:
        reading._state.adding = False
        reading._state.db = connection.alias


# --- Evaluation ------------------------------------------------------------------------------

#: Any time: the span of a batch whose measurement times are not known (every partition).
_ANY_TIME = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))


def _span(readings) -> tuple[datetime, datetime]:
    """The measurement times a batch of readings covers: the evaluation's claim then reads
    only their months' partitions (readings are partitioned by month, migration 0023)."""
    times = [r.measured_at for r in readings]
    return min(times), max(times)


def _as_span(measured) -> tuple[datetime, datetime]:
    """(first, last) measurement times, from datetimes or ISO strings (a task's arguments);
    unknown (None): any time."""
    if not measured:
        return _ANY_TIME
    lo, hi = (datetime.fromisoformat(v) if isinstance(v, str) else v for v in measured)
    return lo, hi

def _bounds(rule: AlertRule) -> rules.Bounds:
    return rules.Bounds(rule.warn_low, rule.warn_high, rule.crit_low, rule.crit_high)


#: Columns of an alert, as its historical table repeats them.
_ALERT_COLUMNS = ("id", "tenant_id", "enrollment_id", "rule_id", "indicator_id", "level",
                  "status", "opened_at", "taken_by_id", "taken_at", "escalated_at",
                  "auto_escalated", "closed_by_id", "closed_at", "outcome", "note",
                  "gp_involvement")


def _alert_history(alias: str, history_type: str) -> str:
    """``INSERT … SELECT`` of the historical rows (django-simple-history's table) of the
    alerts ``alias`` names in the statement's FROM; who/what from %(user)s and %(job)s."""
    return (f"  INSERT INTO pathways_historicalalert (history_id, history_date, history_type, "
            f"history_change_reason, history_user_id, history_job, {', '.join(_ALERT_COLUMNS)})"
            f"\n  SELECT gen_random_uuid(), %(now)s::timestamptz, {history_type}, NULL, "
            "%(user)s::bigint, %(job)s::text, "
            + ", ".join(f"{alias}.{c}" for c in _ALERT_COLUMNS))


#: Bounds and window rules over the readings of the CTE ``claimed`` (id, tenant_id,
#: enrollment_id, indicator_id, measured_at, value), and the missing-data alerts of their
#: (enrollment, indicator) pairs resolved with their historical rows. The window's lowest and
#: highest values include the reading itself (``least``/``greatest``): a reading inserted by
#: the same statement is not yet visible to the window's scan.
_RULE_CTES = """
bounds AS (
  SELECT c.id, ru.id AS rule_id, CASE
      WHEN (ru.crit_high IS NOT NULL AND c.value >= ru.crit_high)
        OR (ru.crit_low IS NOT NULL AND c.value <= ru.crit_low) THEN 'critical'
      WHEN (ru.warn_high IS NOT NULL AND c.value >= ru.warn_high)
        OR (ru.warn_low IS NOT NULL AND c.value <= ru.warn_low) THEN 'warning' END AS level
  FROM claimed c
  JOIN pathways_alertrule ru
    ON ru.tenant_id = c.tenant_id AND ru.enrollment_id = c.enrollment_id
   AND ru.indicator_id = c.indicator_id AND ru.active AND ru.kind = 'bounds'
), change AS (
  SELECT c.id, ru.id AS rule_id, 'warning' AS level
  FROM claimed c
  JOIN pathways_alertrule ru
    ON ru.tenant_id = c.tenant_id AND ru.enrollment_id = c.enrollment_id
   AND ru.indicator_id = c.indicator_id AND ru.active AND ru.kind = 'change'
  JOIN LATERAL (
    SELECT least(min(h.value), c.value) AS lo, greatest(max(h.value), c.value) AS hi
    FROM pathways_reading h
    WHERE h.tenant_id = c.tenant_id AND h.enrollment_id = c.enrollment_id
      AND h.indicator_id = c.indicator_id
      AND h.measured_at BETWEEN c.measured_at - make_interval(hours => ru.window_hours)
                            AND c.measured_at
  ) w ON true
  WHERE (ru.direction <> 'fall' AND c.value - w.lo >= ru.amount)
     OR (ru.direction = 'fall' AND w.hi - c.value >= ru.amount)
), resolved AS (
  -- a new reading resolves the missing-data alert of its indicator (no GP letter)
  UPDATE pathways_alert a
  SET status = 'closed', outcome = 'resolved_by_reading', closed_at = %(now)s
  FROM pathways_alertrule ru
  WHERE ru.id = a.rule_id AND ru.kind = 'missing' AND NOT (a.status = 'closed')
    AND (a.enrollment_id, a.indicator_id) IN (SELECT enrollment_id, indicator_id FROM claimed)
  RETURNING a.*
), resolved_history AS (
""" + _alert_history("r", "'~'") + """
  FROM resolved r
)
"""  # noqa: S608 (constant pieces only: _alert_history builds no value into it)

#: Claim, bounds and window rules in one statement (PostgreSQL): the UPDATE marks the batch
#: evaluated (row locks make a concurrent worker skip it; a HOT update, see migration 0011),
#: both rule kinds run over the claimed rows, the missing-data alerts of the claimed
#: (enrollment, indicator) pairs are resolved (with their historical rows), and only the
#: breaches ("b") and the pairs claimed ("p") come back.
_EVALUATE_SQL = """
WITH claimed AS MATERIALIZED (
  UPDATE pathways_reading SET evaluated_at = %(now)s
  WHERE id = ANY(%(ids)s) AND measured_at BETWEEN %(lo)s AND %(hi)s AND evaluated_at IS NULL
  RETURNING id, tenant_id, enrollment_id, indicator_id, measured_at, value
),""" + _RULE_CTES + """
SELECT 'b', b.id, b.rule_id, b.level, c.enrollment_id, c.indicator_id
FROM bounds b JOIN claimed c USING (id) WHERE b.level IS NOT NULL
UNION ALL
SELECT 'b', ch.id, ch.rule_id, ch.level, c.enrollment_id, c.indicator_id
FROM change ch JOIN claimed c USING (id)
UNION ALL
SELECT DISTINCT 'p', NULL::uuid, NULL::uuid, NULL, enrollment_id, indicator_id FROM claimed
"""  # noqa: S608 (constant pieces only: _alert_history builds no value into it)


def _evaluate_sql(reading_ids: list, now: datetime | None = None,
                  measured=None) -> tuple[list[tuple], set[tuple]]:
    """One round trip: the breaches as (reading, rule, level, enrollment, indicator), and
    the (enrollment, indicator) pairs claimed. ``measured``: the batch's (first, last)
    measurement times, so the claim reads only their partitions."""
    from django.db import connection

    from constel.audit import current_actor

    user_id, job = current_actor()
    now = now or timezone.now()
    with connection.cursor() as cursor:
        if len(reading_ids) > 100:
            # A batch claims its readings by primary key: thousands of ids out of millions.
            # With the default random_page_cost (4, spinning disks) the planner reads the
            # whole table instead (92 of the 218 ms of a 10,000-reading batch on 1M rows);
            # 1.1 is the usual value for SSDs, for this transaction only.
            cursor.execute("SET LOCAL random_page_cost = 1.1")
        lo, hi = _as_span(measured)
        cursor.execute(_EVALUATE_SQL, {"now": now, "ids": list(reading_ids), "lo": lo,
                                       "hi": hi, "user": user_id, "job": job})
        rows = cursor.fetchall()
    return ([row[1:] for row in rows if row[0] == "b"],
            {row[4:] for row in rows if row[0] == "p"})


@transaction.atomic
def evaluate_readings(*, tenant_id, reading_ids: list, measured=None) -> int:
    """Evaluate new readings against their patients' active rules, set-based: the batch is
    claimed in one statement, bounds rules run in one SQL statement on PostgreSQL, window
    rules need one query for the history; a constant number of queries whatever the batch
    size. Idempotent (claimed once; AlertEvent unique per reading × rule; one open alert per
    rule). ``measured``: the readings' (first, last) measurement times when known (the
    claim then reads only their months' partitions). Returns the number of new breach
    events."""
    tenant_id = tenant_id if isinstance(tenant_id, UUID) else UUID(str(tenant_id))  # a task's
    with tenant_context(tenant_id):
        return _evaluate(tenant_id, reading_ids, measured=measured)


def _evaluate(tenant_id, reading_ids: list, *, alerts: list | None = None,
              now: datetime | None = None, measured=None) -> int:
    """evaluate_readings' work, inside the caller's transaction and tenant context: the
    readings claimed are marked evaluated at ``now``; the alerts touched are appended to
    ``alerts`` when given."""
    if not reading_ids:
        return 0
    found, pairs = _evaluate_sql(reading_ids, now, measured)
    if not pairs:
        return 0
    return _attach(tenant_id, found, alerts=alerts)


#: The alerts and events of the breaches in the CTE ``b`` (reading_id, rule_id, level,
#: enrollment_id, indicator_id); see _ATTACH_SQL.
_ATTACH_CTES = """
worst AS (
  SELECT rule_id, min(enrollment_id::text)::uuid AS enrollment_id,
         min(indicator_id::text)::uuid AS indicator_id,
         CASE WHEN bool_or(level = 'critical') THEN 'critical' ELSE 'warning' END AS level
  FROM b GROUP BY rule_id
), before AS (
  SELECT a.rule_id, a.level FROM pathways_alert a
  WHERE a.rule_id IN (SELECT rule_id FROM worst) AND NOT (a.status = 'closed')
), upserted AS (
  INSERT INTO pathways_alert AS a (id, tenant_id, enrollment_id, rule_id, indicator_id, level,
      status, opened_at, auto_escalated, outcome, note, gp_involvement)
  SELECT gen_random_uuid(), %(tenant)s::uuid, w.enrollment_id, w.rule_id, w.indicator_id,
         w.level, 'open', %(now)s::timestamptz, false, '', '', ''
  FROM worst w ORDER BY w.rule_id
  ON CONFLICT (tenant_id, rule_id) WHERE NOT (status = 'closed')
  DO UPDATE SET level = CASE WHEN excluded.level = 'critical' THEN 'critical' ELSE a.level END
  RETURNING a.*
), history AS (
""" + _alert_history("u", "CASE WHEN bf.rule_id IS NULL THEN '+' ELSE '~' END") + """
  FROM upserted u LEFT JOIN before bf ON bf.rule_id = u.rule_id
  WHERE bf.rule_id IS NULL OR bf.level IS DISTINCT FROM u.level
), events AS (
  INSERT INTO pathways_alertevent (id, tenant_id, alert_id, rule_id, reading_id, level, at)
  SELECT gen_random_uuid(), %(tenant)s::uuid, u.id, b.rule_id, b.reading_id, b.level,
         %(now)s::timestamptz
  FROM b JOIN upserted u ON u.rule_id = b.rule_id
  ON CONFLICT DO NOTHING
  RETURNING 1
)
"""  # noqa: S608 (constant pieces only)

#: Alerts and events in one statement (PostgreSQL): the worst level per rule; one open alert
#: per rule, opened or reused through the partial unique index (ON CONFLICT locks the row,
#: as SELECT … FOR UPDATE did) and raised to critical when a breach is critical; a historical
#: row for each alert opened or raised (who/what: the acting user and job, as the ORM's
#: history does); the events, a reading × rule once (ON CONFLICT DO NOTHING: a redelivered
#: task adds nothing). Returns the number of new events.
_ATTACH_SQL = """
WITH b AS (
  SELECT * FROM unnest(%(readings)s::uuid[], %(rules)s::uuid[], %(levels)s::text[],
                       %(enrollments)s::uuid[], %(indicators)s::uuid[])
    AS b(reading_id, rule_id, level, enrollment_id, indicator_id)
),""" + _ATTACH_CTES + """
SELECT (SELECT count(*) FROM events), u.id, u.level, u.status, u.indicator_id
FROM upserted u
"""  # noqa: S608 (constant pieces only)


#: A new measurement stored, audited, evaluated and its alerts written in ONE statement
#: (PostgreSQL; the API's path): the readings are inserted already marked evaluated (no
#: worker or sweep takes them again) with their historical rows, the rules of _RULE_CTES run
#: over them, and their breaches open or raise alerts as _ATTACH_SQL does. One statement is
#: one transaction even in autocommit: stored means evaluated, nothing half-written.
#: Returns the alerts touched (id, level, status, indicator).
_INGEST_SQL = """
WITH claimed AS (
  INSERT INTO pathways_reading ({columns})
  SELECT n.id, %(tenant)s::uuid, %(enrollment)s::uuid, n.indicator_id, n.value,
         %(measured)s::timestamptz, %(now)s::timestamptz, %(author)s::bigint, %(source)s::text,
         %(measurement)s::uuid, %(now)s::timestamptz
  FROM unnest(%(ids)s::uuid[], %(indicators)s::uuid[], %(values)s::numeric[])
    AS n(id, indicator_id, value)
  RETURNING {columns}
){tail}
SELECT u.id, u.level, u.status, u.indicator_id FROM upserted u
"""

#: What follows the readings' insert (CTE ``claimed``) in _INGEST_SQL and
#: _PATIENT_INGEST_SQL: history, rules, alerts.
_INGEST_TAIL = """, reading_history AS (
  INSERT INTO pathways_historicalreading (history_id, history_date, history_type,
      history_change_reason, history_user_id, history_job, {columns})
  SELECT gen_random_uuid(), %(now)s::timestamptz, '+', NULL, %(user)s::bigint,
         %(job)s::text, {columns}
  FROM claimed
),{rule_ctes}, b AS (
  SELECT bo.id AS reading_id, bo.rule_id, bo.level, c.enrollment_id, c.indicator_id
  FROM bounds bo JOIN claimed c USING (id) WHERE bo.level IS NOT NULL
  UNION ALL
  SELECT ch.id, ch.rule_id, ch.level, c.enrollment_id, c.indicator_id
  FROM change ch JOIN claimed c USING (id)
),{attach_ctes}"""
_INGEST_TAIL = _INGEST_TAIL.format(columns=", ".join(_READING_COLUMNS), rule_ctes=_RULE_CTES,
                                   attach_ctes=_ATTACH_CTES)
_INGEST_SQL = _INGEST_SQL.format(columns=", ".join(_READING_COLUMNS),  # noqa: S608 (constants)
                                 tail=_INGEST_TAIL)

#: A patient's own measurement in ONE statement, checks included: their follow-up
#: (_PATIENT_ENROLLMENT), each value's indicator followed by an active rule and the value
#: within its plausible range — all of them, or nothing is inserted (and no row comes back:
#: the caller then takes the path that names the wrong field). Then as _INGEST_SQL. Returns
#: the readings ('r': id, code, unit, indicator, enrollment) and the alerts touched ('a').
_PATIENT_INGEST_SQL = """
WITH target AS MATERIALIZED ({enrollment}), n AS MATERIALIZED (
  SELECT n.id, e.id AS enrollment_id, i.id AS indicator_id, n.value, i.code, i.unit
  FROM unnest(%(ids)s::uuid[], %(codes)s::text[], %(values)s::numeric[]) AS n(id, code, value)
  JOIN target e ON true
  JOIN pathways_indicator i ON i.tenant_id = e.tenant_id AND i.code = n.code
   AND n.value BETWEEN i.plausible_min AND i.plausible_max
  WHERE {followed}
), claimed AS (
  INSERT INTO pathways_reading ({columns})
  SELECT n.id, %(tenant)s::uuid, n.enrollment_id, n.indicator_id, n.value,
         %(measured)s::timestamptz, %(now)s::timestamptz, %(author)s::bigint, %(source)s::text,
         %(measurement)s::uuid, %(now)s::timestamptz
  FROM n WHERE (SELECT count(*) FROM n) = cardinality(%(ids)s::uuid[])
  RETURNING {columns}
){tail}
SELECT 'r', n.id, n.code, n.unit, n.indicator_id, n.enrollment_id FROM claimed JOIN n USING (id)
UNION ALL
SELECT 'a', u.id, u.level, u.status, u.indicator_id, NULL FROM upserted u
""".format(enrollment=_PATIENT_ENROLLMENT.format(  # noqa: S608 (constants)
    tenant="%(tenant)s::uuid", login="%(login)s::bigint", phases=_PHASES),
    followed=_FOLLOWED_BY_E, columns=", ".join(_READING_COLUMNS), tail=_INGEST_TAIL)


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
        values = [_decimal(value, "value")] + (
            [_decimal(diastolic, "diastolic")] if len(codes) == 2 else [])
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


def _attach(tenant_id, breaches: list[tuple], *, alerts: list | None = None) -> int:
    """Open (or reuse) one alert per rule, raise its level, record the events (a reading ×
    rule once: a redelivered task adds nothing). ``breaches``: (reading, rule, level,
    enrollment, indicator). Returns the number of new events; the alerts touched are
    appended to ``alerts`` when given (id, level, status and indicator set)."""
    from django.db import connection

    from constel.audit import current_actor

    if not breaches:
        return 0
    now = timezone.now()
    user_id, job = current_actor()
    with connection.cursor() as cursor:
        cursor.execute(_ATTACH_SQL, {
            "tenant": tenant_id, "now": now, "user": user_id, "job": job,
            "readings": [b[0] for b in breaches], "rules": [b[1] for b in breaches],
            "levels": [b[2] for b in breaches], "enrollments": [b[3] for b in breaches],
            "indicators": [b[4] for b in breaches]})
        rows = cursor.fetchall()
    if alerts is not None:
        alerts.extend(Alert(pk=pk, tenant_id=tenant_id, level=level, status=state,
                            indicator_id=indicator) for _n, pk, level, state, indicator
                      in rows)
    return rows[0][0] if rows else 0


#: How far back the sweep looks for readings no worker evaluated (BRIN range on entered_at);
#: the sweep runs every 5 minutes, so this covers a fortnight of outage.
SWEEP_LOOKBACK = timedelta(days=14)


def sweep(*, tenant: Tenant, now: datetime | None = None) -> dict:
    """Periodic: evaluate readings left unevaluated (a crashed worker, a lost message),
    raise missing-data alerts, escalate critical alerts not taken in time."""
    now = now or timezone.now()
    with tenant_context(tenant):
        stale = list(Reading.objects.filter(evaluated_at__isnull=True,
                                            entered_at__gte=now - SWEEP_LOOKBACK,
                                            entered_at__lte=now - timedelta(seconds=30))
                     .only("pk", "measured_at")[:5000])
        evaluated = evaluate_readings(tenant_id=tenant.pk, reading_ids=[r.pk for r in stale],
                                      measured=_span(stale)) if stale else 0
        missing = _sweep_missing(tenant, now)
        escalated = _auto_escalate(tenant, now)
        return {"late_evaluations": len(stale), "breaches": evaluated, "missing": missing,
                "escalated": escalated}


def missing_rules_with_last_reading(now: datetime) -> tuple[list[AlertRule], set]:
    """The active missing-data rules of the patients followed, each with ``last_reading``,
    and the ids of those with no reading in their window but an older one (breached
    whatever its exact time). Two queries and an aggregate, whatever the number of rules."""
    followed = AlertRule.objects.filter(kind=AlertRule.Kind.MISSING, active=True,
                                        enrollment__phase__in=FOLLOWING_PHASES)
    # The widest window of these rules (interval × tolerance): a reading older than that
    # breaches every rule, whatever its exact time.
    longest = followed.aggregate(h=Max(Coalesce("expected_interval_hours", Value(24))
                                       * F("tolerance")))["h"]
    if longest is None:
        return [], set()
    horizon = now - timedelta(hours=float(longest), minutes=1)
    pair = {"enrollment_id": OuterRef("enrollment_id"), "indicator_id": OuterRef("indicator_id")}
    # The last reading within the widest window: one backward probe of the index of the
    # month or two it covers (LIMIT 1 per rule; readings are partitioned by month), not an
    # aggregate over every reading of the patients followed (bench/README.md).
    last = Reading.objects.filter(measured_at__gte=horizon,
                                  measured_at__lte=now + timedelta(days=1), **pair) \
        .order_by("-measured_at").values("measured_at")[:1]
    # Only the columns the sweep reads: a 10,000-patient programme has ~33,000 such rules,
    # and turning them into objects costs more than finding them (bench/README.md).
    found = list(followed.only("id", "enrollment_id", "indicator_id", "created_at",
                               "expected_interval_hours", "tolerance")
                 .annotate(last_reading=Subquery(last)))
    # Only for the rules with no reading in the window (patients who stopped, or never
    # started): does any older reading exist? (every month's index, a few rules)
    quiet = [rule.pk for rule in found if rule.last_reading is None]
    read_before = set(AlertRule.objects.filter(pk__in=quiet).filter(Exists(
        Reading.objects.filter(measured_at__lt=horizon, **pair))).values_list(
        "pk", flat=True)) if quiet else set()
    return found, read_before


@transaction.atomic
def _sweep_missing(tenant: Tenant, now: datetime) -> int:
    missing_rules, read_before = missing_rules_with_last_reading(now)
    breaches = []
    for rule in missing_rules:
        if rule.pk in read_before or rules.missing_breached(
                rule.last_reading, rule.created_at, now,
                timedelta(hours=rule.expected_interval_hours or 24), rule.tolerance):
            breaches.append(rule)
    already = set(Alert.objects.filter(rule_id__in=[r.pk for r in breaches])
                  .exclude(status=Alert.Status.CLOSED).values_list("rule_id", flat=True))
    fresh = [rule for rule in breaches if rule.pk not in already]
    _attach(tenant.pk, [(None, rule.pk, rules.WARNING, rule.enrollment_id, rule.indicator_id)
                        for rule in fresh])
    _remind_patients(fresh)
    return len(fresh)


def _remind_patients(missing_rules: list[AlertRule]) -> None:
    """One reminder per new missing-data alert, by SMS (or e-mail without a phone)."""
    from django.core.mail import send_mail

    from constel.sms import send_sms

    if not missing_rules:
        return
    labels = dict(Indicator.objects.filter(pk__in={r.indicator_id for r in missing_rules})
                  .values_list("pk", "label"))
    by_enrollment: dict = defaultdict(list)
    for rule in missing_rules:
        by_enrollment[rule.enrollment_id].append(labels[rule.indicator_id])
    for enrollment in Enrollment.objects.filter(pk__in=by_enrollment).select_related("patient"):
        patient = enrollment.patient
        body = _("Reminder from your care team: please enter your %(what)s on your follow-up "
                 "space.") % {"what": ", ".join(sorted(by_enrollment[enrollment.pk])).lower()}
        if not send_sms(to=patient.phone, body=body) and patient.email:
            transaction.on_commit(lambda b=body, e=patient.email: send_mail(
                _("Reminder: readings to enter"), b, None, [e]))


@transaction.atomic
def _auto_escalate(tenant: Tenant, now: datetime) -> int:
    delay = timedelta(minutes=tenant.critical_alert_delay_minutes)
    return Alert.objects.filter(status=Alert.Status.OPEN, level=rules.CRITICAL,
                                opened_at__lte=now - delay).update(
        status=Alert.Status.ESCALATED, escalated_at=now, auto_escalated=True)


# --- Lifecycle ---------------------------------------------------------------------------------

NURSE_OUTCOMES = {Alert.Outcome.NO_ACTION, Alert.Outcome.ADVICE, Alert.Outcome.ERRONEOUS}
PHYSICIAN_OUTCOMES = {Alert.Outcome.ALERT_CONSULTATION, Alert.Outcome.MEDICAL_ACTION,
                      Alert.Outcome.HOSPITALISATION}
CONSULTATION_PROFESSIONS = {"dietitian", "education_nurse", "sports_educator"}


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


@transaction.atomic
def alert_take(*, alert: Alert, nurse: User) -> Alert:
    with tenant_context(alert.tenant_id):
        alert = _locked(alert)
        if alert.status != Alert.Status.OPEN:
            raise ValidationError({"status": _("This alert is already handled.")})
        alert.status, alert.taken_by, alert.taken_at = Alert.Status.TAKEN, nurse, timezone.now()
        alert.save()
        return alert


@transaction.atomic
def alert_escalate(*, alert: Alert, by: User, note: str = "") -> Alert:
    with tenant_context(alert.tenant_id):
        alert = _locked(alert)
        if alert.status not in (Alert.Status.OPEN, Alert.Status.TAKEN):
            raise ValidationError({"status": _("Only an open or taken alert can be "
                                               "escalated.")})
        alert.status, alert.escalated_at = Alert.Status.ESCALATED, timezone.now()
        alert.taken_by = alert.taken_by or by
        if note:
            alert.note = note
        alert.save()
        return alert


@transaction.atomic
def alert_close(*, alert: Alert, by: User, role: str, outcome: str, note: str = "",
                gp_involvement: str = "", consultation_profession: str = "") -> Alert:
    """Close with an outcome: the nurse alone for no action / advice / erroneous entry; the
    coordinating physician, after escalation, for a consultation, a medical action or a
    hospitalisation, with the GP's involvement recorded."""
    if outcome not in Alert.Outcome.values or outcome == Alert.Outcome.RESOLVED_BY_READING:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    with tenant_context(alert.tenant_id):
        alert = _locked(alert)
        if alert.status == Alert.Status.CLOSED:
            raise ValidationError({"status": _("This alert is already closed.")})
        if outcome in PHYSICIAN_OUTCOMES:
            if role != Role.PHYSICIAN_COORDINATOR:
                raise ValidationError({"outcome": _("This outcome is decided by the "
                                                    "coordinating physician.")})
            if alert.status != Alert.Status.ESCALATED:
                raise ValidationError({"outcome": _("Escalate the alert first.")})
            if not gp_involvement.strip():
                raise ValidationError({"gp_involvement": _("Record how the GP was involved.")})
        elif alert.status == Alert.Status.OPEN:
            raise ValidationError({"status": _("Take the alert before closing it.")})
        if outcome == Alert.Outcome.ALERT_CONSULTATION:
            if consultation_profession not in CONSULTATION_PROFESSIONS:
                raise ValidationError({"consultation_profession": _(
                    "Choose the dietitian, the education nurse or APA.")})
            try:
                Activity.objects.create(
                    tenant_id=alert.tenant_id, enrollment_id=alert.enrollment_id,
                    kind=Activity.Kind.ALERT_CONSULTATION, profession=consultation_profession,
                    scheduled_at=timezone.now() + timedelta(days=2), duration_minutes=45,
                    note=_("After an alert"))
            except IntegrityError as exc:  # pragma: no cover - no constraint expected
                raise ValidationError(str(exc)) from exc
        alert.status, alert.outcome = Alert.Status.CLOSED, outcome
        alert.closed_by, alert.closed_at = by, timezone.now()
        alert.note, alert.gp_involvement = note or alert.note, gp_involvement
        alert.save()
        if outcome != Alert.Outcome.ERRONEOUS:  # DESIGN §5: every handled alert but these
            from pathways.services.letters import letter_create

            enrollment = Enrollment.objects.select_related("patient").get(pk=alert.enrollment_id)
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
