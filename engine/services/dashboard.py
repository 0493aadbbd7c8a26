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

from engine.definitions import ServiceDefinition
from engine.store.models import AuditEntry, Submission, Tenant
from engine.store.queries import COUNT_ROWS
from engine.workflow import StateEntry, sla_report

WITHDRAWN = "withdrawn"
IN_TIME = "in_time"
LATE = "late"
UNJUDGED = "unjudged"
VERDICTS = (IN_TIME, LATE, WITHDRAWN, UNJUDGED)


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


def verdict(definition: ServiceDefinition | None, state: str, entries: list[StateEntry]) -> str:
    """How a submission that closed in ``state`` after ``entries`` counts towards compliance: one of
    :data:`VERDICTS`. Kept on the submission when it closes, so the dashboard counts instead of replaying."""
    closing = definition.workflow.states.get(state) if definition else None
    if closing is not None and closing.outcome == WITHDRAWN:
        return WITHDRAWN
    if definition is None or closing is None or not entries:
        return UNJUDGED  # cannot be judged against a time limit we do not know
    return IN_TIME if closed_in_time(definition, entries) else LATE


async def _histories(tenant: Tenant, ids: list[int]) -> dict[int, list[StateEntry]]:
    rows = (
        await AuditEntry.filter(tenant_id=tenant.id, submission_id__in=ids)
        .order_by("submission_id", "seq")
        .values("submission_id", "from_state", "to_state", "at")
    )
    histories: dict[int, list[StateEntry]] = defaultdict(list)
    for row in rows:
        # Votes that did not move the submission are not state changes.
        if row["from_state"] != row["to_state"]:
            histories[row["submission_id"]].append(StateEntry(row["to_state"], row["at"]))
    return histories


async def judge_closed(tenant: Tenant, definitions: Iterable[ServiceDefinition], *, batch: int = 500) -> int:
    """Give every closed submission of ``tenant`` without a verdict its verdict (those that closed
    before verdicts were kept); returns how many were judged. Each is judged once."""
    definitions = list(definitions)
    known: dict[tuple[str, str], ServiceDefinition] = {(d.id, d.version): d for d in definitions}
    latest = {d.id: d for d in definitions}
    judged = 0
    while (
        rows := await Submission.filter(tenant_id=tenant.id, closed=True, sla_verdict__isnull=True)
        .limit(batch)
        .values("id", "service_id", "service_version", "state")
    ):
        histories = await _histories(tenant, [row["id"] for row in rows])
        found: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            definition = known.get((row["service_id"], row["service_version"])) or latest.get(
                row["service_id"]
            )
            found[verdict(definition, row["state"], histories.get(row["id"], []))].append(row["id"])
        for outcome, ids in found.items():
            await Submission.filter(id__in=ids).update(sla_verdict=outcome)
        judged += len(rows)
    return judged


async def _counts(tenant: Tenant) -> list[dict[str, Any]]:
    return list(
        await Submission.filter(tenant_id=tenant.id)
        .annotate(n=COUNT_ROWS)
        .group_by("service_id", "state", "closed", "sla_verdict")
        .values("service_id", "state", "closed", "sla_verdict", "n")
    )


async def dashboard(
    tenant: Tenant, definitions: Iterable[ServiceDefinition], *, now: datetime | None = None
) -> Dashboard:
    """Counts of ``tenant``'s submissions per service and state, with SLA compliance.

    ``definitions`` give the states and legal maxima; submissions of a service not among
    them are counted but not judged against a time limit. Three grouped queries, whatever
    the number of submissions.
    """
    moment = now or datetime.now(UTC)
    definitions = list(definitions)
    stats: dict[str, ServiceStats] = {}

    def of(service_id: str) -> ServiceStats:
        return stats.setdefault(service_id, ServiceStats(service_id))

    counts = await _counts(tenant)
    if any(row["closed"] and row["sla_verdict"] is None for row in counts):
        await judge_closed(tenant, definitions)
        counts = await _counts(tenant)
    for row in counts:
        entry = of(row["service_id"])
        entry.by_state[row["state"]] = entry.by_state.get(row["state"], 0) + row["n"]
        if not row["closed"]:
            entry.open += row["n"]
        elif row["sla_verdict"] == WITHDRAWN:
            entry.withdrawn += row["n"]
        elif row["sla_verdict"] in (IN_TIME, LATE):
            entry.closed += row["n"]
            entry.closed_in_time += row["n"] if row["sla_verdict"] == IN_TIME else 0
    overdue = (
        await Submission.filter(tenant_id=tenant.id, closed=False, due_at__lte=moment)
        .annotate(n=COUNT_ROWS)
        .group_by("service_id")
        .values("service_id", "n")
    )
    for row in overdue:
        of(row["service_id"]).open_overdue = row["n"]
    return Dashboard(sorted(stats.values(), key=lambda s: s.service_id))
