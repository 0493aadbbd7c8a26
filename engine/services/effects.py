"""The durable effects queue: jobs written with their transition, run after the commit.

A job is claimed by moving it to ``running`` with a lease (``run_after`` in the future); a
worker that dies mid-job leaves it to be claimed again when the lease ends, so every effect
runs at least once. Runners therefore make their work idempotent (keyed by the job).
Effect types without a runner in this installation stay queued until one is registered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from engine.store.models import EffectJob, Notification, Submission

# A runner gets the job and its submission (``None`` for jobs of a bill, such as receipts).
Runner = Callable[[EffectJob, Submission | None], Awaitable[None]]
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """Wait 30 s, 1 min, 2 min, … (capped at 1 h) before trying a failed job again."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), timedelta(hours=1))


@dataclass
class Runners:
    """Effect type -> the coroutine that carries it out."""

    by_type: dict[str, Runner] = field(default_factory=dict)

    def register(self, effect_type: str) -> Callable[[Runner], Runner]:
        def add(runner: Runner) -> Runner:
            self.by_type[effect_type] = runner
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
        try:
            await runners.by_type[job.type](job, submission)
        except Exception as error:  # a runner's failure must not stop the queue
            log.exception("effect job %s (%s) failed", job.id, job.type)
            gave_up = job.attempts >= MAX_ATTEMPTS
            await EffectJob.filter(id=job.id).update(
                status="failed" if gave_up else "pending",
                run_after=moment + backoff(job.attempts),
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
