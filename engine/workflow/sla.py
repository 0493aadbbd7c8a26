"""Service-level deadlines: the legal maximum, the target and each state's own limit.

The clock runs from submission and stops in states that pause it (waiting for the
applicant). With working days, Saturdays and Sundays (in Thai time) do not count.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from engine.definitions.model import ServiceSpec, WorkflowSpec
from engine.durations import Duration

BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class StateEntry:
    """The submission entered ``state`` at ``at`` (timezone-aware)."""

    state: str
    at: datetime


@dataclass(frozen=True)
class SlaReport:
    """Deadlines of a submission as of its latest state change.

    ``due_at``/``target_at`` are None while the clock is paused or after the submission closed;
    ``remaining`` is the counted time left of the legal maximum.
    """

    due_at: datetime | None
    target_at: datetime | None
    state_due_at: datetime | None
    remaining: timedelta
    paused: bool
    closed: bool

    def overdue(self, now: datetime) -> bool:
        return self.remaining <= timedelta(0) or (self.due_at is not None and now > self.due_at)

    def due_soon(self, now: datetime, within: timedelta = timedelta(days=2)) -> bool:
        return self.due_at is not None and not self.overdue(now) and self.due_at - now <= within


def _is_weekend(moment: datetime) -> bool:
    return moment.astimezone(BANGKOK).weekday() >= 5


def _next_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(BANGKOK)
    return datetime(local.year, local.month, local.day, tzinfo=BANGKOK) + _DAY


def counted(start: datetime, end: datetime, *, working_days: bool) -> timedelta:
    """The time between ``start`` and ``end`` that counts (weekends excluded for working days)."""
    if end <= start:
        return timedelta(0)
    if not working_days:
        return end - start
    total = timedelta(0)
    moment = start
    while moment < end:
        boundary = min(_next_midnight(moment), end)
        if not _is_weekend(moment):
            total += boundary - moment
        moment = boundary
    return total


def advance(start: datetime, budget: timedelta, *, working_days: bool) -> datetime:
    """The moment when ``budget`` of counted time has passed since ``start``."""
    if not working_days:
        return start + budget
    moment = start
    while True:
        midnight = _next_midnight(moment)
        if not _is_weekend(moment):
            if midnight - moment >= budget:
                return moment + budget
            budget -= midnight - moment
        moment = midnight


def budget_of(duration: str) -> timedelta:
    parsed = Duration.parse(duration)
    return timedelta(days=parsed.day_count) + parsed.time_part


def sla_report(service: ServiceSpec, workflow: WorkflowSpec, history: Sequence[StateEntry]) -> SlaReport:
    """The deadlines of a submission whose state changes are ``history`` (oldest first)."""
    if not history:
        raise ValueError("a submission's history starts with its initial state")
    working = service.sla.days == "working"
    used = timedelta(0)
    for entry, following in itertools.pairwise(history):
        if not workflow.states[entry.state].pauses_sla:
            used += counted(entry.at, following.at, working_days=working)
    current = history[-1]
    state = workflow.states[current.state]
    legal, target = budget_of(service.sla.legal_maximum), budget_of(service.sla.target)
    if state.final or state.pauses_sla:
        return SlaReport(None, None, None, legal - used, paused=state.pauses_sla, closed=state.final)
    state_due = advance(current.at, budget_of(state.sla), working_days=working) if state.sla else None
    return SlaReport(
        due_at=advance(current.at, max(legal - used, timedelta(0)), working_days=working),
        target_at=advance(current.at, max(target - used, timedelta(0)), working_days=working),
        state_due_at=state_due,
        remaining=legal - used,
        paused=False,
        closed=False,
    )
