"""Billing writes (DESIGN §7): the names callers import, from the modules that hold them
(catalogue and periods, claims, remuneration, exports)."""

from __future__ import annotations

from billing.services.catalogue import (  # noqa: F401
    SELF_EMPLOYED,
    catalogue_load,
    period_check,
    period_of,
    tariff_add,
)
from billing.services.claims import (  # noqa: F401
    STATEMENT_MOVES,
    Expected,
    compile_claims,
    expected_dues,
    period_lock,
    periods_never_compiled,
    statement_discard,
    statement_issue,
    statement_transition,
)
from billing.services.exports import (  # noqa: F401
    EXPORT_COLUMNS,
    export_csv,
    export_pdf,
    export_rows,
    export_xlsx,
    remuneration_csv,
    remuneration_pdf,
    summary,
)
from billing.services.remuneration import (  # noqa: F401
    remuneration_compile,
    remuneration_issue,
)
