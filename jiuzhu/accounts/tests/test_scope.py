"""One jurisdiction rule and one write check (issue 15 item 3): every action refuses an object
or area outside the acting user's jurisdiction with 404 ``not_found``; no app keeps its own."""

import ast
from pathlib import Path

import pytest

from jiuzhu.accounts.scope import in_scope, require_in_scope
from jiuzhu.core.errors import NotFound

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_the_rule(world):
    clerk = world.user("tez_zhangshanzi")
    assert in_scope(clerk, "370405101201") and not in_scope(clerk, "370405103201")
    assert not in_scope(clerk, "")
    with pytest.raises(NotFound) as exc:
        require_in_scope(by=clerk, area_code="370404000000", what="该区划", field="area_code")
    assert exc.value.code == "not_found" and exc.value.field == "area_code" and "该区划" in exc.value.message


def test_no_app_writes_its_own_jurisdiction_check():
    """``user.area.contains(…)`` and ``prefix`` comparisons of the acting user live in
    accounts/scope.py (and the workflow table's role matching) only."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name in ("scope.py", "workflow.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("user.area.contains", "by.area.contains"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Constant) and node.value == "area_out_of_jurisdiction":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
