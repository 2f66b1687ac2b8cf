"""Eligibility rules of §III.2 (pure function, no database)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from patients.eligibility import MEDICO_SOCIAL_CRITERIA, MONO_CRITERIA, Answers, assess, group_of

TODAY = date(2025, 11, 25)
ADULT = date(1955, 3, 1)


def answers(**kw) -> Answers:
    base = dict(birth_date=ADULT, today=TODAY, pathologies={}, medico_social=["poor_access"])
    base.update(kw)
    return Answers(**base)


def test_poly_with_a_medico_social_criterion_is_eligible():
    r = assess(answers(pathologies={"type_2_diabetes": False, "heart_failure_chronic_and_acute": False}))
    assert r.eligible and r.group == "POLY"


def test_mono_needs_therapeutic_failure():
    r = assess(answers(pathologies={"type_2_diabetes": False}, mono_criteria=["diabetes_unbalanced"]))
    assert not r.eligible
    assert any("therapeutic failure" in x for x in r.reasons)
    r = assess(answers(pathologies={"type_2_diabetes": False}, mono_criteria=["diabetes_unbalanced"],
                       therapeutic_failure=True))
    assert r.eligible and r.group == "MONO"


def test_mono_needs_one_listed_criterion_of_its_pathology():
    r = assess(answers(pathologies={"heart_failure_chronic_and_acute": False},
                       therapeutic_failure=True, mono_criteria=["diabetes_unbalanced"]))
    assert not r.eligible
    assert any("§III.2.a" in x for x in r.reasons)


def test_hypertension_dvt_pe_qualify_by_therapeutic_failure_alone():
    for code in ("hypertension", "deep_vein_thrombosis", "pulmonary_embolism"):
        assert code not in MONO_CRITERIA
        assert assess(answers(pathologies={code: False}, therapeutic_failure=True)).eligible


def test_kidney_disease_alone_never_qualifies_but_does_with_another():
    r = assess(answers(pathologies={"chronic_kidney_disease": False}, therapeutic_failure=True))
    assert not r.eligible
    r = assess(answers(pathologies={"chronic_kidney_disease": False, "copd": False}))
    assert r.eligible and r.group == "POLY"


def test_cancer_counts_only_under_oral_therapy():
    r = assess(answers(pathologies={"breast_cancer": False, "copd": False},
                       therapeutic_failure=True, mono_criteria=["copd_exacerbation"]))
    assert r.group == "MONO" and r.eligible
    r = assess(answers(pathologies={"breast_cancer": True, "copd": False}))
    assert r.group == "POLY"


def test_medico_social_criterion_required():
    r = assess(answers(pathologies={"copd": False, "nash": False}, medico_social=[]))
    assert not r.eligible
    assert any("medico-social" in x for x in r.reasons)


def test_exclusions_each_give_their_reason():
    r = assess(answers(pathologies={"copd": False, "nash": False}, birth_date=date(2010, 1, 1),
                       programmes=["prado", "etp", "asalee"], exclusions=["cognitive_without_carer"]))
    assert not r.eligible
    text = " | ".join(r.reasons)
    assert "Under 18" in text and "PRADO" in text and "ETP" in text and "carer" in text
    assert "Asalée" in " ".join(r.notes)  # Asalée does not exclude


def test_asalee_alone_does_not_exclude():
    assert assess(answers(pathologies={"copd": False, "nash": False}, programmes=["asalee"])).eligible


def test_gp_opposition_excludes_unless_the_gp_referred():
    base = dict(pathologies={"copd": False, "nash": False}, gp_opposes=True)
    assert not assess(answers(**base)).eligible
    assert assess(answers(**base, gp_is_referrer=True)).eligible


def test_eighteenth_birthday_is_adult():
    assert assess(answers(pathologies={"copd": False, "nash": False},
                          birth_date=date(2007, 11, 25))).eligible
    assert not assess(answers(pathologies={"copd": False, "nash": False},
                              birth_date=date(2007, 11, 26))).eligible


def test_tenant_can_merge_pathologies_that_count_as_one():
    codes = ["crohn_disease", "ulcerative_colitis"]
    assert group_of(codes) == "POLY"
    assert group_of(codes, {"ulcerative_colitis": "crohn_disease"}) == "MONO"


CODES = ["hypertension", "type_2_diabetes", "copd", "nash", "heart_failure_chronic_and_acute",
         "chronic_kidney_disease", "crohn_disease"]


@given(st.sets(st.sampled_from(CODES), min_size=2), st.sets(st.sampled_from(list(MEDICO_SOCIAL_CRITERIA)), min_size=1))
def test_property_two_distinct_pathologies_plus_medico_social_is_always_eligible(codes, social):
    r = assess(answers(pathologies={c: False for c in codes}, medico_social=social))
    assert r.eligible and r.group == "POLY"


@given(st.sets(st.sampled_from(CODES)), st.booleans(), st.sets(st.sampled_from(list(MEDICO_SOCIAL_CRITERIA))))
def test_property_assessing_twice_gives_the_same_answer(codes, failure, social):
    a = answers(pathologies={c: False for c in codes}, therapeutic_failure=failure, medico_social=social)
    assert assess(a) == assess(a)
    if not social:
        assert not assess(a).eligible
