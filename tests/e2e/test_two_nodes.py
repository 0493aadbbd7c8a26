"""Two web nodes and two workers share one PostgreSQL database and one S3 store, and lose one of each.

Everything runs as it does in production: ``thongthin db upgrade``, then two ``thongthin serve``
nodes (gunicorn, each with its own data folder, the same ``DATABASE_URL``, ``SECRET_KEY`` and
``S3_*``) and two ``thongthin worker`` processes. Citizens submit complaints to both nodes and
officers act on them (each assignment queues two notifications); a bank reports the town's
unpaid fee bills (each payment queues a signed, numbered e-receipt). Mid-load one node and one
worker are killed (SIGKILL to their process groups). Afterwards:

- every submission a citizen got a reference for is stored once, and no reference twice (a
  request the kill cut off was never acknowledged: it may or may not exist, but not twice);
- every queued effect ran to ``done``, with its side effect once: one notification per notify
  job, one receipt per receipt job, stored in S3, and the receipt numbers have no gap;
- the officer's login made on one node is a session on the other (sessions live in the database).

The claim of a job the killed worker held ends after ``THONGTHIN_EFFECT_LEASE_SECONDS``, then the
other worker runs it. Runs in the PostgreSQL pass (``-m db``); the SQLite pass leaves it out (marker ``postgres``).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import pytest

from engine.services.payments import SIGNATURE_HEADER, signature
from tests.e2e.test_serve import COMPLAINT, THONGTHIN, clean_environ, free_port, wait_listening
from tests.platform_fixtures import BACKEND, postgres_database
from tests.s3server import start_s3_server, stop_s3_server
from thongthin.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.db, pytest.mark.postgres]

TENANT = "maehia"
CITIZENS = 40
LEASE_SECONDS = 6
# The demo town, its PKI for the roles that sign (TSA and revocation served by this test), and
# what the bank and the test need to know: the payment secret and the bills still unpaid.
SEED = """
import json, sys
from pathlib import Path
from engine.definitions import load_catalog
from engine.services import payments
from engine.services.saraban.organisation import SIGNING_ROLES
from engine.store.models import Bill, Tenant
from engine.store.runtime import OrmRuntime
from renderers.documents import RECEIPT_SIGNERS
from signing.pki import demo_officers, ensure_dev_pki
from engine.services.roles import NOT_FOR_OFFICERS
from thongthin.demo import DEMO_TENANT, seed
from thongthin.settings import Settings

catalog = load_catalog()
titles = {r: s.title.th for r, s in catalog.roles.items() if r not in NOT_FOR_OFFICERS and not s.system}
signers = {s.role for d in catalog for doc in d.service.documents for s in doc.signers}
signers |= {s.role for s in RECEIPT_SIGNERS} | set(SIGNING_ROLES)
officers = demo_officers(titles, {DEMO_TENANT["slug"]: DEMO_TENANT["name_th"]}, only=sorted(signers))
ensure_dev_pki(Path(sys.argv[1]), officers, url=sys.argv[2])

async def main():
    await seed(catalog)
    tenant = await Tenant.get(slug=DEMO_TENANT["slug"])
    bills = await Bill.filter(tenant=tenant, status="unpaid").order_by("id")
    return {
        "secret": payments.tenant_secret(tenant),
        "bills": [{"ref1": b.ref1, "ref2": b.ref2, "amount": str(b.amount)} for b in bills],
    }

