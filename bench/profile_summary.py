"""Summarize a py-spy ``--format raw`` profile: where the gateway's samples go.

    python bench/profile_summary.py bench/results/profile-gateway-sqlite.txt [--top 40]

Prints the share of samples per thread kind, then the functions with the largest inclusive
share (a function counted once per sample however deep it recurses), and the largest self
(leaf) shares. Samples of threads waiting for work (thread-pool queues, the event loop's
poll) are counted apart as idle.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

IDLE_LEAVES = ("Condition.wait", "_worker (concurrent/futures/thread.py", "Queue.get")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--contains", default="", help="only stacks with this frame")
    args = parser.parse_args()

    total = idle = 0
    inclusive: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        if args.contains and args.contains not in stack:
            continue
        n = int(count)
        frames = stack.split(";")
        leaf = frames[-1]
        total += n
        if any(mark in leaf for mark in IDLE_LEAVES) or "_connection_worker_thread" in leaf:
            idle += n
            continue
        for frame in set(frames):
            inclusive[frame] += n
        leaves[leaf] += n
    busy = total - idle
    print(f"{total} samples, {idle} idle (waiting threads), {busy} busy\n")
    if not busy:
        return
    print("inclusive share of busy samples")
    for frame, n in inclusive.most_common(args.top):
        print(f"{100 * n / busy:6.1f}%  {frame[:160]}")
    print("\nself (leaf) share of busy samples")
    for frame, n in leaves.most_common(args.top // 2):
        print(f"{100 * n / busy:6.1f}%  {frame[:160]}")


if __name__ == "__main__":
    main()
