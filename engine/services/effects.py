"""The durable effects queue: jobs written with their transition, run after the commit.

A job is claimed by moving it to ``running`` with a lease (``run_after`` in the future); a
worker that dies mid-job leaves it to be claimed again when the lease ends, so every effect
runs at least once. Runners therefore make their work idempotent (keyed by the job).
Effect types without a runner in this installation stay queued until one is registered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
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


async def claim(types: list[str], *, limit: int, now: datetime) -> list[EffectJob]:
    """Jobs of ``types`` that are due (or whose worker's lease ran out), now leased to this worker."""
    due = Q(status="pending") | Q(status="running")
    candidates = await EffectJob.filter(due, type__in=types, run_after__lte=now).order_by("id").limit(limit)
    claimed = []
    for job in candidates:
        won = await EffectJob.filter(
            id=job.id, status=job.status, attempts=job.attempts, run_after=job.run_after
        ).update(status="running", attempts=job.attempts + 1, run_after=now + LEASE)
        if won:
            job.attempts += 1
            claimed.append(job)
    return claimed


async def run_pending(
    runners: Runners, *, limit: int = 50, now: datetime | None = None, observer: JobObserver | None = None
) -> RunReport:
    """Run the due jobs that have a runner; returns how many finished, will retry, or gave up.

    Each job runs as part of the request that queued it (its params' ``_request_id``), so log lines
    about it carry that ID; ``observer`` is told how each run ended (the worker's metrics).
    """
    moment = now or datetime.now(UTC)
    done = retried = failed = 0
    for job in await claim(sorted(runners.by_type), limit=limit, now=moment):
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
        await EffectJob.filter(id=job.id).update(
            status="failed" if gave_up else "pending",
            run_after=moment + retry.delay(job.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return _Outcome("failed" if gave_up else "retried", time.monotonic() - started)
    await EffectJob.filter(id=job.id).update(status="done", last_error="")
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
