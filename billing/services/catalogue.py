"""The billing catalogue (forfait kinds, dated tariffs, the professions paid from the
forfaits) and the programme's claim periods (DESIGN §7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing import rules
from billing.models import (
    BudgetPlanYear,
    ForfaitKind,
    RemunerationRate,
    Tariff,
)
from constel.models import Tenant, User
from constel.tenancy import tenant_context

#: Professions paid from the forfaits (self-employed, DESIGN §7); the others are salaried
#: or paid by ordinary insurance.
SELF_EMPLOYED = {"psychologist", "tobacco_specialist", "dietitian", "neuropsychologist",
                 "social_worker", "sports_educator", "podiatrist", "sports_physician"}


def _facts() -> dict:
    return yaml.safe_load((Path(settings.BASE_DIR) / "reference" / "constel-action.yaml")
                          .read_text())


@transaction.atomic
def catalogue_load(*, tenant: Tenant) -> int:
    """Forfaits (synthèse, Table 7), dated tariffs, remuneration rates (preamble of the
    revision of 1 July 2025 and Table 10) and the budget plan (Table 13)."""
    facts = _facts()
    with tenant_context(tenant):
        kinds = {}
        for code, f in facts["forfaits"].items():
            kinds[code], _created = ForfaitKind.objects.update_or_create(
                tenant=tenant, code=code, defaults={
                    "label": f["label"], "group": f.get("group", ""), "due_on": f["due_on"],
                    "instalments": [[0, "1"]]})
        for version in facts["tariffs"]:
            for code, kind in kinds.items():
                Tariff.objects.update_or_create(
                    tenant=tenant, kind=kind, valid_from=version["valid_from"],
                    defaults={"valid_to": version.get("valid_to"),
                              "amount": Decimal(str(version[code]))})
        RemunerationRate.objects.all().delete()
        for r in facts["remuneration_rates"]:
            RemunerationRate.objects.create(
                tenant=tenant, profession=r["profession"], valid_from=r.get("valid_from"),
                valid_to=r.get("valid_to"), per_session=Decimal(str(r["per_session"])),
                session_minutes=r.get("minutes"))
        for profession, per_hour in facts["hourly_costs_eur"].items():
            if profession in SELF_EMPLOYED:
                RemunerationRate.objects.create(tenant=tenant, profession=profession,
                                                per_hour=Decimal(str(per_hour)))
        plan = facts["budget_plan"]
        for year in range(1, 6):
            key = f"year{year}"
            BudgetPlanYear.objects.update_or_create(tenant=tenant, year=year, defaults={
                "inclusions": plan["inclusions"].get(key, 0),
                "forfait_assessment": plan["forfait_bilan_eur"].get(key, 0),
                "forfait_year1": plan["forfait_year1_eur"].get(key, 0),
                "forfait_year2": plan["forfait_year2_eur"].get(key, 0)})
        return len(kinds)


@transaction.atomic
def tariff_add(*, tenant: Tenant, code: str, valid_from: date, amount, actor: User | None,
               valid_to: date | None = None) -> Tariff:
    """A new tariff version from ``valid_from``. The open-ended version before it is closed
    the day before; any other overlap is refused. Claims already compiled keep their amount."""
    try:
        amount = Decimal(str(amount).replace(",", "."))
    except ArithmeticError as exc:
        raise ValidationError({"amount": _("Enter an amount in euros.")}) from exc
    if amount < 0 or not amount.is_finite():
        raise ValidationError({"amount": _("A tariff cannot be negative.")})
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The end date is before the start date.")})
    with tenant_context(tenant):
        kind = ForfaitKind.objects.select_for_update().filter(code=code).first()
        if kind is None:
            raise ValidationError({"kind": _("Unknown forfait.")})
        versions = list(Tariff.objects.filter(kind=kind).order_by("valid_from"))
        for v in versions:
            if v.valid_to is None and v.valid_from < valid_from:
                v.valid_to = date.fromordinal(valid_from.toordinal() - 1)
                continue
            if v.valid_from <= (valid_to or date.max) and valid_from <= (v.valid_to or date.max):
                raise ValidationError({"valid_from": _(
                    "This period overlaps the tariff of %(amount)s € valid from %(start)s.")
                    % {"amount": v.amount, "start": v.valid_from.strftime("%d/%m/%Y")}})
        for v in versions:
            if v.valid_to is not None and v.pk and v.valid_to == date.fromordinal(
                    valid_from.toordinal() - 1):
                v.save(update_fields=["valid_to"])
        return Tariff.objects.create(tenant=tenant, kind=kind, valid_from=valid_from,
                                     valid_to=valid_to, amount=amount, created_by=actor)


def period_check(tenant: Tenant, day: date) -> None:
    """A period a claim can be compiled for: not before the programme's first period, not
    one that has not started yet (a mistyped year is a message, never a draft that absorbs
    every unbilled forfait)."""
    from constel.dates import in_range
    from constel.dates import today as programme_today

    if not in_range(day) or day < tenant.claim_period_anchor:
        raise ValidationError({"period": _(
            "This date is before the programme's first claim period (%(start)s).")
            % {"start": tenant.claim_period_anchor.strftime("%d/%m/%Y")}})
    if day > programme_today(tenant):
        raise ValidationError({"period": _("This period has not started yet.")})


def period_of(tenant: Tenant, day: date) -> tuple[date, date]:
    return rules.period_containing(day, anchor=tenant.claim_period_anchor,
                                   calendar=tenant.claim_period_kind == Tenant.PeriodKind.CALENDAR)
