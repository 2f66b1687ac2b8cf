"""constel.db.Prepared: hot statements planned once per connection."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from constel.db import Prepared, execute_prepared


def test_named_placeholders_become_numbered_parameters_once_each():
    p = Prepared("constel_test_named", "SELECT %(a)s::int + %(b)s::int + %(a)s::int, '50%%'")
    assert p.sql == "SELECT $1::int + $2::int + $1::int, '50%'"
    assert (p.keys, p.arity) == (["a", "b"], 2)
    positional = Prepared("constel_test_positional", "SELECT %s::int, %s::text")
    assert (positional.sql, positional.arity) == ("SELECT $1::int, $2::text", 2)
    with pytest.raises(ValueError):
        Prepared("constel_test_mixed", "SELECT %s, %(a)s")
    with pytest.raises(ValueError):
        Prepared("bad name; DROP TABLE x", "SELECT 1")


@pytest.mark.django_db(transaction=True)
def test_prepared_once_per_connection_and_survives_a_rollback(django_assert_num_queries):
    p = Prepared("constel_test_sum", "SELECT %(a)s::int + %(b)s::int")
    with transaction.atomic():
        with django_assert_num_queries(2), connection.cursor() as cursor:  # PREPARE, EXECUTE
            p.execute(cursor, {"a": 40, "b": 2})
            assert cursor.fetchone() == (42,)
        transaction.set_rollback(True)
    with django_assert_num_queries(1), connection.cursor() as cursor:  # EXECUTE only
        p.execute(cursor, {"a": 1, "b": 2})
        assert cursor.fetchone() == (3,)
    with pytest.raises(ValueError):
        p.execute(connection.cursor(), [1])
    connection.close()  # a new session prepares again
    with connection.cursor() as cursor:
        p.execute(cursor, {"a": 2, "b": 2})
        assert cursor.fetchone() == (4,)


@pytest.mark.django_db
def test_several_in_one_round_trip(django_assert_num_queries):
    one = Prepared("constel_test_one", "SELECT %s::int")
    two = Prepared("constel_test_two", "SELECT %s::text")
    with connection.cursor() as cursor:
        execute_prepared(cursor, (one, [1]), (two, ["x"]))
        assert cursor.fetchone() == (1,)
        cursor.nextset()
        assert cursor.fetchone() == ("x",)
    with django_assert_num_queries(1), connection.cursor() as cursor:
        execute_prepared(cursor, (one, [5]), (two, ["y"]))
        assert cursor.fetchone() == (5,)
