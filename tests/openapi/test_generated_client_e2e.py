"""A client generated from ``/openapi.json`` with a standard generator works.

openapi-python-client (pinned in ``scripts/openapi-client-venv.sh``, in a venv of its own:
its typer pin is not the server's) generates a client from the live gateway's document,
offline, without a warning; the generated package then calls account, a task submission
and a task poll against the gateway, and every answer parses into the declared model and
back into the exact JSON the gateway sent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Account
from tests.support.server import Server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-openapi-client"
HERE = Path(__file__).parent
PACKAGE = "aio_generated"


@pytest.fixture(scope="module")
def generator() -> Path:
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "openapi-client-venv.sh")], check=True, timeout=900
    )
    return VENV / "bin" / "openapi-python-client"


def test_generated_client_calls_account_submission_and_poll(
    server: Server,
    make_account: Callable[..., Account],
    generator: Path,
    tmp_path: Path,
) -> None:
    account = make_account(credits=500)
    with server.client() as anon:
        document = anon.get("/openapi.json")
    assert document.status_code == 200
    source = tmp_path / "openapi.json"
    source.write_bytes(document.content)

    generated = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(source),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
            "--config",
            str(HERE / "generator.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{generator.parent}:/usr/bin:/bin", "HOME": str(tmp_path)},  # its ruff
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output  # every operation and model generated
    assert (tmp_path / PACKAGE / "api" / "tasks").is_dir()

    ran = subprocess.run(
        [sys.executable, str(HERE / "generated_calls.py"), PACKAGE, server.url, account.key],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)

    assert seen["account"]["http"] == 200
    assert seen["account"]["parsed"] == "EnvelopeAccountData"
    assert seen["account"]["round_trip"] is True
    assert seen["account"]["account_id"] == account.id
    assert seen["account"]["balance"] == 500

    assert seen["submit"]["http"] == 202
    assert seen["submit"]["parsed"] == "EnvelopeTaskCreated"
    assert seen["submit"]["round_trip"] is True
    assert seen["submit"]["task_status"] == "IN_PROGRESS"
    assert seen["submit"]["task_id"].startswith("task_")

    assert seen["poll"]["http"] == 200
    assert seen["poll"]["parsed"] == "EnvelopeTask"
    assert seen["poll"]["round_trip"] is True
    assert seen["poll"]["task_id"] == seen["submit"]["task_id"]
    assert seen["poll"]["task_status"] == "SUCCESS"
    assert seen["poll"]["consumed_credits"] == seen["poll"]["estimated_credits"] > 0
    assert seen["poll"]["response"] and seen["poll"]["response"][0].startswith(server.url)
