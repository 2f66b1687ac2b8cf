"""Searching people the way a nurse types them (issue #21): accents and case ignored, parts of
names in any order, typos tolerated — PostgreSQL's unaccent and pg_trgm (both "trusted"
extensions: the database's owner creates them), an immutable wrapper so the expression can be
indexed, and a trigram index on the patient's names (patients.search.NAMES_SQL: the same
expression, or the index is not used)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION constel_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""

INDEX = """
CREATE INDEX patient_names_trgm ON patients_patient USING gin (
  constel_unaccent(lower(birth_name || ' ' || used_name || ' ' || first_names)) gin_trgm_ops)
"""


class Migration(migrations.Migration):
    dependencies = [("patients", "0008_row_level_security_carers")]

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS unaccent", migrations.RunSQL.noop),
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", migrations.RunSQL.noop),
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS constel_unaccent(text)"),
        migrations.RunSQL(INDEX, "DROP INDEX IF EXISTS patient_names_trgm"),
    ]
