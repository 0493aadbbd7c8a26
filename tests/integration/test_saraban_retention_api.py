"""Search, workload, legal hold and the destruction round through the correspondence JSON API.

The letters are received and closed through the services in years past, so that their retention
has ended; everything after goes through ``/api/v1/tenants/<tenant>/saraban/``: hold → survey →
committee (refused with two people, then three) → each member signs (PAdES with the development
PKI) → the National Archives → destroy (refused until the reply) → the letter's PDF is gone and its
register row says ทำลายแล้ว. Search never finds another town's letters; the workload counts per unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.services import accounts, tenants
from engine.services.saraban import letters, organisation
from engine.services.saraban.letters import Incoming
from engine.store.models import Letter
from engine.workflow.sla import BANGKOK
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from tests.signing_fixtures import make_pdf
from thongthin.demo import DEMO_PASSWORD

pytestmark = pytest.mark.db

SIGNING = ("saraban_clerk", "chief_administrator", "department_head")
PEOPLE = {
    "clerk": "saraban_clerk",
    "chair": "chief_administrator",
    "member1": "department_head",
    "member2": "department_head",
    "engineer": "engineer",
    "admin": "admin",
}


@dataclass
class Office:
    slug: str
    tenant: Any
    tokens: dict[str, str] = field(default_factory=dict)
    people: dict[str, organisation.Actor] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def url(self, path: str) -> str:
        return f"/api/v1/tenants/{self.slug}/saraban/{path}"

    def username(self, who: str) -> str:
        return f"{self.slug}.{who}"


def make_office(platform: Any, client: Any, code: str) -> Office:
    slug = f"q{uuid.uuid4().hex[:8]}"

    async def setup() -> Office:
        tenant = await tenants.ensure_tenant(
            slug, name_th=f"เทศบาลตำบลทดสอบ {slug}", name_en=slug, kind="municipality",
            province="เชียงใหม่", reference_prefix="RA",
        )  # fmt: skip
        tenant.settings = {"saraban": {"letter_code": code, "typed_name_signing": True}}
        await tenant.save()
        office = Office(slug, tenant)
        for who, role in PEOPLE.items():
            user = await accounts.create_user(
                tenant, f"{slug}.{who}", DEMO_PASSWORD, f"สมศรี {who}", [role], position_th=f"ตำแหน่ง {role}"
            )
            office.people[who] = await organisation.actor(tenant, user)
        await organisation.put_unit(tenant, "engineering", "กองช่าง", letter_suffix=".3")
        await organisation.add_member(tenant, "engineering", office.people["engineer"].user.id)
        return office

    office = platform.db(setup())
    for who in PEOPLE:
        answer = client.post(
            "/api/v1/auth/token",
            json={"tenant": slug, "username": office.username(who), "password": DEMO_PASSWORD},
        )
        assert answer.status_code == 200, answer.json
        office.tokens[who] = answer.json["token"]
    return office


@pytest.fixture(scope="module")
def api(app: Any) -> Any:
    return app.test_client()


@pytest.fixture(scope="module")
def towns(platform: Any, api: Any) -> Iterator[dict[str, Office]]:
    made = {"home": make_office(platform, api, "ชม 52301"), "other": make_office(platform, api, "ชม 52302")}
    officers = [
        Officer(town.slug, role, f"สมศรี {role}", town.tenant.name_th)
        for town in made.values()
        for role in SIGNING
    ]
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield made
    server.stop()


def a_letter(
    platform: Any,
    office: Office,
    subject: str,
    *,
    closed: datetime | None = None,
    due_at: datetime | None = None,
) -> Letter:
    """A letter received the day before ``closed`` and closed then (left open without ``closed``)."""
    received = (closed or datetime.now(UTC)) - timedelta(days=1)
    clerk = office.people["clerk"]
    letter = platform.db(
        letters.receive(
            office.tenant, clerk,
            Incoming("มท 0808.2/ว 7", received.date(), "กรมส่งเสริมการปกครองท้องถิ่น", "นายกเทศมนตรี", subject,
                     due_at=due_at),
            make_pdf(), platform.saraban_files, now=received,
        )
    )  # fmt: skip
    if closed is None:
        return letter
    return platform.db(
        letters.close(
            office.tenant,
            clerk,
            letter.public_id,
            version=letter.version,
            retention_class="routine",
            now=closed,
        )
    )


def test_hold_survey_committee_approve_archives_destroy(
    api: Any, platform: Any, towns: dict[str, Office]
) -> None:
    client = api
    office = towns["home"]
    clerk = office.auth("clerk")
    closed = datetime(2024, 6, 1, 10, tzinfo=BANGKOK)  # routine: kept to 2025-12-31 (พ.ศ. 2568)
    doomed = a_letter(platform, office, "ขอเชิญร่วมงานวันเด็กแห่งชาติ", closed=closed)
    held = a_letter(platform, office, "เอกสารประกอบคดีที่ศาลปกครอง", closed=closed)

    hold = {"hold": True, "reason": "มีคดีฟ้องร้องที่ศาลปกครอง"}
    refused = client.post(
        office.url(f"letters/{held.public_id}/hold"), json=hold, headers=office.auth("engineer")
    )
    assert refused.status_code == 403 and refused.json["code"] == "saraban_forbidden"
    answer = client.post(office.url(f"letters/{held.public_id}/hold"), json={"hold": True}, headers=clerk)
    assert answer.status_code == 422 and answer.json["field"] == "reason"
    answer = client.post(office.url(f"letters/{held.public_id}/hold"), json=hold, headers=clerk)
    assert answer.status_code == 200, answer.json
    assert answer.json == {"public_id": held.public_id, "legal_hold": True, "reason": hold["reason"]}

    lists = office.url("retention/lists")
    not_over = client.post(lists, json={"year": 2569}, headers=clerk)
    assert not_over.status_code == 409 and "ยังไม่สิ้นปี" in not_over.json["message_th"]
    nothing = client.post(lists, json={"year": 2500}, headers=clerk)
    assert nothing.status_code == 200 and nothing.json["expired"] == 0 and nothing.json["year"] == 2500
    assert client.post(lists, json={"year": "2568"}, headers=clerk).json["field"] == "year"
    survey = client.post(lists, json={"year": 2568}, headers=clerk)
    assert survey.status_code == 201, survey.json
    made = survey.json
    assert made["status"] == "draft" and [i["public_id"] for i in made["items"]] == [doomed.public_id]
    assert survey.headers["Location"].endswith(f"/retention/lists/{made['id']}")
    base = office.url(f"retention/lists/{made['id']}")
    assert client.get(base, headers=office.auth("chair")).status_code == 404  # not on the committee yet

    small = {"chair": office.username("chair"), "members": [office.username("member1")]}
    too_small = client.post(f"{base}/committee", json=small, headers=clerk)
    assert too_small.status_code == 409 and too_small.json["code"] == "retention_refused"
    assert "ประธานกรรมการและกรรมการอย่างน้อย 2 คน" in too_small.json["message_th"]
    three = {
        "chair": office.username("chair"),
        "members": [office.username("member1"), office.people["member2"].user.id],
    }
    appointed = client.post(f"{base}/committee", json=three, headers=clerk)
    assert appointed.status_code == 200, appointed.json
    assert [m["chair"] for m in appointed.json["committee"]] == [True, False, False]

    assert client.post(f"{base}/approve", headers=office.auth("engineer")).status_code == 403
    for who in ("chair", "member1", "member2"):
        signed = client.post(f"{base}/approve", json={}, headers=office.auth(who))
        assert signed.status_code == 200, signed.json
    assert signed.json["status"] == "approved" and signed.json["approvals"] == 3
    pdf = client.get(f"{base}/pdf", headers=office.auth("chair"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    early = client.post(f"{base}/destroy", headers=clerk)
    assert early.status_code == 409 and "กองจดหมายเหตุแห่งชาติ" in early.json["message_th"]
    sent = client.post(f"{base}/archives", headers=clerk)
    assert sent.status_code == 200 and sent.json["status"] == "archives"
    waiting = client.post(f"{base}/destroy", headers=clerk)
    assert waiting.status_code == 409 and "รอคำตอบ" in waiting.json["message_th"]
    wrong = client.post(
        f"{base}/archives-reply", json={"text": "ไม่ขัดข้อง", "objected": ["Lnope"]}, headers=clerk
    )
    assert wrong.status_code == 422 and wrong.json["field"] == "objected"
    reply = client.post(f"{base}/archives-reply", json={"text": "กองจดหมายเหตุแห่งชาติไม่ขัดข้อง"}, headers=clerk)
    assert reply.status_code == 200 and reply.json["archives_reply"] == "กองจดหมายเหตุแห่งชาติไม่ขัดข้อง"
    done = client.post(f"{base}/destroy", headers=clerk)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "destroyed" and done.json["items"][0]["outcome"] == "destroyed"

    assert client.get(office.url(f"letters/{doomed.public_id}/pdf"), headers=clerk).status_code == 404
    book = client.get(office.url("registers/receive/2567"), headers=clerk)
    assert book.status_code == 200, book.json
    [row] = [
        r for e, r in zip(book.json["entries"], book.json["rows"], strict=True) if "ทำลายแล้ว" in e["remark"]
    ]
    assert row[-1].startswith("ทำลายแล้ว") and "พ.ศ. 2568" in row[-1]
    index = client.get(lists, headers=clerk)
    assert [(x["id"], x["status"]) for x in index.json["lists"]] == [(made["id"], "destroyed")]
    assert client.get(lists, headers=office.auth("engineer")).json == {"lists": []}
    handover = client.get(office.url("retention/handover/2569"), headers=clerk)
    assert handover.status_code == 200 and handover.data.startswith(b"%PDF")
    assert handover.headers["X-Letters"] == "0"
    assert (
        client.get(office.url("retention/handover/2569"), headers=office.auth("engineer")).status_code == 403
    )


def test_search_finds_a_thai_word_and_never_another_towns_letter(
    api: Any, platform: Any, towns: dict[str, Office]
) -> None:
    client = api
    home, other = towns["home"], towns["other"]
    mine = a_letter(platform, home, "ขอความอนุเคราะห์ซ่อมแซมถนนลูกรังหมู่ที่ 5")
    theirs = a_letter(platform, other, "ขอความอนุเคราะห์ซ่อมแซมถนนลูกรังหมู่ที่ 9")
    found = client.get(home.url("search"), query_string={"q": "ลูกรัง"}, headers=home.auth("clerk"))
    assert found.status_code == 200, found.json
    ids = [x["public_id"] for x in found.json["letters"]]
    assert mine.public_id in ids and theirs.public_id not in ids
    # The engineer neither holds it nor belongs to its unit: nothing to find.
    assert (
        client.get(home.url("search"), query_string={"q": "ลูกรัง"}, headers=home.auth("engineer")).json[
            "letters"
        ]
        == []
    )
    assert client.get(home.url("search"), headers=home.auth("clerk")).json["field"] == "q"
    assert client.get(home.url("search?q=x&limit=0"), headers=home.auth("clerk")).status_code == 422


def test_workload_counts_per_unit(api: Any, platform: Any, towns: dict[str, Office]) -> None:
    client = api
    office = towns["other"]
    now = datetime.now(UTC)
    for subject, due in (
        ("ขอข้อมูลด่วนที่สุด", now - timedelta(days=1)),
        ("ขอข้อมูลภายในสัปดาห์", now + timedelta(hours=5)),
    ):
        letter = a_letter(platform, office, subject, due_at=due)
        platform.db(
            letters.route(
                office.tenant, office.people["clerk"], letter.public_id, platform.saraban_files,
                version=letter.version, action="assign", target_kind="unit", target="engineering", typed_name=True,
            )
        )  # fmt: skip
    assert client.get(office.url("workload"), headers=office.auth("engineer")).status_code == 403
    for who in ("clerk", "admin"):
        answer = client.get(office.url("workload"), headers=office.auth(who))
        assert answer.status_code == 200, answer.json
        [unit] = [u for u in answer.json["units"] if u["code"] == "engineering"]
        assert (unit["held"], unit["overdue"], unit["due_soon"]) == (2, 1, 1)
