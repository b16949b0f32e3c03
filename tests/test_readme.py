"""The README's quickstart, executed as written against a real server."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.support.server import Server

README = Path(__file__).resolve().parent.parent / "README.md"


def quickstart_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)


def json_documents(text: str) -> list[dict[str, object]]:
    """curl prints bodies back to back; split them into JSON documents."""
    decoder = json.JSONDecoder()
    out, index = [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        out.append(document)
    assert out, "the block printed nothing"
    return out


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make run", "make test"]


def test_quickstart_runs(server: Server) -> None:
    blocks = quickstart_blocks()
    assert len(blocks) >= 5
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "APIINONE_URL": server.url,
        "AIO_KEY": server.admin_key,  # type: ignore[attr-defined]
    }
    ran = 0
    for block in blocks:
        script = "\n".join(line for line in block.splitlines() if not line.startswith("export "))
        if not script.strip():
            continue
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"{script}\n{result.stderr}"
        for document in json_documents(result.stdout):
            assert document["code"] == 200
        ran += 1
    assert ran >= 4
