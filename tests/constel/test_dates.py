"""Dates at the day's edge (issue #24): every "which day is it" is the programme's day
(constel.dates), checked with the clock frozen at 23:30 and 00:30 in Toulouse and on the
nights of the clock changes (2026-03-29, 2026-10-25)."""

from __future__ import annotations

import ast
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from constel import dates
from constel.roles import Role
from constel.tenancy import tenant_context
from tests.project import our_apps

PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[2]
APPS = our_apps()


def paris(y, m, d, hh, mm) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS)


# --- The rule, as a lint ----------------------------------------------------------------------

def _violations() -> list[str]:
    """Calls that decide a day without the programme's zone: ``x.date()``, ``date.today()``,
    ``datetime.now()``/``utcnow()``/``today()``, ``timezone.localdate()`` and
    ``timezone.localtime()`` — anywhere in application code but constel/dates.py. A line
    marked ``# utc-day`` is a day in UTC on purpose (the readings' monthly partitions)."""
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.name == "dates.py" and app == "constel":
                continue
            source = path.read_text()
            lines = source.splitlines()
            for node in ast.walk(ast.parse(source)):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                    continue
                name, owner = node.func.attr, node.func.value
                owner_name = owner.id if isinstance(owner, ast.Name) else None
                bad = (
                    (name == "date" and not node.args and not node.keywords)
                    or (owner_name == "date" and name == "today")
                    or (owner_name == "datetime" and name in ("now", "utcnow", "today")
                        and not node.args)
                    or (owner_name == "timezone" and name in ("localdate", "localtime"))
                )
                if bad and "# utc-day" not in lines[node.lineno - 1]:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: "
                                 f"{lines[node.lineno - 1].strip()}")
    return found


def test_no_day_is_decided_outside_constel_dates():
    assert _violations() == []


def test_the_lint_sees_a_utc_date(tmp_path, monkeypatch):
    """The rule above can fail: a file with the bug of #24 is caught."""
    (tmp_path / "constel").mkdir()
    (tmp_path / "constel" / "bad.py").write_text(
        "def f(at, created):\n    return at.date() < created.date()\n")
    monkeypatch.setattr("tests.constel.test_dates.ROOT", tmp_path)
    monkeypatch.setattr("tests.constel.test_dates.APPS", ["constel"])
    assert len(_violations()) == 2


# --- The helpers --------------------------------------------------------------------------

@pytest.mark.parametrize(("moment", "day"), [
    (paris(2026, 12, 2, 0, 30), date(2026, 12, 2)),  # 23:30 UTC the day before
    (paris(2026, 12, 1, 23, 30), date(2026, 12, 1)),
    (paris(2026, 3, 29, 0, 30), date(2026, 3, 29)),  # the spring night (UTC+1)
    (paris(2026, 3, 29, 3, 30), date(2026, 3, 29)),  # after the change (UTC+2)
    (paris(2026, 10, 25, 0, 30), date(2026, 10, 25)),  # the autumn night (UTC+2)
    (paris(2026, 10, 25, 23, 30), date(2026, 10, 25)),  # after the change (UTC+1)
])
def test_the_programmes_day_of_an_instant(moment, day):
    utc = moment.astimezone(ZoneInfo("UTC"))
    assert dates.local_day(utc) == day
    with time_machine.travel(utc, tick=False):
        assert dates.today() == day


def test_a_day_lasts_23_or_25_hours_at_the_clock_changes():
    utc = ZoneInfo("UTC")

    def hours(day):  # elapsed time (Python subtracts same-zone datetimes on the wall clock)
        return (dates.day_end(day).astimezone(utc) - dates.day_start(day).astimezone(utc))

    assert hours(date(2026, 3, 29)) == timedelta(hours=23)
    assert hours(date(2026, 10, 25)) == timedelta(hours=25)


def test_an_overseas_programme_has_its_own_day(tenant):
    tenant.time_zone = "America/Martinique"  # UTC-4
    tenant.save()
    moment = paris(2026, 12, 2, 3, 0)  # 22:00 on the 1st in Fort-de-France
    assert dates.local_day(moment, tenant) == date(2026, 12, 1)
    assert dates.local_day(moment, tenant.pk) == date(2026, 12, 1)
    with tenant_context(tenant):
        assert dates.local_day(moment) == date(2026, 12, 1)
        assert timezone.localdate(moment) == date(2026, 12, 1)  # Django's, inside it


@pytest.mark.parametrize("value", ["2026-02-30", "0001-01-01", "9999-12-31", "", "x"])
def test_impossible_or_out_of_range_days_are_refused(value):
    assert dates.parse_day(value) is None
    assert dates.parse_moment(value) is None


