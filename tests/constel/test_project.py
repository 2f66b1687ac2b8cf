"""The project's own shape: compose file, CI script, migrations in sync, translations."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


def test_compose_has_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert "gunicorn" in " ".join(
        (ROOT / "Dockerfile").read_text().split("CMD")[-1].split()
    )
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "db", "redis"):
        assert "healthcheck" in services[name], name
    # Only the migrate job connects as the owner.
    assert "constel_owner" in services["migrate"]["environment"]["DATABASE_URL"]
    assert "constel_app" in services["web"]["environment"]["DATABASE_URL"]


def test_every_queue_has_a_worker_in_the_production_shape(settings):
    """A task routed to a queue nobody consumes would wait for ever: each queue of the routes
    (and the default one) is listened to by a compose service."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    listened = set()
    for service in compose["services"].values():
        command = service.get("command") or []
        if "worker" in command:
            queues = command[command.index("-Q") + 1] if "-Q" in command else "celery"
            listened |= set(queues.split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {"celery"}
    assert routed <= listened, routed - listened
    assert set(settings.CELERY_ALL_QUEUES.split(",")) == routed


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_migrations_are_in_sync(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


@override_settings(LANGUAGE_CODE="fr")
def test_ui_is_french_by_default_and_english_on_request(client, db):
    body = client.get(reverse("account_login")).content.decode()
    assert "Mot de passe" in body
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        body = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Password" in body


def test_templates_use_no_inline_style_or_script():
    """The CSP (style-src/script-src 'self') would silently drop them."""
    import re

    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r'\sstyle="', text) or re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_page_titles_are_plain_text(client, login, world):
    """A <title> holding markup means a template block swallowed the page."""
    import re

    from django.urls import reverse

    login(world.user("nurse_coordinator"))
    body = client.get(reverse("pathways:enrollment", args=[world.enrollment.pk])).content.decode()
    title = re.search(r"<title>(.*?)</title>", body, re.S).group(1)
    assert "<" not in title and len(title) < 200
