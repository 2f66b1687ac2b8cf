"""Benchmark (issue #6, item 6): letters rendered and sent per second per worker process,
for a one-page letter and a five-page exit synthesis, against WeasyPrint rendering the same
HTML alone (the floor).

    python tools/with_services.py .venv/bin/python bench/letters.py --letters 30

Own database (``constel_bench_letters``). Platform: ``letter_send`` as the worker runs it
(row lock, template, PDF with the shipped fonts, checksum, stored, e-mail handed to Django's
in-memory backend, status written). Floor: ``weasyprint.HTML(string=the same HTML)
.write_pdf()`` alone, in the same process and run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database  # noqa: E402

PARAGRAPH = ("Le patient a bénéficié ce trimestre de ses séances d'activité physique adaptée "
             "et de ses consultations diététiques ; les mesures de poids et de saturation "
             "sont restées dans les seuils fixés par le PPS, sauf une alerte de saturation "
             "traitée par l'infirmière de coordination avec des conseils. ")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, default=30)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("needs DATABASE_URL=postgres://… (run through tools/with_services.py)")
        return 2
    os.environ["DATABASE_URL"] = recreate_database(url, "constel_bench_letters")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "constel.settings.dev")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    import weasyprint
    from django.core.management import call_command
    from django.template.loader import render_to_string
    from django.utils import timezone

    from constel.models import Tenant
    from constel.tenancy import tenant_context
    from letters.models import Letter
    from letters.services import letter_send
    from pathways.models import Enrollment
    from patients.models import Patient, Professional

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(slug="bench", name="Constel'Action — Clinavenir",
                                   operator="Clinavenir", inclusion_window_end="2030-01-01",
                                   cumulative_inclusion_cap=10**6,
                                   claim_period_anchor="2022-10-01")
    with tenant_context(tenant):
        gp = Professional.objects.create(tenant=tenant, kind="gp", first_name="Anne",
                                         last_name="Vidal", secure_email="a.vidal@mssante.fr")
        patient = Patient.objects.create(tenant=tenant, birth_name="MARTIN",
                                         first_names="Jeanne", sex="F",
                                         birth_date="1948-03-02", gp=gp)
        enrollment = Enrollment.objects.create(tenant=tenant, patient=patient,
                                               door="programme_physician",
                                               phase="follow_up_y1")
    results = []
    for kind, paragraphs in (("one page", 4), ("five-page exit synthesis", 27)):
        body = "\n\n".join(PARAGRAPH * 2 for _ in range(paragraphs))
        with tenant_context(tenant):
            letters = [Letter.objects.create(tenant=tenant, enrollment=enrollment, gp=gp,
                                             kind="exit", event_key=f"{kind}-{i}",
                                             subject="Synthèse de sortie", body=body)
                       for i in range(args.letters)]
        letter_send(letter_id=letters[0].pk, tenant_id=tenant.pk)  # warm-up
        t = time.perf_counter()
        for letter in letters[1:]:
            letter_send(letter_id=letter.pk, tenant_id=tenant.pk)
        platform = (time.perf_counter() - t) / (len(letters) - 1)
        with tenant_context(tenant):
            sample = Letter.objects.select_related("enrollment__patient", "gp").get(
                pk=letters[1].pk)
            html = render_to_string("letters/letter.html", {
                "letter": sample, "patient": patient, "gp": gp, "tenant": tenant,
                "now": timezone.localtime()})
        pages = len(weasyprint.HTML(string=html).render().pages)  # and warm-up
        t = time.perf_counter()
        for _ in letters[1:]:
            weasyprint.HTML(string=html).write_pdf()
        floor = (time.perf_counter() - t) / (len(letters) - 1)
        results.append((kind, pages, platform, floor))
        print(f"{kind:26} ({pages} p.): platform {platform * 1000:.0f} ms "
              f"per letter ({1 / platform:.1f}/s), WeasyPrint alone {floor * 1000:.0f} ms "
              f"({1 / floor:.1f}/s); overhead {100 * (platform - floor) / floor:+.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
