"""Periodic clean-up the worker does beside the effects queue: expired drafts, ended counts, and more.

Each task is idempotent (it deletes or anonymises what is due, whatever ran before), so
several workers on several nodes may run the same task; a task that fails is logged and
tried again at its next turn without stopping the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """``run(now)`` every ``every``; returns how many things it cleaned up."""

    name: str
    every: timedelta
    run: Callable[[datetime], Awaitable[int]]


@dataclass
class Housekeeping:
    """The tasks of one worker process and when each last ran."""

    tasks: list[Task] = field(default_factory=list)
    last_run: dict[str, datetime] = field(default_factory=dict)

    def add(self, name: str, every: timedelta, run: Callable[[datetime], Awaitable[int]]) -> None:
        self.tasks.append(Task(name, every, run))

    async def run_due(self, *, now: datetime | None = None) -> dict[str, int]:
        """Run the tasks whose turn it is; returns what each cleaned up (failed ones are left out)."""
        moment = now or datetime.now(UTC)
        done: dict[str, int] = {}
        for task in self.tasks:
            last = self.last_run.get(task.name)
            if last is not None and moment - last < task.every:
                continue
            self.last_run[task.name] = moment
            try:
                done[task.name] = await task.run(moment)
            except Exception:  # one failing task must not stop the others or the queue
                log.exception("housekeeping task %s failed", task.name)
        return done
