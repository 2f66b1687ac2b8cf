"""Test settings: PostgreSQL and Redis started by tools/with_services.py (see Makefile).

DATABASE_URL names the owner role (it creates the test database and runs migrations); the
tests then reconnect as DATABASE_APP_ROLE, which cannot bypass row-level security.
"""

from .base import *  # noqa: F403
from .base import env

# pytest-xdist: each worker has its own test database (pytest-django suffixes its name) and
# its own Redis database, so a worker's cache.clear() or queue never touches another's.
_WORKER = env("PYTEST_XDIST_WORKER", default="")
if _WORKER and REDIS_URL:  # noqa: F405
    _index = int(_WORKER.removeprefix("gw")) + 1
    REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + f"/{_index}"  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    # what tests hand to the subprocesses they start (a real Celery worker) reads the same
    import os as _os

    _os.environ["REDIS_URL"] = REDIS_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASE_APP_PASSWORD = env("DATABASE_APP_PASSWORD", default="")
CONSTEL_REQUIRE_STAFF_MFA = env.bool("CONSTEL_REQUIRE_STAFF_MFA", default=True)
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Tasks run in-process unless a test starts a real worker (tests/constel/test_celery.py).
CELERY_TASK_ALWAYS_EAGER = True
SMS_BACKEND = "constel.sms.LocmemBackend"
