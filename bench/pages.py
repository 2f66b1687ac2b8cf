"""Each page of the load test's mix, alone (issue #10, item 3): where a page's time goes
before it queues behind others.

    python tools/with_services.py .venv/bin/python bench/pages.py [--sql "worklist"]

On the load data set (``constel_load``, built by bench/load_data.py with ``--logins``): the
first tenant's nurse and GP log in through the login form (their open sessions ended
first), then each page of
bench/locustfile.py is requested through Django's test client (middleware, RLS context,
template; no HTTP server, no concurrency) 10 times after a warm-up. Prints each page's median
and fastest time and its number of SQL statements, and the ratio of each median to the
bare view's (one SELECT through the same stack: the floor measured in the same run).
``--sql PAGE`` also lists that page's slowest statements with their time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "load-constel-2026"


def _slowest(connection, request) -> None:
    """The page's statements, slowest first (time as seen from Django: round trip included)."""
    timed: list[tuple[float, str]] = []

    def timer(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((time.perf_counter() - t, sql))

    with connection.execute_wrapper(timer):
        request()
    for seconds, sql in sorted(timed, reverse=True)[:12]:
        print(f"    {seconds * 1000:5.1f} ms  {sql[:160]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sql", default="", help="list this page's slowest statements")
    ap.add_argument("--times", type=int, default=10)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    credentials = ROOT / "var" / "load-credentials.json"
    if not url.startswith("postgres") or not credentials.exists():
        print("needs DATABASE_URL=postgres://… (tools/with_services.py) and the load data set "
              "(bench/load_data.py --logins)")
        return 2
    os.environ["DATABASE_URL"] = urlunparse(urlparse(url)._replace(path="/constel_load"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.ingest_settings"
    import logging

    import django

    django.setup()
    logging.getLogger("constel.request").setLevel(logging.WARNING)
    logging.getLogger("axes").setLevel(logging.WARNING)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["testserver"]
    tenant = json.loads(credentials.read_text())[0]
    rng = random.Random(7)

    def logged_in(email: str) -> Client:
        client = Client()
        response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
        assert response.status_code == 302, (email, response.status_code)
        return client

    # allauth checks every open session of a user at each login: end the bench users' ones
    # (their number would grow run after run, and the login's cost with it).
    from allauth.usersessions.models import UserSession

    for session in UserSession.objects.filter(
            user__email__in=[tenant["staff"][0], tenant["gps"][0]]):
        session.end()
    nurse, gp = logged_in(tenant["staff"][0]), logged_in(tenant["gps"][0])

    def login() -> None:  # then out again, untimed
        client = logged_in(tenant["staff"][0])
        pending.append(client)

    pending: list[Client] = []
    open_alerts = [a["id"] for a in nurse.get("/api/v1/alerts/?status=open").json()["results"]]
    assert len(open_alerts) > args.times + 3, "not enough open alerts to take and close"
    shown_alert, alerts = open_alerts[-1], iter(open_alerts)
    gp_patients = [p for p in gp.get("/gp/").content.decode().split('"')
                   if p.startswith("/gp/patients/")]
    assert gp_patients, "the GP has no patient"

    def take_and_close() -> None:
        page = f"/pathway/alerts/{next(alerts)}/"
        nurse.post(page, {"action": "take"})
        nurse.post(page, {"action": "close", "confirmed": "1", "outcome": "advice",
                          "note": "bench"})

    pages = {
        "bare view": lambda: nurse.get("/bench/bare-read/"),
        "login": login,
        "worklist": lambda: nurse.get("/pathway/worklist/"),
        "patient page": lambda: nurse.get(f"/patients/{rng.choice(tenant['patients'])}/"),
        "API open alerts": lambda: nurse.get("/api/v1/alerts/?status=open"),
        "alert page": lambda: nurse.get(f"/pathway/alerts/{shown_alert}/"),
        "alert take + close (POSTs only)": take_and_close,
        "GP patients": lambda: gp.get("/gp/"),
        "GP patient summary": lambda: gp.get(rng.choice(gp_patients)),
    }
    floor = None
    print("| page | median | fastest | SQL statements | ratio to the bare view |")
    print("|---|---:|---:|---:|---:|")
    for name, request in pages.items():
        request()
        times = []
        for _ in range(args.times):
            t = time.perf_counter()
            request()
            times.append((time.perf_counter() - t) * 1000)
            while pending:
                pending.pop().post("/accounts/logout/")
        with CaptureQueriesContext(connection) as queries:
            request()
        while pending:
            pending.pop().post("/accounts/logout/")
        median = statistics.median(times)
        floor = floor or median
        # a fresh client's login is not seen by the capture (it counts 0): not printed
        counted = "—" if name == "login" else len(queries)
        print(f"| {name} | {median:.1f} ms | {min(times):.1f} ms | {counted} | "
              f"{median / floor:.1f} |", flush=True)
        if name == args.sql:
            _slowest(connection, request)
    return 0


if __name__ == "__main__":
    sys.exit(main())
