"""Benchmark (issue #10, items 1 and 4): build the data set at scale with
``generate_load_data`` in a database of its own, then EXPLAIN the heaviest queries of the
pages on it.

    python tools/with_services.py .venv/bin/python bench/load_data.py \
        --patients 100000 --tenants 10 --years 2 --readings 20000000

``--keep`` leaves the database (``constel_load``) for the load test (bench/locustfile.py);
``--explain-only`` skips the generation and explains on the database as it is.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database  # noqa: E402


def _explain(label: str, queryset_or_sql, params=None) -> None:
    from django.db import connection

    if isinstance(queryset_or_sql, str):
        sql = queryset_or_sql
    else:
        sql, params = queryset_or_sql.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params or [])
        plan = [row[0] for row in cursor.fetchall()]
        # EXPLAIN ANALYZE times every node on every loop (a per-rule subquery: tens of
        # thousands of loops): the query is also run as the page runs it, best of three.
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            cursor.execute(sql, params or [])
            rows = len(cursor.fetchall())
            runs.append(time.perf_counter() - t)
    print(f"\n### {label}\n")
    print(f"    run as is (best of 3, warm): {min(runs) * 1000:.1f} ms, {rows} rows\n")
    for line in plan:
        print("    " + line)


def _midnight(day):
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time.min))


def explain_pages(prefix: str) -> None:
    """The queries behind the pages that grow with the data: the patient's readings chart,
    the worklist's alert sections, the API readings list, the GP's patient list."""
    from django.db.models import Count, Max, OuterRef, Q, Subquery

    from constel.models import Tenant
    from constel.tenancy import tenant_context
    from pathways.models import Enrollment
    from telemonitoring.models import Alert, AlertRule, Reading

    tenant = Tenant.objects.filter(slug=f"{prefix}-1").first()
    if tenant is None:
        print("no data set: run without --explain-only first")
        return
    with tenant_context(tenant):
        enrollment = (Enrollment.objects.filter(phase="follow_up_y2")
                      .annotate(n=Count("readings")).order_by("-n").first())
        since = enrollment.included_on
        _explain("Patient page chart: one patient's readings of one indicator over a period",
                 Reading.objects.filter(enrollment=enrollment,
                                        indicator__code="body_weight",
                                        measured_at__gte=_midnight(since))
                 .order_by("measured_at").values_list("measured_at", "value"))
        _explain("API GET /api/v1/readings/?patient=…&since=… (first page)",
                 Reading.objects.for_tenant(tenant).filter(
                     enrollment__patient_id=enrollment.patient_id,
                     measured_at__gte=_midnight(enrollment.included_on))
                 .select_related("indicator").order_by("-measured_at", "pk")[:50])
        _explain("Worklist: open alerts, critical first (first rows)",
                 Alert.objects.filter(~Q(status="closed")).select_related(
                     "enrollment__patient", "indicator")
                 .order_by("-level", "opened_at")[:25])
        _explain("Worklist: count of open alerts",
                 Alert.objects.filter(~Q(status="closed")).values("pk").order_by())
        _explain("Missing-data sweep (before): last reading per followed (enrollment, "
                 "indicator) as an aggregate",
                 Reading.objects.filter(enrollment__phase__in=[
                     "follow_up_y1", "follow_up_y2", "annual_update"])
                 .values("enrollment_id", "indicator_id").order_by()
                 .annotate(last=Max("measured_at")))
        last = Reading.objects.filter(enrollment_id=OuterRef("enrollment_id"),
                                      indicator_id=OuterRef("indicator_id")) \
            .order_by("-measured_at").values("measured_at")[:1]
        _explain("Missing-data sweep (session 3, on partitions): the active missing-data "
                 "rules of the patients followed, each with its last reading (LIMIT 1 per "
                 "rule, unbounded in time)",
                 AlertRule.objects.filter(kind="missing", active=True, enrollment__phase__in=[
                     "pps_definition", "follow_up_y1", "annual_update", "follow_up_y2",
                     "final_assessment"]).select_related("enrollment", "indicator")
                 .annotate(last_reading=Subquery(last)))
        _explain_sweep()


def _explain_sweep() -> None:
    """The sweep's queries as telemonitoring.services builds them now: the function
    timed as the sweep runs it (best of 3), then each of its statements explained."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from constel.models import Tenant
    from constel.tenancy import tenant_context
    from telemonitoring.services import missing_rules_with_last_reading

    with tenant_context(Tenant.objects.get(slug="load-1")):
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            found, quiet_read = missing_rules_with_last_reading(timezone.now())
            runs.append(time.perf_counter() - t)
        print("\n### Missing-data sweep (now): rules with their last reading within the widest "
              "window (its months only), then an older reading asked for the rules with none "
              "in it\n")
        print(f"    run as the sweep runs it (best of 3, warm): {min(runs) * 1000:.1f} ms, "
              f"{len(found)} rules, {sum(r.last_reading is None for r in found)} without a "
              f"recent reading, {len(quiet_read)} of them with an older one")
        with CaptureQueriesContext(connection) as queries:
            missing_rules_with_last_reading(timezone.now())
        for k, q in enumerate(queries, 1):
            _explain(f"Missing-data sweep (now), statement {k} of {len(queries)}", q["sql"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100000)
    ap.add_argument("--tenants", type=int, default=10)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--readings", type=int, default=20_000_000)
    ap.add_argument("--logins", type=int, default=50,
                    help="per tenant: patients with a token and GPs with a login, for "
                         "bench/load_test.py (credentials in var/load-credentials.json)")
    ap.add_argument("--explain-only", action="store_true")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("needs DATABASE_URL=postgres://… (run through tools/with_services.py)")
        return 2
    if args.explain_only:
        os.environ["DATABASE_URL"] = urlunparse(urlparse(url)._replace(path="/constel_load"))
    else:
        os.environ["DATABASE_URL"] = recreate_database(url, "constel_load")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "constel.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    if not args.explain_only:
        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrate {time.perf_counter() - t:.1f} s")
        (ROOT / "var").mkdir(exist_ok=True)
        call_command("generate_load_data", patients=args.patients, tenants=args.tenants,
                     years=args.years, readings=args.readings, logins=args.logins,
                     password="load-constel-2026",
                     credentials=str(ROOT / "var" / "load-credentials.json"))
    explain_pages("load")
    return 0


if __name__ == "__main__":
    sys.exit(main())
