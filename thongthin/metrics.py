"""Prometheus metrics of the web processes and the worker (``/metrics``).

Under gunicorn every process writes its counters to ``PROMETHEUS_MULTIPROC_DIR`` (``thongthin
serve`` makes one when it is not set) and a scrape of any worker adds them up. The queue, the
billing runs and the like are read from the database at scrape time, so every node reports the
same numbers for them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "thongthin_http_requests_total",
    "HTTP requests answered, by route (the URL rule) and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "thongthin_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (the URL rule).",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
JOB_RUNS = Counter(
    "thongthin_effect_job_runs_total",
    "Effect jobs run by the worker, by effect type and outcome (done, retried, failed).",
    ["type", "outcome"],
)
JOB_DURATION = Histogram(
    "thongthin_effect_job_duration_seconds",
    "Time a run of an effect job took, by effect type.",
    ["type"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
SIGNING_DURATION = Histogram(
    "thongthin_signing_duration_seconds",
    "Time to sign one PDF (PAdES, with its timestamp), by what was signed.",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route, method if method in METHODS else "other", str(status)).inc()
    HTTP_DURATION.labels(route).observe(seconds)


def observe_job(effect_type: str, outcome: str, seconds: float) -> None:
    """The worker's :data:`engine.services.effects.JobObserver`."""
    JOB_RUNS.labels(effect_type, outcome).inc()
    JOB_DURATION.labels(effect_type).observe(seconds)


@contextmanager
def signing(kind: str) -> Iterator[None]:
    """Time the signing of one document (``kind``: document or receipt)."""
    started = time.monotonic()
    try:
        yield
    finally:
        SIGNING_DURATION.labels(kind).observe(time.monotonic() - started)


class _ThisProcess:
    """The default registry's metrics (when not under gunicorn's several processes)."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class DatabaseCollector:
    """Read at scrape time: the effects queue and the billing runs under way."""

    def __init__(self, platform: Any):
        self.platform = platform

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        from engine.services import operations

        up = GaugeMetricFamily("thongthin_metrics_database_up", "Whether the scrape could read the database.")
        try:
            queue = self.platform.db(operations.effect_queue())
            billing = self.platform.db(operations.billing_progress())
        except Exception as error:
            log.warning("metrics: the database did not answer: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily(
            "thongthin_effect_jobs",
            "Effect jobs in the queue by type and status (pending, running, failed).",
            labels=["type", "status"],
        )
        age = GaugeMetricFamily(
            "thongthin_effect_oldest_job_age_seconds",
            "Age of the oldest effect job in the queue by type and status (pending: the oldest waiting).",
            labels=["type", "status"],
        )
        for line in queue:
            jobs.add_metric([line.type, line.status], line.jobs)
            age.add_metric([line.type, line.status], line.oldest_age)
        yield jobs
        yield age
        yield GaugeMetricFamily(
            "thongthin_billing_runs_running", "Billing runs under way.", value=billing.running
        )
        yield GaugeMetricFamily(
            "thongthin_billing_run_accounts_done",
            "Accounts the billing runs under way have looked at so far.",
            value=billing.done,
        )
        yield GaugeMetricFamily(
            "thongthin_billing_run_accounts",
            "Active accounts of the billing runs under way (when they started).",
            value=billing.of,
        )


def exposition(platform: Any | None) -> tuple[bytes, str]:
    """The text a scrape gets (all processes' counters, and the database's numbers) and its type."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    if platform is not None:
        registry.register(DatabaseCollector(platform))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Gunicorn's ``child_exit``: the worker's live gauges go with it (its counters stay summed)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def serve_worker_metrics(address: str) -> None:
    """``thongthin worker`` with ``THONGTHIN_WORKER_METRICS=host:port``: its job counters on a port of its own."""
    from prometheus_client import start_http_server

    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"THONGTHIN_WORKER_METRICS must be host:port, not {address!r}")
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1", registry=registry)
