"""Health endpoint, production settings, structured logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
def test_healthz_ok_with_database_and_broker(client, db, settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("no Redis")
    settings.REDIS_URL = os.environ["REDIS_URL"]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_503_when_the_broker_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("down")
    assert response.json()["database"] == "ok"


@pytest.mark.postgres
def test_503_not_500_while_the_database_is_down_then_recovers(transactional_db, world):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(raise_request_exception=False)
    user = world.user("nurse_coordinator")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = 1  # nothing listens there: the database is "down"
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"].startswith("down")
        page = client.get("/patients/")
        assert page.status_code == 503
        assert page["Retry-After"] == "30"
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    assert client.get("/healthz").json()["database"] == "ok"
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "constel.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20 + "-production-secret-key-of-sufficient-length-0123456789",
        "DJANGO_ALLOWED_HOSTS": "constel.example.org",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_uses_host_prefixed_secure_cookies():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "constel.settings.production",
           "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "a.example"}
    code = ("from django.conf import settings as s; import django; django.setup(); "
            "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS, s.SECURE_REFERRER_POLICY)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["__Host-sessionid", "__Host-csrftoken", "True", "31536000", "same-origin"]


def test_responses_carry_a_content_security_policy(client, db):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp


def test_request_log_is_one_json_object(client, db):
    from constel.logging import JsonFormatter

    record = logging.makeLogRecord({"msg": "request", "levelname": "INFO", "name": "x",
                                    "path": "/healthz", "status": 200})
    line = JsonFormatter().format(record)
    payload = json.loads(line)
    assert payload["path"] == "/healthz" and payload["status"] == 200
