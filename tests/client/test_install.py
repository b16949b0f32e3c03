"""The client distribution installs alone, and beside the server in each way it is installed.

Wheels of both distributions are built from a copy of this checkout; the client's dependencies
come from ``clients/python/wheelhouse`` (``make client-wheels``), so nothing is downloaded. A
fresh venv with the client alone has none of the server's packages, runs every Python example
of docs/python-sdk.md and the user commands against the session gateway. Both wheels in one
venv, the server's modules elsewhere on ``sys.path``, editable installs (``make install``) and
``PYTHONPATH=src`` each give one ``apiinone`` package and the ``apiinone`` command.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Account
from tests.docs.test_examples import Block, _account, all_blocks
from tests.support.server import Server, base_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = ROOT / "clients" / "python" / "wheelhouse"
STEP = 300  # seconds allowed for one build or install
SERVER_ONLY = ["fastapi", "sqlalchemy", "numpy", "asyncpg", "PIL", "uvicorn", "starlette"]
SERVER_ONLY += ["pydantic", "aiohttp", "imageio_ffmpeg", "standardwebhooks", "typer"]
PROBE = """
import importlib, json, sys
found = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        found[name] = False
    else:
        found[name] = True
print(json.dumps(found))
"""
WHERE = """
import json, apiinone, apiinone.cli
print(json.dumps({"init": apiinone.__file__, "path": list(apiinone.__path__),
                  "cli": list(apiinone.cli.__path__)}))
"""


@dataclass(frozen=True)
class Wheels:
    client: Path
    server: Path
    source: Path  # the copy of the checkout they were built from


def run(
    command: list[str | Path], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        env=env if env is not None else plain_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=STEP,
    )
    assert result.returncode == 0, (
        f"{command} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


def plain_env(**extra: str) -> dict[str, str]:
    """This environment without the checkout on PYTHONPATH, and without any gateway settings."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "APIINONE_", "AIO_KEY", "ADMIN_KEY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


def copy_checkout(target: Path) -> Path:
    """What the distributions are built from, copied so that no build leaves files here."""
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "wheelhouse")
    shutil.copytree(ROOT / "src", target / "src", ignore=skip)
    shutil.copytree(ROOT / "clients", target / "clients", ignore=skip)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    return target


def new_venv(path: Path, *, with_pip: bool) -> Path:
    """A fresh venv; without pip it sees this test run's packages (pip and the server's
    dependencies) through a .pth line, after its own."""
    run([sys.executable, "-m", "venv", *([] if with_pip else ["--without-pip"]), path])
    if not with_pip:
        own = run([path / "bin" / "python", "-c", "import site; print(site.getsitepackages()[0])"])
        ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        (Path(own.stdout.strip()) / "test-run.pth").write_text("\n".join(sorted(ours)) + "\n")
    return path / "bin"


def probe(python: Path, names: list[str], env: dict[str, str] | None = None) -> dict[str, bool]:
    found: dict[str, bool] = json.loads(run([python, "-c", PROBE, *names], env=env).stdout)
    return found


