"""Fill the French catalogue from locale/fr.tsv (msgid<TAB>msgstr), after makemessages.

    python manage.py makemessages -l fr --ignore '.venv/*' --ignore 'tests/*'
    python tools/fr_catalogue.py

The TSV is the reviewed source of the French wording; untranslated entries are listed.
Plural entries give both forms separated by " || ".
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
TSV = ROOT / "locale" / "fr.tsv"


def typography(text: str) -> str:
    """French typography: a narrow no-break space before ; ? ! and a no-break space before
    : and inside « » — a line never starts with the punctuation of the line before."""
    text = re.sub(r" ([;?!])", "\u202f\\1", text)
    text = text.replace(" :", "\u00a0:").replace("« ", "«\u00a0").replace(" »", "\u00a0»")
    return text


def main() -> int:
    table = {}
    for line in TSV.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            msgid, _tab, msgstr = line.partition("\t")
            table[msgid.replace("\\n", "\n")] = typography(msgstr.replace("\\n", "\n"))
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.msgid in table and entry.msgid_plural:
            one, _sep, many = table[entry.msgid].partition(" || ")
            entry.msgstr_plural = {0: one, 1: many or one}
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif entry.msgid in table:
            entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr or "fuzzy" in entry.flags:
            # makemessages' fuzzy guesses are wrong more often than not: not a translation.
            missing.append(entry.msgid)
    po.metadata["Language"] = "fr"
    po.metadata["Plural-Forms"] = "nplurals=2; plural=(n > 1);"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
