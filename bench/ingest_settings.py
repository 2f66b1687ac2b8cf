"""Settings for bench/ingestion.py and bench/load_test.py: the development settings without
debug (no query log), the project's URLs plus the bare views (bench/ingest_urls.py), a real
Redis broker. Staff logins without a second factor (the load test logs in with a password;
production keeps CONSTEL_REQUIRE_STAFF_MFA on)."""

from constel.settings.dev import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.ingest_urls"
CELERY_TASK_ALWAYS_EAGER = False
CONSTEL_REQUIRE_STAFF_MFA = False
# Every simulated user of the load test logs in from 127.0.0.1: allauth's per-IP login limit
# (30 a minute) would refuse most of them with 429 at 200 users.
ACCOUNT_RATE_LIMITS = {"login": "10000/m/ip", "login_failed": "5/10m/ip,5/10m/key"}
