"""The durable effects queue: jobs written with their transition, run after the commit.

A job is claimed by moving it to ``running`` with a lease (``run_after`` in the future); a
worker that dies mid-job leaves it to be claimed again when the lease ends, so every effect
runs at least once. Runners therefore make their work idempotent (keyed by the job).

Several workers (on several nodes) share one queue. A claim is a compare-and-swap: the
``UPDATE`` names the status, attempts and lease it read, so of two workers racing for a job
exactly one changes the row. Each worker claims one job at a time, just before running it,
so the lease counts from the job's start and idle workers take the jobs a busy one has not
reached. A worker whose lease ran out (another worker took the job over) no longer writes
the job's outcome: the worker holding the current claim does.

Effect types without a runner in this installation stay queued until one is registered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from engine import context
from engine.effects.registry import Registry, RetryPolicy, Runner
from engine.store.models import EffectJob, Notification, Submission

LEASE = timedelta(minutes=5)
log = logging.getLogger(__name__)


@dataclass
class Runners:
    """Effect type -> the coroutine that carries it out, and how often it is tried."""

    by_type: dict[str, tuple[Runner, RetryPolicy]] = field(default_factory=dict)

    @classmethod
    def from_registry(cls, registry: Registry, installation: Any) -> Runners:
        """Every registered type's runner; raises :class:`engine.effects.registry.MissingImplementation`."""
        return cls(registry.runners(installation))

    def register(self, effect_type: str, retry: RetryPolicy | None = None) -> Callable[[Runner], Runner]:
        def add(runner: Runner) -> Runner:
            self.by_type[effect_type] = (runner, retry or RetryPolicy())
            return runner

        return add


@dataclass(frozen=True)
class RunReport:
    done: int = 0
    retried: int = 0
    failed: int = 0


# Told of every job run: its type, how it ended ("done", "retried" or "failed") and how long it took (s).
JobObserver = Callable[[str, str, float], None]


# Due jobs read per claim beyond those wanted: others may win some of them first.
SPARE_CANDIDATES = 8


async def claim(
    types: list[str], *, limit: int, now: datetime, lease: timedelta = LEASE, skip: Collection[int] = ()
) -> list[EffectJob]:
    """Up to ``limit`` jobs of ``types`` that are due (or whose worker's lease ran out), now leased to this
    worker; never one of ``skip``."""
    due = Q(status="pending") | Q(status="running")
    if skip:
        due = due & ~Q(id__in=list(skip))
    candidates = (
        await EffectJob.filter(due, type__in=types, run_after__lte=now)
        .order_by("id")
        .limit(limit + SPARE_CANDIDATES)
    )
    claimed: list[EffectJob] = []
    for job in candidates:
        if len(claimed) == limit:
            break
        won = await EffectJob.filter(
            id=job.id, status=job.status, attempts=job.attempts, run_after=job.run_after
        ).update(status="running", attempts=job.attempts + 1, run_after=now + lease)
        if won:
            job.attempts += 1
            claimed.append(job)
    return claimed


async def run_pending(
    runners: Runners,
    *,
    limit: int = 50,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    observer: JobObserver | None = None,
) -> RunReport:
    """Run up to ``limit`` due jobs that have a runner, claiming each as it starts; returns how many
    finished, will retry, or gave up. ``now`` fixes the clock (tests); ``lease`` is how long a claim
    keeps other workers off a job (its worker may have died).

    Each job runs as part of the request that queued it (its params' ``_request_id``), so log lines
    about it carry that ID; ``observer`` is told how each run ended (the worker's metrics).
    """
    done = retried = failed = 0
    types = sorted(runners.by_type)
    seen: set[int] = set()
    while done + retried + failed < limit:
        moment = now or datetime.now(UTC)
        # A job that failed in this round waits for the next one, even when its retry is due at once.
        found = await claim(types, limit=1, now=moment, lease=lease, skip=seen)
        if not found:
            break
        job = found[0]
        seen.add(job.id)
        params = job.params if isinstance(job.params, dict) else {}
        with context.working(context.sane_request_id(params.get(context.REQUEST_ID_KEY)) or f"job-{job.id}"):
            outcome = await _run_one(job, runners, moment)
        done += outcome.outcome == "done"
        retried += outcome.outcome == "retried"
        failed += outcome.outcome == "failed"
        if observer is not None:
            try:
                observer(job.type, outcome.outcome, outcome.seconds)
            except Exception:  # metrics must never stop the queue
                log.exception("effect job observer failed")
    return RunReport(done, retried, failed)


@dataclass(frozen=True)
class _Outcome:
    outcome: str
    seconds: float


async def _run_one(job: EffectJob, runners: Runners, moment: datetime) -> _Outcome:
    started = time.monotonic()
    submission = (
        await Submission.get(id=job.submission_id, tenant_id=job.tenant_id) if job.submission_id else None
    )
    run, retry = runners.by_type[job.type]
    try:
        await run(job, submission)
    except Exception as error:  # a runner's failure must not stop the queue
        if getattr(error, "expected", False):
            # A far side that is down is the normal case the retries are for: one line, no traceback.
            log.warning("effect job %s (%s) will be tried again: %s", job.id, job.type, error)
        else:
            log.exception("effect job %s (%s) failed", job.id, job.type)
        gave_up = retry.gives_up(job.attempts, error)
        # Unless the lease ran out and another worker claimed the job since: its outcome is the one kept.
        await EffectJob.filter(id=job.id, attempts=job.attempts).update(
            status="failed" if gave_up else "pending",
            run_after=moment + retry.delay(job.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return _Outcome("failed" if gave_up else "retried", time.monotonic() - started)
    await EffectJob.filter(id=job.id, attempts=job.attempts).update(status="done", last_error="")
    seconds = time.monotonic() - started
    log.info("effect job %s (%s) done in %.3f s", job.id, job.type, seconds)
    return _Outcome("done", seconds)


async def notify(job: EffectJob, submission: Submission | None) -> None:
    """Put the message in the outbox, once per job however often the job runs."""
    message = job.params.get("message", {})
    await Notification.get_or_create(
        job=job,
        defaults={
            "tenant_id": job.tenant_id,
            "submission": submission,
            "recipient": job.params.get("to", "applicant"),
            "channels": job.params.get("channels", ["inbox"]),
            "message_th": message.get("th", ""),
            "message_en": message.get("en", ""),
        },
    )


def default_runners() -> Runners:
    runners = Runners()
    runners.register("notify")(notify)
    return runners
