"""The effects queue: effects run after the transition commits, once, and survive a dying worker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.services import submissions, tenants
from engine.services.effects import LEASE, Runners, claim, default_runners, run_pending
from engine.store.models import EffectJob, Notification, Submission
from tests.conftest import example_files, read
from tests.uploads import with_stored_files


def notifying_transition(platform: Any) -> tuple[Any, Any, list[Any]]:
    """A service, a path to a transition that notifies the applicant, and that transition."""
    definition = platform.catalog.get("general-petition")
    workflow = definition.workflow
    from tests.walks import paths_to

    for final in workflow.final_states():
        for path in paths_to(definition, final):
            if any(e["type"] == "notify" for t in path for e in t.effects):
                return definition, path[-1], path
    pytest.fail("general-petition should notify the applicant somewhere")


@pytest.fixture
def notified(platform: Any) -> tuple[Any, str]:
    """A petition walked to a transition with a notify effect; returns (tenant, reference)."""
    definition, _, path = notifying_transition(platform)

    async def run() -> tuple[Any, str]:
        # Earlier tests on this platform leave due jobs; the worker takes them in batches, so
        # they are finished first and the assertions below see only this petition's jobs.
        while (await run_pending(default_runners())).done:
            pass
        tenant = await tenants.ensure_tenant(
            f"fx{uuid.uuid4().hex[:8]}",
            name_th="ทดสอบ",
            name_en="Test",
            kind="municipality",
            province="ลำพูน",
            reference_prefix="FX",
        )
        data = await with_stored_files(
            platform, tenant, definition, read(example_files("general-petition", "valid")[0])
        )
        receipt = await submissions.submit(tenant, definition, data)
        for transition in path:
            given = transition.input["examples"][0] if transition.input else None
            for role in transition.roles:
                result = await submissions.transition(
                    tenant, definition, receipt.reference, transition.action, {role}, input=given
                )
                if result.fired:
                    break
        return tenant, receipt.reference

    return platform.db(run())


def test_notifications_are_queued_with_the_transition_and_sent_once(platform: Any, notified: tuple[Any, str]):
    tenant, reference = notified
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    jobs = platform.db(EffectJob.filter(submission=submission, type="notify").count())
    assert jobs >= 1
    assert platform.db(Notification.filter(submission=submission).count()) == 0, (
        "nothing runs before the worker"
    )
    report = platform.db(run_pending(default_runners()))
    assert report.done >= jobs
    notes = platform.db(Notification.filter(submission=submission))
    assert len(notes) == jobs and all(n.message_th and n.message_en for n in notes)
    again = platform.db(run_pending(default_runners()))
    assert platform.db(Notification.filter(submission=submission).count()) == jobs
    assert (
        again.done == 0 or platform.db(EffectJob.filter(submission=submission, status="done").count()) >= jobs
    )


def test_a_worker_that_died_mid_job_is_replaced_after_its_lease(platform: Any, notified: tuple[Any, str]):
    tenant, reference = notified
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    now = datetime.now(UTC)
    # A worker claimed the jobs and died before finishing them.
    platform.db(EffectJob.filter(submission=submission).update(status="running", run_after=now + LEASE))
    assert platform.db(run_pending(default_runners(), now=now)).done == 0
    later = now + LEASE + timedelta(seconds=1)
    platform.db(run_pending(default_runners(), now=later))
    jobs = platform.db(EffectJob.filter(submission=submission, type="notify"))
    assert all(job.status == "done" for job in jobs)
    assert platform.db(Notification.filter(submission=submission).count()) == len(jobs)


def test_failing_runners_are_retried_later_and_effects_without_runner_wait(
    platform: Any, notified: tuple[Any, str]
):
    tenant, reference = notified
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    runners = Runners()

    @runners.register("notify")
    async def broken(job: Any, sub: Any) -> None:
        raise ConnectionError("SMS gateway unreachable")

    now = datetime.now(UTC) + timedelta(hours=2)  # past any lease the other tests left
    report = platform.db(run_pending(runners, now=now))
    assert report.retried >= 1 and report.done == 0
    job = platform.db(EffectJob.filter(submission=submission, type="notify").first())
    assert job.status == "pending" and "SMS gateway unreachable" in job.last_error
    assert job.run_after > now
    assert platform.db(run_pending(Runners(), now=now + timedelta(days=1))) == type(report)()


def test_every_effect_type_has_an_implementation_and_a_missing_one_is_reported():
    from engine.effects import EffectType
    from engine.effects.registry import MissingImplementation
    from thongthin.runners import installed_registry

    registry = installed_registry()
    assert registry.missing_implementations() == []
    assert set(registry.workflow_names()) >= {
        "issue_document",
        "notify",
        "request_payment",
        "open_fee_account",
    }
    registry.register(EffectType("archive_to_national_records", "Send the file to the national archive.", {}))
    assert registry.missing_implementations() == ["archive_to_national_records"]
    with pytest.raises(MissingImplementation, match="archive_to_national_records"):
        registry.runners(object())


def test_an_error_that_cannot_be_retried_fails_the_job_at_once(platform: Any, notified: tuple[Any, str]):
    tenant, reference = notified
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    now = datetime.now(UTC) + timedelta(days=3)  # past any lease or backoff the other tests left

    class CertificateRevoked(Exception):
        retryable = False

    runners = Runners()

    @runners.register("notify")
    async def refused(job: Any, sub: Any) -> None:
        raise CertificateRevoked("the signing certificate is revoked")

    report = platform.db(run_pending(runners, now=now))
    assert report.failed >= 1 and report.retried == 0
    job = platform.db(EffectJob.filter(submission=submission, type="notify").first())
    assert job.status == "failed" and job.attempts < 8 and "revoked" in job.last_error


async def queued(tenant: Any, kind: str, count: int, now: datetime) -> list[int]:
    jobs = [await EffectJob.create(tenant=tenant, type=kind, params={}, run_after=now) for _ in range(count)]
    return [job.id for job in jobs]


def test_workers_racing_for_the_same_jobs_each_win_different_ones(platform: Any, notified: tuple[Any, str]):
    tenant, _ = notified
    kind = f"race_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)

    async def race() -> tuple[list[int], list[list[EffectJob]]]:
        ids = await queued(tenant, kind, 12, now)
        # Four workers read the same due jobs and try to claim all of them at once.
        won = await asyncio.gather(*(claim([kind], limit=12, now=now) for _ in range(4)))
        return ids, list(won)

    ids, won = platform.db(race())
    claimed = [job.id for jobs in won for job in jobs]
    assert sorted(claimed) == sorted(ids), "each job claimed by exactly one worker"
    rows = platform.db(EffectJob.filter(id__in=ids))
    assert all(row.status == "running" and row.attempts == 1 and row.run_after == now + LEASE for row in rows)
    # While the lease lasts no one else gets them; after it, one worker does.
    assert platform.db(claim([kind], limit=12, now=now + LEASE - timedelta(seconds=1))) == []
    later = now + LEASE + timedelta(seconds=1)

    async def race_later() -> list[list[EffectJob]]:
        return list(
            await asyncio.gather(claim([kind], limit=12, now=later), claim([kind], limit=12, now=later))
        )

    again = platform.db(race_later())
    assert sorted(job.id for jobs in again for job in jobs) == sorted(ids)


def test_a_worker_whose_lease_ran_out_leaves_the_outcome_to_the_worker_that_took_over(
    platform: Any, notified: tuple[Any, str]
):
    tenant, _ = notified
    kind = f"slow_{uuid.uuid4().hex[:8]}"
    runners = Runners()
    taken_over: list[EffectJob] = []

    @runners.register(kind)
    async def slow(job: Any, submission: Any) -> None:
        # This worker is so slow that its lease ends and another worker claims the job meanwhile.
        taken_over.extend(await claim([kind], limit=1, now=datetime.now(UTC) + LEASE + timedelta(seconds=1)))

    [job_id] = platform.db(queued(tenant, kind, 1, datetime.now(UTC)))
    platform.db(run_pending(runners, lease=timedelta(seconds=30)))
    assert [job.id for job in taken_over] == [job_id]
    job = platform.db(EffectJob.get(id=job_id))
    assert (job.status, job.attempts) == ("running", 2), "the first worker must not write over the new claim"


def test_each_job_is_leased_when_its_run_begins(platform: Any, notified: tuple[Any, str]):
    """A worker claims one job at a time, so a long round does not eat into the leases of jobs it has not begun."""
    tenant, _ = notified
    kind = f"lease_{uuid.uuid4().hex[:8]}"
    runners = Runners()
    seen: list[tuple[int, str]] = []

    @runners.register(kind)
    async def look(job: Any, submission: Any) -> None:
        rows = await EffectJob.filter(type=kind).order_by("id").values_list("id", "status")
        seen.append((job.id, ",".join(status for _, status in rows)))

    ids = platform.db(queued(tenant, kind, 3, datetime.now(UTC) - timedelta(seconds=1)))
    report = platform.db(run_pending(runners, lease=timedelta(seconds=30)))
    assert report.done == 3
    assert seen == [
        (ids[0], "running,pending,pending"),
        (ids[1], "done,running,pending"),
        (ids[2], "done,done,running"),
    ]
