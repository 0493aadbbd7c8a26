"""``thongthin serve``: gunicorn with two workers, each with its own ORM loop thread started after the fork.

Nothing is added to the app to tell the workers apart. Instead the test finds, for each
keep-alive connection it made, the worker process that holds the server side of it
(``/proc/net/tcp`` gives the socket's inode, ``/proc/<pid>/fd`` who owns it), and which
processes have the SQLite database open: the master must not (it forked before any
database work), every worker must (it connected after the fork).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, SERVICE_IDS
from tests.prepared import migrated_data

THONGTHIN = shutil.which("thongthin", path=str(Path(sys.executable).parent)) or "thongthin"
TENANT = "maehia"
SEED = (
    "from engine.definitions import load_catalog\n"
    "from engine.store.runtime import OrmRuntime\n"
    "from thongthin.demo import seed\n"
    "from thongthin.settings import Settings\n"
    "runtime = OrmRuntime(Settings.from_env().database_url)\n"
    "runtime.run(seed(load_catalog()))\n"
    "runtime.close()\n"
)
# A complaint without photos: files would have to be uploaded before they can be listed.
COMPLAINT = (EXAMPLES / "complaint" / "valid-stray-dogs-anonymous.json").read_bytes()
SERVICES_PATH = f"/api/v1/tenants/{TENANT}/services"
SUBMIT_PATH = f"/api/v1/tenants/{TENANT}/services/complaint/submissions"


# Helpers shared with test_demo.py -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environ(**extra: str) -> dict[str, str]:
    """This environment without database or S3 settings (the server uses its data folder)."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("S3_") and k not in ("DATABASE_URL", "THONGTHIN_DATA", "SECRET_KEY")
    }
    environ.update(PYTHONUNBUFFERED="1", **extra)
    return environ


def wait_listening(process: subprocess.Popen[Any], port: int, log: Path, timeout: float = 60) -> None:
    """Fail the test if ``process`` exits or does not accept connections on ``port`` in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    pytest.fail(f"server did not listen on {port} within {timeout:.0f} s:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL to the process group it leads (started with ``start_new_session``)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    connection: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One request (on ``connection`` if given, kept open); returns the status and the JSON answer."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {**({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        if raw and response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(raw)
        return response.status, raw
    finally:
        if own:
            connection.close()


# /proc ------------------------------------------------------------------------------------------


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # The command name may hold spaces and parentheses; the fields after it do not.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.add(int(entry.name))
    return found


def open_files(pid: int) -> list[str]:
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            targets.append(os.readlink(fd))
    return targets


def socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server side of the loopback connection from ``client_port``."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return fields[9]
    return None


def owner_of(connection: http.client.HTTPConnection, server_port: int, pids: set[int]) -> int | None:
    """Which of ``pids`` holds the server side of ``connection`` (still open, kept alive)."""
    assert connection.sock is not None, "the server closed the keep-alive connection"
    inode = socket_inode(server_port, connection.sock.getsockname()[1])
    if inode is None:
        return None
    for pid in pids:
        with contextlib.suppress(OSError):
            if f"socket:[{inode}]" in open_files(pid):
                return pid
    return None


# The server -------------------------------------------------------------------------------------


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    database: Path


@pytest.fixture
def served(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = migrated_data(tmp_path_factory, tmp_path / "data")
    environ = clean_environ(THONGTHIN_DATA=str(data), SECRET_KEY="test-serve-secret")
    seeded = subprocess.run(
        [sys.executable, "-c", SEED], env=environ, capture_output=True, text=True, timeout=120
    )
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [THONGTHIN, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=environ, stdout=sink, stderr=sink, start_new_session=True)
    try:
        wait_listening(process, port, log)
        yield Served(port, process, log, data / "thongthin.sqlite3")
    finally:
        stop(process)


def workers_of(served: Served, timeout: float = 30) -> set[int]:
    """The two worker pids, once both have started their ORM loop thread (post_fork logs it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = children_of(served.process.pid)
        if len(workers) == 2 and served.log.read_text(errors="replace").count("ORM loop thread started") >= 2:
            return workers
        time.sleep(0.1)
    pytest.fail(f"expected 2 booted workers:\n{served.log.read_text(errors='replace')}")


def visit(port: int, workers: set[int]) -> tuple[int | None, dict[str, Any]]:
    """List the services and submit a complaint on one keep-alive connection.

    Returns the worker that answered both (looked up while the connection is still open) and
    the receipt.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        status, services = request(port, "GET", SERVICES_PATH, connection=connection)
        assert status == 200, services
        assert sorted(s["id"] for s in services["services"]) == SERVICE_IDS
        status, receipt = request(port, "POST", SUBMIT_PATH, COMPLAINT, connection=connection)
        assert status == 201, receipt
        return owner_of(connection, port, workers), receipt
    finally:
        connection.close()


def test_two_workers_each_serve_database_requests_with_their_own_orm_thread(served: Served):
    workers = workers_of(served)
    served_by: dict[int, int] = {}
    receipts = []
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Concurrent connections spread over the workers; stop once both have answered.
        while len(served_by) < 2 and time.monotonic() < deadline:
            for owner, receipt in pool.map(lambda _: visit(served.port, workers), range(8)):
                assert owner in workers, f"connection held by {owner}, not a worker {workers}"
                served_by[owner] = served_by.get(owner, 0) + 1
                receipts.append(receipt)
    assert set(served_by) == workers, f"only {served_by} answered within 60 s"

    # Each worker connected to the database itself, after the fork; the master never did.
    database = str(served.database)
    assert not any(f.startswith(database) for f in open_files(served.process.pid))
    for worker in workers:
        assert database in open_files(worker), f"worker {worker} has no database connection"

    # Whichever worker answers, it sees what the other stored.
    for receipt in receipts[:6]:
        status, tracked = request(
            served.port,
            "GET",
            f"/api/v1/tenants/{TENANT}/submissions/{receipt['reference']}",
            headers={"X-Tracking-Token": receipt["tracking_token"]},
        )
        assert status == 200, tracked
        assert tracked["reference"] == receipt["reference"]
    assert len({r["reference"] for r in receipts}) == len(receipts)


def test_serve_uses_production_settings_and_stops_on_sigterm(served: Served):
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    # Choosing a language stores it in the session: the cookie shows the production settings.
    connection.request("GET", SERVICES_PATH + "?lang=en")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    assert "default-src 'self'" in response.getheader("Content-Security-Policy", "")
    cookie = response.getheader("Set-Cookie", "")
    assert cookie.startswith("session=") and "Secure" in cookie and "HttpOnly" in cookie, cookie

    workers = workers_of(served)
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    # The master waits for its workers before it exits; none is left behind.
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "workers outlived the master"