runtime = OrmRuntime(Settings.from_env().database_url)
print(json.dumps(runtime.run(main())))
runtime.close()
"""


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL to the whole process group (gunicorn's master and its workers alike)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    database_url: str
    s3_data: Path
    bucket: str
    ports: dict[str, int]
    seeded: dict[str, Any]
    procs: dict[str, Proc] = field(default_factory=dict)

    def logs(self) -> str:
        parts = []
        for proc in self.procs.values():
            text = proc.log.read_text(errors="replace") if proc.log.exists() else ""
            parts.append(f"===== {proc.name} (exit {proc.process.poll()}) =====\n{text[-6000:]}")
        return "\n".join(parts)


def query(database_url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(database_url, timeout=10)
        try:
            return [dict(row) for row in await connection.fetch(sql, *args)]
        finally:
            await connection.close()

    return asyncio.run(run())


def spawn(name: str, command: list[str], environ: dict[str, str], folder: Path) -> Proc:
    log = folder / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=environ, stdout=sink, stderr=sink, start_new_session=True)
    return Proc(name, process, log)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if BACKEND != "postgres":
        pytest.fail("several nodes share PostgreSQL and S3: run with THONGTHIN_TEST_DB=postgres")
    from signing.pki import DevPki, DevPkiServer

    folder = tmp_path_factory.mktemp("two-nodes")
    databases = postgres_database()
    database_url = next(databases)
    endpoint, key, secret, s3 = start_s3_server(folder / "s3")
    pki_server = DevPkiServer(port=0)
    shared = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "two-nodes-secret",
        "S3_ENDPOINT": endpoint,
        "S3_ACCESS_KEY": key,
        "S3_SECRET_KEY": secret,
        "S3_BUCKET": "thongthin",
        # The signing keys (a token or the tenants' stored keys in production): one folder here.
        "THONGTHIN_PKI_DIR": str(folder / "pki"),
        "THONGTHIN_EFFECT_LEASE_SECONDS": str(LEASE_SECONDS),
    }

    def environ(name: str) -> dict[str, str]:
        # Each process has a data folder of its own: the nodes share nothing but the database and S3.
        return clean_environ(**shared, THONGTHIN_DATA=str(folder / name))

    running = Cluster(database_url, folder / "s3" / "data", "thongthin", {}, {})
    try:
        started = time.monotonic()
        upgrade = subprocess.run(
            [THONGTHIN, "db", "upgrade"], env=environ("setup"), capture_output=True, text=True, timeout=120
        )
        assert upgrade.returncode == 0, upgrade.stderr
        seeded = subprocess.run(
            [sys.executable, "-c", SEED, str(folder / "pki"), pki_server.url],
            env=environ("setup"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stderr
        running.seeded = json.loads(seeded.stdout.strip().splitlines()[-1])
        pki_server.start(DevPki.load(folder / "pki"))
        print(f"database upgraded and seeded in {time.monotonic() - started:.1f} s")
        for name in ("a", "b"):
            port = running.ports[name] = free_port()
            command = [THONGTHIN, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
            running.procs[f"node-{name}"] = spawn(f"node-{name}", command, environ(f"node-{name}"), folder)
        for name in ("1", "2"):
            command = [THONGTHIN, "worker", "--interval", "0.3"]
            running.procs[f"worker-{name}"] = spawn(
                f"worker-{name}", command, environ(f"worker-{name}"), folder
            )
        for name in ("a", "b"):
            proc = running.procs[f"node-{name}"]
            wait_listening(proc.process, running.ports[name], proc.log)
        print(f"two nodes listening after {time.monotonic() - started:.1f} s")
        yield running
    finally:
        for proc in running.procs.values():
            proc.stop()
        pki_server.stop()
        stop_s3_server(s3)
        next(databases, None)


# HTTP -------------------------------------------------------------------------------------------


class Refused(Exception):
    """The request got no answer: the node was killed or is gone (not acknowledged)."""


def call(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    except (OSError, http.client.HTTPException) as error:
        raise Refused(f"{method} {path} on {port}: {error!r}") from error
    finally:
        connection.close()


def call_json(port: int, method: str, path: str, payload: Any = None, **headers: str) -> tuple[int, Any]:
    body = None if payload is None else json.dumps(payload).encode()
    status, _, raw = call(port, method, path, body, {"Content-Type": "application/json", **headers})
    return status, json.loads(raw) if raw else None


def session_cookie(headers: dict[str, str]) -> str:
    found = re.search(r"session=([^;]+)", headers.get("set-cookie", ""))
    assert found, headers
    return found.group(1)


def log_in_on(port: int, username: str) -> str:
    """An officer's login through the admin form (with its CSRF token); returns the session cookie."""
    status, headers, page = call(port, "GET", f"/{TENANT}/admin/login")
    assert status == 200, page[:500]
    cookie = session_cookie(headers)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert token, page[:2000]
    form = urlencode({"csrf_token": token.group(1).decode(), "username": username, "password": DEMO_PASSWORD})
    status, headers, page = call(
        port,
        "POST",
        f"/{TENANT}/admin/login",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}"},
    )
    assert status == 302, (status, page[:2000])
    return session_cookie(headers)  # a fresh session once logged in


def inbox_as(port: int, cookie: str) -> tuple[int, str]:
    status, headers, page = call(port, "GET", f"/{TENANT}/admin/", headers={"Cookie": f"session={cookie}"})
    return status, headers.get("location", "") or page.decode(errors="replace")


@dataclass
class Outcome:
    acknowledged: list[str] = field(default_factory=list)  # references answered with 201
    lost: int = 0  # requests cut off by the kill (not acknowledged)
    dead_held_a_job: bool = False  # the killed worker was running a job when it died
    assigned: list[str] = field(default_factory=list)
    paid: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def wait_for(check: Callable[[], Any], timeout: float, what: str, cluster: Cluster) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"{what} within {timeout:.0f} s\n{cluster.logs()}")


