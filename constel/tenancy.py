"""Tenancy: the one home of "which programme are we in".

Two barriers keep tenants apart:

1. In Python, tenant-owned models use :class:`TenantManager`, which only returns rows of the
   tenant made current by :func:`tenant_context` (and nothing when no tenant is current), and
   selectors take the tenant explicitly (``Model.objects.for_tenant(tenant)``).
2. On PostgreSQL, every tenant-owned table has row-level security (FORCE) with a policy on
   the connection setting ``app.tenant_id``; :func:`tenant_context` sets it, and every
   statement runs in the current context's state (``_state_guard`` puts it first when a
   connection still holds the state of a context just left). With no tenant set no row is
   visible (fail-closed), which also covers foreign-key traversal, raw SQL, the admin and
   management commands.

Requests enter the context in ``constel.middleware.TenantMiddleware``; Celery tasks in
``constel.tasks.tenant_task``.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, models
from django.db.backends.signals import connection_created
from django.db.migrations.operations.base import Operation
from django.dispatch import receiver
from django.http import Http404
from psycopg.pq import TransactionStatus

if TYPE_CHECKING:
    from constel.models import Tenant

_tenant_id: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar(
    "tenant_id", default=None
)
_user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)


def current_tenant_id() -> uuid.UUID | None:
    return _tenant_id.get()


def current_user_id() -> int | None:
    return _user_id.get()


_IDLE, _IN_TRANSACTION, _IN_ERROR = (TransactionStatus.IDLE, TransactionStatus.INTRANS,
                                     TransactionStatus.INERROR)
_SET_STATE_SQL = (
    "SELECT set_config('app.tenant_id', %s, false), set_config('app.user_id', %s, false)")


def _apply_to_connection(connection: Any) -> None:
    """Copy the context into the PostgreSQL session settings read by the RLS policies."""
    tenant_id, user_id = _tenant_id.get(), _user_id.get()
    connection._constel_durable = connection._constel_txn_state = None
    with sets_own_state(connection), connection.cursor() as cursor:
        cursor.execute(_SET_STATE_SQL, [str(tenant_id) if tenant_id else "",
                                        str(user_id) if user_id else ""])
    # A setting made inside a transaction is undone by its rollback: only one made in
    # autocommit is known to hold (see _holds); one made in a transaction holds
    # until that transaction ends (see _state_guard).
    if connection.get_autocommit() and not connection.in_atomic_block:
        connection._constel_durable = (tenant_id, user_id)
    else:
        connection._constel_txn_state = (tenant_id, user_id)


def _holds(connection: Any, state: tuple) -> bool:
    """``connection``'s session is known to hold ``state``: set in autocommit (no rollback
    can undo it), or set in the transaction still open (its rollback would undo it, but
    then no statement of it runs any more). Between transactions, a setting made in the
    last one is not trusted: it may have been rolled back."""
    held = connection._constel_durable
    if held is None:
        status = connection.connection.info.transaction_status
        if status == _IDLE:
            connection._constel_txn_state = None
        elif status != _IN_TRANSACTION:
            return False
        held = connection._constel_txn_state
    return held == state


def _all_hold(state: tuple) -> bool:
    """Every open PostgreSQL connection holds ``state`` (_holds): entering that same state
    again needs no round trip."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if not _holds(conn, state):
            return False
    return True


@contextmanager
def sets_own_state(connection: Any) -> Iterator[None]:
    """The statements run inside set ``app.tenant_id`` / ``app.user_id`` themselves (the
    state's own setter, the API token login): the guard does not put the context's state
    first. The caller records what they set (note_session_state)."""
    previous = getattr(connection, "_constel_own_state", False)
    connection._constel_own_state = True
    try:
        yield
    finally:
        connection._constel_own_state = previous


