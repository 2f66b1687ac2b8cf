"""The GP's periodic follow-up report: one letter per enrollment and period."""

from __future__ import annotations

from constel.tenancy import tenant_context
from letters.models import Letter


def _letters(world, **kw):
    with tenant_context(world.tenant):
        return list(Letter.objects.filter(enrollment__patient__tenant=world.tenant, **kw))


def test_quarterly_follow_up_report_once_per_period(world):
    from datetime import date, timedelta

    from pathways.models import EnrollmentTransition
    from pathways.services.reports import periodic_reports

    today = date(2026, 11, 25)
    with tenant_context(world.tenant):
        EnrollmentTransition.objects.filter(enrollment=world.enrollment,
                                            to_phase="follow_up_y1").update(
            effective_on=today - timedelta(days=100))
    assert periodic_reports(tenant=world.tenant, today=today - timedelta(days=20)) == 0
    assert periodic_reports(tenant=world.tenant, today=today) == 1
    assert periodic_reports(tenant=world.tenant, today=today) == 0  # same period: no second
    (letter,) = _letters(world, kind="periodic")
    assert "Séances et consultations réalisées" in letter.body  # in French, for the GP
    assert letter.event_key.startswith("periodic:2026-08-17")
