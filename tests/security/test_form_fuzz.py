"""Fuzzing the forms (issue #19): every form of every page, posted by a role that may open
the page, with NUL bytes, over-long strings, wrong types, impossible and out-of-range dates
and another programme's ids. No answer is a 5xx; a refused write (4xx) leaves every table
as it was.

The forms are found by reading the pages themselves (the access matrix lists every page and
who may open it), so a form added to a template is fuzzed without touching this file.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import NoReverseMatch, reverse

from tests.security.test_access_matrix import ACCESS
from tests.security.test_bad_input import row_counts

pytestmark = pytest.mark.django_db


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (name → (tag/type, value))."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._current = {"action": a.get("action") or "", "fields": {}}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "select", "textarea"):
            name = a.get("name")
            if name and name != "csrfmiddlewaretoken":
                kind = a.get("type", "text") if tag == "input" else tag
                self._current["fields"].setdefault(name, (kind, a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


#: Forms whose posting ends the session or changes the language: not what is fuzzed here.
SKIP_ACTIONS = ("/accounts/logout/", "/i18n/", "/accounts/")


def _payloads(foreign_uuid: str) -> dict[str, object]:
    return {
        "nul": "a\x00b",
        "long": "x" * 5000,
        "wrong type": "abc",
        "impossible date": "2026-02-30",
        "out of range": "0001-01-01T00:00",
        "far future": "9999-12-31",
        "foreign id": foreign_uuid,
        "list": ["1", "2"],
    }


def _pages():
    for name, entry in sorted(ACCESS.items()):
        if entry.method != "get":
            continue
        allowed = [role for role, status in entry.ok.items() if status == 200]
        if allowed:
            yield name, entry, allowed[0]


def test_every_form_refuses_bad_input_without_a_500_or_a_half_write(
        client, login, world, other_world):
    foreign = str(other_world.patient.pk)
    problems = []
    posted = 0
    for name, entry, role in _pages():
        login(world.user(role))
        try:
            url = reverse(name, kwargs=entry.kwargs(world))
        except NoReverseMatch:
            continue
        page = client.get(url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(page.content.decode())
        for form in parser.forms:
            action = form["action"] or url
            if action.startswith(SKIP_ACTIONS) or not action.startswith("/"):
                continue
            for label, bad in _payloads(foreign).items():
                data = {}
                for field, (kind, value) in form["fields"].items():
                    # keep what selects the form's branch (hidden "action", "next"…)
                    data[field] = value if kind == "hidden" and field in (
                        "action", "next") else bad
                before = row_counts(world.tenant)
                response = client.post(action, data)
                posted += 1
                if response.status_code >= 500:
                    problems.append((name, action, label, response.status_code))
                elif 400 <= response.status_code < 500 and row_counts(world.tenant) != before:
                    problems.append((name, action, label, "refused but written"))
                if "_auth_user_id" not in client.session:
                    login(world.user(role))
    assert posted > 100, posted  # the pages' forms were found
    assert not problems, problems
