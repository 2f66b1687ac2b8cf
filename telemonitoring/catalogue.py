"""The indicator catalogue and the rules a PPS sets (DESIGN §5)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from constel.models import Tenant
from constel.tenancy import tenant_context
from pathways.models import CarePlan, Phase
from telemonitoring.models import AlertRule, Indicator

LABELS = {
    "body_weight": "Poids", "systolic_bp": "Tension systolique",
    "diastolic_bp": "Tension diastolique", "heart_rate": "Fréquence cardiaque",
    "spo2": "Saturation en oxygène (SpO2)", "steps": "Nombre de pas",
    "capillary_glucose": "Glycémie capillaire", "body_temperature": "Température",
    "dyspnoea": "Essoufflement (échelle mMRC 0 à 4)", "wellbeing": "Comment je me sens (0 à 10)",
}


DECIMALS = {"body_weight": 1, "capillary_glucose": 2, "body_temperature": 1}


#: PPS item code → indicators it follows
PPS_INDICATORS = {"blood_pressure": ["systolic_bp", "diastolic_bp"]}


FREQUENCY_HOURS = {"daily": 24, "3/week": 56, "2/week": 84, "weekly": 168}


FOLLOWING_PHASES = {Phase.PPS_DEFINITION, Phase.FOLLOW_UP_Y1, Phase.ANNUAL_UPDATE,
                    Phase.FOLLOW_UP_Y2, Phase.FINAL_ASSESSMENT}


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def indicators_load(*, tenant: Tenant) -> int:
    """The catalogue from reference/constel-action.yaml (LOINC, UCUM, ranges, thresholds)
    plus a dyspnoea score and a "how do you feel" scale."""
    facts = yaml.safe_load((Path(settings.BASE_DIR) / "reference" / "constel-action.yaml")
                           .read_text())["indicators"]
    facts = {k: v for k, v in facts.items() if not v.get("derived")}
    facts["dyspnoea"] = {"loinc": "", "unit": "{score}", "plausible": [0, 4], "warn_high": 3,
                         "crit_high": 4}
    facts["wellbeing"] = {"loinc": "", "unit": "{score}", "plausible": [0, 10], "warn_low": 3}
    with tenant_context(tenant):
        for position, (code, f) in enumerate(facts.items()):
            warn = f.get("warn") or [f.get("warn_low"), f.get("warn_high")]
            crit = f.get("crit") or [f.get("crit_low"), f.get("crit_high")]
            Indicator.objects.update_or_create(tenant=tenant, code=code, defaults={
                "loinc": f.get("loinc", ""), "label": LABELS.get(code, code), "unit": f["unit"],
                "alt_units": ["mmol/L"] if code == "capillary_glucose" else [],
                "decimals": DECIMALS.get(code, 0),
                "plausible_min": _d(f["plausible"][0]), "plausible_max": _d(f["plausible"][1]),
                "warn_low": _d(warn[0]), "warn_high": _d(warn[1]),
                "crit_low": _d(crit[0]), "crit_high": _d(crit[1]),
                "paired_with": {"systolic_bp": "diastolic_bp",
                                "diastolic_bp": "systolic_bp"}.get(code, ""),
                "position": position,
            })
        return Indicator.objects.count()


@transaction.atomic
def rules_from_care_plan(*, care_plan: CarePlan) -> int:
    """On issue: the PPS's telefollow-up items become the patient's active rules (defaults
    from the catalogue; the author's thresholds in ``details`` win); earlier ones retire."""
    with tenant_context(care_plan.tenant_id):
        catalogue = {i.code: i for i in Indicator.objects.all()}
        AlertRule.objects.filter(enrollment_id=care_plan.enrollment_id, active=True) \
            .update(active=False)
        created = 0
        for item in care_plan.items.filter(kind="telefollow_up"):
            code = item.details.get("indicator") or item.details.get("code") or item.label
            hours = FREQUENCY_HOURS.get(item.details.get("frequency", ""), 24)
            for ind_code in PPS_INDICATORS.get(code, [code]):
                indicator = catalogue.get(ind_code)
                if indicator is None:
                    continue
                t = item.details.get("thresholds", {}).get(ind_code, {})
                AlertRule.objects.create(
                    tenant_id=care_plan.tenant_id, enrollment_id=care_plan.enrollment_id,
                    care_plan=care_plan, indicator=indicator, kind=AlertRule.Kind.BOUNDS,
                    warn_low=_d(t.get("warn_low", indicator.warn_low)),
                    warn_high=_d(t.get("warn_high", indicator.warn_high)),
                    crit_low=_d(t.get("crit_low", indicator.crit_low)),
                    crit_high=_d(t.get("crit_high", indicator.crit_high)))
                AlertRule.objects.create(
                    tenant_id=care_plan.tenant_id, enrollment_id=care_plan.enrollment_id,
                    care_plan=care_plan, indicator=indicator, kind=AlertRule.Kind.MISSING,
                    expected_interval_hours=hours)
                created += 2
                if ind_code == "body_weight" and "2 kg" in item.details.get("rule", ""):
                    AlertRule.objects.create(
                        tenant_id=care_plan.tenant_id, enrollment_id=care_plan.enrollment_id,
                        care_plan=care_plan, indicator=indicator, kind=AlertRule.Kind.CHANGE,
                        amount=Decimal("2.0"), window_hours=72, direction="rise")
                    created += 1
        return created


#: UCUM codes as people write them (mm[Hg] → mmHg): pages and messages never show a code.
UNIT_LABELS = {"mm[Hg]": "mmHg", "Cel": "°C", "{score}": "", "/d": "/j", "%": "%"}


def unit_label(code: str) -> str:
    return UNIT_LABELS.get(code or "", code or "")


def number(value) -> str:
    """A value the way the reader writes it (French: decimal comma), without useless
    zeros."""
    from decimal import Decimal

    from django.utils.formats import number_format

    d = Decimal(value).normalize()
    return number_format(d, decimal_pos=max(0, -d.as_tuple().exponent))
