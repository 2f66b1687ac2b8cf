"""Settings for bench/ingestion.py: the development settings without debug (no query log),
the project's URLs plus one bare view (bench/ingest_urls.py), a real Redis broker."""

from constel.settings.dev import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.ingest_urls"
CELERY_TASK_ALWAYS_EAGER = False
