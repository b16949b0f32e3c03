"""No function of the money and task packages says it returns ``Any``: what they give back
is a typed value (a ``TaskRow``, a ``HoldResult``, ``StepsOf[T]``), so mypy checks its
callers. mypy's ``warn_return_any`` (on under ``strict``) catches an ``Any`` returned from a
typed function; this catches a function annotated to return one."""

from __future__ import annotations

import ast
from pathlib import Path

import apiinone

PACKAGES = ("billing", "tasks")
# Typed containers of JSON values or SQL rows: their ``Any`` is an element, not the value.
TYPED = ("dict[str, Any]", "Mapping[str, Any]", "Select[Any]", "Row[Any]")


def _any_returns(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            text = ast.unparse(node.returns)
            for typed in TYPED:
                text = text.replace(typed, "")
            if "Any" in text:
                found.append(f"{path.name}:{node.lineno} {node.name} -> {text}")
    return found


def test_no_function_returns_any() -> None:
    root = Path(apiinone.__file__).parent
    found = [
        hit
        for package in PACKAGES
        for path in sorted((root / package).glob("*.py"))
        for hit in _any_returns(path)
    ]
    assert found == []
