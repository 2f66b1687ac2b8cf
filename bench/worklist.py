"""Benchmark (issue #4, item 10): the nurse's worklist with thousands of patients.

    python tools/with_services.py .venv/bin/python bench/worklist.py --sizes 500 5000 20000

For each size, its own database (``constel_bench_worklist``): N patients in follow-up, each
with work for the nurse in the proportions of the demo (an open alert for one in five, a
missed session for one in six, a PPS awaiting the GP's validation for one in four, planned
sessions next week and overdue ones). The page ``/pathway/worklist/`` is rendered through
Django's test client as a nurse (the whole stack: middleware, RLS context, template), 20
times; prints the median and p95 time, the number of SQL queries, and the ratio to the
smallest size (the baseline measured in the same run): a paginated worklist stays flat.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database  # noqa: E402


def run(size: int, seed: int) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from constel import services
    from constel.models import Tenant, User
    from constel.roles import Role
    from constel.tenancy import tenant_context
    from pathways.models import Activity, CarePlan, Enrollment
    from patients.models import Patient
    from telemonitoring.models import Alert, AlertRule, Indicator
    from telemonitoring.services import indicators_load

    connection.close()
    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    tenant = Tenant.objects.create(slug="bench", name="Bench", operator="bench",
                                   inclusion_window_end="2030-01-01",
                                   cumulative_inclusion_cap=10**7,
                                   claim_period_anchor="2022-10-01")
    nurse = User.objects.create_user(email="idec@bench.test", password="x")
    services.membership_create(user=nurse, tenant=tenant, role=Role.NURSE_COORDINATOR)
    now = timezone.now()
    with tenant_context(tenant):
        indicators_load(tenant=tenant)
        spo2 = Indicator.objects.get(code="spo2")
        patients = [Patient(tenant=tenant, birth_name=f"P{i:06d}", first_names="X", sex="F",
                            birth_date="1950-01-01") for i in range(size)]
        Patient.objects.bulk_create(patients, batch_size=5000)
        enrollments = [Enrollment(tenant=tenant, patient=p, door="programme_physician",
                                  phase="follow_up_y1") for p in patients]
        Enrollment.objects.bulk_create(enrollments, batch_size=5000)
        rules = AlertRule.objects.bulk_create(
            [AlertRule(tenant=tenant, enrollment=e, indicator=spo2, kind="bounds",
                       warn_low=92, crit_low=88) for e in enrollments], batch_size=5000)
        alerts, activities, plans = [], [], []
        for e, rule in zip(enrollments, rules, strict=True):
            if rng.random() < 0.2:
                alerts.append(Alert(tenant=tenant, enrollment=e, rule=rule, indicator=spo2,
                                    level=rng.choice(["warning", "critical"]),
                                    opened_at=now - timedelta(hours=rng.randint(1, 72))))
            if rng.random() < 1 / 6:
                activities.append(Activity(tenant=tenant, enrollment=e, kind="apa",
                                           scheduled_at=now - timedelta(days=rng.randint(1, 30)),
                                           status="missed"))
            activities.append(Activity(tenant=tenant, enrollment=e, kind="consultation",
                                       scheduled_at=now + timedelta(days=rng.randint(-20, 60)),
                                       status="planned"))
            plans.append(CarePlan(tenant=tenant, enrollment=e, version=1, kind="initial",
                                  status="issued", issued_on=now.date(), issued_at=now,
                                  gp_status="pending" if rng.random() < 0.25 else "validated"))
        Alert.objects.bulk_create(alerts, batch_size=5000)
        Activity.objects.bulk_create(activities, batch_size=5000)
        CarePlan.objects.bulk_create(plans, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")

    client = Client()
    client.force_login(nurse)
    url = "/pathway/worklist/"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(20):
        t = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    times.sort()
    return {"size": size, "p50": statistics.median(times) * 1000,
            "p95": times[int(0.95 * (len(times) - 1))] * 1000,
            "queries": len(ctx.captured_queries), "alerts": len(alerts)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 20000])
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("needs DATABASE_URL=postgres://… (run through tools/with_services.py)")
        return 2
    os.environ["DATABASE_URL"] = recreate_database(url, "constel_bench_worklist")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "constel.settings.dev")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["CONSTEL_REQUIRE_STAFF_MFA"] = "false"
    import django
    from django.conf import settings

    django.setup()
    import logging

    logging.getLogger("constel.request").setLevel(logging.WARNING)  # one line per request
    settings.ALLOWED_HOSTS = ["testserver"]
    results = []
    for size in args.sizes:
        if results:
            from django.db import connection

            connection.close()
            recreate_database(url, "constel_bench_worklist")
        r = run(size, 4)
        results.append(r)
        base = results[0]
        print(f"{r['size']:>6} patients ({r['alerts']} open alerts): worklist p50 "
              f"{r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, {r['queries']} SQL queries; "
              f"ratio to {base['size']} patients: {r['p50'] / base['p50']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
