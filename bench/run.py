"""The benchmark: the gateway against a bare pass-through proxy and the LiteLLM proxy.

    make bench                       # setup (wrk, PostgreSQL, Redis, LiteLLM), then this
    QUICK=1 make bench               # 1 round of 3 s: a smoke run
    ROUNDS=5 DURATION=20 CONNECTIONS=64 make bench

Every system talks to the same fake upstream (bench/upstream.py) on loopback. Systems run
in turns (A B C D, A B C D, ...) within one run, each scenario once per round; the systems
not being measured are paused (SIGSTOP) so their idle loops take no CPU. The report takes
the median over rounds; ratios are computed per round (each system against the bare proxy
and LiteLLM measured in the same round) and their median is reported.

The long-stream scenarios hold STREAMS slow streams open at once (20 chunks upstream, one
every CHUNK_INTERVAL seconds: 10-second streams), started over STREAM_RAMP seconds or, in the
burst variant, all at once (bench/streams_driver.py); they report wall time, first-byte
p50/p99, the time from the first request to the last first byte, resident memory per open
stream, errors, dropped ``[DONE]``, and for the gateways the chat ledger: one capture per
completed stream and no hold left open.

Settings (environment): ROUNDS (3), DURATION (10 s), CONNECTIONS (32), WARMUP (2 s),
TASKS (2000 at most per run), SYSTEMS (bare,gateway-sqlite,gateway-pg,gateway-sqlite-2w,
gateway-pg-2w,litellm), SCENARIOS (chat,chat-c1,stream,long-stream,long-stream-burst,
task-submit,task-poll), STREAMS (2500; QUICK: 200), STREAM_RAMP (2 s), CHUNK_INTERVAL
(0.5 s), STREAM_CUT (120 s: a long-stream run is cut there, its open streams counted as
errors), QUICK (1 = ROUNDS=1 DURATION=3 STREAMS=200), PAUSE_IDLE (1), PROFILE (1 = py-spy
PROFILE_SYSTEM, default gateway-sqlite, during one extra run of PROFILE_SCENARIO, default
chat).
Writes bench/results/latest.json (and a dated copy), bench/results/latest.md, and the plot
docs/benchmarks.png.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH,
    CHAT_BODY,
    CHAT_PATH,
    PYTHON,
    RESULTS,
    ROOT,
    STREAM_BODY,
    TOOLS_PYTHON,
    System,
    chat_books,
    check_chat,
    cpu_seconds,
    env_flag,
    env_float,
    env_int,
    litellm_version,
    log,
    machine_busy_seconds,
    own_cpu_seconds,
    rss_kib,
    start_bare,
    start_gateway,
    start_litellm,
    start_upstream,
    wrk,
)

ALL_SYSTEMS = [
    "bare",
    "gateway-sqlite",
    "gateway-pg",
    "gateway-sqlite-2w",
    "gateway-pg-2w",
    "litellm",
]
ONE_PROCESS = [s for s in ALL_SYSTEMS if not s.endswith("-2w")]
GATEWAYS = ["gateway-sqlite", "gateway-pg"]
LONG = ("long-stream", "long-stream-burst")


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    systems: tuple[str, ...]
    unit: str = "req/s"


SCENARIOS = [
    Scenario("chat", "chat, non-streaming", tuple(ALL_SYSTEMS)),
    Scenario("chat-c1", "chat, non-streaming, 1 connection", tuple(ONE_PROCESS)),
    Scenario("stream", "chat, streaming + include_usage", tuple(ALL_SYSTEMS), "streams/s"),
    Scenario(
        "long-stream", "long streams, started over STREAM_RAMP", tuple(ALL_SYSTEMS), "streams"
    ),
    Scenario(
        "long-stream-burst", "long streams, all started at once", tuple(ALL_SYSTEMS), "streams"
    ),
    Scenario("task-submit", "task submission (sandbox, no delay)", tuple(GATEWAYS), "tasks/s"),
    Scenario("task-poll", "task polling (GET /api/v1/tasks/{id})", tuple(GATEWAYS)),
]


def config() -> dict[str, Any]:
    quick = env_flag("QUICK")
    cfg = {
        "quick": quick,
        "rounds": env_int("ROUNDS", 1 if quick else 3),
        "duration": env_int("DURATION", 3 if quick else 10),
        "connections": env_int("CONNECTIONS", 32),
        "warmup": env_int("WARMUP", 1 if quick else 2),
        "tasks": env_int("TASKS", 300 if quick else 2000),
        "streams": env_int("STREAMS", 200 if quick else 2500),
        "stream_ramp": env_float("STREAM_RAMP", 2.0),
        "stream_cut": env_float("STREAM_CUT", 120.0),
        "chunk_interval": env_float("CHUNK_INTERVAL", 0.5),
        "pause_idle": env_flag("PAUSE_IDLE", True),
        "profile": env_flag("PROFILE"),
        "systems": [s for s in os.environ.get("SYSTEMS", ",".join(ALL_SYSTEMS)).split(",") if s],
        "scenarios": [
            s
            for s in os.environ.get("SCENARIOS", ",".join(x.name for x in SCENARIOS)).split(",")
            if s
        ],
    }
    return cfg


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = _run(["free", "-h"]).splitlines()
    pg = _run(["psql", "--version"])
    redis = _run(["redis-server", "--version"])
    wrk_version = (_run(["sh", "-c", "wrk -v 2>&1 | head -1"]) or "").strip()
    commit = _run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = bool(_run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"]))
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem[1].split()[1] if len(mem) > 1 else "",
        "free_h": "\n".join(mem),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version,
        "postgresql": pg,
        "redis": redis,
        "litellm": litellm_version(),
        "commit": commit + ("+dirty src/" if dirty else ""),
        "loadavg_at_start": os.getloadavg(),
    }


def start_systems(
    workdir: Path, upstream: str, wanted: list[str]
) -> tuple[dict[str, System], dict[str, str]]:
    systems: dict[str, System] = {}
    skipped: dict[str, str] = {}
    starters = {
        "bare": lambda: start_bare(workdir, upstream),
        "gateway-sqlite": lambda: start_gateway(workdir, upstream, mode="sqlite"),
        "gateway-pg": lambda: start_gateway(workdir, upstream, mode="pg"),
        "gateway-sqlite-2w": lambda: start_gateway(workdir, upstream, mode="sqlite", workers=2),
        "gateway-pg-2w": lambda: start_gateway(workdir, upstream, mode="pg", workers=2),
        "litellm": lambda: start_litellm(workdir, upstream),
    }
    for name in wanted:
        if name not in starters:
            skipped[name] = "unknown system"
            continue
        log(f"starting {name}")
        try:
            system = starters[name]()
            systems[name] = system
            check_chat(system)
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else repr(exc)
            log(f"{name} is left out: {reason}")
            skipped[name] = reason
            if name in systems:
                systems.pop(name).stop()
    return systems, skipped


def measure_wrk(
    system: System, scenario: str, cfg: dict[str, Any], bodies: dict[str, Path], duration: float
) -> dict[str, Any]:
    if scenario == "task-poll":
        return wrk(
            f"{system.url}/api/v1/tasks/{system.poll_task}",
            connections=cfg["connections"],
            duration=duration,
            method="GET",
            token=system.test_token,
        )
    return wrk(
        system.url + CHAT_PATH,
        connections=1 if scenario == "chat-c1" else cfg["connections"],
        duration=duration,
        body_file=bodies["stream" if scenario == "stream" else "chat"],
        token=system.token,
    )


def measure_tasks(system: System, cfg: dict[str, Any]) -> dict[str, Any]:
    argv = [
        PYTHON,
        str(BENCH / "tasks_driver.py"),
        "--url",
        system.url,
        "--key",
        system.test_token,
        "--count",
        str(cfg["tasks"]),
        "--concurrency",
        str(cfg["connections"]),
        "--max-seconds",
        str(cfg["duration"]),
        "--wait",
        "60",
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=400)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_TASKS ")), None)
    if line is None:
        raise RuntimeError(f"the task driver failed:\n{result.stdout}\n{result.stderr}")
    data: dict[str, Any] = json.loads(line.split(" ", 1)[1])
    data["rps"] = data["submissions_per_s"]
    data["p50_ms"] = data["submit_p50_ms"]
    data["p99_ms"] = data["submit_p99_ms"]
    data["requests"] = data["accepted"]
    data["failed"] = sum(data["rejected"].values()) + sum(
        n for status, n in data["statuses"].items() if status != "SUCCESS"
    )
    return data


def measure_streams(system: System, cfg: dict[str, Any], *, burst: bool) -> dict[str, Any]:
    """STREAMS long streams through ``system``; its resident memory sampled throughout (the
    peak over the idle baseline, per open stream) and, for a gateway, its chat books."""
    argv = [
        PYTHON, str(BENCH / "streams_driver.py"), "--url", system.url, "--key", system.token,
        "--count", str(cfg["streams"]), "--ramp", str(cfg["stream_ramp"]),
        "--max-seconds", str(cfg["stream_cut"]),
    ] + (["--burst"] if burst else [])  # fmt: skip
    books_before = chat_books(system)
    baseline = rss_kib(system.main.pid)
    peak = baseline
    driver = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 900
    while driver.poll() is None and time.monotonic() < deadline:
        peak = max(peak, rss_kib(system.main.pid))
        time.sleep(0.2)
    if driver.poll() is None:
        driver.kill()
    out, err = driver.communicate()
    line = next((x for x in out.splitlines() if x.startswith("BENCH_STREAMS ")), None)
    if line is None:
        raise RuntimeError(f"the streams driver failed:\n{out}\n{err[-2000:]}")
    data: dict[str, Any] = json.loads(line.split(" ", 1)[1])
    data["rss_baseline_mib"] = round(baseline / 1024, 1)
    data["rss_peak_mib"] = round(peak / 1024, 1)
    opened = max(1, data["most_open"])
    data["kib_per_open_stream"] = round((peak - baseline) / opened, 1)
    books_after = chat_books(system)
    if books_before is not None and books_after is not None:
        # Settling may trail the last [DONE] by a moment on a loaded machine: look again.
        for _ in range(50):
            if books_after[0] - books_before[0] >= data["completed"] and books_after[2] == 0:
                break
            time.sleep(0.2)
            books_after = chat_books(system) or books_after
        data["captures"] = books_after[0] - books_before[0]
        data["chats_captured"] = books_after[1] - books_before[1]
        data["open_holds_after"] = books_after[2]
        data["billed_once"] = (
            data["captures"] == data["chats_captured"] == data["completed"]
            and data["open_holds_after"] == 0
        )
    data["rps"] = data["completed"] / data["wall_s"] if data["wall_s"] else 0.0
    data["p50_ms"] = (data["first_byte_p50_s"] or 0.0) * 1000
    data["p99_ms"] = (data["first_byte_p99_s"] or 0.0) * 1000
    data["requests"] = data["streams"]
    return data


def one_run(
    system: System,
    scenario: Scenario,
    cfg: dict[str, Any],
    bodies: dict[str, Path],
    round_index: int,
) -> dict[str, Any]:
    system.resume()
    time.sleep(0.3)
    cpu_before = cpu_seconds(system.main.pid)
    machine_before, own_before, wall_before = (
        machine_busy_seconds(),
        own_cpu_seconds(),
        time.monotonic(),
    )
    try:
        if scenario.name == "task-submit":
            data = measure_tasks(system, cfg)
        elif scenario.name in LONG:
            data = measure_streams(system, cfg, burst=scenario.name == "long-stream-burst")
        else:
            data = measure_wrk(system, scenario.name, cfg, bodies, cfg["duration"])
    finally:
        cpu_used = cpu_seconds(system.main.pid) - cpu_before
        wall = time.monotonic() - wall_before
        foreign = (machine_busy_seconds() - machine_before) - (own_cpu_seconds() - own_before)
        rss = rss_kib(system.main.pid)
        if cfg["pause_idle"]:
            system.pause()
    data.update(
        round=round_index,
        scenario=scenario.name,
        system=system.name,
        cpu_s=round(cpu_used, 3),
        cpu_ms_per_req=round(cpu_used * 1000 / data["requests"], 3) if data["requests"] else None,
        rss_mib=round(rss / 1024, 1),
        loadavg_1m=round(os.getloadavg()[0], 2),
        other_cpu_cores=round(max(0.0, foreign) / wall, 2) if wall > 0 else None,
    )
    return data


def warm_up(systems: dict[str, System], cfg: dict[str, Any], bodies: dict[str, Path]) -> None:
    for system in systems.values():
        system.resume()
        for scenario in ("chat", "stream"):
            measure_wrk(system, scenario, cfg, bodies, cfg["warmup"])
        if cfg["pause_idle"]:
            system.pause()


def profile_gateway(
    system: System, cfg: dict[str, Any], bodies: dict[str, Path], out_dir: Path
) -> Path | None:
    """py-spy the gateway during one more run of PROFILE_SCENARIO (PROFILE=1)."""
    py_spy = TOOLS_PYTHON.parent / "py-spy"
    if not py_spy.exists():
        log("PROFILE=1 needs py-spy in bench/.venvs/tools (bench/setup.sh installs it)")
        return None
    system.resume()
    out = out_dir / f"profile-{system.name}.txt"
    scenario = os.environ.get("PROFILE_SCENARIO", "chat")
    # A long-stream run lasts about 10 s + the ramp, and longer while the system is saturated.
    seconds = 20 if scenario in LONG else max(5, cfg["duration"])
    spy = subprocess.Popen(
        [str(py_spy), "record", "--format", "raw", "--rate", "200", "--duration",
         str(seconds - 1), "--pid", str(system.main.pid), "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if scenario == "task-submit":
        measure_tasks(system, cfg)
    elif scenario in LONG:
        measure_streams(system, cfg, burst=scenario == "long-stream-burst")
    else:
        measure_wrk(system, scenario, cfg, bodies, seconds)
    spy.wait(timeout=60)
    if cfg["pause_idle"]:
        system.pause()
    return out if out.exists() else None


# --------------------------------------------------------------------------- the report


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(runs: list[dict[str, Any]], scenarios: list[Scenario]) -> list[dict[str, Any]]:
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        by.setdefault((run["scenario"], run["system"]), []).append(run)

    def in_round(scenario: str, system: str, round_index: int) -> dict[str, Any] | None:
        return next((r for r in by.get((scenario, system), []) if r["round"] == round_index), None)

    rows = []
    for scenario in scenarios:
        for system in scenario.systems:
            mine = by.get((scenario.name, system))
            if not mine:
                continue
            row: dict[str, Any] = {
                "scenario": scenario.name,
                "scenario_label": scenario.label,
                "unit": scenario.unit,
                "system": system,
                "rounds": len(mine),
                "rps": _median([r["rps"] for r in mine]),
                "rps_all": [round(r["rps"], 1) for r in mine],
                "p50_ms": _median([r["p50_ms"] for r in mine]),
                "p99_ms": _median([r["p99_ms"] for r in mine]),
                "cpu_ms_per_req": _median(
                    [r["cpu_ms_per_req"] for r in mine if r.get("cpu_ms_per_req") is not None]
                ),
                "rss_mib": max(r["rss_mib"] for r in mine),
                "failed": sum(r["failed"] for r in mine),
            }
            for ref in ("bare", "litellm"):
                ratios, deltas = [], []
                for run in mine:
                    other = in_round(scenario.name, ref, run["round"])
                    if other and other["rps"] > 0:
                        ratios.append(run["rps"] / other["rps"])
                        deltas.append(run["p50_ms"] - other["p50_ms"])
                row[f"x_{ref}"] = _median(ratios)
                row[f"p50_over_{ref}_ms"] = _median(deltas)
            if scenario.name in LONG:
                for name in (
                    "wall_s",
                    "first_byte_p50_s",
                    "first_byte_p99_s",
                    "first_request_to_last_first_byte_s",
                    "kib_per_open_stream",
                ):
                    row[name] = _median([r[name] for r in mine if r.get(name) is not None])
                row["streams"] = mine[0]["streams"]
                row["errors"] = sum(sum(r["errors"].values()) for r in mine)
                row["cut"] = sum(r["errors"].get("cut", 0) for r in mine)
                row["cut_at_s"] = mine[0].get("cut_at_s") or next(
                    (r["cut_at_s"] for r in mine if r.get("cut_at_s")), None
                )
                row["dropped_done"] = sum(r["dropped_done"] for r in mine)
                row["billed_once"] = (
                    all(r["billed_once"] for r in mine) if "billed_once" in mine[0] else None
                )
                row["captures"] = sum(r.get("captures", 0) for r in mine)
                row["completed"] = sum(r["completed"] for r in mine)
                for ref in ("bare", "litellm"):
                    walls, p99s = [], []
                    for run in mine:
                        other = in_round(scenario.name, ref, run["round"])
                        if other and other["wall_s"]:
                            walls.append(run["wall_s"] / other["wall_s"])
                            p99s.append(
                                (run["first_byte_p99_s"] or 0) - (other["first_byte_p99_s"] or 0)
                            )
                    row[f"wall_over_{ref}"] = _median(walls)
                    row[f"p99_over_{ref}_s"] = _median(p99s)
            if scenario.name == "task-submit":
                row["completion_s"] = _median([r["completion_s"] for r in mine])
                row["completed_per_s"] = _median([r["completed_per_s"] for r in mine])
                row["tasks_per_run"] = _median([r["accepted"] for r in mine])
            rows.append(row)
    return rows


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 10 else f"{value:,.0f}"


def table(rows: list[dict[str, Any]], labels: dict[str, str]) -> str:
    lines = [
        "| scenario | system | req/s | p50 ms | p99 ms | CPU ms/req | vs bare | vs LiteLLM |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row["scenario"] in LONG:
            continue
        unit = "" if row["unit"] == "req/s" else f" {row['unit']}"
        lines.append(
            f"| {row['scenario_label']} | {labels.get(row['system'], row['system'])} "
            f"| {_num(row['rps'])}{unit} | {_num(row['p50_ms'], 2)} | {_num(row['p99_ms'], 2)} "
            f"| {_num(row['cpu_ms_per_req'], 2)} | {_ratio(row['x_bare'])} "
            f"| {_ratio(row['x_litellm'])} |"
        )
    return "\n".join(lines)


def task_table(rows: list[dict[str, Any]], labels: dict[str, str]) -> str:
    lines = [
        "| system | tasks per run | submissions/s | submit p50 ms | submit p99 ms "
        "| all done after (s) | completed/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row["scenario"] != "task-submit":
            continue
        lines.append(
            f"| {labels.get(row['system'], row['system'])} | {_num(row['tasks_per_run'], 0)} "
            f"| {_num(row['rps'])} | {_num(row['p50_ms'], 2)} | {_num(row['p99_ms'], 2)} "
            f"| {_num(row['completion_s'], 2)} | {_num(row['completed_per_s'])} |"
        )
    return "\n".join(lines)


def long_table(rows: list[dict[str, Any]], labels: dict[str, str]) -> str:
    lines = [
        "| scenario | system | streams | wall s | vs bare | first byte p50 / p99 s "
        "| first request → last first byte s | KiB per open stream | errors | dropped [DONE] "
        "| billed once |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for row in rows:
        if row["scenario"] not in LONG:
            continue
        billed = {True: "yes", False: "**no**", None: "—"}[row["billed_once"]]
        errors = str(row["errors"])
        if row.get("cut"):
            errors += f" ({row['cut']:,} still open when cut at {row['cut_at_s']:g} s)"
        if row["billed_once"] is not None:
            billed += f" ({row['captures']:,} captures / {row['completed']:,} streams)"
        lines.append(
            f"| {'burst' if row['scenario'].endswith('burst') else 'ramped'} "
            f"| {labels.get(row['system'], row['system'])} | {row['streams']:,} "
            f"| {_num(row['wall_s'], 2)} | {_ratio(row['wall_over_bare'])} "
            f"| {_num(row['first_byte_p50_s'], 2)} / {_num(row['first_byte_p99_s'], 2)} "
            f"| {_num(row['first_request_to_last_first_byte_s'], 2)} "
            f"| {_num(row['kib_per_open_stream'], 1)} | {errors} | {row['dropped_done']} "
            f"| {billed} |"
        )
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def get(scenario: str, system: str) -> dict[str, Any] | None:
        return next((r for r in rows if r["scenario"] == scenario and r["system"] == system), None)

    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, text: str, ok: bool | None) -> None:
        out.append({"target": name, "value": value, "measured": text, "met": ok})

    for system, label in (("gateway-sqlite", "SQLite"), ("gateway-pg", "PostgreSQL + Redis")):
        chat = get("chat", system)
        if chat and chat["x_bare"] is not None:
            add(f"non-streaming chat ≥ 0.75 x bare req/s ({label})", chat["x_bare"],
                f"{chat['x_bare']:.2f} x bare", chat["x_bare"] >= 0.75)  # fmt: skip
        c1 = get("chat-c1", system)
        if c1 and c1["p50_over_bare_ms"] is not None:
            added = c1["p50_over_bare_ms"]
            add(f"added p50 at 1 connection ≤ 1 ms over bare ({label})", added,
                f"+{added:.2f} ms", added <= 1.0)  # fmt: skip
        stream = get("stream", system)
        if stream and stream["x_bare"] is not None:
            add(f"streaming ≥ 0.75 x bare streams/s ({label})", stream["x_bare"],
                f"{stream['x_bare']:.2f} x bare", stream["x_bare"] >= 0.75)  # fmt: skip
    for system in ("gateway-sqlite", "gateway-pg-2w"):
        long = get("long-stream", system)
        if long and long["wall_over_bare"] is not None:
            n = f"{long['streams']:,} streams, {system}"
            add(
                f"long streams: wall ≤ 1.15 x bare ({n})",
                long["wall_over_bare"],
                f"{long['wall_over_bare']:.2f} x bare",
                long["wall_over_bare"] <= 1.15,
            )
            over = long["p99_over_bare_s"]
            add(
                f"long streams: first-byte p99 ≤ bare + 0.5 s ({n})",
                over,
                f"{over:+.2f} s",
                over <= 0.5,
            )
            per = long["kib_per_open_stream"]
            add(
                f"long streams: resident memory ≤ 30 KB per open stream ({n})",
                per,
                f"{per:.1f} KiB",
                per is not None and per * 1.024 <= 30,
            )
            clean = long["errors"] == 0 and long["dropped_done"] == 0 and long["billed_once"]
            add(
                f"long streams: no error, no dropped [DONE], billed once ({n})",
                None,
                f"{long['errors']} errors, {long['dropped_done']} dropped",
                bool(clean),
            )
    tasks = get("task-submit", "gateway-sqlite")
    if tasks:
        add("task submissions ≥ 1,000/s (SQLite)", tasks["rps"], f"{tasks['rps']:,.0f}/s",
            tasks["rps"] >= 1000)  # fmt: skip
    soak_file = RESULTS / "soak.json"
    if soak_file.exists():
        soak = json.loads(soak_file.read_text())
        drift = soak.get("max_drift")
        add(f"resident memory flat ±10% ({soak.get('seconds')} s soak, {soak.get('mode')})",
            drift, f"{drift * 100:+.1f}% (max deviation from the warm baseline)"
            if drift is not None else "no data", soak.get("flat"))  # fmt: skip
    else:
        add("resident memory flat ±10% over 10 minutes", None, "run `make bench-soak`", None)
    return out


def targets_table(items: list[dict[str, Any]]) -> str:
    lines = ["| target | measured | met |", "|---|---:|:---:|"]
    for item in items:
        met = {True: "yes", False: "**no**", None: "—"}[item["met"]]
        lines.append(f"| {item['target']} | {item['measured']} | {met} |")
    return "\n".join(lines)


def plot(latest: Path) -> None:
    if not TOOLS_PYTHON.exists():
        log("no plot: bench/.venvs/tools (matplotlib) is missing; bench/setup.sh makes it")
        return
    out = ROOT / "docs" / "benchmarks.png"
    result = subprocess.run(
        [str(TOOLS_PYTHON), str(BENCH / "plot.py"), str(latest), str(out)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log(f"the plot failed:\n{result.stderr[-2000:]}")
    else:
        log(f"plot: {out.relative_to(ROOT)}")


def main() -> int:
    cfg = config()
    scenarios = [s for s in SCENARIOS if s.name in cfg["scenarios"]]
    uses_wrk = any(s.name not in LONG and s.name != "task-submit" for s in scenarios)
    if uses_wrk and shutil.which("wrk") is None:
        log("wrk is not installed: run `make bench` (it installs wrk) or apt-get install wrk")
        return 2
    info = machine()
    log(
        f"{info['nproc']} cores, {info['cpu']}, {info['memory']} RAM; rounds={cfg['rounds']} "
        f"duration={cfg['duration']}s connections={cfg['connections']}; "
        f"load average {info['loadavg_at_start'][0]:.2f}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="apiinone-bench-"))
    bodies = {"chat": workdir / "chat.json", "stream": workdir / "stream.json"}
    bodies["chat"].write_text(json.dumps(CHAT_BODY))
    bodies["stream"].write_text(json.dumps(STREAM_BODY))

    upstream_service, upstream = start_upstream(workdir, cfg["chunk_interval"])
    systems: dict[str, System] = {}
    runs: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    profile: Path | None = None
    started = time.monotonic()
    try:
        systems, skipped = start_systems(workdir, upstream, cfg["systems"])
        if cfg["pause_idle"]:
            for system in systems.values():
                system.pause()
        if shutil.which("wrk") is not None:
            log(f"warming up ({cfg['warmup']} s of chat and of streams each)")
            warm_up(systems, cfg, bodies)
        for round_index in range(cfg["rounds"]):
            for scenario in scenarios:
                for name in scenario.systems:
                    system = systems.get(name)
                    if system is None:
                        continue
                    try:
                        run = one_run(system, scenario, cfg, bodies, round_index)
                    except Exception as exc:
                        log(f"round {round_index + 1} {scenario.name} {name} failed: {exc}")
                        continue
                    runs.append(run)
                    log(
                        f"round {round_index + 1}/{cfg['rounds']} {scenario.name:<11} "
                        f"{name:<15} {run['rps']:>9,.1f} {scenario.unit:<9} "
                        f"p50 {run['p50_ms']:>8.2f} ms  p99 {run['p99_ms']:>8.2f} ms  "
                        f"others {run['other_cpu_cores']:.2f} cores"
                        + (f"  ({run['failed']} failed)" if run["failed"] else "")
                    )
        profiled = os.environ.get("PROFILE_SYSTEM", "gateway-sqlite")
        if cfg["profile"] and profiled in systems:
            profile = profile_gateway(systems[profiled], cfg, bodies, RESULTS)
    finally:
        for system in systems.values():
            system.stop()
        upstream_service.stop()
        for data_dir in workdir.iterdir():  # keep the logs, drop databases and task files
            if data_dir.is_dir() and data_dir.name != "logs":
                shutil.rmtree(data_dir, ignore_errors=True)

    labels = {name: s.label for name, s in systems.items()}
    labels.setdefault("litellm", "LiteLLM proxy")
    labels.setdefault("bare", "bare proxy")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    report = {
        "when": stamp,
        "elapsed_s": round(time.monotonic() - started, 1),
        "config": cfg,
        "machine": info,
        "labels": labels,
        "skipped": skipped,
        "runs": runs,
        "profile": str(profile) if profile else None,
        "logs": str(workdir / "logs"),
    }
    write_report(report, scenarios, dated=True)
    log(f"logs in {workdir}/logs")
    return 0


def write_report(report: dict[str, Any], scenarios: list[Scenario], *, dated: bool) -> None:
    """Summary, targets (with the latest soak), latest.json/.md, the plot."""
    runs, cfg, info = report["runs"], report["config"], report["machine"]
    rows = summarize(runs, scenarios)
    goal = targets(rows)
    report["summary"], report["targets"] = rows, goal
    latest = RESULTS / "latest.json"
    latest.write_text(json.dumps(report, indent=2))
    if dated:
        name = f"run-{report['when'].replace(':', '')}.json"
        (RESULTS / name).write_text(json.dumps(report, indent=2))
    others = sorted(r["other_cpu_cores"] for r in runs if r.get("other_cpu_cores") is not None)
    busy = (
        f" Other processes on the machine used {statistics.median(others):.2f} cores "
        f"(median over runs; {others[0]:.2f} to {others[-1]:.2f}) of the {info['nproc']} while "
        "the bench ran: the figures are lower and noisier than on an idle machine."
        if others and statistics.median(others) > 0.1
        else ""
    )
    markdown = "\n\n".join(
        [
            f"Run {report['when']}: {cfg['rounds']} rounds x {cfg['duration']} s, "
            f"{cfg['connections']} connections (chat-c1: 1), medians over rounds; "
            "vs = median of the per-round ratios of req/s; CPU ms/req = the system's own "
            "CPU time (all its threads) per request." + busy,
            table(rows, report["labels"]),
            f"Long streams: {cfg.get('streams', 0):,} streams of 20 chunks, one every "
            f"{cfg.get('chunk_interval', 0.5)} s upstream; ramped: started evenly over "
            f"{cfg.get('stream_ramp', 2.0)} s; burst: all at once. Wall = first request to "
            "last end; first byte from each stream's own request; KiB per open stream = "
            "(peak - idle resident memory of all the system's processes) / streams open at "
            "once; vs bare = median of the per-round wall-time ratios.",
            long_table(rows, report["labels"]),
            task_table(rows, report["labels"]),
            targets_table(goal),
        ]
        + ([f"Left out: {json.dumps(report['skipped'])}"] if report["skipped"] else [])
    )
    (RESULTS / "latest.md").write_text(markdown + "\n")
    print()
    print(markdown)
    print()
    plot(latest)
    log(f"results: {latest.relative_to(ROOT)}, bench/results/latest.md")


def report_only() -> int:
    """`run.py --report`: rebuild the report of the last run (e.g. after `make bench-soak`)."""
    latest = RESULTS / "latest.json"
    if not latest.exists():
        log("no bench/results/latest.json yet: run `make bench` first")
        return 2
    report = json.loads(latest.read_text())
    names = set(report["config"]["scenarios"])
    write_report(report, [s for s in SCENARIOS if s.name in names], dated=False)


if __name__ == "__main__":
    sys.exit(report_only() if "--report" in sys.argv[1:] else main())
