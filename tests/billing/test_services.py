"""Billing (issue #7): forfaits falling due, tariffs, statements never billed twice,
adjustments, exports, remuneration."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from billing import rules
from billing.models import ClaimLine, ClaimStatement, ExportLog, ForfaitDue, Tariff
from billing.services import (
    compile_claims,
    expected_dues,
    export_csv,
    export_pdf,
    export_xlsx,
    remuneration_compile,
    statement_issue,
    tariff_add,
)
from constel.roles import Role
from constel.tenancy import tenant_context
from pathways.models import CarePlan, EnrollmentTransition
from tests.factories import follow_up_patient

D = Decimal
TODAY = date(2026, 11, 25)


# --- Pure rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "start", "end"), [
    (date(2025, 3, 31), date(2024, 10, 1), date(2025, 3, 31)),
    (date(2025, 4, 1), date(2025, 4, 1), date(2025, 9, 30)),
    (date(2022, 10, 1), date(2022, 10, 1), date(2023, 3, 31)),
    (date(2025, 9, 30), date(2025, 4, 1), date(2025, 9, 30)),
    (date(2025, 10, 1), date(2025, 10, 1), date(2026, 3, 31)),
])
def test_anchored_periods_follow_the_first_recruitment(day, start, end):
    assert rules.period_containing(day, anchor=date(2022, 10, 1)) == (start, end)


def test_calendar_semesters():
    assert rules.period_containing(date(2025, 6, 30), anchor=date(2024, 1, 1),
                                   calendar=True) == (date(2025, 1, 1), date(2025, 6, 30))
    assert rules.period_containing(date(2025, 7, 1), anchor=date(2024, 1, 1),
                                   calendar=True) == (date(2025, 7, 1), date(2025, 12, 31))


KINDS = [rules.Kind("F1", "", "first_pps_issued"), rules.Kind("F2", "MONO", "follow_up_year1_start"),
         rules.Kind("F3", "POLY", "follow_up_year1_start"),
         rules.Kind("F4", "MONO", "follow_up_year2_start"),
         rules.Kind("F5", "POLY", "follow_up_year2_start")]
OLD, NEW = date(2022, 10, 1), date(2025, 7, 1)
TARIFFS = [rules.TariffVersion(c, OLD, date(2025, 6, 30), D(a)) for c, a in
           (("F1", 687), ("F2", 658), ("F3", 1301), ("F4", 600), ("F5", 924))] + \
          [rules.TariffVersion(c, NEW, None, D(a)) for c, a in
           (("F1", 700), ("F2", 850), ("F3", 1503), ("F4", 600), ("F5", 925))]


def _amounts(events, group="MONO", kinds=KINDS):
    return {(d.code, d.amount) for d in rules.dues(events, lambda day: group, kinds, TARIFFS)}


def test_tariff_in_force_on_the_due_date():
    assert _amounts(rules.Events(follow_up_year1_start=date(2025, 6, 30))) == {("F2", D(658))}
    assert _amounts(rules.Events(follow_up_year1_start=date(2025, 7, 1))) == {("F2", D(850))}
    assert _amounts(rules.Events(follow_up_year1_start=date(2025, 7, 1)), "POLY") == {
        ("F3", D(1503))}
    assert _amounts(rules.Events(first_pps_issued=date(2025, 6, 30),
                                 follow_up_year1_start=date(2025, 7, 2),
                                 follow_up_year2_start=date(2026, 7, 2)), "POLY") == {
        ("F1", D(687)), ("F3", D(1503)), ("F5", D(925))}


def test_group_on_the_due_date_chooses_the_forfait():
    """Reclassified MONO → POLY between year 1 and year 2: F2 then F5."""
    def group_on(day):
        return "MONO" if day < date(2025, 12, 1) else "POLY"

    got = {d.code for d in rules.dues(rules.Events(
        first_pps_issued=date(2025, 1, 5), follow_up_year1_start=date(2025, 1, 20),
        follow_up_year2_start=date(2026, 1, 20)), group_on, KINDS, TARIFFS)}
    assert got == {"F1", "F2", "F5"}


def test_no_pps_no_forfait_and_an_early_exit_keeps_what_fell_due():
    assert rules.dues(rules.Events(), lambda d: "MONO", KINDS, TARIFFS) == []
    # Left during year 1: F1 and F2 stay, no F4.
    assert {d.code for d in rules.dues(rules.Events(date(2024, 1, 1), date(2024, 2, 1)),
                                       lambda d: "MONO", KINDS, TARIFFS)} == {"F1", "F2"}


def test_instalments_split_a_forfait():
    kinds = [rules.Kind("F3", "POLY", "follow_up_year1_start",
                        ((0, D("0.5")), (6, D("0.5"))))]
    dues = rules.dues(rules.Events(follow_up_year1_start=date(2025, 8, 31)),
                      lambda d: "POLY", kinds, TARIFFS)
    assert [(d.instalment, d.due_on, d.amount) for d in dues] == [
        (1, date(2025, 8, 31), D("751.50")), (2, date(2026, 2, 28), D("751.50"))]


# --- Helpers ---------------------------------------------------------------------------------

def _backdate(world, enrollment, *, pps: date | None = None, y1: date | None = None):
    with tenant_context(world.tenant):
        if pps:
            CarePlan.objects.filter(enrollment=enrollment).update(issued_on=pps)
        if y1:
            EnrollmentTransition.objects.filter(enrollment=enrollment,
                                                to_phase="follow_up_y1").update(effective_on=y1)


def _lines(statement):
    with tenant_context(statement.tenant_id):
        return sorted((line.kind.code, line.type, line.amount) for line in
                      ClaimLine.objects.filter(statement=statement).select_related("kind"))


# --- Compilation -----------------------------------------------------------------------------

def test_world_patient_owes_assessment_and_poly_year1(world):
    """COPD + heart failure: POLY. PPS issued and follow-up started today: F1 + F3."""
    statement = compile_claims(tenant=world.tenant, day=timezone.localdate())
    assert _lines(statement) == [("F1", "original", D(700)), ("F3", "original", D(1503))]
    assert statement.total == D(2203) and statement.status == "draft"


def test_compiling_twice_gives_the_same_statement(world):
    first = compile_claims(tenant=world.tenant, day=timezone.localdate())
    again = compile_claims(tenant=world.tenant, day=timezone.localdate())
    assert first.pk == again.pk and _lines(first) == _lines(again)
    with tenant_context(world.tenant):
        assert ForfaitDue.objects.count() == 2


def test_due_dates_on_each_side_of_the_tariff_change(world):
    _backdate(world, world.enrollment, pps=date(2025, 6, 30), y1=date(2025, 7, 1))
    statement = compile_claims(tenant=world.tenant, day=date(2025, 8, 1))
    assert (statement.period_start, statement.period_end) == (date(2025, 4, 1),
                                                              date(2025, 9, 30))
    assert _lines(statement) == [("F1", "original", D(687)), ("F3", "original", D(1503))]


def test_issued_statement_is_immutable_and_never_billed_twice(world):
    _backdate(world, world.enrollment, pps=date(2025, 1, 10), y1=date(2025, 2, 1))
    first = compile_claims(tenant=world.tenant, day=date(2025, 1, 10))
    finance = world.user(Role.FINANCE)
    first = statement_issue(statement=first, actor=finance)
    assert first.number == 1
    with pytest.raises(ValidationError, match="already issued"):
        statement_issue(statement=first, actor=finance)
    # Compiling the issued period again changes nothing.
    assert _lines(compile_claims(tenant=world.tenant, day=date(2025, 3, 1))) == _lines(first)
    # The next period claims nothing already claimed.
    nxt = compile_claims(tenant=world.tenant, day=date(2025, 5, 1))
    assert _lines(nxt) == []


def test_back_dated_reclassification_after_issue_becomes_adjustment_lines(world):
    """Issued as POLY (F3); the heart failure is found to date from after the follow-up
    start: MONO then → credit F3, debit F2 on the open statement, referencing the line."""
    from patients.models import Diagnosis
    from patients.services import _group_rebuild

    _backdate(world, world.enrollment, pps=date(2023, 1, 10), y1=date(2023, 2, 1))
    tenant = world.tenant
    first = statement_issue(statement=compile_claims(tenant=tenant, day=date(2023, 2, 1)),
                            actor=world.user(Role.FINANCE))
    assert _lines(first) == [("F1", "original", D(687)), ("F3", "original", D(1301))]
    with tenant_context(tenant):
        Diagnosis.objects.filter(patient=world.patient,
                                 pathology__code="heart_failure_chronic_and_acute").update(
            diagnosed_on=date(2023, 6, 1))
        _group_rebuild(world.patient)
    nxt = compile_claims(tenant=tenant, day=date(2023, 5, 1))
    assert _lines(nxt) == [("F2", "debit", D(658)), ("F3", "credit", D(-1301))]
    with tenant_context(tenant):
        credit = ClaimLine.objects.get(statement=nxt, type="credit")
        debit = ClaimLine.objects.get(statement=nxt, type="debit")
        original = ClaimLine.objects.get(statement=first, kind__code="F3")
        assert credit.adjusts_id == original.pk and debit.adjusts_id == original.pk
        assert debit.reason == "Corrected forfait" and debit.adjusts.reference == original.reference
        # The issued statement did not change.
        assert ClaimStatement.objects.get(pk=first.pk).total == D(1988)
    # And the forfait stands once: F2 only.
    with tenant_context(tenant):
        standing = ForfaitDue.objects.filter(credited_by__isnull=True, event="follow_up_year1_start")
        assert [d.line.kind.code for d in standing.select_related("line__kind")] == ["F2"]
    # Compiling again does not credit twice.
    assert _lines(compile_claims(tenant=tenant, day=date(2023, 5, 1))) == _lines(nxt)


def test_event_recorded_late_is_a_debit_on_the_open_statement(world):
    _backdate(world, world.enrollment, pps=date(2025, 1, 10), y1=date(2025, 2, 1))
    statement_issue(statement=compile_claims(tenant=world.tenant, day=date(2025, 1, 10)),
                    actor=world.user(Role.FINANCE))
    from patients.models import Diagnosis
    from patients.services import _group_rebuild

    late = follow_up_patient(world, "TARDIF")
    with tenant_context(world.tenant):
        Diagnosis.objects.filter(patient=late.patient).update(diagnosed_on=date(2020, 1, 1))
        _group_rebuild(late.patient)
    _backdate(world, late, pps=date(2025, 3, 1), y1=date(2025, 3, 15))
    nxt = compile_claims(tenant=world.tenant, day=date(2025, 6, 1))
    assert _lines(nxt) == [("F1", "debit", D(687)), ("F3", "debit", D(1301))]
    with tenant_context(world.tenant):
        assert all("earlier period" in line.reason for line in ClaimLine.objects.filter(
            statement=nxt))


def test_a_forfait_that_cannot_be_priced_is_reported_not_dropped(world):
    """A patient with no MONO/POLY group at the start of follow-up: the statement says so."""
    enrollment = follow_up_patient(world, "SANSGROUPE")
    # Its pathologies were recorded today, after the (back-dated) start of its follow-up.
    day = timezone.localdate()
    _backdate(world, enrollment, pps=day - timedelta(days=1), y1=day - timedelta(days=1))
    statement = compile_claims(tenant=world.tenant, day=timezone.localdate())
    assert len(statement.warnings) == 1
    assert "SANSGROUPE" in statement.warnings[0] and "MONO/POLY" in statement.warnings[0]


def test_compiling_a_period_before_an_issued_one_is_refused(world):
    _backdate(world, world.enrollment, pps=date(2025, 1, 10), y1=date(2025, 2, 1))
    statement_issue(statement=compile_claims(tenant=world.tenant, day=date(2025, 5, 1)),
                    actor=world.user(Role.FINANCE))
    with pytest.raises(ValidationError, match="already issued"):
        compile_claims(tenant=world.tenant, day=date(2024, 12, 1))


@pytest.mark.postgres
def test_a_forfait_cannot_stand_twice_in_the_ledger(world):
    statement = compile_claims(tenant=world.tenant, day=timezone.localdate())
    with tenant_context(world.tenant):
        due = ForfaitDue.objects.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            ForfaitDue.objects.create(tenant=world.tenant, enrollment_id=due.enrollment_id,
                                      event=due.event, instalment=due.instalment,
                                      line=ClaimLine.objects.exclude(pk=due.line_id).filter(
                                          statement=statement).first())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_compilations_at_the_same_time_claim_each_forfait_once(world):
    errors = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            compile_claims(tenant=world.tenant, day=timezone.localdate())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with tenant_context(world.tenant):
        assert ClaimStatement.objects.count() == 1
        assert ClaimLine.objects.count() == 2
        assert ForfaitDue.objects.filter(credited_by__isnull=True).count() == 2


def test_expected_dues_is_a_recomputation_of_the_events(world):
    with tenant_context(world.tenant):
        dues = expected_dues()
    assert {(k[1], e.due.code, e.due.amount) for k, e in dues.items()} == {
        ("first_pps_issued", "F1", D(700)), ("follow_up_year1_start", "F3", D(1503))}


# --- Tariffs ---------------------------------------------------------------------------------

def test_new_tariff_closes_the_open_version_and_past_claims_keep_their_amount(world):
    statement = compile_claims(tenant=world.tenant, day=timezone.localdate())
    tariff_add(tenant=world.tenant, code="F3", valid_from=timezone.localdate() + timedelta(days=1),
               amount="1600,00", actor=world.user(Role.FINANCE))
    with tenant_context(world.tenant):
        versions = list(Tariff.objects.filter(kind__code="F3").order_by("valid_from"))
    assert [v.amount for v in versions] == [D(1301), D(1503), D(1600)]
    assert versions[1].valid_to == timezone.localdate()
    assert _lines(statement)[1] == ("F3", "original", D(1503))


@pytest.mark.parametrize(("amount", "valid_from", "field", "message"), [
    ("-5", date(2027, 1, 1), "amount", "negative"),
    ("abc", date(2027, 1, 1), "amount", "amount"),
    ("900", date(2024, 1, 1), "valid_from", "overlaps"),
])
def test_bad_tariffs_are_refused_and_nothing_changes(world, amount, valid_from, field, message):
    with tenant_context(world.tenant):
        before = list(Tariff.objects.values_list("pk", "valid_to", "amount"))
    with pytest.raises(ValidationError) as exc:
        tariff_add(tenant=world.tenant, code="F2", valid_from=valid_from, amount=amount,
                   actor=None)
    assert field in exc.value.message_dict and message in str(exc.value.message_dict[field])
    with tenant_context(world.tenant):
        assert list(Tariff.objects.values_list("pk", "valid_to", "amount")) == before


def test_tariff_form_shows_the_field_error(client, login, world):
    login(world.user(Role.FINANCE))
    response = client.post(reverse("billing:tariffs"), {"kind": "F1", "valid_from": "2027-01-01",
                                                        "amount": "-1"})
    assert response.status_code == 400
    assert "Un tarif ne peut pas être négatif." in response.content.decode()  # French page


# --- Exports ---------------------------------------------------------------------------------

def test_csv_and_xlsx_hold_one_line_per_patient_and_forfait(world):
    from openpyxl import load_workbook

    statement = compile_claims(tenant=world.tenant, day=timezone.localdate())
    finance = world.user(Role.FINANCE)
    with tenant_context(world.tenant):
        rows = list(csv.DictReader(io.StringIO(export_csv(statement, by=finance).decode())))
        book = load_workbook(io.BytesIO(export_xlsx(statement, by=finance)))
        pdf = export_pdf(statement, by=finance)
        logged = ExportLog.objects.filter(statement=statement).count()
    assert [(r["forfait"], r["amount_eur"], r["last_name"]) for r in rows] == [
        ("F1", "700.00", world.patient.birth_name), ("F3", "1503.00", world.patient.birth_name)]
    assert rows[0]["birth_date"] == "1950-04-12" and rows[0]["tenant"] == world.tenant.slug
    sheet = book.active
    header = [c.value for c in sheet[1]]
    values = [dict(zip(header, [c.value for c in row], strict=True))
              for row in sheet.iter_rows(min_row=2)]
    assert [(v["forfait"], v["amount_eur"]) for v in values] == [("F1", 700.0), ("F3", 1503.0)]
    assert pdf.startswith(b"%PDF")
    assert logged == 3
    # Nothing clinical in the export.
    assert not {"pathology", "diagnosis", "readings"} & set(rows[0])


def test_statement_page_and_exports_for_finance(client, login, world, django_assert_max_num_queries):
    for n in range(3):
        follow_up_patient(world, f"FACT{n}")
    statement = compile_claims(tenant=world.tenant, day=timezone.localdate())
    login(world.user(Role.FINANCE))
    with django_assert_max_num_queries(25):
        page = client.get(reverse("billing:statement", args=[statement.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and world.patient.birth_name in body and "F3" in body
    response = client.get(reverse("billing:statement_export", args=[statement.pk, "xlsx"]))
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert client.get(reverse("billing:statement_export",
                              args=[statement.pk, "exe"])).status_code == 404


def test_issue_from_the_page_then_the_button_is_gone(client, login, world):
    _backdate(world, world.enrollment, pps=date(2025, 1, 10), y1=date(2025, 2, 1))
    statement = compile_claims(tenant=world.tenant, day=date(2025, 1, 10))  # an ended period
    login(world.user(Role.FINANCE))
    client.post(reverse("billing:statement_issue", args=[statement.pk]))
    body = client.get(reverse("billing:statement", args=[statement.pk])).content.decode()
    assert "badge badge-ok" in body
    assert reverse("billing:statement_issue", args=[statement.pk]) not in body
    with tenant_context(world.tenant):
        assert ClaimStatement.objects.get(pk=statement.pk).number == 1
    again = client.post(reverse("billing:statement_issue", args=[statement.pk]), follow=True)
    assert again.status_code == 200
    with tenant_context(world.tenant):
        assert ClaimStatement.objects.get(pk=statement.pk).number == 1


# --- API and command -------------------------------------------------------------------------

def test_api_compile_issue_export(client, login, world):
    login(world.user(Role.FINANCE))
    bad = client.post("/api/v1/claims/statements/compile/", {"period": "2025-13-01"},
                      content_type="application/json")
    assert bad.status_code == 400 and "period" in bad.json()
    ok = client.post("/api/v1/claims/statements/compile/",
                     {"period": timezone.localdate().isoformat()},
                     content_type="application/json")
    assert ok.status_code == 200 and D(ok.json()["total"]) == D(2203)
    pk = ok.json()["id"]
    detail = client.get(f"/api/v1/claims/statements/{pk}/").json()
    assert sorted(line["forfait"] for line in detail["lines"]) == ["F1", "F3"]
    # The running period is not issued (400 naming the status); an ended one is, once.
    running = client.post(f"/api/v1/claims/statements/{pk}/issue/")
    assert running.status_code == 400 and "status" in running.json()
    export = client.get(f"/api/v1/claims/statements/{pk}/export.csv")
    assert export.status_code == 200 and b"F3" in export.content
    with tenant_context(world.tenant):
        ClaimStatement.objects.filter(pk=pk).delete()
    _backdate(world, world.enrollment, pps=date(2025, 1, 10), y1=date(2025, 2, 1))
    pk = client.post("/api/v1/claims/statements/compile/", {"period": "2025-01-10"},
                     content_type="application/json").json()["id"]
    assert client.post(f"/api/v1/claims/statements/{pk}/issue/").json()["number"] == 1
    again = client.post(f"/api/v1/claims/statements/{pk}/issue/")
    assert again.status_code == 400 and "status" in again.json()


def test_compile_claims_command(world, capsys):
    call_command("compile_claims", "--tenant", world.tenant.slug, "--period",
                 timezone.localdate().isoformat())
    assert "2 lines, 2203.00" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not a date"):
        call_command("compile_claims", "--tenant", world.tenant.slug, "--period", "31/12/2025")
    with pytest.raises(CommandError, match="no programme"):
        call_command("compile_claims", "--tenant", "nope", "--period", "2025-12-31")


# --- Remuneration ----------------------------------------------------------------------------

def _session(world, profession, when: datetime, minutes=60, kind="non_reimbursed"):
    from pathways.models import Activity
    from patients.models import Professional

    with tenant_context(world.tenant):
        pro, _ = Professional.objects.get_or_create(
            tenant=world.tenant, kind="allied", profession=profession,
            first_name="Pro", last_name=profession.upper())
        return Activity.objects.create(
            tenant=world.tenant, enrollment=world.enrollment, kind=kind,
            profession=profession, professional=pro, duration_minutes=minutes,
            scheduled_at=timezone.make_aware(when), status="done")


def test_sessions_are_paid_at_the_rate_of_their_date(world):
    from billing.models import RemunerationLine

    _session(world, "dietitian", datetime(2025, 6, 30, 10), 30)
    _session(world, "dietitian", datetime(2025, 7, 1, 10), 45)
    _session(world, "psychologist", datetime(2025, 7, 2, 10))
    _session(world, "sports_educator", datetime(2025, 7, 3, 10), 90, kind="apa")
    _session(world, "nurse", datetime(2025, 7, 3, 11))  # salaried: not paid from forfaits
    _session(world, "cardiologist", datetime(2025, 7, 3, 12), kind="assessment")
    statements = remuneration_compile(tenant=world.tenant, day=date(2025, 7, 1))
    with tenant_context(world.tenant):
        lines = sorted((line.statement.professional.profession, line.on, line.amount)
                       for line in RemunerationLine.objects.select_related(
                           "statement__professional"))
    assert lines == [("dietitian", date(2025, 6, 30), D("22.50")),
                     ("dietitian", date(2025, 7, 1), D("35.00")),
                     ("psychologist", date(2025, 7, 2), D("50.00")),
                     ("sports_educator", date(2025, 7, 3), D("73.50"))]
    assert len(statements) == 3
    # Compiling again pays nothing twice.
    remuneration_compile(tenant=world.tenant, day=date(2025, 7, 1))
    with tenant_context(world.tenant):
        assert RemunerationLine.objects.count() == 4


def test_dashboard_compares_billed_with_the_plan(client, login, world):
    compile_claims(tenant=world.tenant, day=timezone.localdate())
    login(world.user(Role.PROGRAMME_MANAGER))
    body = client.get(reverse("billing:dashboard")).content.decode()
    assert re.search(r"2.203,00", body) and re.search(r"1.503,00", body)  # French figures
    assert "13" in body and 'class="bar-billed"' in body
    assert world.patient.birth_name not in body


def test_issued_remuneration_is_credited_when_a_paid_session_is_undone(world, client, login):
    from billing.models import RemunerationLine, RemunerationStatement
    from billing.services import remuneration_issue

    done = _session(world, "psychologist", datetime(2025, 7, 2, 10))
    [statement] = remuneration_compile(tenant=world.tenant, day=date(2025, 7, 1))
    remuneration_issue(statement=statement, actor=world.user(Role.FINANCE))
    with pytest.raises(ValidationError, match="already issued"):
        remuneration_issue(statement=statement, actor=world.user(Role.FINANCE))
    with tenant_context(world.tenant):
        done.status = "cancelled"
        done.save()
    [nxt] = remuneration_compile(tenant=world.tenant, day=date(2025, 11, 1))
    with tenant_context(world.tenant):
        assert [(line.amount, line.adjusts_id is not None) for line in nxt.lines.all()] == [
            (D("-50.00"), True)]
        assert RemunerationStatement.objects.get(pk=statement.pk).total == D("50.00")
        assert RemunerationLine.objects.filter(statement=statement).count() == 1
    # Compiling again credits once.
    remuneration_compile(tenant=world.tenant, day=date(2025, 11, 1))
    with tenant_context(world.tenant):
        assert RemunerationLine.objects.filter(adjusts__isnull=False).count() == 1
    login(world.user(Role.FINANCE))
    pdf = client.get(reverse("billing:remuneration", args=[statement.pk]) + "?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with tenant_context(world.tenant):
        assert ExportLog.objects.filter(remuneration=statement, format="pdf").count() == 1
