"""Monthly partitions of the readings (PostgreSQL; migration 0023 partitions the table).

Created ahead by the beat job through ``constel_reading_partitions``, a SECURITY DEFINER
function owned by the table owner (the application role may call it, nothing more); rows of
a month that landed in the DEFAULT partition move into the month's partition when it is
created. Detaching an old month for archiving is an operator's act, as the owner
(``manage.py reading_partitions --detach-before YYYY-MM``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connection, transaction

PARENT = "pathways_reading"
NAME = re.compile(r"^pathways_reading_y(\d{4})m(\d{2})$")


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # None: the default partition
    estimated_rows: int
    bytes: int
    attached: bool = True


def partitions_create(*, first_month: date | None = None, ahead: int | None = None) -> int:
    """Create the monthly partitions from ``first_month`` (default: this month) to
    ``ahead`` months after this one; returns how many were created (0 when all exist)."""
    ahead = settings.READING_PARTITIONS_AHEAD if ahead is None else ahead
    first_month = first_month or datetime.now(UTC).date().replace(day=1)  # utc-day: partitions
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT constel_reading_partitions(%s, %s)", [first_month, ahead])
        return cursor.fetchone()[0]


def partitions_list() -> list[Partition]:
    """Attached partitions (months in order, then the default one) and detached months left
    in the database; sizes from the catalogue (no row is read, so no tenant is needed)."""
    with connection.cursor() as cursor:
        return _list(cursor)


def _list(cursor) -> list[Partition]:
    cursor.execute(
        "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), "
        "       c.relispartition "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' "
        "  AND c.relname LIKE 'pathways\\_reading\\_%' ORDER BY c.relname")
    found = []
    for name, tuples, size, attached in cursor.fetchall():
        match = NAME.match(name)
        if match is None and name != f"{PARENT}_default":
            continue
        month = date(int(match[1]), int(match[2]), 1) if match else None
        found.append(Partition(name, month, max(tuples, 0), size, attached))
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min))


class NotOwner(PermissionError):
    pass


def partitions_detach(*, before: date) -> list[str]:
    """Detach the monthly partitions of months before ``before`` (their tables stay, for
    archiving with pg_dump, then DROP). Needs the table owner's connection."""
    with transaction.atomic(), connection.cursor() as cursor:
        return detach_before(cursor, before)


def detach_before(cursor, before: date) -> list[str]:
    """partitions_detach's work on any DB-API cursor, inside its transaction."""
    cursor.execute("SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
                   "WHERE c.oid = 'pathways_reading'::regclass")
    if not cursor.fetchone()[0]:
        raise NotOwner("Detaching partitions needs the owner of the tables: run this "
                       "command with the migrations' DATABASE_URL.")
    # a brief exclusive lock on the readings: give up rather than queue every request
    cursor.execute("SET LOCAL lock_timeout = '5s'")
    detached = []
    for partition in _list(cursor):
        if partition.attached and partition.month and partition.month < before:
            cursor.execute(f'ALTER TABLE {PARENT} DETACH PARTITION "{partition.name}"')
            detached.append(partition.name)
    return detached
