"""Gunicorn settings of ``thongthin serve``: ``gunicorn --config python:thongthin.gunicorn_conf``.

The master imports the app once (``preload_app``: an import or configuration error stops it
before any worker starts, and the workers share the loaded catalog's memory) but never
touches the database. Each worker starts the ORM loop thread of its own app right after the
fork (``post_fork``): an event loop, its thread and the database connections must belong to
the process that uses them, never be inherited across a fork. The runtime also starts
lazily per process id (``OrmRuntime._ensure_started``), so an app served without this file
stays correct; starting it here keeps that work out of the first request. Connections open
on a worker's first query, so a database that is briefly down makes requests fail (JSON
500 under /api/) rather than stop the server when gunicorn recycles a worker.

Metrics: every process writes its counters to ``PROMETHEUS_MULTIPROC_DIR`` (a fresh folder is
made when the operator set none; its old files are removed when the master starts) and a
worker that exits is marked dead (``child_exit``). Logs: ``LOG_FORMAT=json`` makes every line,
gunicorn's own included, one JSON object; the application's request line then replaces
gunicorn's access line.

Command-line options (``--bind``, ``--workers``, ``--threads`` …) override these values.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

# Before anything imports prometheus_client: it picks single- or multi-process mode at import.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="thongthin-metrics-")

from thongthin.logs import dict_config
from thongthin.settings import log_format

wsgi_app = "thongthin.wsgi:app"
bind = "127.0.0.1:8000"
workers = 2
# Requests wait on the ORM loop thread most of the time, so a few threads per worker keep it busy.
worker_class = "gthread"
threads = 4
preload_app = True
keepalive = 5
# Thai text in a query string is percent-encoded three bytes to a character: allow gunicorn's longest
# request line, so a search too long for the application is refused by it with a reason (400), not 414.
limit_request_line = 8190
timeout = 60
graceful_timeout = 30
# Recycle workers now and then (jittered so they do not all restart at once) to bound memory growth.
max_requests = 10_000
max_requests_jitter = 1_000
proc_name = "thongthin"
# gunicorn's control socket has one default path per user, which two servers on a host would share.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = "info"
logconfig_dict = dict_config(log_format(os.environ))


def _runtime_of(worker: Any) -> Any:
    """The ORM runtime of the worker's app (``app.extensions["thongthin"].runtime``), or None."""
    app = worker.app.wsgi()
    extension = getattr(app, "extensions", {}).get("thongthin")
    return getattr(extension, "runtime", None)


def post_fork(server: Any, worker: Any) -> None:
    """Start the worker's own ORM loop thread now that it runs in its own process.

    Raises what ``Tortoise.init`` raises (e.g. ``ConfigurationError``): the worker then fails
    to boot and gunicorn stops with the message. A bad ``DATABASE_URL`` already stopped the
    master while it preloaded the app (``UnsupportedDatabase``).
    """
    runtime = _runtime_of(worker)
    if runtime is not None:
        runtime.loop  # noqa: B018 (the property starts the thread for this process)
        server.log.info("worker %s: ORM loop thread started", worker.pid)


def worker_exit(server: Any, worker: Any) -> None:
    """Close the worker's database connections before it exits."""
    runtime = _runtime_of(worker)
    if runtime is not None:
        runtime.close()


def on_starting(server: Any) -> None:
    """Start the metrics afresh: counters a previous server left in the folder are not this one's."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """The exited worker's live gauges leave the sums (its counters stay counted)."""
    from thongthin.metrics import mark_process_dead

    mark_process_dead(worker.pid)
