"""The telefollow-up's SQL statements (PostgreSQL; partitioned readings, RLS), in one place.

Plain constants and small functions that spell placeholders: every name is assigned once,
no template is formatted twice. Table and column names come from here or from the models
(``_ALERT_COLUMNS``); tests/telemonitoring/test_sql.py checks the statements' column lists
against the models and their history tables."""

from __future__ import annotations

from constel.access import patient_scope_sql
from constel.db import select_columns
from constel.roles import Role
from pathways.models import Enrollment
from telemonitoring.catalogue import FOLLOWING_PHASES
from telemonitoring.models import Alert, Indicator

#: The enrollment in telefollow-up of a patient login (their own record, or the one a carer's
#: login was given), latest first: constel.access.patients_in_scope for the patient role in
#: one statement, for the API's hot path (the ORM's UNION costs more to build than to run).
#: The follow-up a login posts to without naming a patient: its own record's, and only when
#: the login acts for nobody else (DESIGN §3: a login that is patient and carer always says
#: for whom; nothing is filed by guessing). A carer's login names the patient and takes the
#: checking path (acting_for).
_PHASES = ", ".join(f"'{p.value}'" for p in sorted(FOLLOWING_PHASES))


def _patient_enrollment(tenant: str, login: str) -> str:
    """The statement with its two placeholders spelled by the caller. The patients of the
    login are constel.access's scope (patient_scope_sql), less those it is a carer of."""
    return f"""
SELECT e.* FROM pathways_enrollment e
WHERE e.tenant_id = {tenant} AND e.phase IN ({_PHASES}) AND e.patient_id IN (
    {patient_scope_sql(Role.PATIENT, tenant=tenant, login=login)})
  AND NOT EXISTS (
    SELECT 1 FROM patients_careraccess c
    WHERE c.tenant_id = {tenant} AND c.user_id = {login} AND c.revoked_at IS NULL)
ORDER BY e.created_at DESC
LIMIT 1
"""  # noqa: S608 (placeholders and constants only)


#: Parameters: tenant, login.
_PATIENT_ENROLLMENT_SQL = _patient_enrollment("%(tenant)s::uuid", "%(login)s::bigint")


#: The indicator ``i`` is followed by an active rule of the enrollment ``e`` (SQL condition).
_FOLLOWED_BY_E = """EXISTS (
     SELECT 1 FROM pathways_alertrule ru
     WHERE ru.tenant_id = e.tenant_id AND ru.enrollment_id = e.id AND ru.indicator_id = i.id
       AND ru.active)"""


def _followed_sql(enrollments: str) -> str:
    """Each enrollment of the query ``enrollments`` (alias e) with the indicators among the
    codes (parameter ``codes``) that its active rules follow: one row per indicator, or one row
    with no indicator."""
    return f"""
WITH e AS ({enrollments})
SELECT {select_columns(Enrollment, "e")}, {select_columns(Indicator, "i")}
FROM e LEFT JOIN pathways_indicator i
  ON i.tenant_id = e.tenant_id AND i.code = ANY(%(codes)s::text[]) AND {_FOLLOWED_BY_E}
"""  # noqa: S608 (column names from the models, a constant query)


#: The indicators among some codes that a patient's active rules follow.
_FOLLOWED_SQL = """
SELECT i.* FROM pathways_indicator i
WHERE i.tenant_id = %s AND i.code = ANY(%s) AND EXISTS (
  SELECT 1 FROM pathways_alertrule ru
  WHERE ru.tenant_id = %s AND ru.enrollment_id = %s AND ru.indicator_id = i.id AND ru.active)
"""


#: Columns of a reading, as its historical table repeats them.
_READING_COLUMNS = ("id", "tenant_id", "enrollment_id", "indicator_id", "value", "measured_at",
                    "entered_at", "entered_by_id", "source", "measurement_id", "evaluated_at")


#: Columns of an alert, as its historical table repeats them (from the model:
#: tests/telemonitoring/test_sql.py checks the history table has each).
_ALERT_COLUMNS = tuple(f.column for f in Alert._meta.concrete_fields)


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


#: The readings' columns in the order the ingest statements insert them.
_COLUMNS = ", ".join(_READING_COLUMNS)

