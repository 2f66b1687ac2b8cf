"""The pathway's SQL (PostgreSQL), in one place: the worklist's counts, one statement over the
ORM's own queries."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet


def counts(querysets: list[QuerySet]) -> list[int]:
    """How many rows each queryset has, in one statement (a worklist has 14 sections: 14
    round trips and 14 aggregations for the ORM to build, otherwise). Each part is the ORM's
    own SQL with its parameters; nothing typed by a user is spelled into it."""
    parts, params = [], []
    for n, qs in enumerate(querysets):
        try:
            sql, p = qs.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # e.g. .none(): nothing to count
            parts.append("0")
            continue
        parts.append(f"(SELECT count(*) FROM ({sql}) AS q{n})")  # noqa: S608 (the ORM's SQL)
        params.extend(p)
    if set(parts) == {"0"}:
        return [0] * len(parts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(c) for c in cursor.fetchone()]
