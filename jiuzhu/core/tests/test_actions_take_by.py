"""Every action names its actor the same way (issue 15 item 5; STYLE.md): a public function in
an app's actions (``<app>/actions.py`` or ``<app>/actions/<room>.py``) that acts for a user
takes it as the keyword-only ``by`` typed ``User``. Functions without ``by`` are queries and
helpers; they are not checked."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # jiuzhu/


def action_modules() -> list[Path]:
    return sorted(
        p
        for p in ROOT.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts and (p.name == "actions.py" or "actions" in p.parts)
    )


def offenders() -> list[str]:
    found = []
    for path in action_modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
            if any(a.arg == "by" for a in node.args.posonlyargs + node.args.args):
                found.append(f"{where}: by is positional")
            for a in node.args.kwonlyargs:
                if a.arg == "by" and (a.annotation is None or "User" not in ast.unparse(a.annotation)):
                    found.append(f"{where}: by is not typed User")
    return found


def test_the_contract_sees_the_action_modules():
    names = {str(p.relative_to(ROOT)) for p in action_modules()}
    assert {"applications/actions/decision.py", "payments/actions/rosters.py", "programs/actions.py"} <= names


def test_every_action_takes_its_actor_as_keyword_only_by_user():
    assert offenders() == []
