

def test_numbers_built_in_python_keep_the_french_decimal_comma():
    """Issue #22, item 6: "-1.02" on the dashboard and "IMC 49.3" on the patient page."""
    from datetime import date
    from decimal import Decimal

    from django.utils import translation

    from evaluation.dashboard import _signed
    from patients.models import Patient

    with translation.override("fr"):
        assert _signed(Decimal("-1.0234")) == "−1,02" and _signed(Decimal("0.5")) == "+0,50"
        obese = Patient(birth_name="X", first_names="Y", birth_date=date(1950, 1, 1),
                        weight_kg=Decimal("130"), height_cm=162)
        assert obese.risk_factors(date(2026, 1, 1))[0] == "Obésité (IMC 49,5)"
