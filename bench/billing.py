"""Benchmark (issue #7, item 8): compile a claim semester for N enrollments with realistic
histories, for two sizes (default 10,000 and 100,000), reported with the growth ratio and
the equivalent single set-based SQL statement (the floor).

    python tools/with_services.py .venv/bin/python bench/billing.py --sizes 10000 100000

Each size gets its own database (``constel_bench_billing``): enrollments whose first PPS was
issued between 2023-01 and 2025-11, nine in ten starting year-1 follow-up 1–4 weeks later,
four in ten going on to year 2 a year after; MONO/POLY history with one patient in eight
reclassified. Then ``compile_claims`` for the period 2025-10-01 – 2026-03-31 with no earlier
statement (the worst case: every forfait since 2023 is on it, earlier ones as adjustment
lines), and the floor: one SQL statement computing the same forfaits into a table.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database  # noqa: E402

FLOOR = """
CREATE TEMP TABLE floor AS
WITH ev AS (
  SELECT cp.enrollment_id, 'first_pps_issued' AS event, min(cp.issued_on) AS on_
  FROM pathways_careplan cp WHERE cp.issued_on IS NOT NULL GROUP BY cp.enrollment_id
  UNION ALL
  SELECT t.enrollment_id, CASE t.to_phase WHEN 'follow_up_y1' THEN 'follow_up_year1_start'
         ELSE 'follow_up_year2_start' END, min(t.effective_on)
  FROM pathways_enrollmenttransition t WHERE t.to_phase IN ('follow_up_y1', 'follow_up_y2')
  GROUP BY t.enrollment_id, t.to_phase
)
SELECT ev.enrollment_id, e.patient_id, ev.event, ev.on_, k.code, g."group", tr.amount
FROM ev
JOIN pathways_enrollment e ON e.id = ev.enrollment_id
LEFT JOIN LATERAL (
  SELECT gp."group" FROM patients_groupperiod gp
  WHERE gp.patient_id = e.patient_id AND gp.valid_from <= ev.on_
  ORDER BY gp.valid_from DESC, gp.recorded_at DESC LIMIT 1) g ON true
JOIN billing_forfaitkind k ON k.due_on = ev.event AND (k."group" = '' OR k."group" = g."group")
JOIN billing_tariff tr ON tr.kind_id = k.id AND tr.valid_from <= ev.on_
 AND (tr.valid_to IS NULL OR ev.on_ <= tr.valid_to)
WHERE ev.on_ <= %s
"""


def run(size: int, seed: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from billing.models import ClaimLine
    from billing.services import catalogue_load, compile_claims
    from constel.models import Tenant
    from constel.tenancy import tenant_context
    from pathways.models import CarePlan, Enrollment, EnrollmentTransition
    from patients.models import GroupPeriod, Patient

    connection.close()
    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    tenant = Tenant.objects.create(slug="bench", name="Bench", operator="bench",
                                   inclusion_window_end="2030-01-01",
                                   cumulative_inclusion_cap=10**7,
                                   claim_period_anchor=date(2022, 10, 1))
    t = time.perf_counter()
    with tenant_context(tenant):
        catalogue_load(tenant=tenant)
        patients = [Patient(tenant=tenant, birth_name=f"P{i}", first_names="X", sex="F",
                            birth_date="1950-01-01") for i in range(size)]
        Patient.objects.bulk_create(patients, batch_size=5000)
        enrollments = [Enrollment(tenant=tenant, patient=p, door="programme_physician",
                                  phase="follow_up_y1") for p in patients]
        Enrollment.objects.bulk_create(enrollments, batch_size=5000)
        plans, transitions, groups = [], [], []
        for p, e in zip(patients, enrollments, strict=True):
            pps = date(2023, 1, 1) + timedelta(days=rng.randint(0, 1050))
            plans.append(CarePlan(tenant=tenant, enrollment=e, version=1, kind="initial",
                                  status="issued", issued_on=pps))
            poly = rng.random() < 0.45
            groups.append(GroupPeriod(tenant=tenant, patient=p, group="POLY" if poly else "MONO",
                                      valid_from=pps - timedelta(days=400)))
            if rng.random() < 0.125:
                groups.append(GroupPeriod(tenant=tenant, patient=p,
                                          group="MONO" if poly else "POLY",
                                          valid_from=pps + timedelta(days=rng.randint(5, 500))))
            if rng.random() < 0.9:
                y1 = pps + timedelta(days=rng.randint(7, 28))
                transitions.append(EnrollmentTransition(
                    tenant=tenant, enrollment=e, from_phase="pps_definition",
                    to_phase="follow_up_y1", effective_on=y1))
                if rng.random() < 0.45:
                    plans.append(CarePlan(tenant=tenant, enrollment=e, version=2,
                                          kind="annual_update", status="issued", year=2,
                                          issued_on=y1 + timedelta(days=355)))
                    transitions.append(EnrollmentTransition(
                        tenant=tenant, enrollment=e, from_phase="annual_update",
                        to_phase="follow_up_y2", effective_on=y1 + timedelta(days=365)))
        CarePlan.objects.bulk_create(plans, batch_size=5000)
        EnrollmentTransition.objects.bulk_create(transitions, batch_size=5000)
        GroupPeriod.objects.bulk_create(groups, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    setup = time.perf_counter() - t

    day = date(2025, 12, 1)
    t = time.perf_counter()
    statement = compile_claims(tenant=tenant, day=day)
    compile_s = time.perf_counter() - t
    t = time.perf_counter()
    again = compile_claims(tenant=tenant, day=day)
    recompile_s = time.perf_counter() - t
    with tenant_context(tenant):
        lines = ClaimLine.objects.filter(statement=statement).count()
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(FLOOR, [statement.period_end])
            cur.execute("SELECT count(*) FROM floor")
            floor_rows = cur.fetchone()[0]
        floor_s = time.perf_counter() - t
    assert again.total == statement.total
    return {"size": size, "setup": setup, "compile": compile_s, "recompile": recompile_s,
            "lines": lines, "total": statement.total, "floor": floor_s, "floor_rows": floor_rows}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("needs DATABASE_URL=postgres://… (run through tools/with_services.py)")
        return 2
    os.environ["DATABASE_URL"] = recreate_database(url, "constel_bench_billing")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "constel.settings.dev")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    results = []
    for size in args.sizes:
        if results:
            from django.db import connection

            connection.close()
            recreate_database(url, "constel_bench_billing")
        r = run(size, args.seed)
        results.append(r)
        print(f"{r['size']:>7} enrollments: setup {r['setup']:.1f} s; compile {r['compile']:.2f} s "
              f"({r['lines']} lines, {r['total']} €); compile again {r['recompile']:.2f} s; "
              f"floor (one SQL statement) {r['floor']:.2f} s ({r['floor_rows']} rows); "
              f"ratio to floor {r['compile'] / r['floor']:.1f}")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        print(f"growth: {b['size'] // a['size']}× the enrollments → "
              f"{b['compile'] / a['compile']:.1f}× the compile time (linear would be "
              f"{b['size'] / a['size']:.0f}×; target ≤ 12)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
