"""``thongthin demo``: the demo municipality comes up with every service and its officers, and the letters
it exchanged with its neighbour in every state, twice alike."""

from __future__ import annotations

import http.client
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.definitions import load_catalog
from engine.services.operators import OPERATOR_TENANT
from tests.conftest import REQUIRED_SERVICES, SERVICE_IDS
from tests.e2e.test_serve import THONGTHIN, clean_environ, free_port, request, stop, wait_listening
from thongthin.demo import DEMO_PASSWORD, DEMO_TENANT, OPERATOR_USERNAME, demo_accounts
from thongthin.demo_exchange import NEIGHBOUR, NEIGHBOUR_ROLES

THAI = re.compile("[\u0e00-\u0e7f]")
SLUG = DEMO_TENANT["slug"]


@contextmanager
def demo(data: Path, log: Path) -> Iterator[int]:
    """Run ``thongthin demo`` on a free port until the block ends; its output goes to ``log``."""
    port = free_port()
    with log.open("wb") as sink:
        # Unbuffered, or what the demo printed would be lost when it is stopped.
        process = subprocess.Popen(
            [THONGTHIN, "demo", "--port", str(port), "--data", str(data)],
            env=clean_environ(),
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    try:
        wait_listening(process, port, log, timeout=120)
        yield port
    finally:
        stop(process)


def check_running_demo(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/{SLUG}/")
    response = connection.getresponse()
    page = response.read().decode("utf-8")
    connection.close()
    assert response.status == 200, page[:500]
    assert response.getheader("Content-Type", "").startswith("text/html")
    assert THAI.search(page), "the citizens' home page has no Thai text"
    # No server software or version is named (Werkzeug would say "Werkzeug/3.1 Python/3.11").
    assert response.getheader("Server") == "thongthin"

    status, listed = request(port, "GET", f"/api/v1/tenants/{SLUG}/services")
    assert status == 200, listed
    ids = [service["id"] for service in listed["services"]]
    assert sorted(ids) == SERVICE_IDS
    assert set(ids) >= REQUIRED_SERVICES and len(ids) == len(set(ids))

    # The printed password works for a printed account.
    officer = demo_accounts(load_catalog(), SLUG)[0].username
    body = f'{{"tenant": "{SLUG}", "username": "{officer}", "password": "{DEMO_PASSWORD}"}}'.encode()
    status, token = request(port, "POST", "/api/v1/auth/token", body)
    assert status == 200 and token["token"], token


def check_printed(output: str) -> None:
    assert DEMO_PASSWORD in output
    assert f"/{SLUG}/" in output
    for account in demo_accounts(load_catalog(), SLUG):
        assert account.username in output, f"{account.username} is not printed"


def rows(database: Path, sql: str) -> list[Any]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def test_demo_serves_the_municipality_and_is_idempotent(tmp_path: Path):
    data = tmp_path / "data"
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    with demo(data, first) as port:
        check_running_demo(port)
    check_printed(first.read_text(encoding="utf-8"))

    with demo(data, second) as port:
        check_running_demo(port)
    check_printed(second.read_text(encoding="utf-8"))

    database = data / "thongthin.sqlite3"
    accounts = demo_accounts(load_catalog(), SLUG)
    # The town, its neighbour, and the national operator's own tenant for the studio's analyst.
    assert sorted(rows(database, "SELECT slug FROM tenant")) == sorted(
        [(SLUG,), (NEIGHBOUR["slug"],), (OPERATOR_TENANT,)]
    )
    assert sorted(r[0] for r in rows(database, "SELECT service_id FROM enabled_service")) == SERVICE_IDS
    usernames = [r[0] for r in rows(database, "SELECT username FROM app_user")]
    neighbours = [f"{NEIGHBOUR['slug']}.{role}" for role in NEIGHBOUR_ROLES]
    assert sorted(usernames) == sorted([*(a.username for a in accounts), *neighbours, OPERATOR_USERNAME])
    grants = rows(database, "SELECT user_id, role FROM role_grant")
    assert len(grants) == len(set(grants)) == sum(len(a.roles) for a in accounts) + len(neighbours) + 1
    # Correspondence in every book, seeded once through the officers' own service calls.
    books = {r[0] for r in rows(database, "SELECT DISTINCT book FROM saraban_register")}
    assert books == {"receive", "secret_receive", "send", "order", "announcement", "circular"}
    per_town = "SELECT t.slug, count(*) FROM {} x JOIN tenant t ON t.id = x.tenant_id GROUP BY t.slug"
    # แม่เหียะ's seven, and the three it sent สุเทพ; สุเทพ's three sent and the one it registered.
    assert dict(rows(database, per_town.format("saraban_letter"))) == {SLUG: 10, NEIGHBOUR["slug"]: 4}
    assert dict(rows(database, per_town.format("saraban_step"))) == {SLUG: 10, NEIGHBOUR["slug"]: 3}
    check_exchanged(database)


def check_exchanged(database: Path) -> None:
    """The letters between the two towns stand in every state of the exchange, each once."""
    dispatches = rows(
        database,
        "SELECT t.slug, d.round, d.state, d.accept_id, d.reason FROM saraban_dispatch d"
        " JOIN tenant t ON t.id = d.tenant_id ORDER BY d.id",
    )
    states = sorted((slug, state) for slug, _round, state, _accept, _reason in dispatches)
    assert states == sorted(
        [(SLUG, "accepted"), (SLUG, "rejected"), (SLUG, "withdrawn"), (SLUG, "received"),
         (NEIGHBOUR["slug"], "received"), (NEIGHBOUR["slug"], "invalid"), (NEIGHBOUR["slug"], "queued")]
    )  # fmt: skip
    # แม่เหียะ sees สุเทพ's receive number (เลขรับ) on the letter สุเทพ registered.
    accepted = [d for d in dispatches if d[0] == SLUG and d[2] == "accepted"]
    assert accepted[0][3] and accepted[0][3].isdigit()
    assert all(d[4] for d in dispatches if d[2] in ("rejected", "invalid", "withdrawn"))
    arrivals = dict(
        rows(
            database,
            "SELECT t.slug, m.peer_name FROM saraban_message m JOIN tenant t ON t.id = m.tenant_id"
            " WHERE m.direction = 'in' AND m.type = 'Letter' AND m.state = 'pending'",
        )
    )
    # Each town has a letter from the other waiting to be registered.
    assert arrivals == {SLUG: NEIGHBOUR["name_th"], NEIGHBOUR["slug"]: DEMO_TENANT["name_th"]}