def _state_guard(execute: Any, sql: str, params: Any, many: bool, context: dict) -> Any:
    """Every statement runs in the current context's state: a connection still holding
    another (left by a context exited without a round trip, see tenant_context) gets the
    current one first. Installed on every PostgreSQL connection (execute wrapper)."""
    connection = context["connection"]
    if not (getattr(connection, "_constel_own_state", False) or _holds(
            connection, (_tenant_id.get(), _user_id.get()))):
        if connection.connection.info.transaction_status == _IN_ERROR:
            return execute(sql, params, many, context)  # a failed transaction: it fails too
        _apply_to_connection(connection)
    return execute(sql, params, many, context)


@receiver(connection_created)
def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    # A connection opened inside a tenant context (or reopened after a failure) must carry it.
    if _state_guard not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _state_guard)
    if not getattr(connection, "_constel_savepoint_hook", False):
        _forget_state_on_savepoint_rollback(connection)
    connection._constel_txn_state = None
    if _tenant_id.get() is not None or _user_id.get() is not None:
        _apply_to_connection(connection)
    else:
        connection._constel_durable = (None, None)  # a new session: nothing set


def _forget_state_on_savepoint_rollback(connection: Any) -> None:
    """A rollback to a savepoint undoes the settings made since, inside a transaction that
    stays open: what was believed set there is no longer known (the next statement sets the
    context's state again)."""
    original = connection._savepoint_rollback

    def _savepoint_rollback(sid: str) -> None:
        original(sid)
        connection._constel_txn_state = None

    connection._savepoint_rollback = _savepoint_rollback
    connection._constel_savepoint_hook = True


def _apply_to_open_connections(*, resetting: bool = False) -> None:
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        try:
            _apply_to_connection(conn)
        except DatabaseError:
            conn._constel_durable = None
            if not resetting:
                raise
            # A connection whose tenant could not be reset must never be reused.
            conn.close()


def note_session_state(connection: Any, tenant_id: uuid.UUID | None,
                       user_id: int | None) -> None:
    """A statement run outside ``tenant_context`` set ``app.tenant_id`` / ``app.user_id``
    (session-level) on ``connection`` — the API token login does, in the round trip that
    finds the token: record what the session now holds, so that entering that context costs
    no second round trip. Only a setting made in autocommit is known to hold."""
    connection._constel_durable = connection._constel_txn_state = None
    if connection.get_autocommit() and not connection.in_atomic_block:
        connection._constel_durable = (tenant_id, user_id)
    else:
        connection._constel_txn_state = (tenant_id, user_id)


def reset_connections() -> None:
    """Put every open connection back in the current context's state (outside any context:
    no tenant, nothing visible), e.g. after a statement set another state and was refused."""
    _apply_to_open_connections(resetting=True)


_SAME_USER: Any = object()


@contextmanager
def tenant_context(
    tenant: Tenant | uuid.UUID | str | None, *, user_id: int | None = _SAME_USER
) -> Iterator[None]:
    """Make ``tenant`` current (None: no tenant, nothing visible) and restore on exit.

    ``user_id`` unspecified keeps the current user when the tenant stays the same (a
    service called from a request), none otherwise. Entering the state already in force
    costs nothing when it is known to hold on every connection (set in autocommit)."""
    tenant_id = getattr(tenant, "pk", tenant)
    if isinstance(tenant_id, str):
        tenant_id = uuid.UUID(tenant_id)
    if user_id is _SAME_USER:
        user_id = _user_id.get() if tenant_id is not None and tenant_id == _tenant_id.get() \
            else None
    if (tenant_id, user_id) == (_tenant_id.get(), _user_id.get()) and _all_hold(
            (tenant_id, user_id)):
        yield
        return
    # The programme's time zone is the current one inside its context: Django's localdate,
    # localtime, __date lookups and the templates' dates are the programme's days.
    from django.utils import timezone as django_tz

    from constel.dates import programme_zone

    zone = programme_zone(tenant if tenant_id is not None else None)
    tenant_token = _tenant_id.set(tenant_id)
    user_token = _user_id.set(user_id)
    zone_override = django_tz.override(zone)
    zone_override.__enter__()
    try:
        if not _all_hold((tenant_id, user_id)):
            _apply_to_open_connections()
        yield
    finally:
        zone_override.__exit__(None, None, None)
        _tenant_id.reset(tenant_token)
        _user_id.reset(user_token)
        # Leaving costs no round trip: a connection keeps the state left until its next
        # statement, which _state_guard precedes with the current state — or which sets its
        # own (the next request's token login).


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | uuid.UUID) -> TenantQuerySet:
        return self.filter(tenant_id=getattr(tenant, "pk", tenant))


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default manager of tenant-owned models: the current tenant's rows, or none."""

    def get_queryset(self) -> TenantQuerySet:
        qs = super().get_queryset()
        tenant_id = _tenant_id.get()
        if tenant_id is None:
            return qs.none()
        return qs.filter(tenant_id=tenant_id)


