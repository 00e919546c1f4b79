"""The import contract (issue 15 item 6; docs/architecture.md): an app imports only apps of
its own or a lower layer. Today's exceptions are listed one by one and may only shrink: a new
upward import fails, and so does an exception that no longer exists (delete it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # jiuzhu/

LAYERS: dict[str, int] = {
    "core": 0,
    "rules": 0,
    "areas": 1,
    "accounts": 2,
    "audit": 2,
    "holidays": 3,
    "programs": 3,
    "registry": 3,
    "verification": 4,
    "applications": 5,
    "referrals": 5,
    "payments": 6,
    "disclosure": 6,
    "monitoring": 7,
    "funds": 7,
    "complaints": 8,
    "web": 8,
    "portal": 8,
    "api": 9,
    "urls": 9,
    "settings": 9,
    "wsgi": 9,
    "asgi": 9,
}
# Shared page helpers every app may use (code → words, files, PDFs, pages, forms, seals).
SHARED_WEB = {"labels", "files", "pdf", "pagination", "forms", "seal", "logmask", "templatetags"}

# Upward imports that exist today (importer module → imported app). Remove a line when its
# import goes; never add one: hand the work over through an action, a signal or on_commit.
KNOWN_UPWARD: set[tuple[str, str]] = {
    ("verification/api.py", "applications"),
    ("verification/reverify_queries.py", "applications"),  # active_cases (moved from reverify.py)
}


def imports() -> set[tuple[str, str]]:
    """(module path relative to jiuzhu/, imported app) for every jiuzhu import, in functions too."""
    found = set()
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if "tests" in rel.parts or "migrations" in rel.parts or "management" in rel.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jiuzhu."):
                names = [node.module]
                if node.module == "jiuzhu.web":  # ``from jiuzhu.web import files``
                    names = [f"jiuzhu.web.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("jiuzhu.")]
            for name in names:
                parts = name.split(".")
                if parts[1] == "web" and len(parts) > 2 and parts[2] in SHARED_WEB:
                    continue
                found.add((rel.as_posix(), parts[1]))
    return found


def layer_of(module: str) -> int:
    return LAYERS[module.split("/")[0].removesuffix(".py")]


def test_import_layers():
    upward = {(m, app) for m, app in imports() if app in LAYERS and LAYERS[app] > layer_of(m)}
    new = sorted(upward - KNOWN_UPWARD)
    gone = sorted(KNOWN_UPWARD - upward)
    assert new == [], f"imports from a lower app to a higher one: {new}"
    assert gone == [], f"these exceptions no longer exist; delete them from KNOWN_UPWARD: {gone}"


def test_every_app_has_a_layer():
    apps = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    apps |= {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    assert apps - set(LAYERS) - {"static", "templates"} == set()


def test_applications_do_not_import_referrals():
    """Same layer, yet apart (issue 15 item 4): a case asks referrals through
    ``applications.lookups`` and announces its decision through ``applications.signals``."""
    assert sorted(m for m, app in imports() if m.startswith("applications/") and app == "referrals") == []
