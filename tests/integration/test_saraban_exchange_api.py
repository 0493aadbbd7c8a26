"""Letters between agencies over the JSON API.

- ``POST /api/v1/saraban/inbound``: every fault with its status and Thai text, nothing stored for a
  refused message, the first receipt for a duplicate;
- the registry's calls: draft with addressees, send, deliveries, the letters that arrived, register
  (the เลขรับ back in the sender's deliveries), reject, wrong delivery, withdraw and send again.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from engine.effects.builtin import SARABAN_DELIVER
from engine.saraban.exchange import envelope as env
from engine.saraban.exchange import jws
from engine.services import tenants
from engine.services.effects import Runners, run_pending
from engine.services.saraban import agencies, exchange_keys
from engine.store.models import ExchangeMessage, RegisterEntry
from tests.integration.test_saraban_api import Office, make_office
from thongthin.saraban_exchange import Deliverer

pytestmark = pytest.mark.db
INBOUND = "/api/v1/saraban/inbound"


def code() -> str:
    return f"ชม {uuid.uuid4().int % 90000 + 10000}"


@pytest.fixture(scope="module")
def pair(app: Any, platform: Any) -> tuple[Office, Office]:
    here = make_office(platform, app.test_client(), code=code())
    there = make_office(platform, app.test_client(), code=code())
    for office in (here, there):
        platform.db(agencies.ensure_for_tenant(platform.db(tenants.get_tenant(office.slug))))
    return here, there


def letter_code(platform: Any, office: Office) -> str:
    return str(platform.db(tenants.get_tenant(office.slug)).settings["saraban"]["letter_code"])


def pump(platform: Any) -> None:
    runners = Runners({SARABAN_DELIVER.name: (Deliverer(platform), SARABAN_DELIVER.retry)})
    for _ in range(6):
        if platform.db(run_pending(runners)).done == 0:
            return


def signed(client: Any, platform: Any, office: Office, to: Office, subject: str) -> dict[str, Any]:
    drafted = client.post(
        office.url("letters"),
        json={"kind": "external", "subject": subject, "recipient": "นายกเทศมนตรี", "unit": "engineering",
              "body": ["ด้วยเทศบาลขอความร่วมมือ"], "addressees": [letter_code(platform, to)]},
        headers=office.auth("department_head"),
    )  # fmt: skip
    assert drafted.status_code == 201, drafted.json
    assert drafted.json["addressees"] == [letter_code(platform, to)]
    answer = client.post(
        office.url(f"letters/{drafted.json['public_id']}/sign"),
        json={"version": drafted.json["version"], "typed_name": True},
        headers=office.auth("department_head"),
    )
    assert answer.status_code == 200, answer.json
    return dict(answer.json)


def a_message(
    platform: Any, here: Office, there: Office, subject: str = "ขอข้อมูลผู้สูงอายุ"
) -> tuple[env.Envelope, bytes, str]:
    """A Letter message from ``here`` to ``there``, signed with ``here``'s exchange key."""
    sender = platform.db(tenants.get_tenant(here.slug))
    key = platform.db(exchange_keys.current(sender, platform.settings.secret_key))
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    envelope = env.Envelope(
        protocol=env.PROTOCOL, message_id=str(uuid.uuid4()), type="Letter", created_at="2026-12-04T10:00:00+07:00",
        sender=env.Agency(agency_code=letter_code(platform, here)), recipient=env.Agency(agency_code=letter_code(platform, there)),
        letter=env.Letter(number=f"{letter_code(platform, here)}/77", date="2569-12-04", subject=subject),
        documents=[env.Document.of("main", "letter.pdf", "application/pdf", pdf)],
    )  # fmt: skip
    body = env.canonical(envelope)
    return envelope, body, jws.sign(body, key.key_pem, key.key_id)


