"""The soak: is the gateway's resident memory flat under a long mixed load?

    make bench-soak                   # 600 s
    SOAK_SECONDS=120 make bench-soak  # shorter
    SOAK_MODE=pg make bench-soak      # PostgreSQL + Redis instead of SQLite

One gateway (one worker) against the fake upstream; one wrk drives a fixed rotation of
requests over CONNECTIONS (32) connections: 4 non-streaming chats, 3 streams, 2 task polls
and 1 sandbox task submission in every 10. The gateway's RSS (with its children) is sampled
every few seconds. The baseline is the median of the samples in the second tenth of the run
(after warm-up: caches, pools and the allocator's arenas fill first); the soak is flat when
every later sample is within ±10% of it. Writes bench/results/soak.json (the plot in
docs/benchmarks.png shows it when present).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH,
    CHAT_BODY,
    RESULTS,
    STREAM_BODY,
    TASK_BODY,
    check_chat,
    cpu_seconds,
    env_int,
    log,
    rss_kib,
    start_gateway,
    start_upstream,
)


def main() -> int:
    seconds = env_int("SOAK_SECONDS", 600)
    connections = env_int("CONNECTIONS", 32)
    mode = os.environ.get("SOAK_MODE", "sqlite")
    interval = max(2.0, seconds / 150)
    workdir = Path(tempfile.mkdtemp(prefix="apiinone-soak-"))
    files = {
        "BENCH_CHAT_FILE": workdir / "chat.json",
        "BENCH_STREAM_FILE": workdir / "stream.json",
        "BENCH_TASK_FILE": workdir / "task.json",
    }
    files["BENCH_CHAT_FILE"].write_text(json.dumps(CHAT_BODY))
    files["BENCH_STREAM_FILE"].write_text(json.dumps(STREAM_BODY))
    files["BENCH_TASK_FILE"].write_text(json.dumps(TASK_BODY))

    upstream_service, upstream = start_upstream(workdir)
    system = None
    samples: list[dict[str, Any]] = []
    wrk_out = ""
    try:
        system = start_gateway(workdir, upstream, mode=mode)
        check_chat(system)
        pid = system.main.pid
        env = {
            **os.environ,
            **{k: str(v) for k, v in files.items()},
            "BENCH_AUTH": system.token,
            "BENCH_TEST_AUTH": system.test_token,
            "BENCH_POLL_PATH": f"/api/v1/tasks/{system.poll_task}",
        }
        log(f"soak: {seconds} s of mixed load on {system.label}, {connections} connections")
        load = subprocess.Popen(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout=30s",
             "-s", str(BENCH / "wrk" / "mixed.lua"), system.url],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        start = time.monotonic()
        cpu0 = cpu_seconds(pid)
        next_report = 0.0
        while load.poll() is None:
            t = time.monotonic() - start
            rss = rss_kib(pid) / 1024
            samples.append({"t": round(t, 1), "rss_mib": round(rss, 1)})
            if t >= next_report:
                log(f"soak t={t:5.0f}s RSS {rss:7.1f} MiB")
                next_report += max(30.0, seconds / 10)
            time.sleep(interval)
        wrk_out = load.stdout.read() if load.stdout else ""
        cpu_used = cpu_seconds(pid) - cpu0
        samples.append({"t": round(time.monotonic() - start, 1),
                        "rss_mib": round(rss_kib(pid) / 1024, 1)})  # fmt: skip
    finally:
        if system is not None:
            system.stop()
        upstream_service.stop()

    line = next((x for x in wrk_out.splitlines() if x.startswith("BENCH_RESULT ")), None)
    load_result: dict[str, Any] = json.loads(line.split(" ", 1)[1]) if line else {}
    warm = [s["rss_mib"] for s in samples if seconds * 0.1 <= s["t"] < seconds * 0.2]
    baseline = statistics.median(warm) if warm else samples[0]["rss_mib"]
    later = [s["rss_mib"] for s in samples if s["t"] >= seconds * 0.2]
    drifts = [(v - baseline) / baseline for v in later] or [0.0]
    max_drift = max(drifts, key=abs)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seconds": seconds,
        "mode": mode,
        "connections": connections,
        "baseline_mib": baseline,
        "first_mib": samples[0]["rss_mib"],
        "last_mib": samples[-1]["rss_mib"],
        "max_mib": max(s["rss_mib"] for s in samples),
        "max_drift": round(max_drift, 4),
        "end_drift": round((samples[-1]["rss_mib"] - baseline) / baseline, 4),
        "flat": abs(max_drift) <= 0.10,
        "requests": load_result.get("requests"),
        "rps": round(load_result["requests"] / (load_result["duration_us"] / 1e6), 1)
        if load_result
        else None,
        "errors": load_result.get("errors"),
        "cpu_s": round(cpu_used, 1),
        "samples": samples,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(report, indent=2))
    verdict = "flat" if report["flat"] else "NOT flat"
    print(
        f"\nsoak {seconds} s ({mode}): RSS baseline {baseline:.1f} MiB, last "
        f"{report['last_mib']:.1f} MiB, max {report['max_mib']:.1f} MiB; largest deviation "
        f"{max_drift * 100:+.1f}% → {verdict} (target ±10%). Load: {report['requests']} "
        f"requests, {report['rps']} req/s, errors {report['errors']}.\n"
        "bench/results/soak.json written; `make bench` (or bench/plot.py) draws it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
