"""A synthetic data set at scale (issue #10): N patients over T tenants, enrollments at every
phase, PPS, telefollow-up rules, open alerts, and R readings over Y years.

    python manage.py generate_load_data --patients 100000 --tenants 10 --years 2 \
        --readings 20000000

Set-based: patients, enrollments, PPS, rules and alerts by ``bulk_create`` in batches (no
history rows: nobody typed them); readings by one ``INSERT … SELECT generate_series`` per
tenant, inside that tenant's context (row-level security holds: no superuser, no COPY).
Prints the time of each step, the rows written and the disk used (PostgreSQL). Meant for an
empty database of its own (``bench/README.md``), never for a programme's data.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from constel import dates

FIRST = ["Marie", "Jean", "Pierre", "Monique", "Michel", "Françoise", "André", "Nicole",
         "Jacques", "Sylvie", "Bernard", "Josette", "Alain", "Danielle", "Gérard", "Colette"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier"]
#: Telefollow-up items of a PPS: (indicator, frequency in hours); weight and blood pressure
#: for everybody, SpO2 for one patient in three, capillary glucose for one in four.
ITEMS = [("body_weight", 24), ("systolic_bp", 56), ("diastolic_bp", 56)]
OPTIONAL = [("spo2", 24, 3), ("capillary_glucose", 24, 4)]

#: Value of a reading by indicator: a per-patient baseline (from the enrollment's id) plus
#: noise; a few land beyond the warning thresholds, as in life.
VALUE_SQL = """
CASE i.code
  WHEN 'body_weight' THEN round((55 + (abs(hashtext(e.id::text)) %% 50)
                                 + (random() - 0.5) * 3)::numeric, 1)
  WHEN 'systolic_bp' THEN round((118 + (abs(hashtext(e.id::text)) %% 25)
                                 + (random() - 0.5) * 30)::numeric, 0)
  WHEN 'diastolic_bp' THEN round((68 + (abs(hashtext(e.id::text)) %% 12)
                                  + (random() - 0.5) * 16)::numeric, 0)
  WHEN 'spo2' THEN least(100, round((96 + (random() - 0.7) * 7)::numeric, 0))
  WHEN 'capillary_glucose' THEN round((0.9 + random() * 1.1)::numeric, 2)
  ELSE 1 END
"""

READINGS_SQL = """
INSERT INTO pathways_reading (id, tenant_id, enrollment_id, indicator_id, value, measured_at,
    entered_at, entered_by_id, source, measurement_id, evaluated_at)
SELECT gen_random_uuid(), e.tenant_id, e.id, r.indicator_id, {value}, t,
       t + interval '1 minute', NULL, 'portal', gen_random_uuid(), t + interval '2 minutes'
FROM pathways_enrollment e
JOIN pathways_alertrule r ON r.enrollment_id = e.id AND r.kind = 'bounds'
JOIN pathways_indicator i ON i.id = r.indicator_id
CROSS JOIN LATERAL generate_series(
    (e.included_on + 30)::timestamptz + make_interval(hours => 8 + abs(hashtext(r.id::text)) %% 12),
    least(coalesce(e.exited_on::timestamptz, %(now)s), %(now)s),
    make_interval(secs => %(step_seconds)s * r.expected_interval_hours / 24.0)) AS t
