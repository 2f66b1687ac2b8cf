"""Branded error pages in French (issue #22, item 7): what happened and a way back to the
role's home, never Django's bare "403 Forbidden" or English "Not Found"."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from constel.roles import Role


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_refused_page_says_why_and_leads_home(client, login, world):
    login(world.user(Role.SECRETARY))
    response = client.get(reverse("pathways:enrollment", args=[world.enrollment.pk]))
    assert response.status_code == 403
    page = _text(response)
    assert "Accès refusé" in page and "Forbidden" not in page
    assert f'href="{reverse("home")}"' in page and 'class="topbar"' in page


def test_a_missing_page_says_so_in_french(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.get("/pathway/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    page = _text(response)
    assert "Page introuvable" in page and "Not Found" not in page
    assert "patient que vous ne suivez pas" in page


def test_an_expired_form_is_explained(world, login):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.user(Role.NURSE_COORDINATOR))
    response = strict.post(reverse("pathways:time_record", args=[world.enrollment.pk]), {})
    assert response.status_code == 403
    assert "Formulaire expiré" in _text(response)


@pytest.mark.django_db
def test_the_server_error_page_needs_no_request_and_is_french():
    from django.template import loader
    from django.utils import translation

    with translation.override("fr"):
        page = loader.get_template("500.html").render()
    assert "Une erreur s" in html.unescape(page) and 'href="/"' in page
