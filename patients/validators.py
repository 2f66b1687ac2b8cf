"""Identifiers: INS (NIR) and RPPS, with messages a secretary understands."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nir


def normalise_ins(value: str) -> str:
    """The INS as 15 characters (13 + 2-digit key), Corsica 2A/2B kept; raises ValidationError."""
    raw = (value or "").strip().upper()
    if len(nir.compact(raw)) != 15:
        raise ValidationError(
            _("An INS has 15 characters (13 + a 2-digit key); this one has %(n)s.")
            % {"n": len(nir.compact(raw))}, code="ins_length",
        )
    try:
        return nir.validate(raw)
    except InvalidChecksum as exc:
        compact = nir.compact(raw)
        expected = nir.calc_check_digits(compact[:13]) if len(compact) >= 13 else "??"
        raise ValidationError(
            _("The INS key is wrong: for %(body)s the key should be %(key)s. Check the number "
              "on the carte Vitale or the INSi result.") % {"body": compact[:13], "key": expected},
            code="ins_key",
        ) from exc
    except InvalidLength as exc:
        raise ValidationError(
            _("An INS has 15 characters (13 + a 2-digit key); this one has %(n)s.")
            % {"n": len(nir.compact(raw))}, code="ins_length",
        ) from exc
    except (InvalidFormat, StdnumError) as exc:
        raise ValidationError(
            _("This is not an INS: only digits are allowed, with 2A or 2B for Corsica."),
            code="ins_format",
        ) from exc


def check_ins_matches_identity(ins: str, *, sex: str | None, birth_date: date | None) -> None:
    """The NIR encodes sex, birth year and month: a mismatch is almost always a typo."""
    errors = []
    if sex and ins[0] in "12" and {"1": "M", "2": "F"}[ins[0]] != sex:
        errors.append(_("The INS starts with %(d)s, which does not match the sex entered.")
                      % {"d": ins[0]})
    if birth_date is not None:
        if int(ins[1:3]) != birth_date.year % 100:
            errors.append(_("The INS gives the birth year …%(yy)s, not %(year)s.")
                          % {"yy": ins[1:3], "year": birth_date.year})
        month = int(ins[3:5])
        if 1 <= month <= 12 and month != birth_date.month:
            errors.append(_("The INS gives the birth month %(mm)s, not %(month)02d.")
                          % {"mm": ins[3:5], "month": birth_date.month})
    if errors:
        raise ValidationError(errors, code="ins_identity")


def normalise_rpps(value: str) -> str:
    raw = "".join((value or "").split())
    if not raw.isdigit() or len(raw) != 11:
        raise ValidationError(_("An RPPS number has exactly 11 digits."), code="rpps_format")
    if not luhn.is_valid(raw):
        raise ValidationError(_("This RPPS number's check digit is wrong."), code="rpps_key")
    return raw


def check_birth_date(value: date, *, today: date) -> None:
    if value > today:
        raise ValidationError(_("The birth date cannot be in the future."), code="future")
    if today.year - value.year - ((today.month, today.day) < (value.month, value.day)) > 120:
        raise ValidationError(_("A birth date more than 120 years ago is not plausible."),
                              code="too_old")


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
