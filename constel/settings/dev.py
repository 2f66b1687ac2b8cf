"""Local development and `make demo` (PostgreSQL under var/, tools/demo.py): Celery
in-process unless REDIS_URL is set, e-mails written to var/mail/."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
VAR_DIR.mkdir(exist_ok=True)
# The demo's "outbox": e-mails (letters with their PDF, invitations) are written to var/mail/
# instead of flooding the console.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
