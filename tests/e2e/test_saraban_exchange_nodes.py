"""Two separately started platforms (two processes, two databases) exchange a letter over loopback HTTP.

Each node knows the other only through its agency directory: the other's letter code, its
inbound URL, and the certificate its messages are signed with (printed by
``thongthin saraban exchange-key``, registered with ``thongthin saraban agency key add``).

The receiving node is down when the first delivery is tried: the message waits in the queue
and arrives, once, after it comes back; its clerk registers it, and the เลขรับ travels back to
the sender's delivery status.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import THONGTHIN, clean_environ, free_port, stop, wait_listening
from tests.prepared import migrated_data

SEED = """
import sys
from engine.services import accounts, tenants
from engine.services.saraban import agencies, organisation
from engine.store.runtime import OrmRuntime
from thongthin.settings import Settings

slug, name, code = sys.argv[1], sys.argv[2], sys.argv[3]

async def seed():
    tenant = await tenants.ensure_tenant(
        slug, name_th=name, name_en=slug, kind="municipality", province="เชียงใหม่", reference_prefix="EX",
    )
    tenant.settings = {"saraban": {"letter_code": code, "typed_name_signing": True}}
    await tenant.save()
    await agencies.ensure_for_tenant(tenant)
    clerk = await accounts.create_user(tenant, "clerk", "x" * 16, "สมศรี สารบรรณ", ["saraban_clerk"], position_th="เจ้าพนักงานธุรการ")
    head = await accounts.create_user(tenant, "head", "x" * 16, "สมชาย ผู้อำนวยการ", ["department_head"], position_th="ผู้อำนวยการกองช่าง")
    await organisation.put_unit(tenant, "engineering", "กองช่าง", letter_suffix=".3")
    await organisation.add_member(tenant, "engineering", head.id, head=True)

runtime = OrmRuntime(Settings.from_env().database_url)
runtime.run(seed())
runtime.close()
"""


@dataclass
class Node:
    slug: str
    name: str
    code: str
    data: Path
    port: int
    environ: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def inbound(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/saraban/inbound"

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [THONGTHIN, *args], env=self.environ, capture_output=True, text=True, timeout=180
        )
        if ok:
            assert done.returncode == 0, f"{args}: {done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def start(self) -> None:
        if self.process is not None:
            return
        command = [THONGTHIN, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "2"]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, env=self.environ, stdout=sink, stderr=sink, start_new_session=True
            )
        wait_listening(self.process, self.port, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


def make_node(factory: pytest.TempPathFactory, tmp: Path, slug: str, name: str, code: str) -> Node:
    data = migrated_data(factory, tmp / slug)
    environ = clean_environ(THONGTHIN_DATA=str(data), SECRET_KEY=f"secret-of-{slug}")
    node = Node(slug, name, code, data, free_port(), environ, tmp / f"{slug}.log")
    seeded = subprocess.run(
        [sys.executable, "-c", SEED, slug, name, code],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stderr
    return node


def introduce(node: Node, other: Node, tmp: Path) -> None:
    """``other`` enters ``node``'s directory with its inbound URL and its signing certificate."""
    certificate = tmp / f"{other.slug}.pem"
    certificate.write_text(other.json("saraban", "exchange-key", other.slug)["certificate"])
    node.run(
        "saraban", "agency", "add", "--name", other.name, "--code", other.code, "--endpoint", other.inbound
    )
    node.run("saraban", "agency", "key", "add", other.code, str(certificate))


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    """Both nodes, kept for the module: the first test starts them, the second finds them up."""
    tmp_path = tmp_path_factory.mktemp("nodes")
    maehia = make_node(tmp_path_factory, tmp_path, "maehia", "เทศบาลเมืองแม่เหียะ", "ชม 52101")
    suthep = make_node(tmp_path_factory, tmp_path, "suthep", "เทศบาลตำบลสุเทพ", "ชม 52102")
    introduce(maehia, suthep, tmp_path)
    introduce(suthep, maehia, tmp_path)
    try:
        yield maehia, suthep
    finally:
        maehia.stop()
        suthep.stop()


