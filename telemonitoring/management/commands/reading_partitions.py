"""Monthly partitions of the readings (PostgreSQL): create ahead, list, detach old months.

    python manage.py reading_partitions                      # this month + 3 ahead
    python manage.py reading_partitions --from 2024-11 --ahead 3
    python manage.py reading_partitions --list
    python manage.py reading_partitions --detach-before 2024-01   # as the tables' owner

The beat job ``pathways.reading_partitions`` does the first every day; a detached month's
table stays in the database until it is archived (pg_dump -t) and dropped.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.management.base import BaseCommand, CommandError

from telemonitoring.partitions import (
    NotOwner,
    partitions_create,
    partitions_detach,
    partitions_list,
)

#: A detach of a month more recent than this is refused without --force: the programme's
#: evaluation reads two years of readings.
KEEP_MONTHS = 24


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise CommandError(f"{text!r}: give a month as YYYY-MM, e.g. 2024-01.") from exc


class Command(BaseCommand):
    help = "Create the readings' monthly partitions ahead, list them, or detach old months."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=_month,
                            help="first month to create (YYYY-MM; default: this month)")
        parser.add_argument("--ahead", type=int, default=None,
                            help="months after this one (default: READING_PARTITIONS_AHEAD)")
        parser.add_argument("--list", action="store_true", help="list the partitions")
        parser.add_argument("--detach-before", type=_month,
                            help="detach the months before this one (YYYY-MM), as the owner")
        parser.add_argument("--force", action="store_true",
                            help=f"allow detaching months of the last {KEEP_MONTHS} months")

    def handle(self, *args, **o):
        if o["list"]:
            for p in partitions_list():
                label = f"{p.month:%Y-%m}" if p.month else "default"
                state = "" if p.attached else "  (detached)"
                self.stdout.write(f"{p.name:32} {label:8} ~{p.estimated_rows:>12,} rows "
                                  f"{p.bytes / 2**20:>10.1f} MiB{state}")
            return
        if o["detach_before"]:
            today = datetime.now(UTC).date()  # utc-day: partitions are UTC months
            limit = date(today.year - KEEP_MONTHS // 12, today.month, 1)
            if o["detach_before"] > limit and not o["force"]:
                raise CommandError(f"Months after {limit:%Y-%m} hold readings the programme "
                                   f"still evaluates: add --force to detach them anyway.")
            try:
                names = partitions_detach(before=o["detach_before"])
            except NotOwner as exc:
                raise CommandError(str(exc)) from exc
            for name in names:
                self.stdout.write(f"detached {name} (archive it: pg_dump -t {name}, "
                                  f"then DROP TABLE {name})")
            if not names:
                self.stdout.write("No partition to detach.")
            return
        if o["ahead"] is not None and not 0 <= o["ahead"] <= 24:
            raise CommandError("--ahead: between 0 and 24 months.")
        created = partitions_create(first_month=o["first"], ahead=o["ahead"])
        self.stdout.write(f"{created} partition(s) created.")
