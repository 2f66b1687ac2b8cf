"""compile_claims --tenant SLUG --period YYYY-MM-DD: compile the claim statement of the
period containing that date (a draft; compiling again gives the same statement)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from constel.models import Tenant


class Command(BaseCommand):
    help = "Compile the claim statement of the period containing a date."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--period", required=True,
                            help="a date (YYYY-MM-DD) in the period to compile")

    def handle(self, *args, tenant: str, period: str, **options) -> None:
        from billing.services import compile_claims

        try:
            day = date.fromisoformat(period)
        except ValueError as exc:
            raise CommandError(f"--period: {period!r} is not a date (YYYY-MM-DD).") from exc
        t = Tenant.objects.filter(slug=tenant).first()
        if t is None:
            raise CommandError(f"--tenant: no programme {tenant!r}.")
        try:
            statement = compile_claims(tenant=t, day=day)
        except ValidationError as exc:
            raise CommandError("; ".join(m for ms in exc.message_dict.values() for m in ms)) \
                from exc
        from constel.tenancy import tenant_context

        with tenant_context(t):
            lines = statement.lines.count()
        self.stdout.write(f"{t.slug} {statement.period_start}–{statement.period_end}: "
                          f"{statement.get_status_display()}, {lines} lines, "
                          f"{statement.total} €")
