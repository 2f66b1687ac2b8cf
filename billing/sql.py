"""Billing's SQL statements (PostgreSQL), in one place: plain constants, one parameter each."""

from __future__ import annotations

#: One compilation per tenant and period at a time (held to the end of the transaction).
#: Parameter: the key "claims:<tenant>:<period start>".
PERIOD_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext(%s))"

#: Emptying a draft before recompiling or discarding it, set-based (the ORM would load every
#: line to cascade): its claims leave the ledger, its credits stand reversed no more, its
#: lines go. Parameter: the statement's id, in this order.
CLEAR_DRAFT_SQL = (
    "DELETE FROM billing_forfaitdue WHERE line_id IN "
    "(SELECT id FROM billing_claimline WHERE statement_id = %s)",
    "UPDATE billing_forfaitdue SET credited_by_id = NULL WHERE credited_by_id IN "
    "(SELECT id FROM billing_claimline WHERE statement_id = %s)",
    "DELETE FROM billing_claimline WHERE statement_id = %s",
)
