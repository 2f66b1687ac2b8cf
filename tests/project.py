"""The project's own apps, read from the settings (a new app is covered by the tests that
walk them without being added to a list)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def our_apps() -> tuple[str, ...]:
    from django.apps import apps

    def ours(path: str) -> bool:
        p = Path(path).resolve()
        return p.is_relative_to(ROOT) and not p.relative_to(ROOT).parts[0].startswith(".")

    return tuple(c.name for c in apps.get_app_configs() if ours(c.path))
