"""Readings partitioned by month (issue #10), PostgreSQL only.

``pathways_reading`` becomes ``PARTITION BY RANGE (measured_at)``: one partition per calendar
month (UTC), named ``pathways_reading_yYYYYmMM``, and a DEFAULT partition as the safety net
(an insert never fails when the job creating partitions is late; the rows move into their
month's partition when it is created). A unique key of a partitioned table must contain the
partition column: the primary key becomes ``(id, measured_at)`` (Django still addresses a
reading by ``id``, a random UUID), so the foreign key from ``AlertEvent.reading`` goes (the
ORM still cascades). Row-level security: the policy on the parent applies to every query
through it, and each partition gets its own forced policy (the application role may read a
partition directly).

Partitions are created ahead by ``constel_reading_partitions(first_month, months_ahead)``, a
SECURITY DEFINER function owned by the table owner, which the application role may execute:
the Celery beat job (``pathways.reading_partitions``) needs no owner credentials. Detaching
old partitions for archiving stays an operator's act (``manage.py reading_partitions
--detach-before``, as the owner).
"""

import re

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from constel.tenancy import TENANT_PREDICATE, enable_rls_sql

#: Months created ahead by the migration (the beat job keeps the same lead).
AHEAD = 3

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION constel_reading_partitions(first_month date, months_ahead integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
  m date := date_trunc('month', first_month)::date;
  last_month date := (date_trunc('month', now() AT TIME ZONE 'UTC')
                      + make_interval(months => months_ahead))::date;
  lo timestamptz;
  hi timestamptz;
  part text;
  cols text;
  created integer := 0;
BEGIN
  IF months_ahead < 0 OR months_ahead > 24 THEN
    RAISE EXCEPTION 'months_ahead must be between 0 and 24, not %', months_ahead;
  END IF;
  IF first_month < (now() - interval '10 years')::date THEN
    RAISE EXCEPTION 'first_month % is more than ten years back', first_month;
  END IF;
  -- one creator at a time (the beat job and an operator's command may meet)
  PERFORM pg_advisory_xact_lock(hashtext('constel_reading_partitions'));
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
  FROM pg_attribute
  WHERE attrelid = 'pathways_reading'::regclass AND attnum > 0 AND NOT attisdropped;
  WHILE m <= last_month LOOP
    part := format('pathways_reading_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
    IF to_regclass(part) IS NULL THEN
      lo := m::timestamp AT TIME ZONE 'UTC';
      hi := (m + interval '1 month')::timestamp AT TIME ZONE 'UTC';
      -- rows of that month that went to the default partition are set aside (the owner
      -- reads them all: row-level security is lifted on the default partition for this
      -- transaction only), the partition is created empty and attached (no foreign-key
      -- scan: that one would run under row-level security), then the rows go in (each
      -- checked by the foreign keys' triggers, which see every tenant's keys).
      ALTER TABLE pathways_reading_default NO FORCE ROW LEVEL SECURITY;
      CREATE TEMPORARY TABLE constel_moving (LIKE pathways_reading) ON COMMIT DROP;
      EXECUTE format('WITH moved AS (DELETE FROM pathways_reading_default '
                     'WHERE measured_at >= %L AND measured_at < %L RETURNING %s) '
                     'INSERT INTO constel_moving (%s) SELECT %s FROM moved',
                     lo, hi, cols, cols, cols);
      ALTER TABLE pathways_reading_default FORCE ROW LEVEL SECURITY;
      EXECUTE format('CREATE TABLE %I PARTITION OF pathways_reading '
                     'FOR VALUES FROM (%L) TO (%L) WITH (fillfactor = 85)', part, lo, hi);
      EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM constel_moving', part, cols, cols);
      DROP TABLE constel_moving;
      EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
      EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
      EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (%s) WITH CHECK (%s)',
                     part, $p$__PREDICATE__$p$, $p$__PREDICATE__$p$);
      created := created + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN created;
END
$fn$
""".replace("__PREDICATE__", TENANT_PREDICATE)


def _rls(cursor, table: str) -> None:
    for statement in enable_rls_sql(table):
        cursor.execute(statement)


def _rebuild(schema_editor, *, partitioned: bool) -> None:
    """Recreate pathways_reading (partitioned or not) with its rows, indexes, foreign keys,
    grants and row-level security."""
    conn = schema_editor.connection
    old = "pathways_reading_previous"
    with conn.cursor() as c:
        c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                  "AND tablename = 'pathways_reading' AND indexname <> 'pathways_reading_pkey'")
        indexes = c.fetchall()
        c.execute("SELECT conname, pg_get_constraintdef(k.oid), r.relname, "
                  "       r.relforcerowsecurity "
                  "FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid "
                  "WHERE k.conrelid = 'pathways_reading'::regclass AND k.contype = 'f'")
        foreign_keys = c.fetchall()
        c.execute("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) "
                  "FROM pg_attribute WHERE attrelid = 'pathways_reading'::regclass "
                  "AND attnum > 0 AND NOT attisdropped")
        (cols,) = c.fetchone()
        # the owner copies every tenant's rows: row-level security lifted on the old table
        c.execute("ALTER TABLE pathways_reading NO FORCE ROW LEVEL SECURITY")
        c.execute(f"ALTER TABLE pathways_reading RENAME TO {old}")
        if partitioned:
            c.execute(f"CREATE TABLE pathways_reading (LIKE {old} INCLUDING DEFAULTS "
                      "INCLUDING CONSTRAINTS) PARTITION BY RANGE (measured_at)")
            c.execute("CREATE TABLE pathways_reading_default PARTITION OF pathways_reading "
                      "DEFAULT WITH (fillfactor = 85)")
            _rls(c, "pathways_reading_default")
            c.execute(FUNCTION_SQL)
            c.execute(f"SELECT min(measured_at) FROM {old}")  # noqa: S608
            (first,) = c.fetchone()
            # older rows than five years (typos, imports) stay in the default partition
            c.execute("SELECT constel_reading_partitions(greatest(coalesce(%s, now()), "
                      "now() - interval '5 years')::date, %s)", [first, AHEAD])
        else:
            c.execute(f"CREATE TABLE pathways_reading (LIKE {old} INCLUDING DEFAULTS "
                      "INCLUDING CONSTRAINTS) WITH (fillfactor = 85)")
            c.execute("DROP FUNCTION IF EXISTS constel_reading_partitions(date, integer)")
        c.execute(f"INSERT INTO pathways_reading ({cols}) SELECT {cols} FROM {old}")  # noqa: S608
        c.execute(f"DROP TABLE {old}")
        key = "id, measured_at" if partitioned else "id"
        c.execute(f"ALTER TABLE pathways_reading ADD CONSTRAINT pathways_reading_pkey "
                  f"PRIMARY KEY ({key})")
        for _name, definition in indexes:
            c.execute(re.sub(r" ON (ONLY )?public\.\S+ USING ",
                             " ON public.pathways_reading USING ", definition))
        # Adding a foreign key checks the rows in one query, which forced row-level security
        # would blind (the owner, outside any tenant, sees no enrollment): lifted on the
        # referenced tables for this transaction.
        forced = sorted({table for _n, _d, table, force in foreign_keys if force})
        for table in forced:
            c.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        for name, definition, _table, _force in foreign_keys:
            c.execute(f'ALTER TABLE pathways_reading ADD CONSTRAINT "{name}" {definition}')
        for table in forced:
            c.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        _rls(c, "pathways_reading")
        c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.DATABASE_APP_ROLE])
        if c.fetchone() is not None:
            role = conn.ops.quote_name(settings.DATABASE_APP_ROLE)
            c.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON pathways_reading TO {role}")
            if partitioned:
                c.execute("REVOKE ALL ON FUNCTION constel_reading_partitions(date, integer) "
                          "FROM PUBLIC")
                c.execute("GRANT EXECUTE ON FUNCTION constel_reading_partitions(date, integer)"
                          f" TO {role}")


def forwards(apps, schema_editor):
    _rebuild(schema_editor, partitioned=True)


def backwards(apps, schema_editor):
    _rebuild(schema_editor, partitioned=False)


class Migration(migrations.Migration):

    dependencies = [
        ("pathways", "0022_reading_fewer_indexes"),
    ]

    operations = [
        # A foreign key to a partitioned table must reference a key containing measured_at.
        migrations.AlterField(
            model_name="alertevent",
            name="reading",
            field=models.ForeignKey(db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="pathways.reading"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
