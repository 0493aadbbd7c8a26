"""The correspondence JSON API (``/api/v1/tenants/<tenant>/saraban/``) end to end with the real PDF side.

Steps are signed with the typed name (ฉบับที่ 4), which the test municipality allows, so no signing
key or timestamp service is needed; PAdES signing has its own tests in test_saraban_letters.py.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.saraban.numbering import calendar_year
from engine.saraban.vocabulary import register_columns
from engine.services import accounts, tenants
from engine.services.saraban import organisation
from thongthin.demo import DEMO_PASSWORD

ROLES = ("saraban_clerk", "department_head", "engineer", "chief_administrator", "admin")


@dataclass
class Office:
    slug: str
    tokens: dict[str, str]  # role -> bearer token

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def url(self, path: str) -> str:
        return f"/api/v1/tenants/{self.slug}/saraban/{path}"


def make_office(platform: Any, client: Any, code: str = "ชม 52101") -> Office:
    slug = f"a{uuid.uuid4().hex[:8]}"

    async def setup() -> None:
        tenant = await tenants.ensure_tenant(
            slug, name_th=f"เทศบาลตำบลทดสอบ {slug}", name_en=slug, kind="municipality",
            province="เชียงใหม่", reference_prefix="SA",
        )  # fmt: skip
        tenant.settings = {"saraban": {"letter_code": code, "typed_name_signing": True}}
        await tenant.save()
        users = {}
        for role in ROLES:
            users[role] = await accounts.create_user(
                tenant, f"{slug}.{role}", DEMO_PASSWORD, f"สมศรี {role}", [role], position_th=f"ตำแหน่ง {role}"
            )
        await organisation.put_unit(tenant, "engineering", "กองช่าง", letter_suffix=".3")
        await organisation.add_member(tenant, "engineering", users["department_head"].id, head=True)
        await organisation.add_member(tenant, "engineering", users["engineer"].id)

    platform.db(setup())
    tokens = {}
    for role in ROLES:
        answer = client.post(
            "/api/v1/auth/token",
            json={"tenant": slug, "username": f"{slug}.{role}", "password": DEMO_PASSWORD},
        )
        assert answer.status_code == 200, answer.json
        tokens[role] = answer.json["token"]
    return Office(slug, tokens)


@pytest.fixture(scope="module")
def office(app: Any, platform: Any) -> Office:
    return make_office(platform, app.test_client())


@pytest.fixture(scope="module")
def other(app: Any, platform: Any) -> Office:
    return make_office(platform, app.test_client(), code="ชม 52102")


@pytest.fixture(scope="module")
def arrived(platform: Any) -> bytes:
    """A one-page letter as it would arrive (rendered once for the module)."""
    from engine.saraban.ports import DraftLetter

    return platform.saraban_files.tools.render_draft(
        DraftLetter(
            kind="external", agency_name="ที่ทำการปกครองจังหวัด", agency_address="ศาลากลางจังหวัด",
            unit_name="", letter_code="", circular=False, subject="ขอเชิญประชุม", salutation="เรียน",
            recipient="นายกเทศมนตรี", references=(), enclosures=(), body=("ขอเชิญประชุมประจำเดือน",),
            signer_name="นายวิชัย สุขใจ", signer_position="ปลัดจังหวัด", contact="", urgency="normal",
            due_at=None, secrecy="normal", thai_numerals=False, number="ชม 0017/1", letter_date=None,
        )
    ).pdf  # fmt: skip


def incoming(pdf: bytes | None, **more: Any) -> dict[str, Any]:
    body = {
        "letter_number": "ชม 0017/1",
        "letter_date": "2026-12-01",
        "sender": "ที่ทำการปกครองจังหวัด",
        "recipient": "นายกเทศมนตรี",
        "subject": "ขอเชิญประชุมประจำเดือน",
        **more,
    }
    if pdf is not None:
        body["file"] = base64.b64encode(pdf).decode()
    return body


def receive(client: Any, office: Office, pdf: bytes | None, **more: Any) -> dict[str, Any]:
    answer = client.post(
        office.url("letters/incoming"), json=incoming(pdf, **more), headers=office.auth("saraban_clerk")
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def test_every_call_needs_an_officer_of_the_municipality(client: Any, office: Office, other: Office):
    assert client.get(office.url("letters")).status_code == 401
    assert client.get(office.url("letters"), headers={"Authorization": "Bearer nope"}).status_code == 401
    refused = client.get(office.url("letters"), headers=other.auth("saraban_clerk"))
    assert refused.status_code == 403 and refused.json["code"] == "wrong_tenant"


def test_receive_gives_a_number_and_the_hashes(client: Any, office: Office, other: Office, arrived: bytes):
    letter = receive(client, office, arrived)
    assert letter["receive_number"].isdigit()
    assert letter["original_sha256"] == hashlib.sha256(arrived).hexdigest()
    assert letter["sha256"] != letter["original_sha256"]  # the receive stamp is a new revision
    assert letter["status"] == "received" and letter["version"] == 1
    pdf = client.get(office.url(f"letters/{letter['public_id']}/pdf"), headers=office.auth("saraban_clerk"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(arrived)  # an incremental revision of the bytes as received
    assert hashlib.sha256(pdf.data).hexdigest() == letter["sha256"]
    # Another municipality's registry never finds it, under its own address.
    lost = client.get(other.url(f"letters/{letter['public_id']}"), headers=other.auth("saraban_clerk"))
    assert lost.status_code == 404 and lost.json["code"] == "letter_not_found" and lost.json["message_th"]


def test_receive_as_multipart(client: Any, office: Office, arrived: bytes):
    fields = incoming(None, urgency="urgent")
    answer = client.post(
        office.url("letters/incoming"),
        data={**fields, "file": (io.BytesIO(arrived), "letter.pdf", "application/pdf")},
        content_type="multipart/form-data",
        headers=office.auth("saraban_clerk"),
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["urgency"] == "urgent"
    assert answer.json["original_sha256"] == hashlib.sha256(arrived).hexdigest()


def test_wrong_fields_are_named_in_thai(client: Any, office: Office):
    answer = client.post(
        office.url("letters/incoming"),
        json={"recipient": "นายก", "subject": "", "urgency": "asap", "letter_date": "2569-12-01"},
        headers=office.auth("saraban_clerk"),
    )
    assert answer.status_code == 422, answer.json
    assert answer.json["code"] == "invalid_letter"
    named = {e["field"]: e for e in answer.json["errors"]}
    assert "letter_date" in named and "ปีคริสต์ศักราช" in named["letter_date"]["message_th"]
    answer = client.post(
        office.url("letters/incoming"),
        json={"recipient": "นายก", "subject": "", "urgency": "asap"},
        headers=office.auth("saraban_clerk"),
    )
    named = {e["field"]: e for e in answer.json["errors"]}
    assert {"sender", "subject", "urgency"} <= set(named)
    assert all(any("\u0e00" <= c <= "\u0e7f" for c in e["message_th"]) for e in named.values())
    assert answer.json["message_th"] and answer.json["field"] == answer.json["errors"][0]["field"]
    # Only the registry registers letters.
    refused = client.post(
        office.url("letters/incoming"), json=incoming(b"%PDF"), headers=office.auth("engineer")
    )
    assert refused.status_code == 403 and refused.json["code"] == "saraban_forbidden"


def test_route_then_a_stale_version_and_steps_never_change(client: Any, office: Office, arrived: bytes):
    letter = receive(client, office, arrived)
    url = office.url(f"letters/{letter['public_id']}")
    step = client.post(
        f"{url}/steps",
        json={"version": 1, "action": "assign", "text": "โปรดดำเนินการ", "target": {"kind": "unit", "value": "engineering"}, "typed_name": True},
        headers=office.auth("saraban_clerk"),
    )  # fmt: skip
    assert step.status_code == 201, step.json
    assert step.json["seq"] == 1 and step.json["version"] == 2 and step.json["signing_method"] == "typed_name"
    assert step.json["target"]["label"] == "กองช่าง"
    stale = client.post(
        f"{url}/steps", json={"version": 1, "action": "acknowledge", "typed_name": True}, headers=office.auth("department_head")
    )  # fmt: skip
    assert stale.status_code == 409 and stale.json["code"] == "letter_changed" and stale.json["message_th"]
    for method in ("put", "delete"):
        immutable = getattr(client, method)(f"{url}/steps/1", json={}, headers=office.auth("saraban_clerk"))
        assert immutable.status_code == 409 and immutable.json["code"] == "step_immutable"
        assert "แก้ไขหรือลบไม่ได้" in immutable.json["message_th"]
    # The unit's head now holds it, and sends it on to the engineer by username.
    inbox = client.get(office.url("letters"), headers=office.auth("department_head")).json["letters"]
    assert letter["public_id"] in [x["public_id"] for x in inbox]
    onward = client.post(
        f"{url}/steps",
        json={"version": 2, "action": "assign", "text": "", "target": {"kind": "user", "value": f"{office.slug}.engineer"}, "typed_name": True},
        headers=office.auth("department_head"),
    )  # fmt: skip
    assert onward.status_code == 201, onward.json
    page = client.get(url, headers=office.auth("engineer")).json
    assert [s["seq"] for s in page["steps"]] == [1, 2] and page["version"] == 3
    assert page["register_entries"][0]["book"] == "receive"
    closed = client.post(
        f"{url}/close", json={"version": 3, "retention_class": "routine"}, headers=office.auth("engineer")
    )
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "closed" and closed.json["retention_class"] == "routine"


def test_a_classified_letter_is_for_the_named_officers_only(client: Any, office: Office, arrived: bytes):
    letter = receive(client, office, arrived, secrecy="secret", access=[f"{office.slug}.department_head"])
    url = office.url(f"letters/{letter['public_id']}")
    assert client.get(url, headers=office.auth("department_head")).status_code == 200
    hidden = client.get(url, headers=office.auth("engineer"))
    assert hidden.status_code == 404 and hidden.json["code"] == "letter_not_found"
    assert client.get(f"{url}/pdf", headers=office.auth("engineer")).status_code == 404
    granted = client.post(
        f"{url}/access", json={"user": f"{office.slug}.engineer"}, headers=office.auth("saraban_clerk")
    )
    assert granted.status_code == 200, granted.json
    assert client.get(url, headers=office.auth("engineer")).status_code == 200
    top = client.post(
        office.url("letters/incoming"), json=incoming(arrived, secrecy="top_secret"), headers=office.auth("saraban_clerk")
    )  # fmt: skip
    assert (
        top.status_code == 422 and top.json["code"] == "secrecy_refused" and "ลับที่สุด" in top.json["message_th"]
    )


def test_draft_and_sign_with_the_typed_name(client: Any, office: Office):
    drafted = client.post(
        office.url("letters"),
        json={"kind": "external", "subject": "ขอความอนุเคราะห์", "recipient": "นายอำเภอ", "body": ["ด้วยเทศบาลขอความอนุเคราะห์"]},
        headers=office.auth("department_head"),
    )  # fmt: skip
    assert drafted.status_code == 201, drafted.json
    assert drafted.json["status"] == "draft" and drafted.json["letter_number"] == ""
    url = office.url(f"letters/{drafted.json['public_id']}")
    signed = client.post(
        f"{url}/sign", json={"version": 1, "typed_name": True}, headers=office.auth("department_head")
    )
    assert signed.status_code == 200, signed.json
    assert signed.json["status"] == "signed" and signed.json["letter_number"].startswith("ชม 52101.3/")
    again = client.post(
        f"{url}/sign", json={"version": 1, "typed_name": True}, headers=office.auth("department_head")
    )
    assert again.status_code == 409
    missing = client.post(
        office.url("letters"), json={"kind": "memo"}, headers=office.auth("department_head")
    )
    assert missing.status_code == 422
    assert {"kind", "subject", "body"} <= {e["field"] for e in missing.json["errors"]}


def test_registers_numbers_units_and_the_audit_chain(client: Any, office: Office, arrived: bytes):
    receive(client, office, arrived)
    year = calendar_year(datetime.now(UTC))
    clerk = office.auth("saraban_clerk")
    book = client.get(office.url(f"registers/receive/{year}"), headers=clerk)
    assert book.status_code == 200, book.json
    assert book.json["columns"] == list(register_columns("receive"))
    assert book.json["rows"] and all(len(r) == len(book.json["columns"]) for r in book.json["rows"])
    exported = client.get(office.url(f"registers/receive/{year}?format=csv"), headers=clerk)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    header = next(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert header == list(register_columns("receive"))
    sheet = client.get(office.url(f"registers/receive/{year}?format=xlsx"), headers=clerk)
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")
    from openpyxl import load_workbook

    cells = [[c.value for c in row] for row in load_workbook(io.BytesIO(sheet.data)).active.iter_rows()]
    assert list(register_columns("receive")) in cells  # the official header row, under the title
    printed = client.get(office.url(f"registers/receive/{year}?format=pdf"), headers=clerk)
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF-")
    assert (
        client.get(office.url(f"registers/receive/{year}"), headers=office.auth("engineer")).status_code
        == 403
    )
    assert client.get(office.url("registers/nope/2569"), headers=clerk).status_code == 422
    assert client.get(office.url("registers/send/1999"), headers=clerk).status_code == 422

    reserved = client.post(
        office.url("numbers"), json={"book": "send", "subject": "หนังสือเชิญประชุม"}, headers=clerk
    )
    assert reserved.status_code == 201 and reserved.json["state"] == "reserved", reserved.json
    cancelled = client.post(
        office.url(f"numbers/{reserved.json['id']}/cancel"), json={"reason": "ไม่ใช้แล้ว"}, headers=clerk
    )
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    twice = client.post(
        office.url(f"numbers/{reserved.json['id']}/cancel"), json={"reason": "ซ้ำ"}, headers=clerk
    )
    assert twice.status_code == 409 and twice.json["code"] == "number_not_reservable"
    no_receive = client.post(office.url("numbers"), json={"book": "receive", "subject": "x"}, headers=clerk)
    assert no_receive.status_code == 409

    units = client.get(office.url("units"), headers=office.auth("engineer")).json["units"]
    assert [u["code"] for u in units] == ["engineering"] and units[0]["letter_suffix"] == ".3"
    chain = client.get(office.url("audit/verify"), headers=clerk)
    assert chain.status_code == 200 and chain.json["intact"] is True and chain.json["entries"] >= 1
    assert client.get(office.url("audit/verify"), headers=office.auth("engineer")).status_code == 403


def test_the_openapi_document_describes_every_route_of_the_area(app: Any, client: Any):
    import re

    spec = client.get("/api/v1/openapi.json").json
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        if "/saraban/" in path
        for method in item
        if method != "parameters"
    }
    served = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if "/saraban/" in rule.rule and rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert served == documented
    # /letters/incoming is the receiving endpoint, never a letter's ID.
    answer = client.get("/api/v1/tenants/x/saraban/letters/incoming")
    assert answer.status_code == 405 and set(answer.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    from openapi_spec_validator import validate

    validate(spec)


@pytest.fixture(scope="module")
def signing_office(app: Any, platform: Any) -> Iterator[Office]:
    """A municipality whose officers sign with keys of the development PKI served on loopback."""
    from signing.pki import DevPkiServer, Officer, ensure_dev_pki

    made = make_office(platform, app.test_client(), code="ชม 52103")
    server = DevPkiServer(port=0)
    officers = [
        Officer(made.slug, role, f"สมศรี {role}", "เทศบาลทดสอบ")
        for role in ("department_head", "saraban_clerk")
    ]
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield made
    server.stop()


def test_steps_and_the_letter_are_signed_digitally(client: Any, signing_office: Office):
    head = signing_office.auth("department_head")
    drafted = client.post(
        signing_office.url("letters"),
        json={"kind": "internal", "subject": "ขออนุมัติจัดซื้อ", "recipient": "ปลัดเทศบาล", "body": ["ด้วยกองช่างขออนุมัติ"]},
        headers=head,
    )  # fmt: skip
    assert drafted.status_code == 201, drafted.json
    url = signing_office.url(f"letters/{drafted.json['public_id']}")
    step = client.post(
        f"{url}/steps", json={"version": 1, "action": "present", "text": "เสนอเพื่อโปรดพิจารณา"}, headers=head
    )
    assert step.status_code == 201, step.json
    assert step.json["signing_method"] == "pades"
    signed = client.post(f"{url}/sign", json={"version": 2}, headers=head)
    assert signed.status_code == 200, signed.json
    assert signed.json["signing_method"] == "pades" and signed.json["letter_number"].startswith("ชม 52103.3/")
    pdf = client.get(f"{url}/pdf", headers=head).data
    assert pdf.count(b"/ByteRange") == 2  # the step's signature, then the letter's


def test_the_administrator_changes_the_settings_and_the_directory_follows(
    app: Any, platform: Any, office: Office
) -> None:
    from engine.store.models import Agency, Tenant

    client = app.test_client()
    settings = office.url("settings")
    shown = client.get(settings, headers=office.auth("saraban_clerk"))
    assert shown.status_code == 200 and shown.json["letter_code"] == "ชม 52101"
    refused = client.put(settings, json={"letter_code": "ชม 52199"}, headers=office.auth("saraban_clerk"))
    assert refused.status_code == 403 and refused.json["message_th"]
    bad = client.put(
        settings, json={"letter_code": "52101", "reservation_hours": 0}, headers=office.auth("admin")
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"letter_code", "reservation_hours"}
    assert all(e["message_th"] for e in bad.json["errors"])
    code = f"ชม {uuid.uuid4().int % 90000 + 10000}"
    saved = client.put(
        settings, json={"letter_code": code, "numbers_per_unit": True}, headers=office.auth("admin")
    )
    assert saved.status_code == 200 and saved.json == {
        **shown.json,
        "letter_code": code,
        "numbers_per_unit": True,
    }
    tenant = platform.db(Tenant.get(slug=office.slug))
    assert platform.db(Agency.get(tenant_id=tenant.id)).letter_code == code