WHERE e.tenant_id = %(tenant)s
"""


def _phase_for(days: int, rng: random.Random) -> tuple[str, str]:
    """Phase and exit reason for an enrollment ``days`` after inclusion."""
    if rng.random() < 0.04:
        return "exited", rng.choice(["death", "move", "patient_choice", "lost"])
    if days < 10:
        return "initial_assessment", ""
    if days < 30:
        return "pps_definition", ""
    if days < 365:
        return "follow_up_y1", ""
    if days < 380:
        return "annual_update", ""
    if days < 730:
        return "follow_up_y2", ""
    if days < 760:
        return "final_assessment", ""
    return "exited", "end_of_programme"


class Command(BaseCommand):
    help = "Build a synthetic data set at scale (patients, pathway, rules, readings)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=100000)
        parser.add_argument("--tenants", type=int, default=10)
        parser.add_argument("--years", type=int, default=2)
        parser.add_argument("--readings", type=int, default=20_000_000,
                            help="about how many readings in all (the rate follows)")
        parser.add_argument("--seed", type=int, default=51)
        parser.add_argument("--prefix", default="load",
                            help="tenant slugs are PREFIX-1 … PREFIX-T")
        parser.add_argument("--logins", type=int, default=0,
                            help="per tenant: K patients with an API token and K GPs with a "
                                 "login (the load test's users)")
        parser.add_argument("--password", default="",
                            help="password of the staff and GP logins (none: no login)")
        parser.add_argument("--credentials", default="",
                            help="write the logins and tokens to this JSON file")

    def handle(self, *args, **o):
        from constel.models import Tenant

        if o["patients"] < o["tenants"] or o["tenants"] < 1:
            raise CommandError("Give at least one patient per tenant.")
        if Tenant.objects.filter(slug__startswith=f"{o['prefix']}-").exists():
            raise CommandError(f"Tenants {o['prefix']}-* exist already: use an empty database "
                               f"or another --prefix.")
        rng = random.Random(o["seed"])
        started = time.perf_counter()
        today = dates.today()
        per_tenant = o["patients"] // o["tenants"]
        tenants = []
        for k in range(o["tenants"]):
            t = time.perf_counter()
            tenant = self._tenant(k + 1, per_tenant + (1 if k < o["patients"] % o["tenants"]
                                                       else 0), o, rng, today)
            tenants.append(tenant)
            self.stdout.write(f"tenant {tenant.slug}: pathway and rules in "
                              f"{time.perf_counter() - t:.1f} s")
        if o["logins"]:
            t = time.perf_counter()
            credentials = [self._logins(tenant, o["logins"], o["password"] or None)
                           for tenant in tenants]
            self.stdout.write(f"logins and tokens in {time.perf_counter() - t:.1f} s")
            if o["credentials"]:
                import json
                from pathlib import Path

                Path(o["credentials"]).write_text(json.dumps(credentials, indent=1))
        # Reading rate: spread the requested total over every rule-day of follow-up.
        rule_days = self._rule_days(tenants, today)
        step = max(600.0, rule_days * 86400.0 / max(1, o["readings"]))
        self.stdout.write(f"{rule_days:,.0f} rule-days of follow-up: one reading per rule "
                          f"every {step / 3600:.1f} h of its expected interval (daily rule)")
        from telemonitoring.partitions import partitions_create

        # PostgreSQL: the readings' monthly partitions over the whole span first (else every
        # reading older than this month lands in the default partition).
        created = partitions_create(first_month=today - timedelta(days=366 * o["years"] + 62))
        self.stdout.write(f"{created} monthly partitions of readings created")
        written = 0
        for tenant in tenants:
            t = time.perf_counter()
            written += self._readings(tenant, step)
            self.stdout.write(f"tenant {tenant.slug}: readings in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"ANALYZE {time.perf_counter() - t:.1f} s")
        self.stdout.write(self.style.SUCCESS(
            f"{o['patients']:,} patients in {o['tenants']} tenants, {written:,} readings, "
            f"in {time.perf_counter() - started:.0f} s"))
        self._sizes()

    # --- one tenant ---------------------------------------------------------------------

    @transaction.atomic
    def _tenant(self, number: int, count: int, o: dict, rng: random.Random, today: date):
        # long: a script of the load data, read top to bottom
        from constel import services
        from constel.roles import Role
        from constel.tenancy import tenant_context
        from pathways.models import CarePlan, Enrollment
        from patients.catalogue import pathologies_load, table4
        from patients.models import Diagnosis, GroupPeriod, Pathology, Patient, Professional
        from telemonitoring.models import AlertRule, Indicator
        from telemonitoring.services import indicators_load

        tenant = services.tenant_create(
            slug=f"{o['prefix']}-{number}", name=f"Programme de charge {number}",
            operator="Constel (données synthétiques)",
            inclusion_window_end=today + timedelta(days=365),
            cumulative_inclusion_cap=count * 2, claim_period_anchor=date(today.year - 3, 1, 1))
        pathologies_load(tenant=tenant, groups=table4())
        indicators_load(tenant=tenant)
        sites = [services.site_create(tenant=tenant, name=f"Clinique {number}-{s}",
                                      city="Toulouse") for s in range(1, 12)]
        for role, local in ((Role.NURSE_COORDINATOR, "idec"),
                            (Role.PHYSICIAN_COORDINATOR, "medco")):
            user = services.user_create(email=f"{local}@{tenant.slug}.load", password=None)
            services.membership_create(user=user, tenant=tenant, role=role, site=sites[0])
        with tenant_context(tenant):
            indicators = {i.code: i for i in Indicator.objects.all()}
            catalogue = [p for p in Pathology.objects.all() if not p.oral_therapy_only]
            gps = Professional.objects.bulk_create([Professional(
                tenant=tenant, kind=Professional.Kind.GP, first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST)) for _ in range(max(1, count // 40))])
            patients = []
            for _ in range(count):
                sex = rng.choice("FM")
                patients.append(Patient(
                    tenant=tenant, birth_name=rng.choice(LAST).upper(),
                    first_names=rng.choice(FIRST), sex=sex,
                    birth_date=date(rng.randint(1935, 1975), rng.randint(1, 12),
                                    rng.randint(1, 28)),
                    site=rng.choice(sites), gp=rng.choice(gps),
                    gp_online_access_agreed=rng.random() < 0.6))
            Patient.objects.bulk_create(patients, batch_size=5000)
            diagnoses, groups, enrollments = [], [], []
            for patient in patients:
                chosen = rng.sample(catalogue, 1 if rng.random() < 0.55 else rng.randint(2, 3))
                included = today - timedelta(days=rng.randint(0, 365 * o["years"] + 30))
                for p in chosen:
                    diagnoses.append(Diagnosis(tenant=tenant, patient=patient, pathology=p,
                                               diagnosed_on=included - timedelta(days=400)))
                groups.append(GroupPeriod(tenant=tenant, patient=patient,
                                          group="MONO" if len(chosen) == 1 else "POLY",
                                          valid_from=included))
                phase, reason = _phase_for((today - included).days, rng)
                exited = None
                if phase == "exited":
                    exited = min(today, included + timedelta(
                        days=760 if reason == "end_of_programme" else rng.randint(40, 700)))
                enrollments.append(Enrollment(
                    tenant=tenant, patient=patient, door="programme_physician", phase=phase,
                    included_on=included, exited_on=exited, exit_reason=reason))
            Diagnosis.objects.bulk_create(diagnoses, batch_size=5000)
            GroupPeriod.objects.bulk_create(groups, batch_size=5000)
            Enrollment.objects.bulk_create(enrollments, batch_size=5000)
            plans, rules = [], []
            for e in enrollments:
                if e.phase in ("initial_assessment",):
                    continue
                issued = e.included_on + timedelta(days=25)
                plan = CarePlan(tenant=tenant, enrollment=e, version=1, kind="initial",
                                status="issued" if e.phase != "pps_definition" else "draft",
                                issued_on=issued if e.phase != "pps_definition" else None,
                                gp_status="validated" if e.phase != "pps_definition" else "")
                plans.append(plan)
                if e.phase == "pps_definition":
                    continue
                items = list(ITEMS) + [(code, hours) for code, hours, one_in in OPTIONAL
                                       if rng.randrange(one_in) == 0]
                for code, hours in items:
                    ind = indicators[code]
                    rules.append(AlertRule(
                        tenant=tenant, enrollment=e, care_plan=plan, indicator=ind,
                        kind="bounds", warn_low=ind.warn_low, warn_high=ind.warn_high,
                        crit_low=ind.crit_low, crit_high=ind.crit_high,
                        expected_interval_hours=hours, active=e.phase != "exited"))
                    rules.append(AlertRule(
                        tenant=tenant, enrollment=e, care_plan=plan, indicator=ind,
                        kind="missing", expected_interval_hours=hours,
                        active=e.phase != "exited"))
            CarePlan.objects.bulk_create(plans, batch_size=5000)
            AlertRule.objects.bulk_create(rules, batch_size=5000)
            self._alerts(tenant, rules, rng)
        return tenant

    def _alerts(self, tenant, rules, rng: random.Random) -> None:
        """Open alerts for about one patient in fifteen, in every state of the lifecycle."""
        from telemonitoring.models import Alert

        now = timezone.now()
        alerts = []
        for rule in rules:
            if rule.kind != "bounds" or not rule.active or rng.randrange(45):
                continue
            opened = now - timedelta(hours=rng.randint(1, 240))
            state = rng.choice(["open", "open", "taken", "escalated", "closed"])
            alerts.append(Alert(
                tenant=tenant, enrollment_id=rule.enrollment_id, rule=rule,
                indicator_id=rule.indicator_id, level=rng.choice(["warning", "critical"]),
                status=state, opened_at=opened,
                taken_at=opened + timedelta(minutes=30) if state != "open" else None,
                escalated_at=opened + timedelta(hours=1) if state == "escalated" else None,
                closed_at=opened + timedelta(hours=2) if state == "closed" else None,
                outcome="advice" if state == "closed" else ""))
        Alert.objects.bulk_create(alerts, batch_size=5000)

    @transaction.atomic
    def _logins(self, tenant, count: int, password: str | None) -> dict:
        """The load test's users: the tenant's nurse and physician (password), K GPs with a
        login, K patients in follow-up with a personal API token."""
        from constel import services
        from constel.models import ApiToken, User
        from constel.roles import Role
        from constel.tenancy import tenant_context
        from pathways.models import Enrollment
        from patients.models import Patient, Professional

        staff = [f"idec@{tenant.slug}.load", f"medco@{tenant.slug}.load"]
        for email in staff:
            user = User.objects.get(email=email)
            user.set_password(password) if password else user.set_unusable_password()
            user.save(update_fields=["password"])
        with tenant_context(tenant):
            gps = list(Professional.objects.filter(kind="gp").order_by("pk")[:count])
            followed = list(Enrollment.objects.filter(phase__in=[
                "follow_up_y1", "follow_up_y2", "annual_update"]).order_by("pk")
                .values_list("patient_id", flat=True)[:count])
        gp_logins = []
        for k, gp in enumerate(gps):
            user = services.user_create(email=f"mt{k}@{tenant.slug}.load", password=password)
            services.membership_create(user=user, tenant=tenant, role=Role.GP)
            with tenant_context(tenant):
                Professional.objects.filter(pk=gp.pk).update(user=user)
            gp_logins.append(user.email)
        tokens = []
        for k, patient_id in enumerate(followed):
            user = services.user_create(email=f"patient{k}@{tenant.slug}.load", password=None)
            member = services.membership_create(user=user, tenant=tenant, role=Role.PATIENT)
            key = ApiToken.new_key()
            with tenant_context(tenant):
                Patient.objects.filter(pk=patient_id).update(user=user)
                ApiToken.objects.create(user=user, tenant=tenant, membership=member,
                                        name="load test",
                                        key_hash=ApiToken.hash_key(key), prefix=key[4:12])
            tokens.append(key)
        with tenant_context(tenant):
            from telemonitoring.models import Indicator

            followed_now = Enrollment.objects.filter(phase__in=["follow_up_y1", "follow_up_y2"])
            patients = [str(pk) for pk in followed_now.order_by("?")
                        .values_list("patient_id", flat=True)[:500]]
            enrollment = followed_now.order_by("pk").first()
            weight = Indicator.objects.get(code="body_weight")
        return {"tenant": tenant.slug, "tenant_id": str(tenant.pk), "staff": staff,
                "gps": gp_logins, "patient_tokens": tokens, "patients": patients,
                # for the bare INSERT view (the floor of a reading)
                "enrollment": str(enrollment.pk) if enrollment else "",
                "indicator": str(weight.pk)}

    # --- readings -----------------------------------------------------------------------

    def _rule_days(self, tenants: list, today: date) -> float:
        from constel.tenancy import tenant_context
        from telemonitoring.models import AlertRule

        total = 0.0
        for tenant in tenants:
            with tenant_context(tenant):
                for included, exited, hours in AlertRule.objects.filter(kind="bounds") \
                        .values_list("enrollment__included_on", "enrollment__exited_on",
                                     "expected_interval_hours"):
                    days = ((exited or today) - included).days - 30
                    if days > 0:
                        total += days * 24 / (hours or 24)
        return total

    def _readings(self, tenant, step_seconds: float) -> int:
        from constel.tenancy import tenant_context

        with tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute(READINGS_SQL.format(value=VALUE_SQL), {
                "tenant": tenant.pk, "step_seconds": step_seconds,
                "now": datetime.combine(dates.today(), dtime(7),
                                        tzinfo=timezone.get_current_timezone())})
            return cursor.rowcount

    def _sizes(self) -> None:
        with connection.cursor() as cursor:
            # the readings are partitioned: their size is the sum over the partitions
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database())), "
                           "pg_size_pretty(sum(pg_total_relation_size(relid))), "
                           "pg_size_pretty(sum(pg_relation_size(relid))), count(*) "
                           "FROM pg_partition_tree('pathways_reading') WHERE isleaf")
            db, total, heap, parts = cursor.fetchone()
        self.stdout.write(f"disk: database {db}; readings {total} ({heap} table, the rest "
                          f"indexes) in {parts} partitions")
