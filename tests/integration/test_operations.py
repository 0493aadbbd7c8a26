"""Operations of a national deployment: health and readiness probes, Prometheus metrics, request
IDs that follow a request into the worker's jobs, fingerprinted static files and compressed pages."""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine import context
from engine.blobs import LocalBlobStore
from engine.services import effects, operations
from engine.store.models import EffectJob, Tenant
from tests.conftest import example_files, read
from tests.integration.test_portal import make_town
from tests.uploads import with_uploaded_files
from thongthin.app import create_app
from thongthin.logs import JsonFormatter, MaskPersonalData, RequestContext
from thongthin.platform import Platform

PETITION = "general-petition"


# --- /healthz and /readyz ----------------------------------------------------------------------


def test_healthz_answers_without_touching_anything(app: Any):
    client = app.test_client()
    client.set_cookie("session", "not-a-session-token")
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    assert client.post("/healthz").status_code == 405  # no CSRF token asked for, just not a method it takes


def test_readyz_is_ready_on_a_migrated_platform(app: Any):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "blobs": "ok"},
    }


def test_readyz_names_an_unreachable_blob_store(platform: Any, tmp_path: Any, caplog: Any):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the blob folder should be")
    broken = Platform(settings=platform.settings, runtime=platform.runtime, blobs=LocalBlobStore(blocked))
    other = create_app(platform.settings, platform_=broken)
    with caplog.at_level(logging.WARNING, logger="thongthin.observability"):
        response = other.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "migrations": "ok", "blobs": "failed"}
    assert response.json["failed"] == ["blobs"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert any("blobs failed" in record.getMessage() for record in caplog.records)


def test_readyz_names_a_migration_the_database_lacks(app: Any, platform: Any, monkeypatch: Any):
    shipped = operations.shipped_migration_names()
    assert shipped and platform.db(operations.pending_migrations()) == []
    monkeypatch.setattr(operations, "shipped_migration_names", lambda: [*shipped, "9999_from_the_future"])
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["migrations"] == "failed"
    assert response.json["pending_migrations"] == ["9999_from_the_future"]


def test_readyz_says_the_database_failed_without_a_traceback(app: Any, monkeypatch: Any):
    # (A second database in this process would rebind the ORM's global state: the failure is staged.)
    async def refused() -> None:
        raise ConnectionRefusedError("[Errno 111] Connect call failed ('10.9.9.9', 5432)")

    monkeypatch.setattr(operations, "database_answers", refused)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "failed", "migrations": "failed", "blobs": "ok"}
    assert response.json["failed"] == ["database", "migrations"]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "10.9.9.9" not in body


# --- /metrics ----------------------------------------------------------------------------------


def _metric(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_url_rule(app: Any, platform: Any):
    town = make_town(platform, "OM")
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"/{town.slug}/").status_code == 200
    client.get(f"/{town.slug}/track/NO-SUCH-REFERENCE")
    text = client.get("/metrics").get_data(as_text=True)
    rule = app.url_map.bind("localhost").match(f"/{town.slug}/", return_rule=True)[0].rule
    assert "<tenant>" in rule
    assert (_metric(text, "thongthin_http_requests_total", route=rule, method="GET", status="200") or 0) >= 3
    assert _metric(text, "thongthin_http_request_duration_seconds_bucket", route=rule, le="+Inf")
    # Labels name URL rules, never a tenant or reference out of a path.
    assert town.slug not in text and "NO-SUCH-REFERENCE" not in text
    assert "/healthz" not in text and "/metrics" not in text  # the probes are not counted


def test_metrics_are_only_for_the_allowed_addresses(app: Any, platform: Any):
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # Through a proxy the platform does not trust, the proxy's loopback address opens nothing.
    forwarded = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status_code == 404
    monitoring = dataclasses.replace(platform.settings, metrics_allow=("10.1.0.0/16",))
    other = create_app(monitoring, platform_=platform).test_client()
    assert other.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert other.get("/metrics").status_code == 404
    proxied = dataclasses.replace(monitoring, trusted_proxies=1)
    behind = create_app(proxied, platform_=platform).test_client()
    assert behind.get("/metrics", headers={"X-Forwarded-For": "10.1.9.9"}).status_code == 200
    assert behind.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404


def test_queue_depth_shows_a_pending_job(app: Any, platform: Any):
    town = make_town(platform, "OQ")

    async def queue() -> int:
        tenant = await Tenant.get(slug=town.slug)
        job = await EffectJob.create(
            tenant=tenant,
            type="ops_probe_effect",
            params={},
            run_after=datetime.now(UTC) + timedelta(days=1),
        )
        await EffectJob.filter(id=job.id).update(created_at=datetime.now(UTC) - timedelta(minutes=10))
        return job.id

    job_id = platform.db(queue())
    try:
        text = app.test_client().get("/metrics").get_data(as_text=True)
        assert _metric(text, "thongthin_effect_jobs", type="ops_probe_effect", status="pending") == 1
        age = _metric(
            text, "thongthin_effect_oldest_job_age_seconds", type="ops_probe_effect", status="pending"
        )
        assert age is not None and 590 <= age < 3600
        assert _metric(text, "thongthin_metrics_database_up") == 1
        assert _metric(text, "thongthin_billing_runs_running") is not None
    finally:
        platform.db(EffectJob.filter(id=job_id).delete())


