"""The Rich progress bar of ``Task.wait(progress=True)`` (drawn on stderr)."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

__all__ = ["ProgressView"]


class ProgressView:
    """One bar per wait: the model, the phase, the task's progress and the elapsed time.

    Disabled (``enabled=False``), it draws nothing, and Rich is not even imported.
    """

    def __init__(self, enabled: bool, task: Mapping[str, Any]) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._bar: Any = None
        self._label = f"{task.get('model', 'task')} {task.get('task_id', '')}".strip()

    def __enter__(self) -> ProgressView:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self._progress.start()
            self._bar = self._progress.add_task(f"{self._label} queued", total=100)
        return self

    def update(self, task: Mapping[str, Any]) -> None:
        if self._progress is None:
            return
        phase = task.get("phase") or str(task.get("status", "")).lower()
        progress = task.get("progress")
        self._progress.update(
            self._bar,
            description=f"{self._label} {phase}",
            completed=progress if isinstance(progress, int | float) else 0,
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
