"""The statements' column lists against the models: a field added to Reading or Alert that a
statement does not write (nor its history) fails here, not in production."""

from __future__ import annotations

import re

from telemonitoring import sql
from telemonitoring.models import Alert, Reading


def _columns(model) -> set[str]:
    return {f.column for f in model._meta.concrete_fields}


def _history_columns(model) -> set[str]:
    history = model.history.model
    return {f.column for f in history._meta.concrete_fields
            if not f.column.startswith("history_")}


def test_the_readings_insert_writes_every_column_of_the_model_and_of_its_history():
    assert set(sql._READING_COLUMNS) == _columns(Reading)
    assert set(sql._READING_COLUMNS) == _history_columns(Reading)
    assert len(sql._READING_COLUMNS) == len(set(sql._READING_COLUMNS))


def test_the_alert_history_rows_carry_every_column_of_the_alert():
    assert set(sql._ALERT_COLUMNS) == _columns(Alert) == _history_columns(Alert)


def test_no_statement_keeps_a_template_placeholder():
    for name in ("_PATIENT_ENROLLMENT_SQL", "_FOLLOWED_SQL", "_EVALUATE_SQL", "_ATTACH_SQL",
                 "_INGEST_SQL", "_PATIENT_INGEST_SQL"):
        statement = getattr(sql, name)
        assert not re.search(r"\{[a-z_]+\}", statement), name
    assert not re.search(r"\{[a-z_]+\}", sql.store_sql(2))
