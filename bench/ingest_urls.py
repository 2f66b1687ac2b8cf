"""The project's URLs plus the baselines of bench/ingestion.py and bench/load_test.py: bare
views that do one INSERT of a reading, or one SELECT, on the same stack (middleware, tenant
context, PostgreSQL as the application role), without authentication, validation,
evaluation or templates."""

import json
import uuid

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from constel.tenancy import tenant_context


@csrf_exempt
def bare_insert(request):
    d = json.loads(request.body)
    with tenant_context(d["tenant"]), connection.cursor() as cursor:
        now = timezone.now()
        cursor.execute(
            "INSERT INTO pathways_reading (id, tenant_id, enrollment_id, indicator_id, value, "
            "measured_at, entered_at, source, measurement_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, 'portal', %s)",
            [uuid.uuid4(), d["tenant"], d["enrollment"], d["indicator"], d["value"], now, now,
             uuid.uuid4()])
    return HttpResponse(status=201)


def bare_read(request):
    """The floor of a page: one query inside the tenant context, a few bytes of HTML."""
    with tenant_context(request.GET.get("tenant") or None), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM constel_tenant")
        (n,) = cursor.fetchone()
    return HttpResponse(f"<p>{n}</p>")


urlpatterns = [
    path("bench/bare-insert/", bare_insert),
    path("bench/bare-read/", bare_read),
    path("", include("constel.urls")),
]
