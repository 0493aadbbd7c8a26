"""Submissions per second through the full HTTP stack, against a bare Flask route doing one INSERT.

The platform side is the real thing: ``create_app`` (``thongthin.wsgi:app``) on a migrated
database seeded with the demo municipality, served by gunicorn with the production
configuration (``thongthin/gunicorn_conf.py``: gthread workers, app preloaded, the ORM loop
thread started after the fork), receiving the valid example submissions of one catalog
service as JSON on ``POST /api/v1/tenants/maehia/services/<id>/submissions``. Each request
looks up the tenant and the enabled service, validates the data, takes a reference number,
stores the submission and its first audit entry in one transaction and answers 201.

The baseline is a bare Flask app with one route, served by the same gunicorn configuration
with the same number of workers and threads, that parses the same JSON and stores it with
one ``INSERT`` into a table of its own in the same database. It runs that INSERT through
:class:`engine.store.runtime.OrmRuntime` (``execute_query`` on Tortoise's connection) rather
than with ``sqlite3``/``asyncpg`` directly: the platform reaches the database only through
that runtime, so both sides pay for the same driver (aiosqlite or asyncpg), the same
connection handling and the same hand-over to the ORM loop thread. The ratio then shows
what the platform itself adds per submission (routing, tenant scoping, validation with
Thai messages, reference numbers, the audit row, the transaction) and nothing else.

Both servers run in their own processes, so the client threads of this process do not
share an interpreter lock with them. The two sides are measured in alternating rounds
(:func:`bench.timing.interleaved`) so that drift of the machine hits both alike; each
round sends "volleys": every client thread posts a few submissions on its own keep-alive
connection. On PostgreSQL a throw-away database is created and dropped around the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.timing import interleaved, result

SERVICE = "complaint"
TENANT = "maehia"
CLIENTS = 4  # concurrent client threads, each on its own keep-alive connection
PER_CLIENT = 8  # submissions each client posts per volley
WORKERS = 1  # gunicorn worker processes per side: one process' throughput, no SQLite writer contention
THREADS = 4  # gunicorn threads per worker
WARMUP = 2  # volleys per side before measuring (first requests start the ORM and fill caches)
BASELINE_TABLE = "bench_submission"
POSTGRES_ADMIN = os.environ.get(
    "THONGTHIN_BENCH_POSTGRES",
    os.environ.get("THONGTHIN_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"),
)
ROOT = Path(__file__).resolve().parent.parent


class BenchError(RuntimeError):
    """The benchmark could not run: a server did not start or answered something unexpected."""


# ---------------------------------------------------------------------------------------------
# The baseline server (imported by gunicorn in its own process as ``bench.submit:baseline_app()``)


@dataclass
class BarePlatform:
    """What ``thongthin/gunicorn_conf.py`` looks for in ``app.extensions["thongthin"]``: the runtime."""

    runtime: Any


def baseline_app() -> Any:
    """A bare Flask app whose one route stores the posted JSON with one INSERT (``DATABASE_URL``).

    Raises :class:`KeyError` when ``DATABASE_URL`` is not set.
    """
    from flask import Flask, Response, request
    from tortoise import connections

    from engine.store.config import is_postgres
    from engine.store.runtime import OrmRuntime

    database_url = os.environ["DATABASE_URL"]
    runtime = OrmRuntime(database_url)
    placeholders = "$1, $2, $3" if is_postgres(database_url) else "?, ?, ?"
    sql = f"INSERT INTO {BASELINE_TABLE} (tenant, service_id, data) VALUES ({placeholders}) RETURNING id"
    app = Flask(__name__)
    app.extensions["thongthin"] = BarePlatform(runtime)

    @app.post("/submissions/<tenant>/<service_id>")
    def store(tenant: str, service_id: str) -> Response:
        data = request.get_json()
        values = [tenant, service_id, json.dumps(data, ensure_ascii=False)]
        # execute_query_dict fetches the RETURNING row on both drivers (execute_query does not on asyncpg).
        rows = runtime.run(connections.get("default").execute_query_dict(sql, values))
        return Response(json.dumps({"id": rows[0]["id"]}), status=201, mimetype="application/json")

    return app


def baseline_table_sql(postgres: bool) -> str:
    """The baseline's table: the same JSON column type the ORM gives ``Submission.data``."""
    if postgres:
        return (
            f"CREATE TABLE {BASELINE_TABLE} (id BIGSERIAL PRIMARY KEY, tenant VARCHAR(40) NOT NULL,"
            " service_id VARCHAR(80) NOT NULL, data JSONB NOT NULL,"
            " stored_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
    return (
        f"CREATE TABLE {BASELINE_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, tenant VARCHAR(40) NOT NULL,"
        " service_id VARCHAR(80) NOT NULL, data JSON NOT NULL,"
        " stored_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )


# ---------------------------------------------------------------------------------------------
# Databases


def _admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


@contextlib.contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database for the run; a PostgreSQL one is dropped afterwards.

    Raises :class:`BenchError` when PostgreSQL does not answer at ``THONGTHIN_BENCH_POSTGRES``.
    """
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'thongthin.sqlite3'}"
        return
    name = f"thongthin_bench_{uuid.uuid4().hex[:10]}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except Exception as error:  # asyncpg errors, refused connections and timeouts alike
        raise BenchError(f"PostgreSQL at {POSTGRES_ADMIN} did not answer: {error}") from error
    try:
        yield f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A gunicorn process serving ``target`` on 127.0.0.1:``port``."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def stop_all(servers: list[Server]) -> None:
    """Stop every gunicorn gracefully and at once; SIGKILL the process group of one that lingers."""
    for server in servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=5)


def launch(name: str, target: str, environ: dict[str, str], folder: Path) -> Server:
    """Start gunicorn with the production configuration (``thongthin/gunicorn_conf.py``)."""
    port = free_port()
    log = folder / f"{name}.log"
    command = [sys.executable, "-m", "gunicorn", "--config", "python:thongthin.gunicorn_conf"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--threads", str(THREADS)]
    # Rounds of the other side leave connections idle for a while; keep them open meanwhile.
    command += ["--keep-alive", "60", "--access-logfile", "/dev/null", target]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=sink, stderr=sink, start_new_session=True
        )
    return Server(name, port, process, log)


def wait_listening(server: Server, timeout: float = 60) -> None:
    """Return once ``server`` accepts connections; raises :class:`BenchError` if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} server exited with {server.process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
            return
        time.sleep(0.1)
    raise BenchError(f"{server.name} server did not listen on port {server.port} within {timeout:.0f} s")


# ---------------------------------------------------------------------------------------------
# Clients


class Client:
    """``CLIENTS`` threads posting the example bodies to one path, each on its own keep-alive connection."""

    def __init__(self, port: int, path: str, bodies: list[bytes]):
        self.port, self.path, self.bodies = port, path, bodies
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(max_workers=CLIENTS, thread_name_prefix=f"client-{port}")
        self.stored = 0
        self._count = threading.Lock()
        self._opened: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30
            )
            with self._count:
                self._opened.append(connection)
        return connection

    def _exchange(self, body: bytes) -> tuple[int, bytes]:
        connection = self._connection()
        connection.request("POST", self.path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()

    def _post(self, body: bytes) -> None:
        try:
            status, answer = self._exchange(body)
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server closed an idle keep-alive connection before this request reached it.
            self.local.connection.close()
            self.local.connection = None
            status, answer = self._exchange(body)
        if status != 201:
            raise BenchError(f"POST {self.path} answered {status}: {answer[:300]!r}")

    def post_one(self) -> None:
        """Post one submission from this thread (raises :class:`BenchError` unless it is stored)."""
        self._post(self.bodies[0])
        self.stored += 1

    def _burst(self, offset: int) -> None:
        for i in range(PER_CLIENT):
            self._post(self.bodies[(offset + i) % len(self.bodies)])
        with self._count:
            self.stored += PER_CLIENT

    def volley(self) -> None:
        """Every client posts ``PER_CLIENT`` submissions; returns when all got their 201."""
        for future in [self.pool.submit(self._burst, n) for n in range(CLIENTS)]:
            future.result()

    def close(self) -> None:
        """Stop the threads and close their connections (gunicorn then stops without waiting on them)."""
        self.pool.shutdown(wait=True)
        for connection in self._opened:
            connection.close()


# ---------------------------------------------------------------------------------------------
# The benchmark


def examples(service_id: str) -> list[Any]:
    """The service's valid examples without their optional files (files are uploaded separately first)."""
    from engine import jsonpointer
    from engine.definitions import load_definition
    from engine.definitions.locations import examples_dir

    attachments = load_definition(service_id).service.form_attachments()
    optional = [a.field for a in attachments if a.field is not None and not a.required]
    found = []
    for path in sorted((examples_dir() / service_id).glob("valid-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for pointer in optional:
            parent, _, name = pointer.rpartition("/")
            holder = jsonpointer.resolve(data, parent, None)
            if isinstance(holder, dict):
                holder.pop(jsonpointer.unescape(name), None)
        found.append(data)
    return found


async def seed_tenant(catalog: Any) -> None:
    """The demo municipality with every catalog service enabled, as :func:`thongthin.demo.seed` makes it.

    Its officer accounts are left out: each costs an argon2 hash (slow on purpose, about a
    second on a busy machine), seconds of setup for accounts that no submission uses.
    """
    from engine.services import tenants
    from thongthin.demo import DEMO_TENANT

    fields = dict(DEMO_TENANT)
    tenant = await tenants.ensure_tenant(fields.pop("slug"), **fields)
    for definition in catalog:
        await tenants.enable_service(tenant, definition)


def prepare(database_url: str) -> tuple[Any, str]:
    """Migrate, seed the municipality and create the baseline's table.

    Returns the open runtime and the benchmarked service's ``id@version``.
    """
    from tortoise import connections

    from engine.definitions import load_catalog
    from engine.store.config import is_postgres
    from engine.store.runtime import OrmRuntime
    from thongthin.platform import upgrade_database

    catalog = load_catalog()
    runtime = OrmRuntime(database_url)
    upgrade_database(runtime, Path(tempfile.mkdtemp(prefix="thongthin-catalog-")))
    runtime.run(seed_tenant(catalog))
    runtime.run(connections.get("default").execute_script(baseline_table_sql(is_postgres(database_url))))
    return runtime, catalog.get(SERVICE).key


def count_rows(runtime: Any) -> tuple[int, int]:
    """Rows stored by the platform (submissions) and by the baseline."""
    from tortoise import connections

    async def counts() -> tuple[int, int]:
        connection = connections.get("default")
        _, platform_rows = await connection.execute_query("SELECT COUNT(*) AS n FROM submission")
        _, baseline_rows = await connection.execute_query(f"SELECT COUNT(*) AS n FROM {BASELINE_TABLE}")
        return int(platform_rows[0]["n"]), int(baseline_rows[0]["n"])

    return runtime.run(counts())


def server_environ(folder: Path, database_url: str) -> dict[str, str]:
    """The servers' environment: this one without S3 settings (blobs stay in the folder)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("S3_")}
    environ.update(
        DATABASE_URL=database_url,
        THONGTHIN_DATA=str(folder),
        SECRET_KEY="bench-secret",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")])),
    )
    return environ


def run(seconds: float = 3.0, echo: Callable[[str], None] = print, backend: str = "sqlite") -> dict[str, Any]:
    """Measure both sides for about ``seconds`` each and return the result line.

    Raises :class:`BenchError` when a server fails or PostgreSQL does not answer, and
    :class:`ValueError` for an unknown ``backend``.
    """
    if backend not in ("sqlite", "postgres"):
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    bodies = [json.dumps(data, ensure_ascii=False).encode() for data in examples(SERVICE)]
    with tempfile.TemporaryDirectory(prefix="thongthin-bench-") as tmp, database(backend, Path(tmp)) as url:
        folder = Path(tmp)
        environ = server_environ(folder, url)
        servers: list[Server] = []
        clients: list[Client] = []
        runtime: Any = None
        try:
            # The servers preload their apps while the database is prepared: they touch it
            # only when the first request comes.
            servers.append(launch("platform", "thongthin.wsgi:app", environ, folder))
            servers.append(launch("baseline", "bench.submit:baseline_app()", environ, folder))
            runtime, service_key = prepare(url)
            for server in servers:
                wait_listening(server)
            platform_client = Client(
                servers[0].port, f"/api/v1/tenants/{TENANT}/services/{SERVICE}/submissions", bodies
            )
            baseline_client = Client(servers[1].port, f"/submissions/{TENANT}/{SERVICE}", bodies)
            clients = [platform_client, baseline_client]
            echo(
                f"{backend}: POST {len(bodies)} valid {SERVICE} examples, {CLIENTS} keep-alive clients, "
                f"gunicorn {WORKERS} worker x {THREADS} threads per side, {seconds:.1f}s per side"
            )
            # One submission first, alone: the first of a tenant's year creates its reference
            # counter, and concurrent first submissions race on creating it (see the report).
            platform_client.post_one()
            baseline_client.post_one()
            for _ in range(WARMUP):
                platform_client.volley()
                baseline_client.volley()
            rates = interleaved(
                {"platform": platform_client.volley, "baseline": baseline_client.volley}, seconds
            )
            for client in clients:
                client.close()
            value, baseline = (rates[side] * CLIENTS * PER_CLIENT for side in ("platform", "baseline"))
            stored_platform, stored_baseline = count_rows(runtime)
            if (stored_platform, stored_baseline) != (platform_client.stored, baseline_client.stored):
                raise BenchError(
                    f"answered 201 for {platform_client.stored}/{baseline_client.stored} submissions "
                    f"but stored {stored_platform}/{stored_baseline}"
                )
        except BenchError as error:
            # What the servers logged (tracebacks of 500s, boot errors) is the useful part.
            logs = "".join(f"\n--- {server.name} server log:\n{server.log_tail()}" for server in servers)
            raise BenchError(f"{error}{logs}") from None
        finally:
            for client in clients:
                client.close()
            stop_all(servers)
            if runtime is not None:
                runtime.close()
    echo(f"platform (full API: validation, reference, audit row): {value:,.0f} submissions/s")
    echo(f"bare Flask route, one INSERT of the same JSON:          {baseline:,.0f} submissions/s")
    echo(f"ratio {value / baseline:.3f}; {stored_platform} + {stored_baseline} rows stored and counted")
    return result(
        "submit",
        value,
        baseline,
        "submissions/s",
        backend=backend,
        service=service_key,
        clients=CLIENTS,
        workers=WORKERS,
        threads=THREADS,
    )