def test_a_moment_keeps_its_offset_and_a_day_is_the_programmes():
    assert dates.parse_moment("2026-12-02T00:30:00+01:00") == paris(2026, 12, 2, 0, 30)
    assert dates.parse_moment("2026-12-02") == paris(2026, 12, 2, 0, 0)


# --- The flows ------------------------------------------------------------------------------

NIGHTS = [paris(2026, 12, 2, 0, 30), paris(2026, 12, 1, 23, 30), paris(2026, 3, 29, 0, 30),
          paris(2026, 3, 29, 3, 30), paris(2026, 10, 25, 0, 30), paris(2026, 10, 25, 2, 30)]


@pytest.mark.django_db
@pytest.mark.parametrize("now", NIGHTS, ids=lambda d: d.isoformat())
def test_a_patient_enrolled_tonight_gets_a_session_planned_now(world, now):
    """The check that found #24: at 00:36 in Toulouse, a session "now" for a patient
    enrolled that evening was refused as "before the entry". follow_up_patient enrols,
    plans and records the assessment one minute ago, and moves on."""
    from pathways.services.activities import activity_plan
    from tests.factories import follow_up_patient

    with time_machine.travel(now, tick=False):
        enrollment = follow_up_patient(world, "NUIT")
        activity = activity_plan(enrollment=enrollment, kind="call",
                                 scheduled_at=timezone.now(), duration_minutes=10)
    assert activity.pk is not None
    with tenant_context(world.tenant):
        enrollment.refresh_from_db()
    assert enrollment.included_on == now.date()  # the programme's day of the inclusion


@pytest.mark.django_db
def test_a_session_the_day_before_the_entry_is_still_refused(world):
    from django.core.exceptions import ValidationError

    from pathways.services.activities import activity_plan
    from tests.factories import follow_up_patient

    with time_machine.travel(paris(2026, 12, 2, 0, 30), tick=False):
        enrollment = follow_up_patient(world, "NUIT")
        with pytest.raises(ValidationError):  # 23:50 on the 1st: the day before
            activity_plan(enrollment=enrollment, kind="call",
                          scheduled_at=paris(2026, 12, 1, 23, 50), duration_minutes=10)


@pytest.mark.django_db
@pytest.mark.parametrize("now", NIGHTS[:2], ids=lambda d: d.isoformat())
def test_readings_now_and_yesterday_at_23_50(world, now):
    from telemonitoring.models import Reading
    from telemonitoring.services import reading_record

    with time_machine.travel(now, tick=False):
        yesterday_2350 = dates.at(dates.today() - timedelta(days=1), time(23, 50))
        for at in (timezone.now(), yesterday_2350):
            reading_record(enrollment=world.enrollment, indicator_code="spo2", value="95",
                           measured_at=at, entered_by=None, source="nurse_phone")
    with tenant_context(world.tenant):
        days = sorted(dates.local_day(r.measured_at) for r in Reading.objects.all())
    assert days == [now.date() - timedelta(days=1), now.date()]


@pytest.mark.django_db
def test_readings_since_a_day_start_at_the_programmes_midnight(client, world, capsys):
    from django.core.management import call_command

    from telemonitoring.services import reading_record

    with time_machine.travel(paris(2026, 12, 2, 0, 30), tick=False):
        for at in (paris(2026, 12, 1, 23, 50), paris(2026, 12, 2, 0, 10)):
            reading_record(enrollment=world.enrollment, indicator_code="spo2", value="95",
                           measured_at=at, entered_by=None, source="nurse_phone")
    call_command("create_api_token", world.user(Role.NURSE_COORDINATOR).email, "--tenant",
                 world.tenant.slug)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {capsys.readouterr().out.strip()}"}
    rows = client.get("/api/v1/readings/", {"since": "2026-12-02"}, **auth).json()["results"]
    assert [r["measured_at"] for r in rows] == ["2026-12-02T00:10:00+01:00"]


@pytest.mark.django_db
@pytest.mark.parametrize(("run_at", "appointment", "sent"), [
    (paris(2026, 12, 1, 23, 30), paris(2026, 12, 2, 9, 0), True),    # tomorrow morning
    (paris(2026, 12, 1, 23, 30), paris(2026, 12, 3, 0, 30), False),  # the day after
    (paris(2026, 12, 2, 0, 30), paris(2026, 12, 2, 9, 0), False),    # today: too late
    (paris(2026, 12, 2, 0, 30), paris(2026, 12, 3, 0, 15), True),    # tomorrow just after 0h
    (paris(2026, 10, 24, 18, 0), paris(2026, 10, 25, 23, 30), True),  # the 25-hour day
    (paris(2026, 3, 28, 18, 0), paris(2026, 3, 29, 23, 30), True),   # the 23-hour day
], ids=str)
def test_the_sms_reminder_of_the_evening_before(world, run_at, appointment, sent):
    from constel.sms import LocmemBackend
    from pathways.models import Activity
    from pathways.services.activities import appointments_remind
    from patients.models import Patient

    with tenant_context(world.tenant):
        Patient.objects.filter(pk=world.patient.pk).update(phone="0601020304",
                                                           appointment_sms=True)
        Activity.objects.filter(enrollment=world.enrollment).update(status="done")
        Activity.objects.create(tenant=world.tenant, enrollment=world.enrollment,
                                kind="consultation", scheduled_at=appointment,
                                status="planned")
    LocmemBackend.outbox.clear() if hasattr(LocmemBackend, "outbox") else None
    with time_machine.travel(run_at, tick=False):
        count = appointments_remind(tenant=world.tenant)
    assert count == (1 if sent else 0)