class TenantOwned(models.Model):
    """Base of every tenant-owned model: the tenant column, UUID keys, scoped managers.

    ``unscoped`` is for code that works across tenants on purpose (it still meets RLS on
    PostgreSQL, so it only sees what the connection's tenant allows).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("constel.Tenant", on_delete=models.PROTECT, related_name="+")

    objects = TenantManager()
    unscoped = models.Manager.from_queryset(TenantQuerySet)()

    class Meta:
        abstract = True
        base_manager_name = "unscoped"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Rows are written into the current tenant only: a mismatch is a programming error.
        current = _tenant_id.get()
        if self.tenant_id is None and current is not None:
            self.tenant_id = current
        elif current is not None and self.tenant_id != current:
            raise ValueError("Refusing to write a row of another tenant than the current one")
        super().save(*args, **kwargs)


def get_object_for_tenant_or_404(
    queryset: models.QuerySet | type[models.Model], tenant: Tenant, **lookup: Any
) -> Any:
    """The one way views fetch an object: same 404 for missing and another tenant's."""
    if isinstance(queryset, type):
        queryset = queryset.objects.all()
    try:
        return queryset.filter(tenant_id=tenant.pk).get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError) as exc:
        # A malformed UUID is "not found" too, never a 500.
        raise Http404 from exc


# --- Row-level security -------------------------------------------------------------------

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
USER_PREDICATE = "user_id = NULLIF(current_setting('app.user_id', true), '')::bigint"


def enable_rls_sql(table: str, using: str = TENANT_PREDICATE) -> list[str]:
    """The statements forcing row-level security on ``table`` (quoted) with the
    ``tenant_isolation`` policy: rows visible by ``using``, written in the current tenant."""
    return [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING ({using}) WITH CHECK ({TENANT_PREDICATE})"]


class EnableRLS(Operation):
    """Migration operation: FORCE row-level security on a tenant-owned table.

    ``also_user_rows`` lets a user see their own rows across tenants (memberships: the
    tenant switcher lists them before a tenant is chosen). No-op outside PostgreSQL.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, also_user_rows: bool = False) -> None:
        self.model_name = model_name
        self.also_user_rows = also_user_rows

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs = {"also_user_rows": True} if self.also_user_rows else {}
        return self.__class__.__name__, [self.model_name], kwargs

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _table(self, app_label: str, state: Any) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        table = schema_editor.quote_name(self._table(app_label, to_state))
        predicate = TENANT_PREDICATE
        if self.also_user_rows:
            predicate = f"({TENANT_PREDICATE}) OR ({USER_PREDICATE})"
        for statement in enable_rls_sql(table, predicate):
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name}"


def tenant_owned_models() -> list[type[models.Model]]:
    """Every concrete tenant-owned model, historical (audit) tables included."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        if issubclass(model, TenantOwned) or (
            getattr(model, "instance_type", None) is not None
            and issubclass(model.instance_type, TenantOwned)
        ):
            found.append(model)
    return found
