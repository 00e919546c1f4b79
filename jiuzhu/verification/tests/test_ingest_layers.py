"""The ingest package's modules import only the ones before them (issue 15 item 2): no cycle,
and a newcomer knows where a change goes."""

import ast
from pathlib import Path

ORDER = ["spool", "read", "convert", "write", "progress", "columnar", "job"]
PACKAGE = Path(__file__).resolve().parents[1] / "ingest"


def _imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_each_ingest_module_imports_only_earlier_ones():
    assert sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__") == sorted(ORDER)
    for position, name in enumerate(ORDER):
        later = _imports_of(PACKAGE / f"{name}.py") - set(ORDER[:position])
        assert later == set(), f"ingest/{name}.py imports {sorted(later)}"


def test_no_ingest_module_is_over_500_lines():
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 500, sizes
