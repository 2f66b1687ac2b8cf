"""Finding a patient as people type them (identity vigilance, issue #21): "NOM Prénom",
"Prénom Nom", part of a name, without accents or capitals, with a typo; a birth date
(dd/mm/yyyy); an INS. Names are compared by PostgreSQL (unaccent, trigram similarity: the
index of migration 0009), best match first — never by a loop in Python."""

from __future__ import annotations

import contextlib
import re
from datetime import date

from django.db.models import BooleanField, F, FloatField, QuerySet
from django.db.models.expressions import RawSQL

#: The indexed expression of migration patients/0009 (the same text, or no index is used).
NAMES_SQL = ("constel_unaccent(lower(patients_patient.birth_name || ' ' || "
             "patients_patient.used_name || ' ' || patients_patient.first_names))")

#: How close a word of the query must be to a word of the names for a typo to still match
#: (pg_trgm's word_similarity; "bernadr" ~ "bernard" is 0.55).
TYPO_SIMILARITY = 0.5


def _day(query: str) -> date | None:
    m = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", query)
    if m:
        with contextlib.suppress(ValueError):
            return date(int(m[3]), int(m[2]), int(m[1]))
    return None


def search(qs: QuerySet, query: str) -> QuerySet:
    """``qs`` (patients) limited to those ``query`` finds, best match first (then by name)."""
    query = " ".join(query.split())[:200]
    if not query:
        return qs
    day = _day(query)
    if day is not None:
        return qs.filter(birth_date=day)
    compact = query.replace(" ", "").upper()
    if len(compact) >= 5 and compact.replace("A", "").replace("B", "").isdigit():
        return qs.filter(ins__startswith=compact)
    words = [w for w in re.split(r"[\s,;]+", query) if w][:6]
    # Every word a part of the names (accents and case aside), or close to one (a typo).
    for word in words:
        qs = qs.filter(RawSQL(  # noqa: S611 (constant SQL, the words are parameters)
            f"(strpos({NAMES_SQL}, constel_unaccent(lower(%s))) > 0 "
            f"OR word_similarity(constel_unaccent(lower(%s)), {NAMES_SQL}) >= %s)",
            [word, word, TYPO_SIMILARITY], output_field=BooleanField()))
    rank = RawSQL(f"similarity(constel_unaccent(lower(%s)), {NAMES_SQL})", [query],  # noqa: S611
                  output_field=FloatField())
    return qs.alias(_rank=rank).order_by(F("_rank").desc(), "birth_name", "first_names", "pk")
