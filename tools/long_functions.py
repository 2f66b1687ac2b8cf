"""Modules of the application over 400 lines, and functions longer than ~60 lines and
whether they say why.

    python tools/long_functions.py         # lists them; exit 1 for a module over 400 lines
                                           # or a long function without a reason

A function may be longer when a comment in its first lines says why, marked ``long:``
(e.g. ``# long: one SQL statement``). Tests, migrations, tools and benchmarks are not
application code."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 60
MODULE_LIMIT = 400
SKIP = {"tests", "tools", "bench", "migrations", "deploy"}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if not (rel.parts[0].startswith(".") or SKIP & set(rel.parts)):
            yield rel, path.read_text()


def long_modules() -> list[tuple[str, int]]:
    return [(str(rel), n) for rel, source in _modules()
            if (n := len(source.splitlines())) > MODULE_LIMIT]


def long_functions() -> list[tuple[str, int, str, int, bool]]:
    found = []
    for rel, source in _modules():
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > LIMIT:
                    head = "\n".join(lines[node.lineno - 1:node.lineno + 12])
                    found.append((str(rel), node.lineno, node.name, length, "long:" in head))
    return found


if __name__ == "__main__":
    modules = long_modules()
    for rel, n in modules:
        print(f"{rel}: {n} lines (over {MODULE_LIMIT})")
    found = long_functions()
    for rel, line, name, length, why in found:
        print(f"{rel}:{line} {name} {length} lines{'' if why else '  (no reason given)'}")
    sys.exit(1 if modules or any(not why for *_x, why in found) else 0)
