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


def test_the_navigation_marks_the_page_and_keeps_the_users_items_in_their_menu(
        client, login, world):
    """Issue #22, item 10: the current page highlighted; security, sessions and API tokens
    under the user's menu, not in the main navigation."""
    import re

    login(world.user(Role.NURSE_COORDINATOR))
    page = client.get(reverse("pathways:worklist")).content.decode()
    nav = page[page.index('<nav class="mainnav"'):page.index("</nav>")]
    assert re.search(rf'href="{reverse("pathways:worklist")}" aria-current="page"', nav)
    assert nav.count('aria-current="page"') == 1
    assert reverse("api_tokens") not in nav and reverse("usersessions_list") not in nav
    menu = page[page.index('class="usermenu"'):]
    assert reverse("api_tokens") in menu and reverse("usersessions_list") in menu
    patient = client.get(reverse("patients:detail", args=[world.patient.pk])).content.decode()
    assert re.search(rf'href="{reverse("patients:list")}" aria-current="page"', patient)
