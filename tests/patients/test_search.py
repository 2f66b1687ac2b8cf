"""Finding people as they are typed (issue #21, identity): accents and case ignored, any
order, part of a name, a typo, a birth date, an INS — ranked by PostgreSQL, in scope only."""

from __future__ import annotations

from datetime import date

import pytest

from constel.roles import Role
from constel.tenancy import tenant_context
from patients.models import Patient
from patients.selectors import patient_list


@pytest.fixture
def people(world):
    made = {}
    with tenant_context(world.tenant):
        for key, birth, first, born, sex in [
                ("bernard_marcel", "BERNARD", "Marcel", date(1946, 3, 2), "M"),
                ("bernard_lucie", "BERNARD", "Lucie", date(1951, 7, 9), "F"),
                ("marcel_andre", "MARCEL", "André", date(1940, 1, 1), "M"),
                ("francoise", "LÉGER", "Françoise", date(1949, 5, 17), "F"),
                ("dupont_hyphen", "DUPONT-MOREAU", "Jean-Pierre", date(1955, 2, 28), "M")]:
            made[key] = Patient.objects.create(tenant=world.tenant, birth_name=birth,
                                               first_names=first, birth_date=born, sex=sex)
    return made


def _found(world, query, role=Role.NURSE_COORDINATOR):
    m = world.members[role]
    with tenant_context(world.tenant, user_id=m.user_id):
        return [p.birth_name + " " + p.first_names
                for p in patient_list(membership=m, query=query)]


@pytest.mark.parametrize("query", ["bernard marcel", "Marcel Bernard", "BERNARD  Marcel",
                                   "bern marc", "bernadr marcel"])
def test_a_name_in_any_order_case_part_or_typo_finds_the_person_first(world, people, query):
    found = _found(world, query)
    assert found and found[0] == "BERNARD Marcel", found
    assert "BERNARD Lucie" not in found  # every word must match: not the whole family


@pytest.mark.parametrize("query", ["francoise", "FRANCOISE leger", "françoise", "leger"])
def test_accents_are_ignored_both_ways(world, people, query):
    assert _found(world, query)[:1] == ["LÉGER Françoise"]


def test_hyphenated_names_and_a_birth_date(world, people):
    assert _found(world, "jean pierre dupont")[:1] == ["DUPONT-MOREAU Jean-Pierre"]
    assert _found(world, "17/05/1949") == ["LÉGER Françoise"]
    assert _found(world, "30/02/1949") == []  # an impossible date finds nobody, no error


def test_nothing_like_it_finds_nobody_and_odd_input_is_no_error(world, people):
    assert _found(world, "zzyzx") == []
    for odd in ["%", "_", "'; DROP TABLE patients_patient; --", "a" * 500, "é\u0301"]:
        _found(world, odd)  # no error


def test_search_stays_within_the_scope(world, other_world, people):
    """The GP finds their own patients only; another tenant's homonym is never found."""
    with tenant_context(other_world.tenant):
        Patient.objects.create(tenant=other_world.tenant, birth_name="BERNARD",
                               first_names="Marcel", birth_date=date(1946, 3, 2), sex="M")
    assert _found(world, "bernard marcel").count("BERNARD Marcel") == 1
    assert _found(world, "bernard marcel", role=Role.GP) == []
