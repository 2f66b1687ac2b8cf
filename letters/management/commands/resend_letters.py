"""resend_letters --tenant SLUG [--since YYYY-MM-DD] [--id UUID ...]: queue failed letters
again (after an SMTP outage). Letters already sent are never queued."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from constel.models import Tenant
from constel.utils import is_uuid


class Command(BaseCommand):
    help = "Queue the failed letters of a programme again (never those already sent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--since", help="only letters created since this date")
        parser.add_argument("--id", action="append", dest="ids", help="a letter (repeatable)")

    def handle(self, *args, tenant: str, since: str | None, ids: list | None, **options):
        from letters.services import letters_resend

        t = Tenant.objects.filter(slug=tenant).first()
        if t is None:
            raise CommandError(f"--tenant: no programme {tenant!r}.")
        day = None
        if since:
            try:
                day = date.fromisoformat(since)
            except ValueError as exc:
                raise CommandError(f"--since: {since!r} is not a date (YYYY-MM-DD).") from exc
        if ids and not all(is_uuid(i) for i in ids):
            raise CommandError("--id: give letter identifiers (UUID).")
        n = letters_resend(tenant=t, letter_ids=ids, since=day)
        self.stdout.write(f"{n} letter(s) queued again.")
