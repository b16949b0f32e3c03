"""Draw the latest results: python bench/plot.py bench/results/latest.json docs/benchmarks.png

Runs in the bench's own venv (bench/.venvs/tools, with matplotlib). Panels: throughput per
scenario and system (log scale: LiteLLM is two orders of magnitude below the others),
latency at one connection, task submission and completion, when bench/results/soak.json
exists the gateway's resident memory during the soak, and the long streams (wall time and
first-byte p99, ramped and burst).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLOURS = {
    "bare": "#7f7f7f",
    "gateway-sqlite": "#1f77b4",
    "gateway-pg": "#2ca02c",
    "gateway-sqlite-2w": "#9ecae1",
    "gateway-pg-2w": "#98df8a",
    "litellm": "#d62728",
}
ORDER = ["bare", "gateway-sqlite", "gateway-pg", "gateway-sqlite-2w", "gateway-pg-2w", "litellm"]


def main(latest: Path, out: Path) -> None:
    report = json.loads(latest.read_text())
    rows = report["summary"]
    labels = report.get("labels", {})
    soak_file = latest.parent / "soak.json"
    soak = json.loads(soak_file.read_text()) if soak_file.exists() else None

    def row(scenario: str, system: str) -> dict | None:
        return next((r for r in rows if r["scenario"] == scenario and r["system"] == system), None)

    fig, grid = plt.subplots(3, 2, figsize=(12, 14))
    axes = grid.flatten()
    systems = [s for s in ORDER if any(r["system"] == s for r in rows)]

    # 1. Throughput: chat and streams at N connections, task polling.
    ax = axes[0]
    groups = [("chat", "chat"), ("stream", "streams"), ("task-poll", "task polls")]
    width = 0.8 / max(1, len(systems))
    for i, system in enumerate(systems):
        xs, ys = [], []
        for g, (scenario, _) in enumerate(groups):
            r = row(scenario, system)
            if r and r["rps"]:
                xs.append(g + (i - (len(systems) - 1) / 2) * width)
                ys.append(r["rps"])
        bars = ax.bar(xs, ys, width, label=labels.get(system, system), color=COLOURS.get(system))
        for bar, y in zip(bars, ys, strict=True):
            ax.annotate(f"{y:,.0f}", (bar.get_x() + bar.get_width() / 2, y), ha="center",
                        va="bottom", fontsize=7)  # fmt: skip
    ax.set_xticks(range(len(groups)), [g[1] for g in groups])
    if any(row(g, s) for g, _ in groups for s in systems):
        ax.set_yscale("log")
    ax.set_ylabel("per second (log scale)")
    conns = report["config"]["connections"]
    ax.set_title(f"Throughput, {conns} connections")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)

    # 2. Latency at one connection (non-streaming chat).
    ax = axes[1]
    names, p50, p99, colours = [], [], [], []
    for system in systems:
        r = row("chat-c1", system)
        if r:
            names.append(labels.get(system, system).replace(", ", "\n"))
            p50.append(r["p50_ms"])
            p99.append(r["p99_ms"])
            colours.append(COLOURS.get(system))
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], p50, 0.4, color=colours, label="p50")
    ax.bar([x + 0.2 for x in xs], p99, 0.4, color=colours, alpha=0.45, label="p99")
    for x, a, b in zip(xs, p50, p99, strict=True):
        ax.annotate(f"{a:.1f}", (x - 0.2, a), ha="center", va="bottom", fontsize=7)
        ax.annotate(f"{b:.1f}", (x + 0.2, b), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(list(xs), names, fontsize=7)
    if names:
        ax.set_yscale("log")
    ax.set_ylabel("ms (log scale)")
    ax.set_title("Chat latency, 1 connection (p50 solid, p99 light)")

    # 3. Tasks: submissions/s and completions/s.
    ax = axes[2]
    gw = [s for s in systems if s.startswith("gateway")]
    names = [labels.get(s, s).replace(", ", "\n") for s in gw]
    subs = [(row("task-submit", s) or {}).get("rps") or 0 for s in gw]
    done = [(row("task-submit", s) or {}).get("completed_per_s") or 0 for s in gw]
    xs = range(len(gw))
    ax.bar([x - 0.2 for x in xs], subs, 0.4, label="submitted/s",
           color=[COLOURS.get(s) for s in gw])  # fmt: skip
    ax.bar([x + 0.2 for x in xs], done, 0.4, label="completed/s",
           color=[COLOURS.get(s) for s in gw], alpha=0.45)  # fmt: skip
    for x, a, b in zip(xs, subs, done, strict=True):
        ax.annotate(f"{a:,.0f}", (x - 0.2, a), ha="center", va="bottom", fontsize=7)
        ax.annotate(f"{b:,.0f}", (x + 0.2, b), ha="center", va="bottom", fontsize=7)
    ax.axhline(1000, color="black", linestyle=":", linewidth=1)
    ax.annotate("target 1,000/s", (-0.45, 1000), ha="left", va="bottom", fontsize=7)
    ax.set_xticks(list(xs), names, fontsize=7)
    ax.set_ylabel("tasks per second")
    ax.set_title("Sandbox tasks (solid submitted, light completed)")
    ax.set_ylim(0, max([1100, *subs, *done]) * 1.15)

    if soak:
        ax = axes[3]
        samples = soak["samples"]
        ax.plot([s["t"] for s in samples], [s["rss_mib"] for s in samples],
                color=COLOURS["gateway-sqlite"])  # fmt: skip
        base = soak.get("baseline_mib")
        if base:
            ax.axhspan(base * 0.9, base * 1.1, color="#1f77b4", alpha=0.1, label="baseline ±10%")
            ax.legend(fontsize=8)
        ax.set_xlabel("seconds")
        ax.set_ylabel("RSS MiB")
        ax.set_ylim(0, max(s["rss_mib"] for s in samples) * 1.25)
        ax.set_title(f"Gateway RSS under mixed load ({soak['seconds']} s soak, {soak['mode']})")
    else:
        axes[3].axis("off")
        axes[3].text(0.5, 0.5, "no soak yet: make bench-soak", ha="center", va="center")

    # 5, 6. Long streams: wall time and first-byte p99 per system, ramped and burst.
    for ax, scenario in zip(axes[4:6], ("long-stream", "long-stream-burst"), strict=True):
        names, walls, p99s, colours = [], [], [], []
        for system in systems:
            r = row(scenario, system)
            if r and r.get("wall_s"):
                names.append(labels.get(system, system).replace(", ", "\n"))
                walls.append(r["wall_s"])
                p99s.append(r["first_byte_p99_s"] or 0)
                colours.append(COLOURS.get(system))
        if not names:
            ax.axis("off")
            continue
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs], walls, 0.4, color=colours, label="wall s")
        ax.bar([x + 0.2 for x in xs], p99s, 0.4, color=colours, alpha=0.45,
               label="first byte p99 s")  # fmt: skip
        for x, a, b in zip(xs, walls, p99s, strict=True):
            ax.annotate(f"{a:.1f}", (x - 0.2, a), ha="center", va="bottom", fontsize=7)
            ax.annotate(f"{b:.2f}", (x + 0.2, b), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(list(xs), names, fontsize=7)
        ax.set_ylabel("seconds")
        n = report["config"].get("streams")
        how = "burst" if scenario.endswith("burst") else "ramped"
        ax.set_title(f"{n:,} long streams, {how} (wall solid, first-byte p99 light)", fontsize=10)

    machine = report["machine"]
    fig.suptitle(
        f"API in One benchmarks — {report['when']}, {machine['nproc']} cores "
        f"({machine['cpu']}), median of {report['config']['rounds']} rounds",
        fontsize=10,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
