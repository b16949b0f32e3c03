"""Every ```bash and ```python block of docs/ runs against the session gateway and exits 0.

A block is skipped only when the line before its fence is ``<!-- no-test -->``. Each block
runs in its own temporary directory, as a fresh account whose key is ``AIO_KEY`` (with
``APIINONE_URL`` the gateway's address, ``ADMIN_KEY`` the admin's, and ``HOME`` /
``XDG_CONFIG_HOME`` inside the directory so `apiinone login` stays there). Blocks run
concurrently in a module fixture; each test checks one block's result.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.support.server import BIN, Server

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
SKIP = "<!-- no-test -->"
RUN = {"bash", "python"}
BLOCK_TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    language: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def all_blocks() -> list[tuple[Block, bool]]:
    """Every fenced block of every page, with whether it is marked not to run."""
    out = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
            block = Block(str(path.relative_to(DOCS)), line, match.group(1), match.group(2))
            out.append((block, before == SKIP))
    return out


BLOCKS = [block for block, skipped in all_blocks() if block.language in RUN and not skipped]


def _account(server: Server, admin: httpx.Client) -> str:
    email = f"docs-{generate_key()[-10:].lower()}@example.com"
    r = admin.post("/api/v1/admin/accounts", json={"email": email})
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    grant = {"amount": 20_000, "reason": "docs examples"}
    assert admin.post(f"/api/v1/admin/accounts/{data['id']}/credits", json=grant).is_success
    return str(data["key"]["key"])


def _run(block: Block, server: Server, key: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    workdir.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("APIINONE_")}
    for name in ("AIO_KEY", "ADMIN_KEY"):
        env.pop(name, None)
    env.update(
        {
            "APIINONE_URL": server.url,
            "AIO_KEY": key,
            "ADMIN_KEY": server.admin_key,  # type: ignore[attr-defined]
            "HOME": str(workdir),
            "XDG_CONFIG_HOME": str(workdir / ".config"),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            "COLUMNS": "120",
        }
    )
    if block.language == "bash":
        command = ["bash", "-euo", "pipefail", "-c", block.code]
    else:
        command = [sys.executable, "-c", block.code]
    try:
        return subprocess.run(
            command,
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(command, -1, str(exc.stdout), f"timed out: {exc}")


@pytest.fixture(scope="module")
def results(
    server: Server, admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("docs")
    keys = {block.id: _account(server, admin) for block in BLOCKS}

    def run(item: tuple[int, Block]) -> tuple[str, subprocess.CompletedProcess[str]]:
        index, block = item
        return block.id, _run(block, server, keys[block.id], root / f"block-{index}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(run, enumerate(BLOCKS)))


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_example_runs(block: Block, results: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = results[block.id]
    assert result.returncode == 0, (
        f"{block.id} ({block.language}) exited {result.returncode}\n"
        f"--- code ---\n{block.code}\n--- stdout ---\n{result.stdout[-3000:]}\n"
        f"--- stderr ---\n{result.stderr[-3000:]}"
    )


PAGES = [
    "index.md",
    "quickstart.md",
    "python-sdk.md",
    "cli.md",
    "webhooks.md",
    "errors.md",
    "pricing.md",
    "sandbox.md",
    "operator.md",
    "catalog.md",
    "api/index.md",
    "api/account.md",
    "api/models.md",
    "api/images.md",
    "api/videos.md",
    "api/music.md",
    "api/speech.md",
    "api/tools.md",
    "api/uploads.md",
    "api/tasks.md",
    "api/chat.md",
    "api/responses.md",
    "api/openai.md",
    "api/admin.md",
]
OPENAI_PAGES = ("api/openai.md", "api/responses.md")
ENDPOINT_PAGES = [p for p in PAGES if p.startswith("api/") and p != "api/index.md"]


def test_every_page_exists_and_is_linked_from_the_index() -> None:
    index = (DOCS / "index.md").read_text()
    for page in PAGES:
        assert (DOCS / page).is_file(), page
        if page != "index.md":
            assert f"({page})" in index, f"index.md does not link {page}"


def test_every_endpoint_page_has_curl_python_and_openai_examples() -> None:
    by_page: dict[str, list[Block]] = {}
    for block in BLOCKS:
        by_page.setdefault(block.page, []).append(block)
    for page in ENDPOINT_PAGES:
        blocks = by_page.get(page, [])
        assert any(b.language == "bash" and "curl" in b.code for b in blocks), page
        if page not in OPENAI_PAGES:  # OpenAI's shapes: the openai SDK's business
            assert any(b.language == "python" and "from apiinone" in b.code for b in blocks), page
        if page != "api/admin.md":  # admin routes are not for the openai SDK
            assert any(b.language == "python" and "OpenAI(" in b.code for b in blocks), page


def test_relative_links_resolve() -> None:
    for path in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+?\.md)(?:#[^)]*)?\)", path.read_text()):
            assert (path.parent / target).resolve().is_file(), f"{path.name} -> {target}"


def test_the_skip_marker_is_rare() -> None:
    # Ten: the LiteLLM example (api/openai.md) runs in LiteLLM's own venv, in
    # tests/openai_compat/test_litellm_e2e.py; the generated-client example (api/openapi.md)
    # needs the generator's own venv, and tests/openapi/test_generated_client_e2e.py makes the
    # same calls; `channels check --live` needs real provider keys.
    everything = [(b, skipped) for b, skipped in all_blocks() if b.language in RUN]
    skipped = [b.id for b, was_skipped in everything if was_skipped]
    assert len(BLOCKS) >= 60 and len(skipped) <= 10, skipped
