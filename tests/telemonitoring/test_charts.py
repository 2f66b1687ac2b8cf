from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from telemonitoring.charts import svg_chart

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_chart_draws_series_bands_and_alert_marks_with_a_text_alternative():
    points = [(T0 + timedelta(days=i), D(95 - (i % 5))) for i in range(20)]
    svg = svg_chart(title="SpO2 <b>", unit="%", points=points, warn=(D(92), None),
                    crit=(D(88), None), alerts=[T0 + timedelta(days=4)])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "SpO2 &lt;b&gt;" in svg  # escaped
    assert svg.count("<circle") == 20
    assert 'class="zone-warn"' in svg and 'class="zone-crit"' in svg
    assert "▲" in svg and "1 alerte" in svg


def test_empty_series_draws_nothing():
    assert svg_chart(title="x", unit="kg", points=[]) == ""
