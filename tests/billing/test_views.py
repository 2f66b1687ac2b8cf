"""The finance clerk's statements pages (issue #21, trap 3): a mistyped year is a message; a
draft compiled out of order can be discarded and its forfaits return unclaimed; the ended
periods never compiled are listed; issuing says what it freezes and waits for the period's
end."""

from __future__ import annotations

import html
import re
from datetime import date

from django.urls import reverse
from django.utils import timezone

from billing.models import ClaimStatement, ExportLog, ForfaitDue
from billing.services import periods_never_compiled
from constel.roles import Role
from constel.tenancy import tenant_context
from tests.billing.test_services import _backdate, _lines


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _statements(world):
    with tenant_context(world.tenant):
        return list(ClaimStatement.objects.order_by("period_start"))


def test_a_mistyped_year_is_a_message_and_no_draft(client, login, world):
    finance = login(world.user(Role.FINANCE))
    answer = finance.post(reverse("billing:compile"), {"period": "2031-03-01"})
    assert answer.status_code == 400
    page = _text(answer)
    assert 'id="compile-period-error"' in page and 'value="2031-03-01"' in page
    assert "n'a pas encore commencé" in page and 'href="#compile-period"' in page
    assert _statements(world) == []


def test_a_draft_compiled_out_of_order_is_discarded_and_its_forfaits_return(
        client, login, world):
    """The current period compiled first takes the earlier periods' forfaits as late debits;
    the clerk sees the earlier period never compiled, discards the draft, compiles in order:
    each forfait on its own period's statement."""
    _backdate(world, world.enrollment, pps=date(2025, 1, 10), y1=date(2025, 2, 1))
    finance = login(world.user(Role.FINANCE))
    today = timezone.localdate()
    finance.post(reverse("billing:compile"), {"period": today.isoformat()})
    (current,) = _statements(world)
    assert {t for _k, t, _a in _lines(current)} == {"debit"}  # found "late"
    page = _text(finance.get(reverse("billing:statements")))
    assert "Périodes terminées jamais compilées" in page
    # An export of the bogus draft stays in the log after the discard.
    assert finance.get(reverse("billing:statement_export",
                               args=[current.pk, "csv"])).status_code == 200
    confirm = finance.get(reverse("billing:statement_discard", args=[current.pk]))
    assert "redeviennent à facturer" in _text(confirm)
    assert _statements(world) == [current]  # looking at the page discards nothing
    finance.post(reverse("billing:statement_discard", args=[current.pk]))
    assert _statements(world) == []
    with tenant_context(world.tenant):
        assert not ForfaitDue.objects.exists()
        assert ExportLog.objects.filter(statement=None, format="csv").count() == 1
    finance.post(reverse("billing:compile"), {"period": "2025-01-10"})
    (earlier,) = _statements(world)
    assert {t for _k, t, _a in _lines(earlier)} == {"original"}
    finance.post(reverse("billing:compile"), {"period": today.isoformat()})
    assert _lines(_statements(world)[-1]) == []  # nothing claimed twice


def test_issuing_says_what_it_freezes_and_waits_for_the_end_of_the_period(
        client, login, world):
    _backdate(world, world.enrollment, pps=date(2025, 1, 10), y1=date(2025, 2, 1))
    finance = login(world.user(Role.FINANCE))
    finance.post(reverse("billing:compile"), {"period": "2025-01-10"})
    finance.post(reverse("billing:compile"), {"period": timezone.localdate().isoformat()})
    past, running = _statements(world)
    # The running period is a preview: no issue button, and the service refuses.
    page = _text(finance.get(reverse("billing:statement", args=[running.pk])))
    assert "Période en cours" in page
    assert reverse("billing:statement_issue", args=[running.pk]) not in page
    refused = finance.post(reverse("billing:statement_issue", args=[running.pk]), follow=True)
    assert "peut être émis à partir du lendemain" in _text(refused)
    # The ended one: the confirmation names the total and what it freezes; GET issues nothing.
    confirm = _text(finance.get(reverse("billing:statement_issue", args=[past.pk])))
    assert "fige définitivement" in confirm
    assert re.search(r"Émettre pour 1\s988,00\s€ \(définitif\)", confirm)  # the total, French
    with tenant_context(world.tenant):
        assert ClaimStatement.objects.get(pk=past.pk).status == "draft"
    finance.post(reverse("billing:statement_issue", args=[past.pk]))
    with tenant_context(world.tenant):
        issued = ClaimStatement.objects.get(pk=past.pk)
    assert issued.status == "issued" and issued.number == 1
    # An issued statement is never discarded.
    finance.post(reverse("billing:statement_discard", args=[past.pk]))
    with tenant_context(world.tenant):
        assert ClaimStatement.objects.filter(pk=past.pk, status="issued").exists()


def test_the_periods_never_compiled_are_the_ended_ones_without_a_statement(world):
    today = timezone.localdate()
    with tenant_context(world.tenant):
        missing = periods_never_compiled(world.tenant, today=today)
    assert missing and all(end < today for _s, end in missing)
    assert missing[0][0] == world.tenant.claim_period_anchor