def post(client: Any, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": env.MEDIA_TYPE}
    if signature is not None:
        headers["X-Saraban-Signature"] = signature
    return client.post(INBOUND, data=body, headers=headers)


def test_the_inbound_endpoint_answers_every_fault(
    client: Any, platform: Any, pair: tuple[Office, Office]
) -> None:
    here, there = pair
    envelope, body, signature = a_message(platform, here, there)
    stored = lambda: platform.db(ExchangeMessage.filter(message_id=envelope.message_id).count())  # noqa: E731

    unsigned = post(client, body, None)
    assert (unsigned.status_code, unsigned.json["fault"]) == (401, "BadSignature")
    assert unsigned.json["detail_th"] == "ข้อความไม่มีลายมือชื่อ หรือลายมือชื่อยาวเกินกำหนด"
    tampered = post(client, body.replace("ผู้สูงอายุ".encode(), "ผู้พิการ".encode()), signature)
    assert (tampered.status_code, tampered.json["fault"]) == (401, "BadSignature")
    garbage = post(client, b"{not json", signature)
    assert (garbage.status_code, garbage.json["fault"]) == (400, "Validation")
    newer = post(client, body.replace(b'"th-saraban/1.0"', b'"th-saraban/1.1"'), signature)
    assert (newer.status_code, newer.json["fault"]) == (400, "UnsupportedVersion")
    assert stored() == 0

    first = post(client, body, signature)
    assert first.status_code == 202 and first.json["duplicate"] is False
    again = post(client, body, signature)
    assert again.status_code == 202 and again.json == {
        "receipt_id": first.json["receipt_id"],
        "duplicate": True,
    }
    assert stored() == 1

    # Addressed to nobody served here, and a top-secret letter: refused, nothing stored.
    _, lost_body, _ = a_message(platform, here, there)
    lost_body = lost_body.replace(letter_code(platform, there).encode(), "ชม 99998".encode())
    lost = post(client, lost_body, jws.sign(lost_body, *_key(platform, here)))
    assert (lost.status_code, lost.json["fault"]) == (422, "InvalidAddressee")
    _, secret_body, _ = a_message(platform, here, there)
    secret_body = secret_body.replace(b'"secret_code":"001"', b'"secret_code":"004"')
    secret = post(client, secret_body, jws.sign(secret_body, *_key(platform, here)))
    assert (secret.status_code, secret.json["fault"]) == (422, "SecrecyNotAllowed")
    assert "ลับที่สุด" in secret.json["detail_th"]


def _key(platform: Any, office: Office) -> tuple[bytes, str]:
    key = platform.db(
        exchange_keys.current(platform.db(tenants.get_tenant(office.slug)), platform.settings.secret_key)
    )
    return key.key_pem, key.key_id


def test_send_register_and_the_receive_number_back(
    client: Any, platform: Any, pair: tuple[Office, Office]
) -> None:
    here, there = pair
    letter = signed(client, platform, here, there, "ขอเชิญประชุมคณะกรรมการพัฒนาท้องถิ่น")
    clerk = here.auth("saraban_clerk")
    # Only the registry sends.
    refused = client.post(
        here.url(f"letters/{letter['public_id']}/send"), headers=here.auth("department_head")
    )
    assert refused.status_code == 403
    sent = client.post(here.url(f"letters/{letter['public_id']}/send"), headers=clerk)
    assert sent.status_code == 202 and [d["state"] for d in sent.json["deliveries"]] == ["queued"]
    pump(platform)

    arrived = client.get(there.url("messages"), headers=there.auth("saraban_clerk")).json["messages"]
    item = next(m for m in arrived if m["subject"] == letter["subject"])
    assert item["signed"] is True and item["letter_number"] == letter["letter_number"]
    assert client.get(there.url("messages"), headers=there.auth("engineer")).status_code == 403
    # Another municipality's registry does not find it.
    assert client.get(here.url(f"messages/{item['receipt_id']}"), headers=clerk).status_code == 404

    registered = client.post(
        there.url(f"messages/{item['receipt_id']}/register"), headers=there.auth("saraban_clerk")
    )
    assert registered.status_code == 201, registered.json
    assert registered.json["original_sha256"] == letter["sha256"]
    twice = client.post(
        there.url(f"messages/{item['receipt_id']}/register"), headers=there.auth("saraban_clerk")
    )
    assert twice.status_code == 409
    pump(platform)
    deliveries = client.get(here.url(f"letters/{letter['public_id']}/deliveries"), headers=clerk).json[
        "deliveries"
    ]
    number = platform.db(RegisterEntry.get(letter__public_id=registered.json["public_id"])).number_text
    assert [(d["state"], d["state_th"], d["accept_id"]) for d in deliveries] == [
        ("accepted", "ปลายทางลงรับแล้ว", number)
    ]


def test_reject_withdraw_and_send_again(client: Any, platform: Any, pair: tuple[Office, Office]) -> None:
    here, there = pair
    letter = signed(client, platform, here, there, "ขอรับการสนับสนุนงบประมาณ")
    clerk, theirs = here.auth("saraban_clerk"), there.auth("saraban_clerk")
    client.post(here.url(f"letters/{letter['public_id']}/send"), headers=clerk)
    pump(platform)
    item = next(
        m
        for m in client.get(there.url("messages"), headers=theirs).json["messages"]
        if m["subject"] == letter["subject"]
    )
    blank = client.post(
        there.url(f"messages/{item['receipt_id']}/reject"), json={"reason": " "}, headers=theirs
    )
    assert blank.status_code == 422 and blank.json["errors"][0]["message_th"] == "กรุณาระบุเหตุผล"
    rejected = client.post(
        there.url(f"messages/{item['receipt_id']}/reject"), json={"reason": "ยังไม่ได้ลงนาม"}, headers=theirs
    )
    assert rejected.status_code == 200 and rejected.json["state_th"] == "ปฏิเสธแล้ว"
    pump(platform)
    agency = letter_code(platform, there)
    early = client.post(
        here.url(f"letters/{letter['public_id']}/resend"), json={"agency": agency}, headers=clerk
    )
    assert early.status_code == 409 and early.json["code"] == "dispatch_refused"
    withdrawn = client.post(
        here.url(f"letters/{letter['public_id']}/withdraw"),
        json={"agency": agency, "reason": "แก้ไขแล้ว"},
        headers=clerk,
    )
    assert [d["state"] for d in withdrawn.json["deliveries"]] == ["withdrawn"]
    again = client.post(
        here.url(f"letters/{letter['public_id']}/resend"), json={"agency": agency}, headers=clerk
    )
    assert again.status_code == 202
    assert [(d["round"], d["state"]) for d in again.json["deliveries"]] == [(1, "withdrawn"), (2, "queued")]
    pump(platform)
    states = {
        m["subject"]: m["state"]
        for m in client.get(there.url("messages") + "?state=withdrawn", headers=theirs).json["messages"]
    }
    assert states.get(letter["subject"]) == "withdrawn"  # the rejected copy is withdrawn by its sender
    waiting = [
        m
        for m in client.get(there.url("messages"), headers=theirs).json["messages"]
        if m["subject"] == letter["subject"]
    ]
    assert len(waiting) == 1 and waiting[0]["message_id"] == again.json["deliveries"][1]["message_id"]
    wrong = client.post(
        there.url(f"messages/{waiting[0]['receipt_id']}/wrong-delivery"),
        json={"reason": "ไม่ใช่อำนาจหน้าที่"},
        headers=theirs,
    )
    assert wrong.status_code == 200 and wrong.json["state"] == "invalid"
    assert wrong.json["reason"] == "ไม่ใช่อำนาจหน้าที่"
