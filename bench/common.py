"""What the bench scripts share: processes, the systems under test, wrk, and settings.

Everything listens on 127.0.0.1 only. Every process the bench starts runs in a process group
of its own, so stopping it stops its children too (LiteLLM forks its server).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable  # the gateway's venv (make bench runs us with .venv/bin/python)
APIINONE = str(Path(PYTHON).parent / "apiinone")
VENVS = BENCH / ".venvs"
LITELLM_BIN = VENVS / "litellm" / "bin" / "litellm"
TOOLS_PYTHON = VENVS / "tools" / "bin" / "python"
RESULTS = BENCH / "results"

PG_ADMIN = os.environ.get(
    "BENCH_POSTGRES", "postgresql://apiinone:apiinone@127.0.0.1:5432/apiinone"
)
UPSTREAM_TOKEN = "sk-bench-upstream"
LITELLM_MASTER_KEY = "sk-bench-litellm-" + secrets.token_hex(16)
CHAT_PATH = "/v1/chat/completions"
PROMPT = "Say hello to the benchmark."

CHAT_BODY = {
    "model": "gemini",
    "messages": [{"role": "user", "content": PROMPT}],
    "max_tokens": 64,
}
STREAM_BODY = {**CHAT_BODY, "stream": True, "stream_options": {"include_usage": True}}
# The sandbox's cheapest real job: a 128x128 PNG, no simulated delay.
TASK_PATH = "/api/v1/images/generations"
TASK_BODY = {"model": "hunyuan-image-3", "prompt": "bench sandbox:delay=0", "size": "128*128"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value not in ("0", "no", "false", "off")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(
    method: str,
    url: str,
    *,
    body: Any = None,
    token: str = "",
    timeout: float = 30.0,
) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (loopback)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants, in KiB (0 if gone)."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass
    return total


def machine_busy_seconds() -> float:
    """CPU time all processes on the machine used since boot (user, system, irq, steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU time of the bench: this process, the processes it runs, and those it has reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    reaped = (int(fields[13]) + int(fields[14])) / ticks  # cutime + cstime
    return cpu_seconds(os.getpid()) + reaped


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@dataclass
class Service:
    """One process the bench started, in its own process group."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    health_url: str
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    paused: bool = False

    def start(self, timeout: float = 60.0) -> Service:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited at start (code {self.process.returncode}); "
                    f"its log: {self.log_path}\n{self.tail()}"
                )
            try:
                status, _ = http("GET", self.health_url, timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {self.health_url} in {timeout:.0f} s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def pause(self) -> None:
        """Stop the process group (SIGSTOP), so its idle loops take no CPU from the measured one."""
        if not self.paused:
            self._signal(signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            self._signal(signal.SIGCONT)
            self.paused = False

    def stop(self) -> None:
        if self.process is None:
            return
        self.resume()
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait()
        self.process = None


@dataclass
class System:
    """A server under test: where to send chat, with which key; its processes."""

    name: str
    label: str
    url: str
    token: str = ""
    test_token: str = ""  # the gateway's sandbox key, for task scenarios
    services: list[Service] = field(default_factory=list)  # the measured server is first
    poll_task: str = ""  # a finished task, for the polling scenario
    database: str = ""  # a gateway's: its SQLite file, or its PostgreSQL database name
    cleanup: list[Any] = field(default_factory=list)

    @property
    def main(self) -> Service:
        return self.services[0]

    def pause(self) -> None:
        for service in self.services:
            service.pause()

    def resume(self) -> None:
        for service in self.services:
            service.resume()

    def stop(self) -> None:
        for service in self.services:
            service.stop()
        for action in self.cleanup:
            try:
                action()
            except Exception as exc:  # cleanup must not hide the results
                log(f"cleanup of {self.name} failed: {exc}")


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APIINONE_", "LITELLM_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# --------------------------------------------------------------------------- the systems


def start_upstream(workdir: Path, chunk_interval: float = 0.5) -> tuple[Service, str]:
    port = free_port()
    service = Service(
        name="upstream",
        argv=[
            PYTHON,
            str(BENCH / "upstream.py"),
            "--port",
            str(port),
            "--chunk-interval",
            str(chunk_interval),
        ],
        env=base_env(),
        log_path=workdir / "logs" / "upstream.log",
        health_url=f"http://127.0.0.1:{port}/healthz",
    ).start()
    return service, f"http://127.0.0.1:{port}/v1"


def start_bare(workdir: Path, upstream: str) -> System:
    port = free_port()
    service = Service(
        name="bare",
        argv=[
            PYTHON,
            str(BENCH / "bare_proxy.py"),
            "--port",
            str(port),
            "--upstream",
            upstream,
            "--token",
            UPSTREAM_TOKEN,
        ],
        env=base_env(),
        log_path=workdir / "logs" / "bare.log",
        health_url=f"http://127.0.0.1:{port}/healthz",
    ).start()
    return System("bare", "bare proxy", f"http://127.0.0.1:{port}", services=[service])


def _psql(sql: str, database: str | None = None) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(PG_ADMIN)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    return subprocess.run(
        [
            "psql",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            "-d",
            database or parts.path.lstrip("/") or "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-tAqc",
            sql,
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def _cli(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run([APIINONE, *args], env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"apiinone {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def _printed_key(output: str) -> str:
    for word in output.split():
        if word.startswith("aio_"):
            return word
    raise RuntimeError(f"no key in the output:\n{output}")


def gateway_overrides() -> dict[str, str]:
    """``GATEWAY_ENV="APIINONE_FAST_LANE=false APIINONE_WORKER_ENABLED=false"``: settings
    for the gateways under test, for an A/B of one lever."""
    pairs = (item.partition("=") for item in os.environ.get("GATEWAY_ENV", "").split())
    return {name: value for name, _, value in pairs if name.startswith("APIINONE_")}


def gateway_env(data: Path, upstream: str, public_url: str) -> dict[str, str]:
    """The environment of a gateway under test, its data in ``data``, chat sent to ``upstream``."""
    providers = data / "providers.toml"
    providers.write_text(
        "[[channels]]\n"
        'name = "bench-upstream"\n'
        'adapter = "openai"\n'
        f'base_url = "{upstream}"\n'
        'credential_env = "BENCH_UPSTREAM_KEY"\n'
        "[channels.models]\n"
        '"gemini" = "bench-upstream-model"\n'
    )
    env = base_env()
    env.update(
        {
            "APIINONE_CONFIG": str(data / "no-config.toml"),  # never read ./apiinone.toml
            "APIINONE_DATA_DIR": str(data),
            "APIINONE_LOG_LEVEL": "warning",
            "APIINONE_PROVIDERS_FILE": str(providers),
            "BENCH_UPSTREAM_KEY": UPSTREAM_TOKEN,
            "APIINONE_ADMIN_KEY": "aio_" + secrets.token_urlsafe(32),
            "APIINONE_RATE_LIMIT_PER_MINUTE": "10000000",
            "APIINONE_MAX_CONCURRENT_TASKS_PER_ACCOUNT": "0",  # the task bench keeps many open
            "APIINONE_PUBLIC_BASE_URL": public_url,
        }
    )
    env.update(gateway_overrides())
    return env


def provision(env: dict[str, str]) -> tuple[str, str]:
    """The bench account, funded: its live key and its sandbox (test) key."""
    email = "bench@example.com"
    token = _printed_key(_cli(["accounts", "create", email, "--name", "bench"], env))
    _cli(["credits", "grant", email, "1000000000000", "--reason", "bench"], env)
    _cli(["credits", "grant", email, "1000000000000", "--test", "--reason", "bench"], env)
    test_token = _printed_key(
        _cli(["keys", "create", email, "--test", "--name", "bench-tasks", "--rate-limit",
              "10000000"], env)
    )  # fmt: skip
    return token, test_token


CHAT_BOOKS = (
    "SELECT (SELECT count(*) FROM ledger WHERE kind = 'capture' AND task_id LIKE 'chatcmpl-%'),"
    " (SELECT count(DISTINCT task_id) FROM ledger WHERE kind = 'capture'"
    " AND task_id LIKE 'chatcmpl-%'),"
    " (SELECT count(*) FROM holds WHERE status = 'held' AND task_id LIKE 'chatcmpl-%')"
)


def chat_books(system: System) -> tuple[int, int, int] | None:
    """A gateway's chat books: (captures, chats captured, chat holds still open); None for
    the other systems."""
    if not system.database:
        return None
    if system.database.endswith(".db"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(f"file:{system.database}?mode=ro", uri=True)) as db:
            db.execute("PRAGMA busy_timeout=30000")
            row = db.execute(CHAT_BOOKS).fetchone()
    else:
        row = _psql(CHAT_BOOKS, system.database).strip().split("|")
    captures, captured, open_holds = (int(x) for x in row)
    return captures, captured, open_holds


def start_gateway(workdir: Path, upstream: str, *, mode: str, workers: int = 1) -> System:
    """``apiinone serve`` in a fresh data dir; mode ``sqlite`` or ``pg``. More than one
    worker needs Redis (started here for SQLite too)."""
    name = f"gateway-{mode}" + (f"-{workers}w" if workers > 1 else "")
    data = workdir / name
    data.mkdir(parents=True)
    port = free_port()
    env = gateway_env(data, upstream, f"http://127.0.0.1:{port}")
    services: list[Service] = []
    cleanup: list[Any] = []
    database = str(data / "apiinone.db")
    if mode == "pg":
        database = f"bench_{os.getpid()}_{int(time.time())}_{workers}"
        _psql(f'CREATE DATABASE "{database}"')
        cleanup.append(lambda: _psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        base = PG_ADMIN.split("://", 1)[1].rsplit("/", 1)[0]
        env["APIINONE_DATABASE_URL"] = f"postgresql+asyncpg://{base}/{database}"
        _cli(["migrate"], env)
    redis: Service | None = None
    if mode == "pg" or workers > 1:
        redis_port = free_port()
        redis = Service(
            name="redis",
            argv=[
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            env=base_env(),
            log_path=workdir / "logs" / f"redis-{name}.log",
            health_url="",
        )
        _start_redis(redis, redis_port)
        env["APIINONE_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    gateway = Service(
        name=name,
        argv=[
            APIINONE,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        log_path=workdir / "logs" / f"{name}.log",
        health_url=f"http://127.0.0.1:{port}/healthz",
        cwd=data,
    )
    try:
        gateway.start(timeout=180)
    except Exception:
        if redis is not None:
            redis.stop()
        for action in cleanup:
            action()
        raise
    services.append(gateway)
    if redis is not None:
        services.append(redis)
    token, test_token = provision(env)
    label = "gateway, SQLite" if mode == "sqlite" else "gateway, PostgreSQL + Redis"
    if workers > 1:
        label += (" + Redis" if mode == "sqlite" else "") + f", {workers} workers"
    system = System(
        name,
        label,
        gateway.health_url.rsplit("/", 1)[0],
        token=token,
        test_token=test_token,
        services=services,
        cleanup=cleanup,
        database=database,
    )
    system.poll_task = _finished_task(system)
    return system


def _start_redis(service: Service, port: int) -> None:
    service.log_path.parent.mkdir(parents=True, exist_ok=True)
    with service.log_path.open("ab") as out:
        service.process = subprocess.Popen(
            service.argv, env=service.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    service.stop()
    raise RuntimeError("redis-server did not start")


def _finished_task(system: System) -> str:
    status, body = http("POST", system.url + TASK_PATH, body=TASK_BODY, token=system.test_token)
    if status != 202:
        raise RuntimeError(f"{system.name}: task submission answered {status}: {body[:300]!r}")
    task_id = json.loads(body)["data"]["task_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = http("GET", f"{system.url}/api/v1/tasks/{task_id}", token=system.test_token)
        state = json.loads(body)["data"]["status"] if status == 200 else "?"
        if state == "SUCCESS":
            return str(task_id)
        if state in ("FAILED", "CANCELED"):
            raise RuntimeError(f"{system.name}: the sandbox task ended {state}: {body[:300]!r}")
        time.sleep(0.1)
    raise RuntimeError(f"{system.name}: the sandbox task did not finish in 60 s")


def start_litellm(workdir: Path, upstream: str) -> System:
    if not LITELLM_BIN.exists():
        raise RuntimeError(f"LiteLLM is not installed ({LITELLM_BIN} is missing)")
    data = workdir / "litellm"
    data.mkdir(parents=True)
    config = data / "config.yaml"
    config.write_text(
        "model_list:\n"
        "  - model_name: gemini\n"
        "    litellm_params:\n"
        "      model: openai/bench-upstream-model\n"
        f"      api_base: {upstream}\n"
        f"      api_key: {UPSTREAM_TOKEN}\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
        "  set_verbose: false\n"
    )
    port = free_port()
    env = base_env()
    env.update(
        {
            # No database: the master key is the only key, checked in memory.
            "LITELLM_MASTER_KEY": LITELLM_MASTER_KEY,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of the price list at start
            "LITELLM_LOG": "ERROR",
            "HOME": str(data),
        }
    )
    env.pop("DATABASE_URL", None)
    service = Service(
        name="litellm",
        argv=[
            str(LITELLM_BIN),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--num_workers",
            "1",
        ],
        env=env,
        log_path=workdir / "logs" / "litellm.log",
        health_url=f"http://127.0.0.1:{port}/health/liveliness",
        cwd=data,
    ).start(timeout=180)
    return System(
        "litellm", "LiteLLM proxy", f"http://127.0.0.1:{port}", token=LITELLM_MASTER_KEY,
        services=[service],
    )  # fmt: skip


def litellm_version() -> str:
    python = LITELLM_BIN.parent / "python"
    if not python.exists():
        return ""
    result = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def check_chat(system: System) -> None:
    """One answer and one stream through the system, checked before it is measured."""
    status, body = http("POST", system.url + CHAT_PATH, body=CHAT_BODY, token=system.token)
    if status != 200 or b'"choices"' not in body:
        raise RuntimeError(f"{system.name}: chat answered {status}: {body[:300]!r}")
    status, body = http("POST", system.url + CHAT_PATH, body=STREAM_BODY, token=system.token)
    text = body.decode(errors="replace")
    if status != 200 or "data: [DONE]" not in text or '"usage"' not in text:
        raise RuntimeError(f"{system.name}: stream answered {status}: {text[-300:]!r}")


# --------------------------------------------------------------------------- load


def wrk(
    url: str,
    *,
    connections: int,
    duration: float,
    method: str = "POST",
    body_file: Path | None = None,
    token: str = "",
    script: Path | None = None,
    extra_env: dict[str, str] | None = None,
    timeout_s: int = 30,
) -> dict[str, Any]:
    """Run wrk once; the Lua script's done() prints one JSON line, returned with req/s."""
    env = {**os.environ, "BENCH_METHOD": method, "BENCH_AUTH": token}
    env["BENCH_BODY_FILE"] = str(body_file) if body_file else ""
    env.update(extra_env or {})
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(script or BENCH / "wrk" / "request.lua"),
        url,
    ]
    result = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=duration + timeout_s + 60
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    data: dict[str, Any] = json.loads(line.split(" ", 1)[1])
    seconds = data["duration_us"] / 1e6
    errors = data["errors"]
    failed = errors["status"] + errors["timeout"] + errors["read"] + errors["connect"]
    good = max(0, data["requests"] - errors["status"])
    data["rps"] = good / seconds if seconds else 0.0
    data["p50_ms"] = data["latency_us"]["p50"] / 1000
    data["p99_ms"] = data["latency_us"]["p99"] / 1000
    data["failed"] = failed
    return data
