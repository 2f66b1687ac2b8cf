"""The browser tests' fixtures: chromium (Debian's, headless) through Playwright, and staff
logins without a second factor (the factors are tested in test_accounts.py)."""

from __future__ import annotations

import os

import pytest

from tests.browser.test_journeys import ARTIFACTS, CHROMIUM


@pytest.fixture
def browser(monkeypatch):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing (apt-get install chromium)")
        pytest.skip("chromium not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # (fixtures, assertions) are synchronous and safe here.
    # (Only while the test runs: it must not leak into later tests' subprocesses.)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def no_staff_mfa(settings):
    """Second factors are tested in test_accounts.py; here the journeys after login."""
    settings.CONSTEL_REQUIRE_STAFF_MFA = False
