"""Benchmark (issue #5, item 9a): evaluation throughput over N readings for P patients,
reported with the single equivalent SQL statement run alone on the same data (the floor).

    python tools/with_services.py .venv/bin/python bench/evaluation.py \
        --patients 10000 --readings 1000000 --batch 10000

Needs PostgreSQL (DATABASE_URL of a role allowed to create databases). Creates and drops
its own database ``constel_bench``. Prints the figures and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database  # noqa: E402

BOUNDS_ONLY = """
SELECT * FROM (
SELECT r.id, ru.id AS rule_id, CASE
    WHEN (ru.crit_high IS NOT NULL AND r.value >= ru.crit_high)
      OR (ru.crit_low IS NOT NULL AND r.value <= ru.crit_low) THEN 'critical'
    WHEN (ru.warn_high IS NOT NULL AND r.value >= ru.warn_high)
      OR (ru.warn_low IS NOT NULL AND r.value <= ru.warn_low) THEN 'warning' END AS level
FROM pathways_reading r
JOIN pathways_alertrule ru
  ON ru.tenant_id = r.tenant_id AND ru.enrollment_id = r.enrollment_id
 AND ru.indicator_id = r.indicator_id AND ru.active AND ru.kind = 'bounds'
WHERE r.id = ANY(%s)
) b WHERE level IS NOT NULL
"""


def compact(maintenance_url: str) -> None:
    """Rewrite the readings compactly (VACUUM FULL: the physical state right after a bulk
    load), refresh the statistics and write the dirty pages out, so that two timed runs
    start from the same table."""
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as maint:
        # No autovacuum on the readings during the timed runs: a worker starting in the
        # middle of one run and not the other (2 cores) made the ratio swing by ±30 %.
        # (readings are partitioned by month: storage parameters go on the partitions)
        for (part,) in maint.execute(
                "SELECT inhrelid::regclass::text FROM pg_inherits "
                "WHERE inhparent = 'pathways_reading'::regclass").fetchall():
            maint.execute(f"ALTER TABLE {part} SET (autovacuum_enabled = off)")
        maint.execute("VACUUM (FULL, ANALYZE) pathways_reading")
        maint.execute("ANALYZE")
        maint.execute("CHECKPOINT")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=10000)
    ap.add_argument("--readings", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=51)
    ap.add_argument("--by-patient", action="store_true",
                    help="batches patient by patient (each spans every month) instead of in "
                         "arrival order")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("needs DATABASE_URL=postgres://… (run through tools/with_services.py)")
        return 2
    os.environ["DATABASE_URL"] = recreate_database(url, "constel_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "constel.settings.dev")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from constel.models import Tenant
    from constel.tenancy import tenant_context
    from pathways.models import Enrollment
    from patients.models import Patient
    from telemonitoring.models import AlertRule, Indicator, Reading
    from telemonitoring.services import (
        _EVALUATE_SQL,
        evaluate_readings,
        indicators_load,
    )

    rng = random.Random(args.seed)
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(slug="bench", name="Bench", operator="bench",
                                   inclusion_window_end="2030-01-01",
                                   cumulative_inclusion_cap=10**6,
                                   claim_period_anchor="2022-10-01")
    with tenant_context(tenant):
        indicators_load(tenant=tenant)
        ind = {i.code: i for i in Indicator.objects.all()}
        patients = [Patient(tenant=tenant, birth_name=f"P{i}", first_names="X", sex="F",
                            birth_date="1950-01-01") for i in range(args.patients)]
        Patient.objects.bulk_create(patients, batch_size=5000)
        enrollments = [Enrollment(tenant=tenant, patient=p, door="programme_physician",
                                  phase="follow_up_y1") for p in patients]
        Enrollment.objects.bulk_create(enrollments, batch_size=5000)
        rules = []
        for i, e in enumerate(enrollments):
            spo2, weight = ind["spo2"], ind["body_weight"]
            rules.append(AlertRule(tenant=tenant, enrollment=e, indicator=spo2, kind="bounds",
                                   warn_low=spo2.warn_low, crit_low=spo2.crit_low))
            rules.append(AlertRule(tenant=tenant, enrollment=e, indicator=weight, kind="bounds",
                                   warn_low=50, warn_high=120, crit_low=40, crit_high=150))
            if i % 5 == 0:  # heart failure patients
                rules.append(AlertRule(tenant=tenant, enrollment=e, indicator=weight,
                                       kind="change", amount=2, window_hours=72,
                                       direction="rise"))
        AlertRule.objects.bulk_create(rules, batch_size=5000)
        setup_s = time.perf_counter() - t
        # Readings through COPY: about 90 days, spo2 and weight alternately.
        t = time.perf_counter()
        now = django.utils.timezone.now()
        buf = io.StringIO()
        per = max(1, args.readings // args.patients)
        ids, times = [], []
        from telemonitoring.partitions import partitions_create

        partitions_create(first_month=(now - timedelta(hours=per * 12 + 24 * 31)).date())
        for e in enrollments:
            base_w = rng.gauss(78, 10)
            for k in range(per):
                rid = uuid.uuid4()
                ids.append(rid)
                if k % 2:
                    code, value = "spo2", min(100, max(70, rng.gauss(95, 2.2)))
                else:
                    code, value = "body_weight", base_w + rng.gauss(0, 1.1)
                at = now - timedelta(hours=(per - k) * 12)
                times.append(at)
                buf.write(f"{rid}\t{tenant.pk}\t{e.pk}\t{ind[code].pk}\t{value:.1f}\t"
                          f"{at.isoformat()}\t{now.isoformat()}\t\\N\tportal\t{uuid.uuid4()}"
                          f"\t\\N\n")
        buf.seek(0)
        # COPY is refused under row-level security (even FORCEd for the owner): a bulk load
        # runs as a maintenance role that bypasses RLS (here the cluster's superuser).
        import psycopg

        loader = urlunparse(urlparse(os.environ["DATABASE_URL"])._replace(
            netloc=urlparse(os.environ["DATABASE_URL"]).netloc.replace(
                urlparse(os.environ["DATABASE_URL"]).username or "", "postgres", 1)))
        with psycopg.connect(loader) as bulk, bulk.cursor() as cur, cur.copy(
                "COPY pathways_reading (id, tenant_id, enrollment_id, indicator_id, value, "
                "measured_at, entered_at, entered_by_id, source, measurement_id, "
                "evaluated_at) FROM STDIN") as copy:
            while chunk := buf.read(1 << 20):
                copy.write(chunk)
        load_s = time.perf_counter() - t
        # The platform and floor 2 both start from this state: the table rewritten compactly
        # (as after a COPY), every reading unevaluated, statistics fresh, dirty pages written.
        compact(loader)
        n = Reading.objects.count()

        # Floor 1: the bounds breaches of every reading in one read-only statement, alone.
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("CREATE TEMP TABLE floor AS " + BOUNDS_ONLY, [ids])
            cur.execute("SELECT count(*) FROM floor")
            floor_breaches = cur.fetchone()[0]
        floor_s = time.perf_counter() - t

        # The platform: the worker's evaluation, batch by batch, writes included; the
        # batches in the order the readings arrive (by time: each batch spans a few hours,
        # so its claim reads one month's partition), or patient by patient (--by-patient:
        # every batch spans the 50 days, every partition).
        order = sorted(range(len(ids)), key=lambda i: (times[i], ids[i])) \
            if not args.by_patient else range(len(ids))
        ids, times = [ids[i] for i in order], [times[i] for i in order]
        t = time.perf_counter()
        breaches = 0
        for start in range(0, len(ids), args.batch):
            span = times[start:start + args.batch]
            breaches += evaluate_readings(tenant_id=tenant.pk,
                                          reading_ids=ids[start:start + args.batch],
                                          measured=(min(span), max(span)))
        eval_s = time.perf_counter() - t
        left = Reading.objects.filter(evaluated_at__isnull=True).count()

        # Floor 2: the platform's own statement (claim + bounds + window rules) over every
        # reading at once, after un-marking them and compacting the table again (not timed):
        # the same work as the platform minus the batching and the alert writes.
        with connection.cursor() as cur:
            cur.execute("UPDATE pathways_reading SET evaluated_at = NULL")
        compact(loader)
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("CREATE TEMP TABLE floor2 AS " + _EVALUATE_SQL,
                        {"now": now, "ids": ids, "lo": min(times), "hi": max(times),
                         "user": None, "job": "bench"})
            cur.execute("SELECT count(*) FILTER (WHERE \"?column?\" = 'b') FROM floor2")
            floor2_breaches = cur.fetchone()[0]
        floor2_s = time.perf_counter() - t

    print(f"patients={args.patients} readings={n} batch={args.batch} "
          f"({'patient by patient' if args.by_patient else 'in arrival order'})")
    print(f"setup {setup_s:.1f} s; COPY of the readings {load_s:.1f} s")
    print(f"floor 1 (one read-only SQL statement, bounds only): {floor_s:.2f} s, "
          f"{floor_breaches} breaches")
    print(f"floor 2 (the platform's statement — claim + bounds + windows — over all readings "
          f"at once): {floor2_s:.2f} s, {floor2_breaches} breaches")
    print(f"platform evaluation (bounds in SQL + +2 kg/72 h windows + alerts + marks): "
          f"{eval_s:.2f} s, {breaches} breach events, {n / eval_s:,.0f} readings/s, "
          f"{left} left unevaluated")
    print(f"ratio platform / floor 1: {eval_s / floor_s:.2f}")
    print(f"ratio platform / floor 2: {eval_s / floor2_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
