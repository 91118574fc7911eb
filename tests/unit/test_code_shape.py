"""The shape the next person can find their way in (DESIGN.md section 6): no module past 400
lines, no function past 50 lines, no function with more than five parameters besides
keyword-only ones. Schema revisions are data, not code to read, and are left out."""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
MAX_PARAMETERS = 5


def sources() -> Iterator[Path]:
    for folder in ("keranjang", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def positional(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    return len([n for n in names if n not in ("self", "cls")])


def test_no_module_is_past_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources()
        if (n := p.read_text().count("\n")) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_past_50_lines_or_takes_more_than_five_parameters() -> None:
    found = []
    for path in sources():
        for fn in functions(ast.parse(path.read_text())):
            where = f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}"
            if (lines := fn.end_lineno - fn.lineno + 1) > MAX_FUNCTION_LINES:  # type: ignore[operator]
                found.append(f"{where}: {lines} lines")
            if (n := positional(fn)) > MAX_PARAMETERS:
                found.append(f"{where}: {n} parameters")
    assert found == []
