"""The package's layers point down: the import contracts in pyproject.toml, checked by
import-linter over the source as it stands (``lint-imports`` from the repository root)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return found


def test_the_contracts_cover_the_services_and_the_composition_root() -> None:
    by_id = {contract["id"]: contract for contract in contracts()}
    forbidden = by_id["services-below-surfaces"]
    for service in ("tasks", "webhooks", "chat", "billing", "catalog", "providers", "net"):
        assert f"apiinone.{service}" in forbidden["source_modules"]  # type: ignore[operator]
    for surface in ("api", "dashboard", "cli", "gateway"):
        assert f"apiinone.{surface}" in forbidden["forbidden_modules"]  # type: ignore[operator]
    layers: list[str] = by_id["layers"]["layers"]  # type: ignore[assignment]
    below_root = layers[layers.index("apiinone.gateway") + 1 :]
    assert any("apiinone.tasks" in layer for layer in below_root)


def test_every_import_points_down() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert f"Contracts: {len(contracts())} kept, 0 broken." in report, report