def where(python: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    located: dict[str, object] = json.loads(run([python, "-c", WHERE], env=env).stdout)
    return located


def names_in(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {n for n in archive.namelist() if n.startswith("apiinone/")}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    assert (WHEELHOUSE / ".stamp").is_file(), "run `make client-wheels` (part of `make test`)"
    source = copy_checkout(tmp_path_factory.mktemp("checkout"))
    out = tmp_path_factory.mktemp("wheels")
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index"]
    run([*pip, "--find-links", WHEELHOUSE, "-w", out, source / "clients" / "python", source])
    (client,) = out.glob("apiinone-0.1.0-*.whl")
    (server,) = out.glob("apiinone_server-0.1.0-*.whl")
    return Wheels(client, server, source)


def install_client(wheels: Wheels, venv: Path, spec: str) -> Path:
    bin_dir = new_venv(venv, with_pip=True)
    links = ["--find-links", WHEELHOUSE, "--find-links", wheels.client.parent]
    run([bin_dir / "pip", "install", "-q", "--no-index", *links, spec])
    return bin_dir


@pytest.fixture(scope="module")
def client_alone(wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a venv with ``pip install apiinone`` and nothing else."""
    return install_client(wheels, tmp_path_factory.mktemp("venv") / "client", "apiinone")


@pytest.fixture(scope="module")
def client_cli(wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a venv with ``pip install "apiinone[cli]"``."""
    return install_client(wheels, tmp_path_factory.mktemp("venv") / "cli", "apiinone[cli]")


def test_each_file_ships_in_one_of_the_two_wheels(wheels: Wheels) -> None:
    client, server = names_in(wheels.client), names_in(wheels.server)
    assert not client & server
    sources = {
        str(p.relative_to(wheels.source / "src"))
        for p in (wheels.source / "src" / "apiinone").rglob("*.py")
    }
    assert {n for n in client | server if n.endswith(".py")} == sources
    assert {"apiinone/__init__.py", "apiinone/py.typed", "apiinone/cli/__init__.py"} <= client
    assert "apiinone/client/resources/images.py" in client
    assert not {"apiinone/app.py", "apiinone/gateway.py", "apiinone/cli/main.py"} & client
    assert {
        "apiinone/app.py",
        "apiinone/cli/main.py",
        "apiinone/catalog/data/catalog.toml",
    } <= server


def test_the_client_alone_has_none_of_the_server(client_alone: Path) -> None:
    found = probe(client_alone / "python", [*SERVER_ONLY, "apiinone.gateway", "apiinone.cli.main"])
    assert found == dict.fromkeys(found, False)
    assert len(found) == len(SERVER_ONLY) + 2
    assert probe(client_alone / "python", ["apiinone.client", "httpx", "rich"]) == {
        "apiinone.client": True,
        "httpx": True,
        "rich": True,
    }
    listed = run([client_alone / "pip", "list", "--format=json"]).stdout
    assert "apiinone-server" not in {d["name"] for d in json.loads(listed)}
    # The command needs the cli extra, and says so.
    result = subprocess.run(
        [str(client_alone / "apiinone"), "balance"],
        env=plain_env(),
        capture_output=True,
        text=True,
        timeout=STEP,
    )
    assert result.returncode == 1 and "pip install 'apiinone[cli]'" in result.stderr


def sdk_blocks() -> list[Block]:
    return [
        block
        for block, skipped in all_blocks()
        if block.page == "python-sdk.md" and block.language == "python" and not skipped
    ]


def test_the_sdk_examples_run_with_the_client_alone(
    client_alone: Path, server: Server, admin: httpx.Client, tmp_path: Path
) -> None:
    blocks = sdk_blocks()
    assert len(blocks) >= 7

    def run_block(item: tuple[int, Block]) -> tuple[Block, subprocess.CompletedProcess[str]]:
        index, block = item
        workdir = tmp_path / f"block-{index}"
        workdir.mkdir()
        env = plain_env(
            APIINONE_URL=server.url,
            AIO_KEY=_account(server, admin),
            ADMIN_KEY=server.admin_key,  # type: ignore[attr-defined]
            HOME=str(workdir),
            XDG_CONFIG_HOME=str(workdir / ".config"),
            PATH=f"{client_alone}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        )
        command = [str(client_alone / "python"), "-c", block.code]
        result = subprocess.run(
            command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120
        )
        return block, result

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run_block, enumerate(blocks)))
    for block, result in results:
        assert result.returncode == 0, (
            f"{block.id} exited {result.returncode}\n--- code ---\n{block.code}\n"
            f"--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
        )


def test_the_user_commands_run_from_the_client_venv(
    client_cli: Path, server: Server, make_account: Callable[..., Account], tmp_path: Path
) -> None:
    assert probe(client_cli / "python", ["fastapi", "sqlalchemy", "numpy", "typer"]) == {
        "fastapi": False,
        "sqlalchemy": False,
        "numpy": False,
        "typer": True,
    }
    account = make_account(credits=1000)
    env = plain_env(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"), COLUMNS="120")

    def apiinone(*args: str) -> str:
        return run([client_cli / "apiinone", *args], env=env, cwd=tmp_path).stdout

    usage = apiinone("--help")
    assert "login" in usage and "image" in usage
    assert "migrate" not in usage and "worker" not in usage  # the server's commands
    assert "logged in to" in apiinone("login", "--base-url", server.url, "--key", account.key)
    assert json.loads(apiinone("balance", "--json"))["balance"] == 1000
    apiinone("image", "A lighthouse at dusk", "-o", "lighthouse.png")
    assert (tmp_path / "lighthouse.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    (task,) = json.loads(apiinone("tasks", "list", "--json"))["items"]
    assert task["status"] == "SUCCESS"
    assert json.loads(apiinone("balance", "--json"))["balance"] == 1000 - task["consumed_credits"]


def test_both_wheels_in_one_venv_make_one_package_and_command(
    wheels: Wheels, tmp_path: Path
) -> None:
    bin_dir = new_venv(tmp_path / "venv", with_pip=False)
    run([bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         wheels.client, wheels.server])  # fmt: skip
    located = where(bin_dir / "python")
    site = str(Path(str(located["init"])).parent)
    assert site.startswith(str(tmp_path)) and located["path"] == [site]
    assert located["cli"] == [f"{site}/cli"]
    usage = run([bin_dir / "apiinone", "--help"], env=plain_env(COLUMNS="120")).stdout
    assert all(name in usage for name in ("serve", "worker", "accounts", "login", "image"))
    # The server from its wheel: its migrations and catalog are there.
    data = tmp_path / "data"
    env = plain_env(**{k: v for k, v in base_env(data).items() if k.startswith("APIINONE_")})
    assert "database is up to date" in run([bin_dir / "apiinone", "migrate"], env=env).stdout


def test_server_modules_elsewhere_on_sys_path_join_the_package(
    wheels: Wheels, client_alone: Path, tmp_path: Path
) -> None:
    server_tree = tmp_path / "server"
    with zipfile.ZipFile(wheels.server) as archive:
        archive.extractall(server_tree)
    deps = sysconfig.get_paths()["purelib"]
    env = plain_env(PYTHONPATH=f"{server_tree}{os.pathsep}{deps}", COLUMNS="120")
    located = where(client_alone / "python", env=env)
    site = str(Path(str(located["init"])).parent)
    assert site.startswith(str(client_alone.parent))
    assert located["path"] == [site, str(server_tree / "apiinone")]
    assert located["cli"] == [f"{site}/cli", str(server_tree / "apiinone" / "cli")]
    assert probe(client_alone / "python", ["apiinone.app", "apiinone.cli.main"], env=env) == {
        "apiinone.app": True,
        "apiinone.cli.main": True,
    }


def test_editable_installs_and_pythonpath_use_the_checkout_alone(
    wheels: Wheels, tmp_path: Path
) -> None:
    source = wheels.source
    bin_dir = new_venv(tmp_path / "venv", with_pip=False)
    run([bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--find-links", WHEELHOUSE, "-e", source / "clients" / "python", "-e", source])  # fmt: skip
    located = where(bin_dir / "python")
    assert located["path"] == [str(source / "src" / "apiinone")]
    assert located["cli"] == [str(source / "src" / "apiinone" / "cli")]
    usage = run([bin_dir / "apiinone", "--help"], env=plain_env(COLUMNS="120")).stdout
    assert "serve" in usage and "login" in usage
    dists = run([bin_dir / "python", "-m", "pip", "list", "--format=json", "--path",
                 run([bin_dir / "python", "-c", "import site; print(site.getsitepackages()[0])"]).stdout.strip()])  # fmt: skip
    assert {"apiinone", "apiinone-server"} <= {d["name"] for d in json.loads(dists.stdout)}
    # PYTHONPATH=src: that tree alone, though this test run has another copy installed.
    env = plain_env(PYTHONPATH=str(source / "src"))
    located = where(Path(sys.executable), env=env)
    assert located["path"] == [str(source / "src" / "apiinone")]
    assert located["cli"] == [str(source / "src" / "apiinone" / "cli")]
