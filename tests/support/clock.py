"""Waiting out the end of a rate-limit window.

The rate limiter is a sliding-window counter: near a minute boundary it weighs the last
minute's count by how much of it is left, so a burst that crosses a boundary is let through
one more time than the limit. A test that counts to the limit starts where its burst ends
inside one window.
"""

from __future__ import annotations

import time


def start_inside_one_window(seconds_needed: float = 15.0) -> None:
    """Return once at least ``seconds_needed`` remain before the next minute boundary."""
    while time.time() % 60 > 60 - seconds_needed:
        time.sleep(0.25)
