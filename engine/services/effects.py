"""The durable effects queue: jobs written with their transition, run after the commit.

A job is claimed by moving it to ``running`` with a lease (``run_after`` in the future); a
worker that dies mid-job leaves it to be claimed again when the lease ends, so every effect
runs at least once. Runners therefore make their work idempotent (keyed by the job).
Effect types without a runner in this installation stay queued until one is registered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

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


async def run_pending(runners: Runners, *, limit: int = 50, now: datetime | None = None) -> RunReport:
    """Run the due jobs that have a runner; returns how many finished, will retry, or gave up."""
    moment = now or datetime.now(UTC)
    done = retried = failed = 0
    for job in await claim(sorted(runners.by_type), limit=limit, now=moment):
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
            failed += gave_up
            retried += not gave_up
            continue
        await EffectJob.filter(id=job.id).update(status="done", last_error="")
        done += 1
    return RunReport(done, retried, failed)


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
