"""The example requests of the product's public API docs (the ``spec/*.txt`` pages), extracted.

``python -m tests.docs.spec_examples [SPEC_DIR]`` writes ``tests/fixtures/spec_examples.json``;
``test_spec_examples_e2e.py`` runs each example and checks the fixture is in sync with the pages
(``APIINONE_SPEC_DIR``, by default ``/work/shared/spec``).

The pages are scraped text: some lost their blanks (``curl-X POST``, ``-H"Authorization``) or
carry code line numbers on lines of their own. Extraction drops the numbers and puts back the
blanks, nothing else: the commands and code are the pages' own. Kinds: ``curl``, ``python``
(openai SDK), ``javascript`` (openai for Node). The Java example (no JVM here) is not taken.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "spec_examples.json"
DEFAULT_SPEC_DIR = "/work/shared/spec"
_NUMBER = re.compile(r"^\d+$")
_BLANKS = [
    (re.compile(r"^curl-X"), "curl -X"),
    (re.compile(r"^curlhttps"), "curl https"),
    (re.compile(r'(-H|-d)(["\'])'), r"\1 \2"),
    (re.compile(r"(\S)\\$"), r"\1 \\"),
]


def spec_dir() -> Path:
    return Path(os.environ.get("APIINONE_SPEC_DIR", DEFAULT_SPEC_DIR))


def _curl(lines: list[str], start: int) -> tuple[str, int]:
    """A curl command: continued lines, then the rest of an open single-quoted body."""
    out: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        quotes = "".join(out).count("'") + line.count("'")
        if quotes % 2 == 0 and "'" in line and "".join(out).count("'") % 2 == 1:
            out.append(line[: line.rindex("'") + 1])  # text glued after the closing quote
            return "\n".join(out), i + 1
        out.append(line)
        i += 1
        if quotes % 2 == 1:
            continue
        if i >= len(lines) or not lines[i].lstrip().startswith(("-", "'", '"')):
            break  # a page cut after a backslash: the command ends where the page does
    return "\n".join(out), i


def _code(lines: list[str], start: int, ends: re.Pattern[str]) -> tuple[str, int]:
    """Code up to the line matching ``ends`` after the ``response =`` statement (cut there),
    then a ``print(...)`` line."""
    out: list[str] = []
    i = start
    seen = False
    while i < len(lines):
        seen = seen or re.match(r"^(const )?response =", lines[i]) is not None
        match = ends.match(lines[i])
        if match and seen:
            out.append(match.group(0))
            i += 1
            while i < len(lines) and not lines[i].strip():
                i += 1
            if i < len(lines) and lines[i].startswith("print("):
                out += ["", lines[i]]
                i += 1
            return "\n".join(out), i
        out.append(lines[i])
        i += 1
    return "\n".join(out), i


_PY_END = re.compile(r"^\)")
_JS_END = re.compile(r"^\}\);")


def extract_page(name: str, text: str) -> list[dict[str, Any]]:
    lines = [line.rstrip() for line in text.splitlines() if not _NUMBER.match(line.strip())]
    examples: list[dict[str, Any]] = []
    i = 0
    while i < len(lines):
        line = lines[i].lstrip()
        if line.startswith("curl"):
            code, i = _curl(lines, i)
            for pattern, blank in _BLANKS:
                code = "\n".join(pattern.sub(blank, part) for part in code.split("\n"))
            kind = "curl"
        elif line.startswith("from openai import OpenAI"):
            code, i = _code(lines, i, _PY_END)
            kind = "python"
        elif line.startswith('import OpenAI from "openai"'):
            code, i = _code(lines, i, _JS_END)
            kind = "javascript"
        else:
            i += 1
            continue
        examples.append(
            {"id": f"{name[:3]}-{len(examples) + 1}-{kind}", "kind": kind, "code": code}
        )
    return examples


def extract(directory: Path) -> dict[str, Any]:
    pages = sorted(directory.glob("*.txt"))
    return {
        "source": "the spec/*.txt pages; regenerate with python -m tests.docs.spec_examples",
        "pages": [page.name for page in pages],
        "examples": [ex for page in pages for ex in extract_page(page.name, page.read_text())],
    }


def main() -> None:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else spec_dir()
    FIXTURE.write_text(json.dumps(extract(directory), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
