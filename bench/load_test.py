"""Load test of the real stack (issue #10, items 3 and 6): gunicorn (W sync workers) + a
Celery worker + PostgreSQL + Redis on this machine, driven by Locust (bench/locustfile.py,
headless) on the data set of bench/load_data.py.

    python tools/with_services.py .venv/bin/python bench/load_data.py \
        --patients 100000 --tenants 10 --years 2 --readings 20000000 --logins 50
    python tools/with_services.py .venv/bin/python bench/load_test.py \
        --users 50 200 --seconds 60 --workers 4 --scale-workers 1 2 4

For each number of users: the mix, then the same mix against the bare views (one INSERT /
one SELECT on the same stack: the framework's floor) — requests/s, p50/p95/p99 per page,
failures, and the ratio. Then ``--scale-workers``: the mix at the largest number of users
(where the server saturates) with 1, 2 and 4 gunicorn workers (throughput as processes are
added). Users wait 1–8 s between tasks (closed loop): below saturation both runs offer the
same rate, so the ratio of throughputs shows saturation and the latencies show the cost.
Statistics are reset once every user is spawned (``--reset-stats``): the figures are the
steady state, not the login storm of the ramp. The logins' passwords are first hashed with
the settings' hasher (Argon2id since 2026-11-30), as they are once each user has logged in
after the upgrade: the data set was built with PBKDF2 (~1 s of CPU a login under load).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CREDENTIALS = ROOT / "var" / "load-credentials.json"
PASSWORD = "load-constel-2026"


def _wait_http(port: int) -> None:
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": "localhost"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def _stack(env: dict, port: int, workers: int) -> list[subprocess.Popen]:
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "constel.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning", "--timeout", "60"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "constel", "worker", "--concurrency", "1",
         "-Q", "celery,evaluation,letters,billing",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-mingle",
         "--without-gossip"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    _wait_http(port)
    return [web, worker]


def _stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def _locust(env: dict, port: int, users: int, seconds: int, bare: bool, tag: str) -> dict:
    prefix = ROOT / "var" / f"locust-{tag}"
    run_env = dict(env, CONSTEL_LOAD_CREDENTIALS=str(CREDENTIALS),
                   CONSTEL_LOAD_PASSWORD=PASSWORD, CONSTEL_LOAD_BARE="1" if bare else "0")
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
         "-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{seconds}s",
         "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
         # steady state: the spawn (every user logging in at once, PBKDF2) is not counted
         "--reset-stats",
         "--loglevel", "ERROR"], cwd=ROOT, env=run_env, check=False,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = {}
    with open(f"{prefix}_stats.csv") as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = row
    return rows


def _print(title: str, rows: dict) -> None:
    print(f"\n{title}\n")
    print("| page | requests | failures | req/s | p50 | p95 | p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['Request Count']} | {r['Failure Count']} | "
              f"{float(r['Requests/s']):.1f} | {r['50%']} ms | {r['95%']} ms | {r['99%']} ms |")


def _rehash_logins(env: dict) -> None:
    """The load logins' password hashed with the settings' first hasher (one hash for all:
    the state after each user's first login since the hasher changed)."""
    import psycopg

    encoded = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); "
         "from django.contrib.auth.hashers import make_password; "
         f"print(make_password({PASSWORD!r}))"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        n = conn.execute("UPDATE constel_user SET password = %s WHERE email LIKE %s "
                         "AND password NOT LIKE %s AND password <> %s",
                         [encoded, "%.load", "!%", encoded]).rowcount
        # Every session of the bench database ended: allauth checks each open session of a
        # user at each login, and the nurses' sessions would pile up run after run.
        ended = conn.execute("DELETE FROM django_session").rowcount
        conn.execute("DELETE FROM usersessions_usersession")
    print(f"{n} load logins rehashed ({encoded.split('$')[0]}), {ended} sessions ended")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, nargs="+", default=[50, 200])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--scale-workers", type=int, nargs="*", default=[1, 2, 4])
    ap.add_argument("--port", type=int, default=8766)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("needs DATABASE_URL and REDIS_URL (run through tools/with_services.py)")
        return 2
    if not CREDENTIALS.exists():
        print(f"no {CREDENTIALS}: run bench/load_data.py with --logins first")
        return 2
    env = dict(os.environ, PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="bench.ingest_settings",
               DATABASE_URL=urlunparse(urlparse(url)._replace(path="/constel_load")),
               DJANGO_DEBUG="0", CELERY_TASK_ALWAYS_EAGER="0")
    _rehash_logins(env)
    summary = []
    stack = _stack(env, args.port, args.workers)
    try:
        for users in args.users:
            mix = _locust(env, args.port, users, args.seconds, False, f"mix-{users}")
            bare = _locust(env, args.port, users, args.seconds, True, f"bare-{users}")
            _print(f"{users} users, {args.workers} workers: the mix", mix)
            _print(f"{users} users, {args.workers} workers: bare views, same mix", bare)
            summary.append((users, args.workers, mix["Aggregated"], bare["Aggregated"]))
    finally:
        _stop(stack)
    for workers in args.scale_workers:
        stack = _stack(env, args.port, workers)
        try:
            mix = _locust(env, args.port, max(args.users), args.seconds, False,
                          f"w{workers}")
        finally:
            _stop(stack)
        summary.append((max(args.users), workers, mix["Aggregated"], None))
    print("\n| users | workers | mix req/s | p50 | p95 | p99 | failures | bare req/s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for users, workers, mix, bare in summary:
        rps = float(mix["Requests/s"])
        bare_rps = float(bare["Requests/s"]) if bare else None
        print(f"| {users} | {workers} | {rps:.1f} | {mix['50%']} ms | {mix['95%']} ms | "
              f"{mix['99%']} ms | {mix['Failure Count']} | "
              f"{f'{bare_rps:.1f}' if bare_rps else '—'} | "
              f"{f'{rps / bare_rps:.2f}' if bare_rps else '—'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