@pytest.mark.django_db
@pytest.mark.parametrize(("now", "day"), [
    (paris(2027, 4, 1, 0, 30), date(2027, 4, 1)),    # first day of a claim period
    (paris(2027, 3, 31, 23, 30), date(2027, 3, 31)),  # last day of the one before
])
def test_a_phase_change_at_the_edge_is_dated_on_the_programmes_day(world, now, day):
    """A forfait's due date comes from the pathway's dated events: a transition at 00:30 on
    the first day of a claim period belongs to that period, not (in UTC) to the one before."""
    from billing.services import period_of
    from pathways.models import EnrollmentTransition
    from tests.factories import follow_up_patient

    with time_machine.travel(now, tick=False):
        enrollment = follow_up_patient(world, "BORD")
    with tenant_context(world.tenant):
        last = EnrollmentTransition.objects.filter(enrollment=enrollment).order_by(
            "-effective_on").first()
    assert last.effective_on == day
    start, _end = period_of(world.tenant, last.effective_on)
    assert start == (date(2027, 4, 1) if day.month == 4 else date(2026, 10, 1))
    # … and so are the forfaits those events make due (first PPS issued, year-1 start)
    from billing.services import expected_dues

    with time_machine.travel(now, tick=False), tenant_context(world.tenant):
        dues = [e.due for key, e in expected_dues().items() if key[0] == enrollment.pk]
    assert dues and {d.event_on for d in dues} == {day}
    assert {period_of(world.tenant, d.event_on)[0] for d in dues} == {start}


@pytest.mark.django_db
def test_the_dashboard_counts_an_inclusion_at_00_30_on_the_first_in_its_month(world):
    from evaluation.dashboard import _aware

    with tenant_context(world.tenant):
        start = _aware(date(2026, 11, 1))
    assert start == paris(2026, 11, 1, 0, 0)
    assert paris(2026, 11, 1, 0, 30) >= start


@pytest.mark.django_db
@pytest.mark.parametrize("now", [paris(2026, 12, 2, 0, 30), paris(2026, 10, 25, 2, 30),
                                 paris(2026, 3, 29, 3, 30)], ids=lambda d: d.isoformat())
def test_the_missing_data_sweep_counts_hours_not_days(world, now):
    """Readings at 23:50 the evening before are 40 minutes (or, across a clock change, an
    hour more or less) old at the night's sweep: no missing-data alert; three days later,
    one per followed indicator."""
    from telemonitoring.models import Alert
    from telemonitoring.services import reading_record_evaluated, sweep

    evening = dates.at(now.date() - timedelta(days=1), time(23, 50))
    with time_machine.travel(now, tick=False):
        for code, value in (("spo2", "96"), ("body_weight", "71")):
            reading_record_evaluated(enrollment=world.enrollment, indicator_code=code,
                                     value=value, measured_at=evening, entered_by=None,
                                     source="nurse_phone")
        assert sweep(tenant=world.tenant, now=timezone.now())["missing"] == 0
    with tenant_context(world.tenant):
        assert not Alert.objects.filter(rule__kind="missing").exists()
    assert sweep(tenant=world.tenant, now=now + timedelta(days=3))["missing"] >= 1


@pytest.mark.django_db
def test_a_checklist_item_expires_on_the_programmes_day(world):
    """A biology done on 2026-09-02 is valid 90 days: on 2026-12-01, not on 2026-12-02 — at
    00:30 in Toulouse on the 2nd it is already the 2nd (in UTC, still the 1st)."""
    from pathways.models import ChecklistItem

    item = ChecklistItem(tenant=world.tenant, enrollment=world.enrollment, code="biology",
                         label="Bilan biologique", validity_days=90, done_on=date(2026, 9, 2))
    with time_machine.travel(paris(2026, 12, 1, 23, 30), tick=False):
        assert item.not_to_repeat(dates.today(world.tenant))
    with time_machine.travel(paris(2026, 12, 2, 0, 30), tick=False):
        assert not item.not_to_repeat(dates.today(world.tenant))
