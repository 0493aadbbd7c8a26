"""Letters between two municipalities of one platform, through the same signed messages as between
platforms: the in-process transport, the delivery queue, the notices back.

- maehia → suthep: the signed PDF arrives with the same SHA-256 and stays valid in ``pdfsig``;
  suthep's clerk registers it and the เลขรับ comes back into maehia's delivery and send register;
- a circular to three municipalities, each answered differently;
- reject, wrong delivery, withdraw and send again as a new message;
- a tampered message is refused (BadSignature), registers nothing, takes no number, and is
  audited; the same message again gets the first receipt; the same id with another body is refused.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.effects.builtin import SARABAN_DELIVER
from engine.saraban.errors import InvalidLetter
from engine.saraban.exchange import envelope as env
from engine.saraban.exchange import jws
from engine.saraban.exchange.faults import BadSignature, Duplicate
from engine.services.effects import Runners, run_pending
from engine.services.saraban import audit, exchange, exchange_keys, letters, registers
from engine.services.saraban.letters import Outgoing
from engine.store.models import Dispatch, ExchangeMessage, RegisterEntry, SarabanAudit
from signing.pki import DevPki, DevPkiServer, Officer, ensure_dev_pki
from tests.integration.test_saraban_letters import Office, make_office, signatures
from tests.signing_fixtures import need_tool, trusting_nss_db
from thongthin.saraban_exchange import Deliverer

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def towns(platform: Any) -> Iterator[tuple[dict[str, Office], DevPki]]:
    officers: list[Officer] = []
    made = {
        "maehia": make_office(platform, officers, code=f"ชม {uuid.uuid4().int % 90000 + 10000}"),
        "suthep": make_office(platform, officers, code=f"ชม {uuid.uuid4().int % 90000 + 10000}"),
        "nongkhwai": make_office(platform, officers, code=f"ชม {uuid.uuid4().int % 90000 + 10000}"),
        "hangdong": make_office(platform, officers, code=f"ชม {uuid.uuid4().int % 90000 + 10000}"),
    }
    from engine.services.saraban import agencies

    for office in made.values():
        platform.db(agencies.ensure_for_tenant(office.tenant))
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield made, pki
    server.stop()


@pytest.fixture(scope="module")
def nss(towns: tuple[dict[str, Office], DevPki], tmp_path_factory: pytest.TempPathFactory) -> str:
    need_tool("pdfsig", "certutil")
    return trusting_nss_db(towns[1].root_cert_path, tmp_path_factory.mktemp("nss-exchange"))


def code_of(office: Office) -> str:
    return str(office.tenant.settings["saraban"]["letter_code"])


def pump(platform: Any, rounds: int = 6) -> None:
    """Run the delivery jobs until none is due (each notice answered is a new job)."""
    runners = Runners({SARABAN_DELIVER.name: (Deliverer(platform), SARABAN_DELIVER.retry)})
    for _ in range(rounds):
        if platform.db(run_pending(runners)).done == 0:
            return


def signed_letter(
    platform: Any, office: Office, subject: str, to: list[Office], *, circular: bool = False
) -> Any:
    files = platform.saraban_files
    head = office["department_head"]
    draft = platform.db(
        letters.draft(
            office.tenant, head,
            Outgoing("external", subject, "นายกเทศมนตรีตำบลปลายทาง", "engineering", circular=circular,
                     body=("ด้วยเทศบาลมีความประสงค์จะขอความร่วมมือ จึงเรียนมาเพื่อโปรดพิจารณา",),
                     addressees=tuple(code_of(o) for o in to)),
            files,
        )
    )  # fmt: skip
    return platform.db(letters.sign(office.tenant, head, draft.public_id, files, version=draft.version))


def test_maehia_to_suthep_and_the_receive_number_comes_back(
    platform: Any, towns: tuple[dict[str, Office], DevPki], nss: str, tmp_path: Path
) -> None:
    offices, _ = towns
    maehia, suthep = offices["maehia"], offices["suthep"]
    box = platform.saraban_exchange
    letter = signed_letter(platform, maehia, "ขอความร่วมมือประชาสัมพันธ์การชำระภาษีที่ดิน & สิ่งปลูกสร้าง", [suthep])
    sent_pdf = platform.blobs.get(letter.blob_key)

    made = platform.db(exchange.send(maehia.tenant, maehia["saraban_clerk"], letter.public_id, box))
    assert [(d.state, d.channel) for d in made] == [("queued", "platform")]
    pump(platform)

    waiting = platform.db(exchange.incoming(suthep.tenant, suthep["saraban_clerk"]))
    item = next(m for m in waiting if m.subject == letter.subject)
    assert item.letter_number == letter.letter_number
    # ตอบรับ came back at once: the sender sees "received" before anyone registered it.
    rows = platform.db(exchange.status(maehia.tenant, maehia["saraban_clerk"], letter.public_id))
    assert [r.dispatch.state for r in rows] == ["received"]

    received = platform.db(exchange.register(suthep.tenant, suthep["saraban_clerk"], item.receipt_id, box))
    assert received.original_sha256 == hashlib.sha256(sent_pdf).hexdigest()
    stamped = platform.blobs.get(received.blob_key)
    assert stamped.startswith(sent_pdf)
    assert signatures(stamped, tmp_path, nss).count("Signature is Valid.") == 1
    entry = platform.db(RegisterEntry.get(letter_id=received.id))
    assert (entry.book, entry.letter_number, entry.sender) == (
        "receive",
        letter.letter_number,
        maehia.tenant.name_th,
    )

    pump(platform)
    rows = platform.db(exchange.status(maehia.tenant, maehia["saraban_clerk"], letter.public_id))
    assert [(r.dispatch.state, r.dispatch.accept_id) for r in rows] == [("accepted", entry.number_text)]
    # The send register says where it went and under which receive number.
    book = platform.db(
        registers.register(
            maehia.tenant,
            maehia["saraban_clerk"],
            "send",
            platform.db(RegisterEntry.get(letter_id=letter.id)).year,
        )
    )
    row = next(r for r, e in zip(book.rows, book.entries, strict=True) if e.letter_id == letter.id)
    assert f"{suthep.tenant.name_th} ลงรับเลขที่ {entry.number_text}" in row[-2]
    # Registered once: the item left the inbox, and a second registration is refused.
    assert item.receipt_id not in [
        m.receipt_id for m in platform.db(exchange.incoming(suthep.tenant, suthep["saraban_clerk"]))
    ]
    with pytest.raises(letters.StaleLetter):
        platform.db(exchange.register(suthep.tenant, suthep["saraban_clerk"], item.receipt_id, box))


def test_a_circular_to_three_is_answered_three_ways(
    platform: Any, towns: tuple[dict[str, Office], DevPki]
) -> None:
    offices, _ = towns
    maehia = offices["maehia"]
    others = [offices["suthep"], offices["nongkhwai"], offices["hangdong"]]
    box = platform.saraban_exchange
    letter = signed_letter(platform, maehia, "แจ้งกำหนดการประชุมประจำเดือน", others, circular=True)
    assert "/ว" in letter.letter_number
    platform.db(exchange.send(maehia.tenant, maehia["saraban_clerk"], letter.public_id, box))
    pump(platform)

    def item_at(office: Office) -> ExchangeMessage:
        waiting = platform.db(exchange.incoming(office.tenant, office["saraban_clerk"]))
        return next(m for m in waiting if m.letter_number == letter.letter_number)

    suthep, nongkhwai, hangdong = others
    platform.db(exchange.register(suthep.tenant, suthep["saraban_clerk"], item_at(suthep).receipt_id, box))
    platform.db(
        exchange.reject(nongkhwai.tenant, nongkhwai["saraban_clerk"], item_at(nongkhwai).receipt_id, box,
                        reason="สิ่งที่ส่งมาด้วยไม่ครบ")
    )  # fmt: skip
    platform.db(
        exchange.report_wrong_delivery(hangdong.tenant, hangdong["saraban_clerk"], item_at(hangdong).receipt_id, box,
                                       reason="เรื่องนี้ไม่อยู่ในอำนาจหน้าที่ของหน่วยงาน")
    )  # fmt: skip
    pump(platform)
    rows = platform.db(exchange.status(maehia.tenant, maehia["saraban_clerk"], letter.public_id))
    states = {r.agency.tenant_id: (r.dispatch.state, r.dispatch.reason) for r in rows}
    assert states[suthep.tenant.id][0] == "accepted"
    assert states[nongkhwai.tenant.id] == ("rejected", "สิ่งที่ส่งมาด้วยไม่ครบ")
    assert states[hangdong.tenant.id] == ("invalid", "เรื่องนี้ไม่อยู่ในอำนาจหน้าที่ของหน่วยงาน")
    # One number for the circular, whatever became of each copy.
    assert platform.db(RegisterEntry.filter(letter_id=letter.id).count()) == 1


def test_withdraw_and_send_again_is_a_new_message(
    platform: Any, towns: tuple[dict[str, Office], DevPki]
) -> None:
    offices, _ = towns
    maehia, suthep = offices["maehia"], offices["suthep"]
    clerk = maehia["saraban_clerk"]
    box = platform.saraban_exchange
    letter = signed_letter(platform, maehia, "ขอเชิญร่วมงานวันท้องถิ่นไทย", [suthep])
    platform.db(exchange.send(maehia.tenant, clerk, letter.public_id, box))
    pump(platform)
    first = next(
        m
        for m in platform.db(exchange.incoming(suthep.tenant, suthep["saraban_clerk"]))
        if m.subject == letter.subject
    )
    platform.db(
        exchange.reject(suthep.tenant, suthep["saraban_clerk"], first.receipt_id, box, reason="ระบุวันผิด")
    )
    pump(platform)
    # Sending again without withdrawing first is refused.
    with pytest.raises(exchange.DispatchRefused):
        platform.db(exchange.resend(maehia.tenant, clerk, letter.public_id, code_of(suthep), box))
    withdrawn = platform.db(
        exchange.withdraw(maehia.tenant, clerk, letter.public_id, code_of(suthep), box, reason="แก้ไขวันที่แล้ว")
    )
    assert withdrawn.state == "withdrawn"
    pump(platform)
    gone = platform.db(ExchangeMessage.get(id=first.id))
    assert gone.state == "withdrawn"
    again = platform.db(exchange.resend(maehia.tenant, clerk, letter.public_id, code_of(suthep), box))
    assert (again.round, again.state) == (2, "queued") and again.message_id != first.message_id
    pump(platform)
    waiting = platform.db(exchange.incoming(suthep.tenant, suthep["saraban_clerk"]))
    assert [m.message_id for m in waiting if m.subject == letter.subject] == [again.message_id]
    rows = platform.db(exchange.status(maehia.tenant, clerk, letter.public_id))
    assert [(r.dispatch.round, r.dispatch.state) for r in rows] == [(1, "withdrawn"), (2, "received")]
    # A registered letter cannot be withdrawn.
    platform.db(exchange.register(suthep.tenant, suthep["saraban_clerk"], again.message_id, box))
    pump(platform)
    with pytest.raises(exchange.DispatchRefused):
        platform.db(exchange.withdraw(maehia.tenant, clerk, letter.public_id, code_of(suthep), box))


def test_tampered_duplicate_and_reused_ids(platform: Any, towns: tuple[dict[str, Office], DevPki]) -> None:
    offices, _ = towns
    maehia, suthep = offices["maehia"], offices["suthep"]
    box = platform.saraban_exchange
    letter = signed_letter(platform, maehia, "ขอสำเนาทะเบียนราษฎร", [suthep])
    envelope = platform.db(letters_envelope(maehia, letter.public_id, code_of(suthep), platform))
    body = env.canonical(envelope)
    key = platform.db(exchange_keys.current(maehia.tenant, platform.settings.secret_key))
    signature = jws.sign(body, key.key_pem, key.key_id)
    numbers_before = platform.db(RegisterEntry.filter(tenant_id=suthep.tenant.id).count())

    tampered = body.replace("ขอสำเนาทะเบียนราษฎร".encode(), "ขอสำเนาทะเบียนบ้านทุกหลัง".encode())
    with pytest.raises(BadSignature):
        platform.db(exchange.take_in(tampered, signature, channel="http", exchange=box))
    assert not platform.db(ExchangeMessage.exists(tenant_id=suthep.tenant.id, message_id=envelope.message_id))
    assert platform.db(RegisterEntry.filter(tenant_id=suthep.tenant.id).count()) == numbers_before
    refused = platform.db(
        SarabanAudit.filter(tenant_id=suthep.tenant.id, event="refused").order_by("-seq").first()
    )
    assert refused is not None and refused.detail["message"] == envelope.message_id
    assert platform.db(audit.verify(suthep.tenant.id)).intact

    first = platform.db(exchange.take_in(body, signature, channel="http", exchange=box))
    again = platform.db(exchange.take_in(body, signature, channel="http", exchange=box))
    assert (again.receipt_id, again.duplicate, first.duplicate) == (first.receipt_id, True, False)
    # The same id with another body (signed properly) is refused, and the first stays.
    other = envelope.model_copy(update={"letter": envelope.letter.model_copy(update={"subject": "เรื่องอื่น"})})  # type: ignore[union-attr]
    other_body = env.canonical(other)
    with pytest.raises(Duplicate):
        platform.db(
            exchange.take_in(
                other_body, jws.sign(other_body, key.key_pem, key.key_id), channel="http", exchange=box
            )
        )
    stored = platform.db(
        ExchangeMessage.filter(tenant_id=suthep.tenant.id, message_id=envelope.message_id).all()
    )
    assert [m.subject for m in stored] == ["ขอสำเนาทะเบียนราษฎร"]


def test_an_unknown_addressee_is_refused_before_a_number_is_taken(
    platform: Any, towns: tuple[dict[str, Office], DevPki]
) -> None:
    offices, _ = towns
    maehia = offices["maehia"]
    before = platform.db(RegisterEntry.filter(tenant_id=maehia.tenant.id).count())
    with pytest.raises(InvalidLetter) as refused:
        platform.db(
            letters.draft(
                maehia.tenant, maehia["department_head"],
                Outgoing("external", "เรื่องทดสอบ", "ผู้รับ", "engineering", body=("ข้อความ",), addressees=("ชม 99999",)),
                platform.saraban_files,
            )
        )  # fmt: skip
    assert "ไม่พบหน่วยงาน ชม 99999" in refused.value.problems[0].message_th
    assert (refused.value.code, refused.value.field) == ("invalid_addressee", "to")
    assert platform.db(RegisterEntry.filter(tenant_id=maehia.tenant.id).count()) == before
    assert not platform.db(
        Dispatch.exists(tenant_id=maehia.tenant.id, state="queued", agency__letter_code="ชม 99999")
    )


async def letters_envelope(office: Office, public_id: str, to: str, platform: Any) -> env.Envelope:
    return await exchange.letter_envelope(office.tenant, public_id, platform.saraban_files, to_code=to)
