from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from telemonitoring.charts import svg_chart

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_chart_draws_series_bands_and_alert_marks_with_a_text_alternative():
    from django.utils import translation

    points = [(T0 + timedelta(days=i), D(95 - (i % 5))) for i in range(20)]
    with translation.override("fr"):
        svg = svg_chart(title="SpO2 <b>", unit="%", points=points, warn=(D(92), None),
                        crit=(D(88), None), alerts=[T0 + timedelta(days=4)])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "SpO2 &lt;b&gt;" in svg  # escaped
    assert svg.count("<circle") == 20
    assert 'class="zone-warn"' in svg and 'class="zone-crit"' in svg
    assert "▲" in svg and "1 alerte" in svg


def test_empty_series_draws_nothing():
    assert svg_chart(title="x", unit="kg", points=[]) == ""


def test_nice_ticks_of_the_issues_series():
    """Issue #22, item 4: ticks at round values with the decimals they need."""
    from telemonitoring.charts import nice_ticks

    assert nice_ticks(0.3, 2.1) == ([0.0, 0.5, 1.0, 1.5, 2.0, 2.5], 1)  # glycaemia, g/L
    assert nice_ticks(72, 89) == ([70, 75, 80, 85, 90], 0)  # weight, kg
    assert nice_ticks(88, 99) == ([85, 90, 95, 100], 0)  # SpO2, %
    assert nice_ticks(5, 5)[0][0] < 5 < nice_ticks(5, 5)[0][-1]  # one value: still an axis
    assert nice_ticks(0, 0)[0] == [-1.0, -0.5, 0.0, 0.5, 1.0]


def test_the_axis_speaks_french_and_has_gridlines_and_its_unit():
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone, translation

    from telemonitoring.charts import svg_chart

    now = timezone.now()
    points = [(now - timedelta(days=d), Decimal(v)) for d, v in ((3, "0.3"), (2, "1.2"),
                                                                  (1, "2.1"))]
    with translation.override("fr"):
        svg = svg_chart(title="Glycémie", unit="g/L", points=points, alerts=[now])
    for tick in (">0,5<", ">1<", ">1,5<", ">2<"):
        assert tick in svg, tick
    assert ">1.5<" not in svg and svg.count('class="grid"') == 6 and ">g/L<" in svg
    assert "1 alerte" in svg and "alerte(s)" not in svg
