"""Identity on every list (issue #21, identity vigilance): two homonyms are never
indistinguishable — sex, birth date and age beside the name."""

from __future__ import annotations

import html
import re
from datetime import date

from django.urls import reverse

from constel.roles import Role
from constel.tenancy import tenant_context
from engagement.models import Message
from pathways.templatetags.pathway import identity
from patients.models import Patient


def test_identity_names_sex_birth_date_and_age(world):
    text = html.unescape(str(identity(world.patient)))
    assert text.startswith(world.patient.display_name)
    assert "F" in text and "12/04/1950" in text and re.search(r"\d+ (ans|years)", text)
    assert identity(None) == "—"


def test_two_homonyms_on_the_worklist_and_the_alert_list_are_told_apart(client, login, world):
    with tenant_context(world.tenant):
        for born in (date(1946, 3, 2), date(1958, 11, 23)):
            p = Patient.objects.create(tenant=world.tenant, birth_name="BERNARD",
                                       first_names="Marcel", birth_date=born, sex="M")
            Message.objects.create(tenant=world.tenant, patient=p, from_patient=True,
                                   body="Bonjour")
    login(world.user(Role.NURSE_COORDINATOR))
    page = html.unescape(client.get(reverse("pathways:worklist")).content.decode())
    assert "02/03/1946" in page and "23/11/1958" in page
    people = client.get(reverse("patients:list"), {"q": "bernard marcel"}).content.decode()
    assert "02/03/1946" in people and "23/11/1958" in people


def test_the_worklist_folds_the_sections_with_nothing_to_do_into_one_line(
        client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    response = client.get(reverse("pathways:worklist"))
    shown = [s.key for s in response.context["sections"]]
    idle = response.context["idle"]
    assert shown and idle and all(s.count for s in response.context["sections"])
    page = html.unescape(response.content.decode())
    assert page.count('<section class="section worklist-section"') == len(shown)
    assert idle[0] in page.split("nothing-to-do")[1]


def test_how_long_ago_is_said_the_way_people_say_it():
    from datetime import timedelta

    from django.utils import timezone, translation

    from pathways.templatetags.pathway import ago

    now = timezone.now()
    with translation.override("fr"):
        assert ago(now - timedelta(seconds=20), now) == "à l’instant"  # not "il y a 0 minute"
        assert ago(now - timedelta(hours=3, minutes=10), now) == "il y a 3\xa0heures"
        assert ago(None) == "—"