def test_the_worker_counts_job_runs_by_type(platform: Any):
    from thongthin import metrics

    town = make_town(platform, "OW")
    runners = effects.Runners()

    @runners.register("ops_counted_effect")
    async def run(job: EffectJob, submission: Any) -> None:
        if job.params.get("fail"):
            raise RuntimeError("the far side said no")

    async def queue() -> None:
        tenant = await Tenant.get(slug=town.slug)
        now = datetime.now(UTC) - timedelta(seconds=1)
        await EffectJob.create(tenant=tenant, type="ops_counted_effect", params={}, run_after=now)
        await EffectJob.create(tenant=tenant, type="ops_counted_effect", params={"fail": 1}, run_after=now)

    before = {o: metrics.JOB_RUNS.labels("ops_counted_effect", o)._value.get() for o in ("done", "retried")}
    platform.db(queue())
    report = platform.db(effects.run_pending(runners, observer=metrics.observe_job))
    assert report.done == 1 and report.retried == 1
    assert metrics.JOB_RUNS.labels("ops_counted_effect", "done")._value.get() == before["done"] + 1
    assert metrics.JOB_RUNS.labels("ops_counted_effect", "retried")._value.get() == before["retried"] + 1
    platform.db(EffectJob.filter(type="ops_counted_effect").delete())


# --- request IDs -------------------------------------------------------------------------------


def test_a_request_id_follows_the_request_into_its_jobs_and_the_worker_log(
    app: Any, platform: Any, caplog: Any
):
    town = make_town(platform, "OR")
    client = app.test_client()
    definition = platform.catalog.get(PETITION)
    data = with_uploaded_files(client, town.slug, definition, read(example_files(PETITION, "valid")[0]))
    response = client.post(
        f"/api/v1/tenants/{town.slug}/services/{PETITION}/submissions",
        json=data,
        headers={"X-Request-Id": "lb-7f3a.42_x"},
    )
    assert response.status_code == 201, response.json
    assert response.headers["X-Request-Id"] == "lb-7f3a.42_x"

    async def jobs() -> list[EffectJob]:
        tenant = await Tenant.get(slug=town.slug)
        return await EffectJob.filter(tenant=tenant, status="pending")

    queued = platform.db(jobs())
    assert queued and all(job.params[context.REQUEST_ID_KEY] == "lb-7f3a.42_x" for job in queued)

    # The worker runs the job as part of that request: its log lines carry the ID.
    ours = {job.id for job in queued}
    seen: dict[int, str | None] = {}
    runners = effects.Runners()
    for effect_type in {job.type for job in queued}:

        @runners.register(effect_type)
        async def run(job: EffectJob, submission: Any) -> None:
            seen[job.id] = context.request_id.get()
            if job.id in ours:
                logging.getLogger("thongthin.test").info("running job %s of the request", job.id)

    handler = logging.Handler()
    lines: list[str] = []
    handler.addFilter(RequestContext())
    handler.addFilter(MaskPersonalData())
    handler.emit = lambda record: lines.append(JsonFormatter().format(record))  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        platform.db(effects.run_pending(runners, limit=1000))
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    assert {seen[job_id] for job_id in ours} == {"lb-7f3a.42_x"}
    about_ours = [
        line
        for line in lines
        if any(f"job {job_id} " in json.loads(line)["message"] for job_id in ours)
        and json.loads(line)["logger"] in ("thongthin.test", "engine.services.effects")
    ]
    assert len(about_ours) == 2 * len(ours)  # the runner's line and the queue's "done" line
    assert all(json.loads(line)["request_id"] == "lb-7f3a.42_x" for line in about_ours)


@pytest.mark.parametrize("header", ["", "a" * 200, "bad id", "x\u0e01", "a;b"])
def test_an_odd_request_id_is_replaced(app: Any, header: str):
    response = app.test_client().get("/studio/login", headers={"X-Request-Id": header} if header else {})
    assigned = response.headers["X-Request-Id"]
    assert assigned != header and re.fullmatch(r"[0-9a-f]{32}", assigned)


# --- static files and compression --------------------------------------------------------------


def test_static_links_carry_a_fingerprint_and_are_kept_for_a_year(app: Any, platform: Any):
    town = make_town(platform, "OS")
    client = app.test_client()
    html = client.get(f"/{town.slug}/").get_data(as_text=True)
    links = re.findall(r'href="(/static/[^"?]+\.css)\?v=([0-9a-f]{12})"', html)
    assert links, "no fingerprinted style sheet on the page"
    for path, version in links:
        served = client.get(f"{path}?v={version}")
        assert served.status_code == 200
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        # An old or missing fingerprint is not promised for a year.
        assert "immutable" not in client.get(f"{path}?v=000000000000").headers.get("Cache-Control", "")
        assert "immutable" not in client.get(path).headers.get("Cache-Control", "")


def test_pages_are_gzipped_for_clients_that_take_it(app: Any, platform: Any):
    town = make_town(platform, "OG")
    client = app.test_client()
    plain = client.get(f"/{town.slug}/")
    packed = client.get(f"/{town.slug}/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data)
    # (The page holds nothing per request here, so both answers are the same page.)
    assert gzip.decompress(packed.data) == plain.data
    # Not for a request another site started, and never twice.
    across = client.get(f"/{town.slug}/", headers={"Accept-Encoding": "gzip", "Sec-Fetch-Site": "cross-site"})
    assert across.headers.get("Content-Encoding") is None
    refused = client.get(f"/{town.slug}/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert refused.headers.get("Content-Encoding") is None
