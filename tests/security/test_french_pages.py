"""One French (issue #22, item 5): every HTML page of the access matrix that a role opens
(200) is rendered in French and scanned for English strings of our own catalogue — a msgid
whose French differs, found in the page's text, is a string left untranslated."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from constel.roles import Role
from tests.security.test_access_matrix import ACCESS

PO = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"


@cache
def english_phrases() -> list[str]:
    """Our msgids of several words whose French is different (one word such as "Note" is
    the same in both languages, or too common to tell)."""
    out = []
    for entry in polib.pofile(str(PO)):
        if entry.obsolete or not entry.msgstr or entry.msgstr == entry.msgid:
            continue
        text = re.split(r"%\(\w+\)[sd]|\{\{[^}]*\}\}|%[sd]", entry.msgid)
        out += [part.strip(" .,:;()") for part in text
                if len(part.strip(" .,:;()").split()) >= 3]
    return sorted(set(out), key=len, reverse=True)


def _text(body: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))


PAGES = sorted((name, role) for name, entry in ACCESS.items() if entry.method == "get"
               for role, status in entry.ok.items() if status == 200)


@pytest.mark.parametrize(("name", "role"), PAGES, ids=[f"{n}-{r.value}" for n, r in PAGES])
def test_no_english_left_on_a_french_page(client, login, world, name, role):
    login(world.user(role))
    response = client.get(reverse(name, kwargs=ACCESS[name].kwargs(world)),
                          HTTP_ACCEPT_LANGUAGE="fr")
    if "text/html" not in response.get("Content-Type", ""):
        return  # JSON, CSV, PDF: their own tests
    text = _text(response.content.decode())
    left = [p for p in english_phrases() if p in text]
    assert not left, (name, role, left[:5])


def test_the_scan_finds_an_english_phrase():
    """The scan itself: a known msgid of the catalogue is found in a text holding it."""
    phrase = english_phrases()[-1]
    assert phrase in _text(f"<p>Bonjour {phrase} !</p>")
    assert Role.NURSE_COORDINATOR  # (the roles' enum imported for the ids)


def test_translations_are_called_by_names_makemessages_reads():
    """makemessages (xgettext) only extracts ``_``, ``gettext``, ``gettext_lazy``,
    ``ngettext``…: ``gettext_lazy as _lazy`` left the goals' names (Weight, Smoking) out of
    the catalogue, shown in English on French pages."""
    from tests.project import our_apps

    root = Path(__file__).resolve().parents[2]
    aliased = []
    for app in our_apps():
        for path in (root / app).rglob("*.py"):
            text = path.read_text()
            for m in re.finditer(r"import (\w*gettext\w*) as (\w+)", text):
                if m[2] != "_":
                    aliased.append(f"{path.relative_to(root)}: {m[0]}")
    assert not aliased, aliased


def test_the_goals_are_named_in_french(client, login, world):
    login(world.user(Role.NURSE_COORDINATOR))
    page = _text(client.get(reverse("pathways:enrollment", args=[world.enrollment.pk]),
                            HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Tabac" in page and "Activité physique" in page and "Smoking" not in page


def test_one_name_for_the_pps():
    """Issue #22, item 6: "Plan personnalisé de santé", as in the cahier des charges — never
    "plan de soins" or "plan personnalisé de soins"."""
    other = [e.msgstr for e in polib.pofile(str(PO)) if not e.obsolete and re.search(
        r"plan (personnalisé )?de soins", e.msgstr + " ".join(e.msgstr_plural.values()), re.I)]
    assert not other, other[:3]


def test_french_typography_before_the_high_punctuation():
    """Issue #22, item 6: a no-break space before ":" and a narrow one before ";", "?",
    "!" — a line never starts with "?" in a 375 px column."""
    plain = [e.msgstr for e in polib.pofile(str(PO)) if not e.obsolete
             and re.search(r" [:;?!]", e.msgstr + "".join(e.msgstr_plural.values()))]
    assert not plain, plain[:3]
    from tools.fr_catalogue import typography

    assert typography("Confirmez-vous ? Conclusion : « oui »") == \
        "Confirmez-vous\u202f? Conclusion\u00a0: «\u00a0oui\u00a0»"
