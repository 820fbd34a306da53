"""The layers import-linter cannot see: handlers are single modules, and key strings are values."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "csr_common" / "csr"
KEYS = PACKAGE / "data" / "keys.py"
# The key prefixes of data/keys.py; a string literal holding one anywhere else builds a key by hand.
KEY_PREFIX = re.compile(r"(^|#)(T|C|CODE|ACCT|PAY|EMAIL|PERSON|ACCTNO|PAYID|ACT|ACTCOUNT|IMP|RESET|S|EVENT)#|#PROFILE")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_handlers_call_services_never_the_data_layer_or_aws() -> None:
    handlers = sorted((ROOT / "functions").glob("*/*_handler.py"))
    assert handlers
    for handler in handlers:
        reached = {name for name in _imports(handler) if re.match(r"(csr\.data|boto3|botocore)(\.|$)", name)}
        assert not reached, f"{handler.name} imports {sorted(reached)}"


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_key_prefix_outside_keys_module() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != KEYS
        for line, text in _string_literals(path)
        if KEY_PREFIX.search(text)
    ]
    assert found == []


def test_the_check_sees_key_prefixes() -> None:
    literals = [text for _, text in _string_literals(KEYS)]
    assert sum(1 for text in literals if KEY_PREFIX.search(text)) >= 10