def test_a_letter_crosses_to_another_platform_that_was_down_and_its_receive_number_comes_back(
    nodes: tuple[Node, Node],
) -> None:
    maehia, suthep = nodes
    drafted = maehia.json(
        "saraban", "draft", "maehia", "--as", "head", "--kind", "external",
        "--subject", "ขอความร่วมมือซ่อมแซมถนนสายแม่เหียะ–สุเทพ & ท่อระบายน้ำ",
        "--to", "นายกเทศมนตรีตำบลสุเทพ", "--body", "ด้วยถนนสายดังกล่าวชำรุด จึงขอความร่วมมือ",
        "--addressee", suthep.code,
    )  # fmt: skip
    signed = maehia.json("saraban", "sign", "maehia", drafted["public_id"], "--as", "head", "--typed-name")
    sent = maehia.json("saraban", "send", "maehia", signed["public_id"])
    assert [d["state"] for d in sent["deliveries"]] == ["queued"]

    # suthep is down: the delivery waits to be tried again, nothing is lost.
    first = maehia.json("saraban", "deliver")
    assert (first["delivered"], first["retrying"]) == (0, 1)
    status = maehia.json("saraban", "status", "maehia", signed["public_id"])
    assert [d["state"] for d in status["deliveries"]] == ["queued"]

    suthep.start()
    maehia.start()  # suthep's notices go back to maehia's inbound endpoint
    second = maehia.json("saraban", "deliver", "--retry-now")
    assert second["delivered"] == 1
    # A second round finds nothing more to send: the message went once.
    assert maehia.json("saraban", "deliver", "--retry-now")["delivered"] == 0

    waiting = suthep.json("saraban", "inbox", "suthep")["messages"]
    assert [(m["subject"], m["letter_number"], m["signed"]) for m in waiting] == [
        (signed["subject"], signed["letter_number"], True)
    ]
    # ตอบรับ goes back at once; then the clerk registers it and the เลขรับ follows.
    assert suthep.json("saraban", "deliver")["delivered"] == 1
    registered = suthep.json("saraban", "accept", "suthep", waiting[0]["receipt_id"])
    assert registered["sha256"] != registered["original_sha256"]  # the receive stamp is a new revision
    assert registered["original_sha256"] == signed["sha256"]
    assert suthep.json("saraban", "deliver")["delivered"] == 1
    status = maehia.json("saraban", "status", "maehia", signed["public_id"])["deliveries"]
    assert [(d["state"], bool(d["accept_id"])) for d in status] == [("accepted", True)]
    assert suthep.json("saraban", "inbox", "suthep")["messages"] == []
    accepted = suthep.json("saraban", "inbox", "suthep", "--state", "accepted")["messages"]
    assert len(accepted) == 1


def test_a_message_signed_by_a_key_the_directory_does_not_list_is_refused(nodes: tuple[Node, Node]) -> None:
    maehia, suthep = nodes
    # maehia starts signing with a new key that suthep's directory has not been told about.
    maehia.run("saraban", "exchange-key", "maehia", "--rotate")
    drafted = maehia.json(
        "saraban", "draft", "maehia", "--as", "head", "--kind", "external", "--subject", "แจ้งผลการประชุม",
        "--to", "นายกเทศมนตรีตำบลสุเทพ", "--body", "ตามที่ได้ประชุมร่วมกัน", "--addressee", suthep.code,
    )  # fmt: skip
    signed = maehia.json("saraban", "sign", "maehia", drafted["public_id"], "--as", "head", "--typed-name")
    maehia.json("saraban", "send", "maehia", signed["public_id"])
    suthep.start()
    report = maehia.json("saraban", "deliver")
    assert report["delivered"] == 1  # the job ended: refused for good, not retried
    status = maehia.json("saraban", "status", "maehia", signed["public_id"])["deliveries"]
    assert [(d["state"], d["fault"]) for d in status] == [("undeliverable", "BadSignature")]
    assert [m["subject"] for m in suthep.json("saraban", "inbox", "suthep")["messages"]] == []
