"""purge_expired --tenant SLUG [--apply]: patients whose retention period after exit is over.
Without --apply it only reports (dry run)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from constel.models import Tenant


class Command(BaseCommand):
    help = "Anonymise the records whose retention period is over (dry run by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--apply", action="store_true", help="really anonymise")

    def handle(self, *args, tenant: str, apply: bool, **options) -> None:
        from patients.services import anonymise, retention_due

        t = Tenant.objects.filter(slug=tenant).first()
        if t is None:
            raise CommandError(f"--tenant: no programme {tenant!r}.")
        due = retention_due(tenant=t)
        for p in due:
            self.stdout.write(f"{p.pk}  exited {p.last_exit}  "
                              f"{'anonymised' if apply else 'would be anonymised'}")
            if apply:
                anonymise(patient=p)
        self.stdout.write(f"{len(due)} record(s) past {t.retention_years} years after exit"
                          f"{'' if apply else ' (dry run: nothing changed)'}.")
