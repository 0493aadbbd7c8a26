"""The municipality's dashboard: submissions per service and state, and how well it keeps the law's time limits.

SLA compliance is the share of closed submissions that closed within the legal maximum of
their service (counted as the workflow counts it: working or calendar days, clock paused
while waiting for the applicant or a payment). Submissions the applicant withdrew are left
out: the office did not decide them. Every query is scoped by ``tenant_id``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.functions import Count

from engine.definitions import ServiceDefinition
from engine.store.models import AuditEntry, Submission, Tenant
from engine.workflow import StateEntry, sla_report

WITHDRAWN = "withdrawn"


@dataclass
class ServiceStats:
    service_id: str
    by_state: dict[str, int] = field(default_factory=dict)
    open: int = 0
    open_overdue: int = 0
    closed: int = 0  # closed by a decision of the office (withdrawals left out)
    closed_in_time: int = 0
    withdrawn: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def compliance(self) -> float | None:
        """Share (0..1) of decided submissions closed within the legal maximum; None before any."""
        return self.closed_in_time / self.closed if self.closed else None


@dataclass(frozen=True)
class Dashboard:
    services: list[ServiceStats]  # services with at least one submission, by id

    @property
    def total(self) -> int:
        return sum(s.total for s in self.services)

    @property
    def open(self) -> int:
        return sum(s.open for s in self.services)

    @property
    def open_overdue(self) -> int:
        return sum(s.open_overdue for s in self.services)

    @property
    def closed(self) -> int:
        return sum(s.closed for s in self.services)

    @property
    def closed_in_time(self) -> int:
        return sum(s.closed_in_time for s in self.services)

    @property
    def compliance(self) -> float | None:
        return self.closed_in_time / self.closed if self.closed else None


def closed_in_time(definition: ServiceDefinition, entries: list[StateEntry]) -> bool:
    """Whether a closed submission with these state changes stayed within the legal maximum."""
    return sla_report(definition.service, definition.workflow, entries).remaining >= timedelta(0)


async def _closed_histories(tenant: Tenant) -> dict[int, list[StateEntry]]:
    rows = (
        await AuditEntry.filter(tenant_id=tenant.id, submission__closed=True)
        .order_by("submission_id", "seq")
        .values("submission_id", "from_state", "to_state", "at")
    )
    histories: dict[int, list[StateEntry]] = defaultdict(list)
    for row in rows:
        # Votes that did not move the submission are not state changes.
        if row["from_state"] != row["to_state"]:
            histories[row["submission_id"]].append(StateEntry(row["to_state"], row["at"]))
    return histories


async def dashboard(
    tenant: Tenant, definitions: Iterable[ServiceDefinition], *, now: datetime | None = None
) -> Dashboard:
    """Counts of ``tenant``'s submissions per service and state, with SLA compliance.

    ``definitions`` give the states and legal maxima; submissions of a service not among
    them are counted but not judged against a time limit.
    """
    moment = now or datetime.now(UTC)
    known = {d.id: d for d in definitions}
    stats: dict[str, ServiceStats] = {}

    def of(service_id: str) -> ServiceStats:
        return stats.setdefault(service_id, ServiceStats(service_id))

    counts: list[dict[str, Any]] = (
        await Submission.filter(tenant_id=tenant.id)
        .annotate(n=Count("id"))
        .group_by("service_id", "state", "closed")
        .values("service_id", "state", "closed", "n")
    )
    for row in counts:
        entry = of(row["service_id"])
        entry.by_state[row["state"]] = entry.by_state.get(row["state"], 0) + row["n"]
        if not row["closed"]:
            entry.open += row["n"]
    overdue = (
        await Submission.filter(tenant_id=tenant.id, closed=False, due_at__lte=moment)
        .annotate(n=Count("id"))
        .group_by("service_id")
        .values("service_id", "n")
    )
    for row in overdue:
        of(row["service_id"]).open_overdue = row["n"]
    histories = await _closed_histories(tenant)
    closed = await Submission.filter(tenant_id=tenant.id, closed=True).values("id", "service_id", "state")
    for row in closed:
        definition = known.get(row["service_id"])
        entry = of(row["service_id"])
        state = definition.workflow.states.get(row["state"]) if definition else None
        if state is not None and state.outcome == WITHDRAWN:
            entry.withdrawn += 1
            continue
        history = histories.get(row["id"])
        if definition is None or state is None or not history:
            continue  # cannot be judged against a time limit we do not know
        entry.closed += 1
        if closed_in_time(definition, history):
            entry.closed_in_time += 1
    return Dashboard(sorted(stats.values(), key=lambda s: s.service_id))
