"""INS (NIR) and RPPS validation, probed with generated numbers."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir

from patients.validators import (
    check_birth_date,
    check_ins_matches_identity,
    normalise_ins,
    normalise_rpps,
)

bodies = st.builds(
    lambda sex, yy, mm, dept, commune, order: f"{sex}{yy:02d}{mm:02d}{dept}{commune:03d}{order:03d}",
    st.sampled_from("12"), st.integers(0, 99), st.integers(1, 12),
    st.sampled_from(["31", "75", "2A", "2B", "99", "09"]), st.integers(1, 999), st.integers(1, 999),
)


@given(bodies)
def test_any_body_with_its_key_is_a_valid_ins(body):
    ins = body + nir.calc_check_digits(body)
    assert normalise_ins(ins) == ins
    assert normalise_ins(" ".join([ins[:1], ins[1:3], ins[3:5], ins[5:]])) == ins


@given(bodies, st.integers(1, 96))
def test_a_wrong_key_is_refused_with_the_right_key_in_the_message(body, delta):
    key = nir.calc_check_digits(body)
    wrong = f"{(int(key) + delta - 1) % 97 + 1:02d}"
    if wrong == key:
        return
    with pytest.raises(ValidationError) as exc:
        normalise_ins(body + wrong)
    assert key in exc.value.messages[0]


def test_corsica_and_classic_examples():
    assert normalise_ins("2 53 07 2B 073 004 70") == "253072B07300470"
    assert normalise_ins("253072A07300443") == "253072A07300443"
    with pytest.raises(ValidationError, match="15 characters"):
        normalise_ins("25307")
    with pytest.raises(ValidationError, match="only digits"):
        normalise_ins("253072C07300443")


def test_ins_must_match_sex_and_birth_date():
    ins = "253072B07300470"  # woman born July 1953
    check_ins_matches_identity(ins, sex="F", birth_date=date(1953, 7, 14))
    with pytest.raises(ValidationError) as exc:
        check_ins_matches_identity(ins, sex="M", birth_date=date(1954, 8, 1))
    assert len(exc.value.messages) == 3


@given(st.integers(10**9, 10**10 - 1))
def test_rpps_with_luhn_key_is_valid(n):
    body = str(n)
    rpps = body + luhn.calc_check_digit(body)
    assert normalise_rpps(rpps) == rpps
    wrong = body + str((int(luhn.calc_check_digit(body)) + 1) % 10)
    with pytest.raises(ValidationError):
        normalise_rpps(wrong)


@pytest.mark.parametrize("value", ["1234567890", "123456789012", "1000000000X", ""])
def test_rpps_of_wrong_shape(value):
    with pytest.raises(ValidationError, match="11 digits"):
        normalise_rpps(value)


def test_birth_date_bounds():
    today = date(2026, 11, 25)
    check_birth_date(date(1905, 11, 26), today=today)  # 120 years old
    with pytest.raises(ValidationError, match="future"):
        check_birth_date(date(2026, 11, 26), today=today)
    with pytest.raises(ValidationError, match="120"):
        check_birth_date(date(1905, 11, 25), today=today)  # 121 today
