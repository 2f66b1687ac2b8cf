"""Benchmark (issue #5, item 9b): readings ingestion through the API with C concurrent
clients, against a bare Django view doing one INSERT on the same stack (the baseline).

    python tools/with_services.py .venv/bin/python bench/ingestion.py \
        --clients 20 --seconds 20 --workers 3

Builds its own database (``constel_bench_ingest``): P patients in follow-up, each with a
personal API token (role patient), SpO2 / weight / blood-pressure rules. Serves the project
with gunicorn (sync workers, DEBUG off, Celery publishing to the real Redis) and runs the
clients from this process (threads, keep-alive connections): the bare view, then
``POST /api/v1/readings/`` (validation, insert and evaluation in the request), alternated in
``--rounds`` rounds. Prints requests/s, p50 / p95 latency for both and the throughput ratio
(overall, per round and the rounds' median).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database  # noqa: E402


def _setup(url: str, patients: int) -> list[dict]:
    os.environ["DATABASE_URL"] = recreate_database(url, "constel_bench_ingest")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.ingest_settings"
    import django

    django.setup()
    from django.core.management import call_command

    from constel import services
    from constel.models import ApiToken, Tenant, User
    from constel.roles import Role
    from constel.tenancy import tenant_context
    from pathways.models import Enrollment
    from patients.models import Patient
    from telemonitoring.models import AlertRule, Indicator
    from telemonitoring.services import indicators_load

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(slug="bench", name="Bench", operator="bench",
                                   inclusion_window_end="2030-01-01",
                                   cumulative_inclusion_cap=10**6,
                                   claim_period_anchor="2022-10-01")
    clients = []
    with tenant_context(tenant):
        indicators_load(tenant=tenant)
        ind = {i.code: i for i in Indicator.objects.all()}
        for i in range(patients):
            user = User.objects.create_user(email=f"p{i}@bench.test", password=None)
            member = services.membership_create(user=user, tenant=tenant, role=Role.PATIENT)
            patient = Patient.objects.create(tenant=tenant, birth_name=f"P{i}", first_names="X",
                                             sex="F", birth_date="1950-01-01", user=user)
            e = Enrollment.objects.create(tenant=tenant, patient=patient,
                                          door="programme_physician", phase="follow_up_y1")
            for code in ("spo2", "body_weight", "systolic_bp", "diastolic_bp"):
                c = ind[code]
                AlertRule.objects.create(tenant=tenant, enrollment=e, indicator=c,
                                         kind="bounds", warn_low=c.warn_low,
                                         warn_high=c.warn_high, crit_low=c.crit_low,
                                         crit_high=c.crit_high)
            key = ApiToken.new_key()
            ApiToken.objects.create(user=user, tenant=tenant, membership=member, name="bench",
                                    key_hash=ApiToken.hash_key(key), prefix=key[4:12])
            clients.append({"key": key, "tenant": str(tenant.pk), "enrollment": str(e.pk),
                            "indicator": str(ind["spo2"].pk)})
    return clients


def _run(port: int, clients: list[dict], n: int, seconds: float, api: bool) -> dict:
    latencies: list[float] = []
    errors = []
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop:
            who = clients[rng.randrange(len(clients))]
            if api:
                spo2 = min(100, rng.gauss(95, 2))
                body = json.dumps({"indicator": "spo2", "value": f"{spo2:.0f}",
                                   "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                                                time.gmtime())})
                headers = {"Authorization": f"Bearer {who['key']}",
                           "Content-Type": "application/json", "Host": "localhost"}
                target = "/api/v1/readings/"
            else:
                body = json.dumps({"tenant": who["tenant"], "enrollment": who["enrollment"],
                                   "indicator": who["indicator"], "value": 95})
                headers = {"Content-Type": "application/json", "Host": "localhost"}
                target = "/bench/bare-insert/"
            t = time.perf_counter()
            conn.request("POST", target, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            mine.append(time.perf_counter() - t)
            if response.status != 201:
                with lock:
                    errors.append((response.status, payload[:200]))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(n)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {"requests": len(latencies), "rps": len(latencies) / wall,
            "p50": statistics.median(latencies) * 1000,
            "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
            "errors": errors, "latencies": latencies, "wall": wall}


def _profile(clients: list[dict]) -> int:
    import cProfile
    import pstats

    from django.test import Client

    client = Client(HTTP_HOST="localhost")

    def go(n: int) -> None:
        for k in range(n):
            who = clients[k % len(clients)]
            response = client.post(
                "/api/v1/readings/", {"indicator": "spo2", "value": "95",
                                      "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                                                   time.gmtime())},
                content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {who['key']}")
            assert response.status_code == 201, response.content

    go(20)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        go(1)
    print(f"{len(queries)} SQL statements in one API call:")
    for q in queries:
        print("  ", q["sql"][:150])
    profile = cProfile.Profile()
    profile.enable()
    go(300)
    profile.disable()
    ours = "constel/|pathways/|patients/|rest_framework/(serial|fields)|celery|kombu"
    stats = pstats.Stats(profile).sort_stats("cumtime")
    stats.print_stats(ours, 40)
    stats.print_callees("api_telefollowup.py.*create")
    stats.sort_stats("tottime").print_stats(30)
    if os.environ.get("CONSTEL_PROFILE_ALL"):
        stats.sort_stats("cumtime").print_stats(70)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternate the bare view and the API this many times")
    ap.add_argument("--patients", type=int, default=200)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--profile", action="store_true",
                    help="profile 300 API requests in-process instead (cProfile, top 40)")
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("needs DATABASE_URL and REDIS_URL (run through tools/with_services.py)")
        return 2
    clients = _setup(url, args.patients)
    if args.profile:
        return _profile(clients)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "constel.wsgi:application",
         "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers),
         "--env", "DJANGO_SETTINGS_MODULE=bench.ingest_settings", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request(
                    "GET", "/healthz", headers={"Host": "localhost"})
                break
            except OSError:
                time.sleep(0.2)
        _run(args.port, clients, args.clients, 2, api=False)  # warm-up
        _run(args.port, clients, args.clients, 2, api=True)
        # Rounds alternating the two, each measured for seconds / rounds: a machine whose
        # speed drifts during the run (a shared host) tilts each round's ratio less than
        # one long phase of each would.
        rounds = [(_run(args.port, clients, args.clients, args.seconds / args.rounds,
                        api=False),
                   _run(args.port, clients, args.clients, args.seconds / args.rounds,
                        api=True)) for _ in range(args.rounds)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{args.clients} clients, {args.seconds:.0f} s each in {args.rounds} rounds, "
          f"gunicorn {args.workers} sync workers, {args.patients} patients")
    bare, api = (_merge([r[k] for r in rounds]) for k in (0, 1))
    for name, r in (("bare INSERT view", bare), ("POST /api/v1/readings/", api)):
        print(f"{name:24} {r['requests']:6} requests {r['rps']:7.1f} req/s  "
              f"p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  errors {len(r['errors'])}")
        if r["errors"]:
            print("  first error:", r["errors"][0])
    ratios = [a["rps"] / b["rps"] for b, a in rounds]
    print(f"ratio API / bare throughput: {api['rps'] / bare['rps']:.2f} "
          f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}; "
          f"median {statistics.median(ratios):.2f})")
    return 0 if not (bare["errors"] or api["errors"]) else 1


def _merge(results: list[dict]) -> dict:
    """One phase's rounds together: all their latencies, requests over their time."""
    latencies = sorted(x for r in results for x in r["latencies"])
    wall = sum(r["wall"] for r in results)
    return {"requests": len(latencies), "rps": len(latencies) / wall,
            "p50": statistics.median(latencies) * 1000,
            "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
            "errors": [e for r in results for e in r["errors"]]}


if __name__ == "__main__":
    sys.exit(main())
