"""Telefollow-up's writes, one module per concern; the names callers use, gathered here:

- ``catalogue``: the indicators and the rules a PPS sets;
- ``ingest``: a measurement validated, stored and evaluated; the follow-up a login posts to;
- ``evaluation``: set-based evaluation of a batch into alerts;
- ``sweep``: readings left unevaluated, missing data, auto-escalation;
- ``lifecycle``: an alert taken, escalated, closed; a reading corrected;
- ``sql``: every statement, composed once.
"""

from telemonitoring.catalogue import (  # noqa: F401
    FOLLOWING_PHASES,
    FREQUENCY_HOURS,
    LABELS,
    PPS_INDICATORS,
    indicators_load,
    rules_from_care_plan,
)
from telemonitoring.evaluation import _evaluate_sql, evaluate_readings  # noqa: F401
from telemonitoring.ingest import (  # noqa: F401
    FUTURE_TOLERANCE,
    enrollment_of_patient_login,
    following_enrollment,
    measurement_codes,
    patient_ingest_target,
    patient_measurement_ingest,
    reading_record,
    reading_record_evaluated,
)
from telemonitoring.lifecycle import (  # noqa: F401
    CONSULTATION_PROFESSIONS,
    NURSE_OUTCOMES,
    PHYSICIAN_OUTCOMES,
    alert_close,
    alert_close_check,
    alert_escalate,
    alert_note_add,
    alert_take,
    reading_correct,
)
from telemonitoring.sql import _EVALUATE_SQL, _INGEST_SQL  # noqa: F401
from telemonitoring.sweep import SWEEP_LOOKBACK, missing_rules_with_last_reading, sweep  # noqa: F401
