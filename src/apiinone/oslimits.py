"""The open-file limit a server process needs: every open stream holds two sockets.

A default soft limit of 1,024 stops a process at about 500 concurrent streams (client side
and upstream side each take a descriptor), whatever the connection pool allows. At start-up
the soft limit is raised to the hard limit (the most an unprivileged process may take);
server processes started after that inherit it.
"""

from __future__ import annotations

import contextlib
import resource
from dataclasses import dataclass

__all__ = ["OpenFiles", "raise_open_files"]

# Some systems report an unlimited hard limit but refuse a soft limit above this.
_CEILING = 1 << 20


@dataclass(frozen=True, slots=True)
class OpenFiles:
    before: int  # -1: unlimited (all three)
    now: int
    hard: int

    def describe(self) -> str:
        now, before, hard = (_text(n) for n in (self.now, self.before, self.hard))
        if now != before:
            return f"open files: {now} per process (raised from {before}; hard limit {hard})"
        return f"open files: {now} per process (hard limit {hard})"


def _text(limit: int) -> str:
    return "unlimited" if limit < 0 else f"{limit:,}"


def raise_open_files() -> OpenFiles:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit where the OS allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _CEILING if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        # The OS may refuse: then the limit stays as it was, and the log says so.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    now, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return OpenFiles(before=_finite(soft), now=_finite(now), hard=_finite(hard))


def _finite(limit: int) -> int:
    return -1 if limit == resource.RLIM_INFINITY else limit
