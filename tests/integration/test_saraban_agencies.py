"""The platform-wide agency directory: entries, search, the CSV import, keys, who may change it.

The directory is shared by every test of the session, so each test makes its own letter codes.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from engine.saraban.errors import NotAllowed
from engine.services import accounts, operators, tenants
from engine.services.saraban import agencies
from engine.services.saraban.agencies import COMMAND_LINE, AgencyImportRefused, AgencyInvalid, AgencyNotFound
from engine.store.models import Dispatch, ExchangeMessage, Letter
from thongthin.demo import DEMO_PASSWORD

pytestmark = pytest.mark.db
NOW = datetime.now(UTC)


def code() -> str:
    """A fresh letter code: two Thai letters and a random five-digit number."""
    return f"ทส {random.randrange(10000, 99999)}"


def certificate(not_before: datetime, not_after: datetime, name: str = "agency") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    made = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return made.public_bytes(serialization.Encoding.PEM).decode()


def fields_of(error: AgencyInvalid) -> dict[str, str]:
    return {p.field: p.message_th for p in error.problems}


def test_add_find_and_search_by_thai_name_and_code(platform: Any):
    mine = code()
    name = f"สำนักงานทดสอบค้นหา {uuid.uuid4().hex[:6]}"

    async def run() -> None:
        added = await agencies.add(
            COMMAND_LINE,
            name_th=name,
            name_en="Search Test Office",
            letter_code=mine.replace("ทส ", "ทส  ").translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")),
            ministry_id="11",
            department_id="11008",
            endpoint_url="https://saraban.example.go.th/inbox",
            email="saraban@example.go.th",
        )
        assert added.letter_code == mine  # Thai digits and double spaces stored as printed
        assert (await agencies.find(mine)).id == added.id
        assert (await agencies.find(str(added.id))).id == added.id
        assert [a.id for a in await agencies.directory(name[-10:])] == [added.id]
        assert added.id in [a.id for a in await agencies.directory(mine[:5])]
        assert (await agencies.resolve_recipient(mine)).id == added.id
        with pytest.raises(AgencyNotFound):
            await agencies.find("ทส 1")
        await agencies.update(COMMAND_LINE, added.id, active=False)
        assert await agencies.directory(name) == []
        assert [a.id for a in await agencies.directory(name, active_only=False)] == [added.id]
        with pytest.raises(AgencyNotFound) as inactive:
            await agencies.resolve_recipient(mine)
        assert "ไม่รับหนังสือ" in inactive.value.message_th

    platform.db(run())


def test_field_problems_are_told_in_thai_per_field(platform: Any):
    async def run() -> None:
        with pytest.raises(AgencyInvalid) as refused:
            await agencies.add(
                COMMAND_LINE,
                name_th="",
                letter_code="52101",
                ministry_id="1",
                department_id="110080",
                endpoint_url="http://example.go.th/inbox",
            )
        problems = fields_of(refused.value)
        assert problems["name_th"] == "กรุณาระบุชื่อหน่วยงานภาษาไทย"
        assert "อักษรย่อภาษาไทย" in problems["letter_code"]
        assert problems["ministry_id"] == "รหัสกระทรวงต้องเป็นตัวเลข 2 หลัก"
        assert problems["department_id"] == "รหัสกรมต้องเป็นตัวเลข 5 หลัก"
        assert "https://" in problems["endpoint_url"]
        # Plain http only to this machine, for a peer under test.
        local = await agencies.add(
            COMMAND_LINE, name_th="ระบบทดสอบในเครื่อง", letter_code=code(), endpoint_url="http://127.0.0.1:9/in"
        )
        assert local.kind == "external"
        # The same code twice.
        with pytest.raises(AgencyInvalid) as twice:
            await agencies.add(
                COMMAND_LINE, name_th="ซ้ำ", letter_code=local.letter_code, email="saraban@x.go.th"
            )
        assert "เป็นของ ระบบทดสอบในเครื่อง แล้ว" in fields_of(twice.value)["letter_code"]

    platform.db(run())


def test_an_email_not_starting_with_saraban_is_refused(platform: Any):
    async def run() -> None:
        with pytest.raises(AgencyInvalid) as refused:
            await agencies.add(
                COMMAND_LINE,
                kind="email",
                name_th="อบต.ทดสอบอีเมล",
                letter_code=code(),
                email="info@test.go.th",
            )
        assert fields_of(refused.value)["email"] == agencies.EMAIL_RULE_TH
        assert "ฉบับที่ 4" in agencies.EMAIL_RULE_TH
        added = await agencies.add(
            COMMAND_LINE,
            kind="email",
            name_th="อบต.ทดสอบอีเมล",
            letter_code=code(),
            email="saraban@test.go.th",
        )
        with pytest.raises(AgencyInvalid):
            await agencies.update(COMMAND_LINE, added.id, email="mayor@test.go.th")

    platform.db(run())


def test_csv_import_is_all_or_nothing_and_harmless_again(platform: Any):
    good, other, bad = code(), code(), code()
    header = "ชื่อหน่วยงาน,ชื่อภาษาอังกฤษ,รหัสหนังสือ,รหัสกระทรวง,รหัสกรม,ที่อยู่ปลายทาง,อีเมลสารบรรณ\n"
    wrong = (
        header
        + f"เทศบาลนำเข้าหนึ่ง,Import One,{good},15,15001,https://one.example.go.th/in,saraban@one.go.th\n"
        + f"เทศบาลนำเข้าสอง,Import Two,{bad},15,150,,info@two.go.th\n"
    )

    async def run() -> None:
        with pytest.raises(AgencyImportRefused) as refused:
            await agencies.import_csv(COMMAND_LINE, wrong, filename="list.csv")
        lines = refused.value.lines
        assert any(line.startswith("list.csv:3: department_id: รหัสกรมต้องเป็นตัวเลข 5 หลัก") for line in lines)
        assert any(line.startswith("list.csv:3: email: อีเมลสารบรรณกลางต้องขึ้นต้นด้วย saraban") for line in lines)
        assert not any(":2:" in line for line in lines)
        with pytest.raises(AgencyNotFound):  # nothing of the file was kept, not even the good row
            await agencies.find(good)

        right = (
            "\ufeffname_th,name_en,letter_code,ministry_id,department_id,endpoint_url,email\n"
            f"เทศบาลนำเข้าหนึ่ง,Import One,{good},15,15001,https://one.example.go.th/in,saraban@one.go.th\n"
            f'"เทศบาลนำเข้าสอง, ตำบล",Import Two,{other},15,15002,,saraban@two.go.th\n'
        )
        first = await agencies.import_csv(COMMAND_LINE, right)
        assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
        again = await agencies.import_csv(COMMAND_LINE, right)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
        assert (await agencies.find(other)).kind == "email"
        assert (await agencies.find(other)).name_th == "เทศบาลนำเข้าสอง, ตำบล"
        changed = await agencies.import_csv(COMMAND_LINE, right.replace("Import One", "Import One (new)"))
        assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
        assert (await agencies.find(good)).name_en == "Import One (new)"

        with pytest.raises(AgencyImportRefused) as unknown:
            await agencies.import_csv(COMMAND_LINE, "name,letter_code\nก,ทส 12345\n", filename="x.csv")
        assert unknown.value.lines[0].startswith("x.csv:1: header:")

        too_many = header + "".join(f"ก,,ทส {10000 + i},,,,saraban@a.go.th\n" for i in range(10_001))
        with pytest.raises(AgencyImportRefused) as big:
            await agencies.import_csv(COMMAND_LINE, too_many, filename="big.csv")
        assert "big.csv:10002: row:" in big.value.lines[-1]

    platform.db(run())


def test_keys_rotate_with_overlap(platform: Any):
    async def run() -> None:
        agency = await agencies.add(
            COMMAND_LINE,
            name_th="หน่วยงานทดสอบกุญแจ",
            letter_code=code(),
            endpoint_url="https://k.example.go.th/in",
        )
        old = await agencies.add_key(
            COMMAND_LINE, agency, certificate(NOW - timedelta(days=300), NOW + timedelta(days=65))
        )
        new = await agencies.add_key(
            COMMAND_LINE, agency, certificate(NOW - timedelta(days=1), NOW + timedelta(days=700))
        )
        assert len(old.fingerprint) == 64 and old.fingerprint != new.fingerprint
        assert {k.id for k in await agencies.keys_for(agency)} == {old.id, new.id}
        assert (await agencies.add_key(COMMAND_LINE, agency, old.certificate_pem)).id == old.id
        await agencies.retire_key(COMMAND_LINE, agency, old.fingerprint.upper())
        assert [k.id for k in await agencies.keys_for(agency)] == [new.id]
        # A signature made before the retirement is still checked with the key of its time.
        assert old.id in {k.id for k in await agencies.keys_for(agency, NOW - timedelta(days=2))}
        assert new.id not in {k.id for k in await agencies.keys_for(agency, NOW - timedelta(days=2))}

        with pytest.raises(AgencyInvalid) as expired:
            await agencies.add_key(
                COMMAND_LINE, agency, certificate(NOW - timedelta(days=30), NOW - timedelta(days=1))
            )
        assert "หมดอายุ" in expired.value.message_th
        with pytest.raises(AgencyInvalid) as not_one:
            await agencies.add_key(
                COMMAND_LINE, agency, "-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----"
            )
        assert not_one.value.field == "certificate"
        private = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with pytest.raises(AgencyInvalid) as secret:
            await agencies.add_key(COMMAND_LINE, agency, private)
        assert "กุญแจส่วนตัว" in secret.value.message_th

    platform.db(run())


def test_ensure_for_tenant_follows_the_letter_code(platform: Any):
    slug = f"ag{uuid.uuid4().hex[:8]}"
    first, second = code(), code()

    async def run() -> None:
        tenant = await tenants.ensure_tenant(
            slug, name_th="เทศบาลตำบลสมุดรายชื่อ", name_en="Directory Town", kind="municipality",
            province="เชียงใหม่", reference_prefix="DT",
        )  # fmt: skip
        tenant.settings = {"saraban": {"letter_code": first}}
        await tenant.save()
        agency = await agencies.ensure_for_tenant(tenant)
        assert (agency.kind, agency.tenant_id, agency.letter_code) == ("tenant", tenant.id, first)
        # An entry imported before the municipality joined, under its new code, becomes its own.
        imported = await agencies.add(
            COMMAND_LINE, name_th="ชื่อเดิม", letter_code=second, email="saraban@dt.go.th", department_id="52101"
        )
        await agencies.add_key(
            COMMAND_LINE, imported, certificate(NOW - timedelta(days=1), NOW + timedelta(days=30))
        )
        # A letter this municipality sent to the entry before, and the message that carried it.
        letter = await Letter.create(
            public_id="L" + uuid.uuid4().hex[:16],
            tenant_id=tenant.id,
            direction="out",
            kind="external",
            status="sent",
            subject="ขอเชิญประชุม",
        )
        sent = await Dispatch.create(
            tenant_id=tenant.id,
            letter_id=letter.id,
            agency_id=imported.id,
            channel="email",
            message_id=uuid.uuid4().hex,
            state="sent",
        )
        carried = await ExchangeMessage.create(
            tenant_id=tenant.id,
            direction="out",
            message_id=sent.message_id,
            type="Letter",
            peer_id=imported.id,
            peer_code=second,
            channel="email",
            blob_key=f"exchange/{sent.message_id}",
            sha256="0" * 64,
            size=0,
            state="sent",
            receipt_id="",
            created_at=NOW,
        )
        tenant.settings = {"saraban": {"letter_code": second}}
        tenant.name_th = "เทศบาลเมืองสมุดรายชื่อ"
        await tenant.save()
        again = await agencies.ensure_for_tenant(tenant)
        assert again.id == agency.id
        assert (again.letter_code, again.name_th, again.email, again.department_id) == (
            second, "เทศบาลเมืองสมุดรายชื่อ", "saraban@dt.go.th", "52101",
        )  # fmt: skip
        assert len(await agencies.keys_for(again)) == 1
        assert (await Dispatch.get(id=sent.id)).agency_id == again.id, "the letter sent stays on record"
        assert (await ExchangeMessage.get(id=carried.id)).peer_id == again.id
        with pytest.raises(AgencyNotFound):
            await agencies.find(first)
        with pytest.raises(AgencyInvalid):  # its name follows the tenant, not the directory
            await agencies.update(COMMAND_LINE, again.id, name_th="อื่น")
        with pytest.raises(AgencyImportRefused):
            await agencies.import_csv(COMMAND_LINE, f"name_th,letter_code\nอื่น,{second}\n")

    platform.db(run())


def test_only_the_national_operator_changes_the_directory(platform: Any):
    async def run() -> None:
        officer = agencies.Editor("clerk", "maehia", frozenset({"saraban_clerk", "admin"}))
        with pytest.raises(NotAllowed):
            await agencies.add(officer, name_th="ไม่ควรเพิ่ม", letter_code=code(), email="saraban@no.go.th")
        with pytest.raises(NotAllowed):
            await agencies.import_csv(officer, "name_th,letter_code\n")
        elsewhere = agencies.Editor("op", "maehia", frozenset({operators.OPERATOR_ROLE}))
        assert not elsewhere.may_change

    platform.db(run())


# --- the API ---


def _token(client: Any, tenant: str, username: str) -> dict[str, str]:
    answer = client.post(
        "/api/v1/auth/token", json={"tenant": tenant, "username": username, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['token']}"}


@pytest.fixture(scope="module")
def callers(app: Any, platform: Any) -> dict[str, dict[str, str]]:
    slug = f"ag{uuid.uuid4().hex[:8]}"
    operator_name = f"op{uuid.uuid4().hex[:8]}"

    async def setup() -> None:
        tenant = await tenants.ensure_tenant(
            slug, name_th="เทศบาลตำบลอ่านสมุด", name_en="Reader", kind="municipality",
            province="เชียงใหม่", reference_prefix="RD",
        )  # fmt: skip
        await accounts.create_user(
            tenant, f"{slug}.clerk", DEMO_PASSWORD, "สมศรี สารบรรณ", ["saraban_clerk", "admin"]
        )
        national = await operators.operator_tenant()
        await accounts.create_user(
            national, operator_name, DEMO_PASSWORD, "ผู้ดูแลสมุด", [operators.OPERATOR_ROLE]
        )

    platform.db(setup())
    client = app.test_client()
    return {
        "officer": _token(client, slug, f"{slug}.clerk"),
        "operator": _token(client, operators.OPERATOR_TENANT, operator_name),
    }


def test_api_officers_read_and_the_operator_writes(client: Any, callers: dict[str, dict[str, str]]):
    mine = code()
    body = {"name_th": "กรมทดสอบผ่าน API", "letter_code": mine, "endpoint_url": "https://api.example.go.th/in"}
    refused = client.post("/api/v1/saraban/agencies", json=body, headers=callers["officer"])
    assert refused.status_code == 403, refused.json
    assert refused.json["code"] == "saraban_forbidden" and "ผู้ดูแลระดับประเทศ" in refused.json["message_th"]
    assert client.post("/api/v1/saraban/agencies", json=body).status_code == 401

    made = client.post("/api/v1/saraban/agencies", json=body, headers=callers["operator"])
    assert made.status_code == 201, made.json
    agency_id = made.json["id"]
    assert made.json["kind"] == "external" and made.json["keys"] == []

    found = client.get(
        "/api/v1/saraban/agencies", query_string={"q": "ทดสอบผ่าน API"}, headers=callers["officer"]
    )
    assert found.status_code == 200 and [a["letter_code"] for a in found.json["agencies"]] == [mine]
    assert client.get("/api/v1/saraban/agencies").status_code == 401

    bad = client.put(
        f"/api/v1/saraban/agencies/{agency_id}", json={"email": "info@x.go.th"}, headers=callers["operator"]
    )
    assert bad.status_code == 422 and bad.json["errors"][0]["message_th"] == agencies.EMAIL_RULE_TH
    for method, url in (
        ("POST", "/api/v1/saraban/agencies"),
        ("PUT", f"/api/v1/saraban/agencies/{agency_id}"),
    ):
        too_long = client.open(
            url, method=method, json={**body, "letter_code": "0" * 41}, headers=callers["operator"]
        )
        assert too_long.status_code == 422, too_long.json  # a code longer than any is a wrong answer
        assert [e["field"] for e in too_long.json["errors"]] == ["letter_code"]
    put = client.put(
        f"/api/v1/saraban/agencies/{agency_id}", json={"email": "saraban@x.go.th"}, headers=callers["officer"]
    )
    assert put.status_code == 403
    put = client.put(
        f"/api/v1/saraban/agencies/{agency_id}",
        json={"email": "saraban@x.go.th"},
        headers=callers["operator"],
    )
    assert put.status_code == 200 and put.json["email"] == "saraban@x.go.th"

    pem = certificate(NOW - timedelta(days=1), NOW + timedelta(days=90))
    for who, status in (("officer", 403), ("operator", 201)):
        key = client.post(
            f"/api/v1/saraban/agencies/{agency_id}/keys",
            data=pem,
            content_type="text/plain",
            headers=callers[who],
        )
        assert key.status_code == status, key.json
    one = client.get(f"/api/v1/saraban/agencies/{agency_id}", headers=callers["officer"])
    assert [k["valid_now"] for k in one.json["keys"]] == [True]
    assert client.get("/api/v1/saraban/agencies/2147483647", headers=callers["officer"]).status_code == 404

    csv_text = f"name_th,letter_code,email\nกรมนำเข้า API,{code()},saraban@imp.go.th\n"
    for who, status in (("officer", 403), ("operator", 200)):
        done = client.post(
            "/api/v1/saraban/agencies/import",
            data=csv_text.encode(),
            content_type="text/csv",
            headers=callers[who],
        )
        assert done.status_code == status, done.json
    assert done.json == {"created": 1, "updated": 0, "unchanged": 0}
    broken = client.post(
        "/api/v1/saraban/agencies/import",
        data=b"name_th,letter_code\n,xx\n",
        content_type="text/csv",
        headers=callers["operator"],
    )
    assert broken.status_code == 422 and broken.json["code"] == "agency_import_refused"
    assert {e["field"] for e in broken.json["errors"]} == {"2:name_th", "2:letter_code", "2:email"}
