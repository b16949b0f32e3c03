"""Chart geometry for inline SVG: the template draws rectangles and labels, no script."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Bar", "BarChart", "HBar", "day_chart", "model_bars", "nice_ceiling"]


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    left: int
    bottom: float
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[tuple[float, str, str]]
    total: int


@dataclass(frozen=True, slots=True)
class HBar:
    name: str
    value: int
    width: float  # percent of the widest


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 times 10^n at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def day_chart(
    points: list[tuple[int, int]], *, width: int = 720, height: int = 220, left: int = 44
) -> BarChart:
    """Bars for (day start in ms, credits), with four grid lines and a few date labels."""
    top, bottom = 10.0, float(height - 24)
    plot = bottom - top
    step = nice_ceiling(-(-max((v for _, v in points), default=0) // 4))
    ceiling = step * 4
    slot = (width - left - 4) / max(len(points), 1)
    bars = []
    labels = []
    every = max(1, len(points) // 6)
    for index, (day, value) in enumerate(points):
        h = plot * value / ceiling
        date = datetime.fromtimestamp(day / 1000, tz=UTC)
        bars.append(
            Bar(
                x=round(left + index * slot + slot * 0.15, 2),
                y=round(bottom - h, 2),
                width=round(slot * 0.7, 2),
                height=round(h, 2),
                label=date.strftime("%b %d"),
                value=value,
            )
        )
        last = index == len(points) - 1
        if index % every == 0 or last:
            x = width - 2 if last else round(left + index * slot + slot / 2, 2)
            labels.append((x, date.strftime("%b %d"), "end" if last else "middle"))
    ticks = [Tick(y=round(bottom - plot * i / 4, 2), label=f"{step * i:,}") for i in range(5)]
    return BarChart(
        width=width,
        height=height,
        left=left,
        bottom=bottom,
        bars=bars,
        ticks=ticks,
        labels=labels,
        total=sum(v for _, v in points),
    )


def model_bars(items: list[tuple[str, int]]) -> list[HBar]:
    widest = max((v for _, v in items), default=0) or 1
    return [HBar(name, value, round(100 * value / widest, 1)) for name, value in items]