# The test ---------------------------------------------------------------------------------------


def test_two_nodes_and_two_workers_lose_one_of_each_and_nothing_is_lost_or_doubled(cluster: Cluster) -> None:
    started = time.monotonic()
    ports = cluster.ports
    try:
        run_load(cluster, ports, started)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{cluster.logs()}") from None


def run_load(cluster: Cluster, ports: dict[str, int], started: float) -> None:
    # A session begun on node A (the CSRF token it issued included) is a session on node B.
    cookie = log_in_on(ports["a"], f"{TENANT}.complaint_officer")
    status, shown = inbox_as(ports["b"], cookie)
    assert status == 200 and "login" not in shown[:200], (status, shown[:300])

    _, token = call_json(
        ports["b"],
        "POST",
        "/api/v1/auth/token",
        {"tenant": TENANT, "username": f"{TENANT}.complaint_officer", "password": DEMO_PASSWORD},
    )
    bearer = {"Authorization": f"Bearer {token['token']}"}
    outcome = Outcome()
    alive = {"a": True, "b": True}

    def node_for(index: int) -> str:
        # Like a load balancer: alternate, and leave a node that stopped answering.
        name = "a" if index % 2 == 0 else "b"
        return name if alive[name] else "b"

    def citizen(index: int) -> None:
        name = node_for(index)
        try:
            status, receipt = call_json(
                ports[name], "POST", f"/api/v1/tenants/{TENANT}/services/complaint/submissions",
                json.loads(COMPLAINT),
            )  # fmt: skip
        except Refused:
            with outcome.lock:
                outcome.lost += 1
            return
        assert status == 201, (status, receipt)
        with outcome.lock:
            outcome.acknowledged.append(receipt["reference"])
        # The officer assigns it at once, on the other node: two notifications are queued.
        other = "b" if name == "a" else "a"
        other = other if alive[other] else "b"
        try:
            status, answer = call_json(
                ports[other], "POST", f"/api/v1/tenants/{TENANT}/submissions/{receipt['reference']}/transitions",
                {"action": "assign", "input": {"department": "public_health"}}, **bearer,
            )  # fmt: skip
        except Refused:
            return
        assert status == 200 and answer["fired"], (status, answer)
        with outcome.lock:
            outcome.assigned.append(receipt["reference"])

    def bank(index: int, bill: dict[str, str]) -> None:
        body = json.dumps(
            {
                "tenant": TENANT,
                "transaction_id": f"BANK-{index:04d}",
                "ref1": bill["ref1"],
                "ref2": bill["ref2"],
                "amount": bill["amount"],
                "paid_at": datetime.now(UTC).isoformat(),
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(cluster.seeded["secret"], body),
        }
        for attempt in range(3):  # a bank tries again; the transaction ID keeps it from counting twice
            name = node_for(index + attempt)
            try:
                status, _, raw = call(ports[name], "POST", "/api/v1/payments/notify", body, headers)
            except Refused:
                time.sleep(0.2)
                continue
            assert status == 200, (status, raw[:500])
            with outcome.lock:
                outcome.paid.append(f"{bill['ref1']}/{bill['ref2']}")
            return

    bills = cluster.seeded["bills"]
    assert bills, "the demo town has unpaid bills"
    with ThreadPoolExecutor(max_workers=6) as pool:
        work = [pool.submit(bank, i, bill) for i, bill in enumerate(bills)]
        work += [pool.submit(citizen, i) for i in range(CITIZENS // 2)]
        # Mid-load: while both workers are signing a receipt (a worker runs one job at a time),
        # worker 1 dies holding its job; once a quarter of the citizens are in, node A dies too.
        wait_for(
            lambda: (
                query(
                    cluster.database_url,
                    "SELECT count(*) AS n FROM effect_job WHERE type = 'issue_receipt' AND status = 'running'",
                )[0]["n"]
                == 2
            ),
            40,
            "both workers were never busy at once",
            cluster,
        )
        cluster.procs["worker-1"].kill()
        # Each worker runs one job at a time: two running now means the dead worker still held one
        # (its job may have ended between the look and the kill, and then there is nothing to take over).
        running = query(cluster.database_url, "SELECT count(*) AS n FROM effect_job WHERE status = 'running'")
        outcome.dead_held_a_job = running[0]["n"] == 2
        print(
            f"worker 1 killed after {time.monotonic() - started:.1f} s; it held a job: {outcome.dead_held_a_job}"
        )
        wait_for(lambda: len(outcome.acknowledged) >= CITIZENS // 4, 40, "too few submissions", cluster)
        work += [pool.submit(citizen, i) for i in range(CITIZENS // 2, CITIZENS)]
        time.sleep(0.3)
        alive["a"] = False
        cluster.procs["node-a"].kill()
        print(f"node A killed after {time.monotonic() - started:.1f} s")
        for done in work:
            done.result(timeout=60)
    print(
        f"load over after {time.monotonic() - started:.1f} s: {len(outcome.acknowledged)} acknowledged, "
        f"{outcome.lost} cut off, {len(outcome.assigned)} assigned, {len(outcome.paid)} bills paid"
    )
    assert len(outcome.paid) == len(bills)
    assert len(outcome.acknowledged) >= CITIZENS // 2

    # The session made on node A still works on node B after A died.
    status, shown = inbox_as(ports["b"], cookie)
    assert status == 200 and "login" not in shown[:200], (status, shown[:300])

    # Every queued effect runs to its end on the surviving worker (a job the dead one held, after its lease).
    def settled() -> bool:
        rows = query(
            cluster.database_url,
            "SELECT count(*) AS n FROM effect_job WHERE status IN ('pending', 'running')",
        )
        return rows[0]["n"] == 0

    wait_for(settled, 45, "effect jobs still pending or running", cluster)
    print(f"queue empty after {time.monotonic() - started:.1f} s")
    check_database(cluster, outcome)
    print(f"checked after {time.monotonic() - started:.1f} s")


def check_database(cluster: Cluster, outcome: Outcome) -> None:
    url = cluster.database_url
    references = [
        r["reference"] for r in query(url, "SELECT reference FROM submission WHERE service_id = 'complaint'")
    ]
    assert len(references) == len(set(references)), "a reference was given twice"
    stored = set(references)
    assert set(outcome.acknowledged) <= stored, set(outcome.acknowledged) - stored
    assert len(outcome.acknowledged) == len(set(outcome.acknowledged))
    assert len(stored) <= CITIZENS  # a request cut off may exist; no request made two

    jobs = query(url, "SELECT id, type, status, attempts FROM effect_job ORDER BY id")
    assert [j for j in jobs if j["status"] != "done"] == []
    taken_over = [j["id"] for j in jobs if j["attempts"] > 1]
    print(f"{len(jobs)} jobs done; taken over after the killed worker's lease ran out: {taken_over}")
    if outcome.dead_held_a_job:
        assert taken_over, "the job the killed worker held was not taken over"
    notify = {j["id"] for j in jobs if j["type"] == "notify"}
    per_job = query(
        url, "SELECT job_id, count(*) AS n FROM notification WHERE job_id IS NOT NULL GROUP BY job_id"
    )
    assert {r["job_id"] for r in per_job} == notify, "a notify job without its notification"
    assert all(r["n"] == 1 for r in per_job), "a notification made twice"
    # Each assignment the officer was told of queued its notifications (the assignment fired once).
    assigned = query(
        url,
        "SELECT s.reference, count(j.id) AS n FROM submission s JOIN effect_job j ON j.submission_id = s.id "
        "WHERE s.service_id = 'complaint' AND j.type = 'notify' GROUP BY s.reference",
    )
    by_reference = {r["reference"]: r["n"] for r in assigned}
    for reference in outcome.assigned:
        assert by_reference.get(reference, 0) >= 2, reference

    receipts = {j["id"] for j in jobs if j["type"] == "issue_receipt"}
    paid_now = query(
        url,
        "SELECT count(*) AS n FROM bill WHERE ref1 || '/' || ref2 = ANY($1::text[]) AND status = 'paid'",
        outcome.paid,
    )
    assert paid_now[0]["n"] == len(cluster.seeded["bills"])
    assert len(receipts) >= len(cluster.seeded["bills"]), "a receipt job per paid bill"
    documents = query(url, "SELECT job_id, tenant_id, number, status, blob_key FROM issued_document")
    assert sorted(d["job_id"] for d in documents) == sorted(receipts), "one document per receipt job"
    assert all(d["status"] == "issued" for d in documents)
    for document in documents:
        assert (cluster.s3_data / cluster.bucket / document["blob_key"]).read_bytes()[:5] == b"%PDF-"
    series: dict[tuple[int, str], list[int]] = {}
    for document in documents:
        number, year = document["number"].split("/")
        series.setdefault((document["tenant_id"], year), []).append(int(number))
    counters = {
        (r["tenant_id"], str(r["year"])): r["last_number"]
        for r in query(url, "SELECT tenant_id, year, last_number FROM document_counter")
    }
    for key, numbers in series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"numbers with a gap: {sorted(numbers)}"
        assert counters[key] == len(numbers), "a number was taken and not used"