#: What follows the readings' insert (CTE ``claimed``) in _INGEST_SQL and
#: _PATIENT_INGEST_SQL: history, rules, alerts.
_INGEST_TAIL = f""", reading_history AS (
  INSERT INTO pathways_historicalreading (history_id, history_date, history_type,
      history_change_reason, history_user_id, history_job, {_COLUMNS})
  SELECT gen_random_uuid(), %(now)s::timestamptz, '+', NULL, %(user)s::bigint,
         %(job)s::text, {_COLUMNS}
  FROM claimed
),{_RULE_CTES}, b AS (
  SELECT bo.id AS reading_id, bo.rule_id, bo.level, c.enrollment_id, c.indicator_id
  FROM bounds bo JOIN claimed c USING (id) WHERE bo.level IS NOT NULL
  UNION ALL
  SELECT ch.id, ch.rule_id, ch.level, c.enrollment_id, c.indicator_id
  FROM change ch JOIN claimed c USING (id)
),{_ATTACH_CTES}"""  # noqa: S608 (constants)

#: A new measurement stored, audited, evaluated and its alerts written in ONE statement
#: (the API's path): the readings are inserted already marked evaluated (no worker or sweep
#: takes them again) with their historical rows, the rules of _RULE_CTES run over them, and
#: their breaches open or raise alerts as _ATTACH_SQL does. One statement is one
#: transaction even in autocommit: stored means evaluated, nothing half-written. Returns the
#: alerts touched (id, level, status, indicator).
_INGEST_SQL = f"""
WITH claimed AS (
  INSERT INTO pathways_reading ({_COLUMNS})
  SELECT n.id, %(tenant)s::uuid, %(enrollment)s::uuid, n.indicator_id, n.value,
         %(measured)s::timestamptz, %(now)s::timestamptz, %(author)s::bigint, %(source)s::text,
         %(measurement)s::uuid, %(now)s::timestamptz
  FROM unnest(%(ids)s::uuid[], %(indicators)s::uuid[], %(values)s::numeric[])
    AS n(id, indicator_id, value)
  RETURNING {_COLUMNS}
){_INGEST_TAIL}
SELECT u.id, u.level, u.status, u.indicator_id FROM upserted u
"""  # noqa: S608 (constants)

#: A patient's own measurement in ONE statement, checks included: their follow-up
#: (_PATIENT_ENROLLMENT), each value's indicator followed by an active rule and the value
#: within its plausible range — all of them, or nothing is inserted (and no row comes back:
#: the caller then takes the path that names the wrong field). Then as _INGEST_SQL. Returns
#: the readings ('r': id, code, unit, indicator, enrollment) and the alerts touched ('a').
_PATIENT_INGEST_SQL = f"""
WITH target AS MATERIALIZED ({_patient_enrollment("%(tenant)s::uuid", "%(login)s::bigint")}),
n AS MATERIALIZED (
  SELECT n.id, e.id AS enrollment_id, i.id AS indicator_id, n.value, i.code, i.unit
  FROM unnest(%(ids)s::uuid[], %(codes)s::text[], %(values)s::numeric[]) AS n(id, code, value)
  JOIN target e ON true
  JOIN pathways_indicator i ON i.tenant_id = e.tenant_id AND i.code = n.code
   AND n.value BETWEEN i.plausible_min AND i.plausible_max
  WHERE {_FOLLOWED_BY_E}
), claimed AS (
  INSERT INTO pathways_reading ({_COLUMNS})
  SELECT n.id, %(tenant)s::uuid, n.enrollment_id, n.indicator_id, n.value,
         %(measured)s::timestamptz, %(now)s::timestamptz, %(author)s::bigint, %(source)s::text,
         %(measurement)s::uuid, %(now)s::timestamptz
  FROM n WHERE (SELECT count(*) FROM n) = cardinality(%(ids)s::uuid[])
  RETURNING {_COLUMNS}
){_INGEST_TAIL}
SELECT 'r', n.id, n.code, n.unit, n.indicator_id, n.enrollment_id FROM claimed JOIN n USING (id)
UNION ALL
SELECT 'a', u.id, u.level, u.status, u.indicator_id, NULL FROM upserted u
"""  # noqa: S608 (constants)


def store_sql(rows: int) -> str:
    """``rows`` new readings and their historical rows (django-simple-history's table, the
    row its signal writes) in one statement; parameters: each row's _READING_COLUMNS, then
    the history's date, user and job."""
    row = "(" + ", ".join(["%s"] * len(_READING_COLUMNS)) + ")"
    return (f"WITH r AS (INSERT INTO pathways_reading ({_COLUMNS}) "  # noqa: S608 (constants)
            f"VALUES {', '.join([row] * rows)} RETURNING {_COLUMNS}) "
            "INSERT INTO pathways_historicalreading (history_id, history_date, history_type, "
            f"history_change_reason, history_user_id, history_job, {_COLUMNS}) "
            f"SELECT gen_random_uuid(), %s, '+', NULL, %s, %s, {_COLUMNS} FROM r")
