"""Letters through the e-CMS (TH e-GIF GovernmentDocument over SOAP), against a stand-in e-CMS node
served on loopback (:mod:`tests.ecms_node`), and letters carried between systems as files.

- a letter whose Thai subject holds ``&`` and ``<`` exported as e-CMS XML is well-formed and keeps
  its subject; imported into another municipality it waits in the registry's inbox, and ลงรับ keeps
  the sender's PDF byte for byte (the same SHA-256);
- a letter to an agency reached only through e-CMS is delivered with the node's ProcessID as its
  receipt; a node that is down or unreachable is tried again later; a refusal by the node ends it;
- polling a municipality's node stores each letter once, removes it from the node only then, and
  leaves a letter from an agency the directory does not know on the node.
"""

from __future__ import annotations

import hashlib
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from lxml import etree

from engine.saraban.errors import InvalidLetter
from engine.saraban.exchange import ecms
from engine.saraban.exchange import envelope as env
from engine.saraban.exchange.faults import InvalidAddressee, Validation
from engine.saraban.exchange.transports import Address, Outbound, TransportUnavailable
from engine.services.saraban import agencies, exchange, organisation
from engine.store.models import Agency, Dispatch, SarabanAudit
from signing.pki import DevPki, DevPkiServer, Officer, ensure_dev_pki
from tests.ecms_node import EcmsNode
from tests.integration.test_saraban_exchange import code_of, pump, signed_letter
from tests.integration.test_saraban_letters import Office, make_office
from thongthin.saraban_ecms import EcmsTransport, call, export_letter, import_file, poll

pytestmark = pytest.mark.db

SUBJECT = "ขอเชิญประชุมคณะกรรมการ <ครั้งที่ 2> เรื่องถนน & ทางระบายน้ำ"


def _ids() -> tuple[str, str]:
    return f"{uuid.uuid4().int % 90 + 10}", f"{uuid.uuid4().int % 90000 + 10000}"


@pytest.fixture(scope="module")
def node() -> Iterator[EcmsNode]:
    running = EcmsNode().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def towns(platform: Any, node: EcmsNode) -> Iterator[tuple[dict[str, Office], DevPki]]:
    officers: list[Officer] = []
    made = {
        name: make_office(platform, officers, code=f"ชม {uuid.uuid4().int % 90000 + 10000}")
        for name in ("maehia", "suthep")
    }
    for office in made.values():
        ministry, department = _ids()
        office.tenant.settings["saraban"].update(ministry_id=ministry, department_id=department)
        platform.db(office.tenant.save())
        platform.db(agencies.ensure_for_tenant(office.tenant))
        platform.db(
            organisation.put_settings(office.tenant, admin_of(office), {"ecms_url": node.url_for(department)})
        )
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield made, pki
    server.stop()


@pytest.fixture(scope="module")
def ministry_of_interior(platform: Any, node: EcmsNode) -> Agency:
    """An agency outside the platform, reached only through its e-CMS node."""
    ministry, department = _ids()
    code = f"มท {uuid.uuid4().int % 9000 + 1000}.{uuid.uuid4().int % 9 + 1}"
    return platform.db(
        agencies.add(
            agencies.COMMAND_LINE, name_th="กรมส่งเสริมการปกครองท้องถิ่น", letter_code=code,
            ministry_id=ministry, department_id=department, ecms_url=node.url_for(department),
        )
    )  # fmt: skip


def admin_of(office: Office) -> organisation.Actor:
    return organisation.Actor(office["saraban_clerk"].user, frozenset({organisation.ADMIN}), frozenset())


def department_of(office: Office) -> str:
    return str(office.tenant.settings["saraban"]["department_id"])


def test_a_subject_with_ampersand_and_angle_brackets_travels_as_ecms_xml_and_imports(
    platform: Any, towns: tuple[dict[str, Office], DevPki]
) -> None:
    offices, _ = towns
    maehia, suthep = offices["maehia"], offices["suthep"]
    letter = signed_letter(platform, maehia, SUBJECT, [suthep])
    sent_pdf = platform.blobs.get(letter.blob_key)

    xml = platform.db(export_letter(maehia.tenant, letter.public_id, platform.saraban_files, "ecms-xml"))
    root = etree.fromstring(xml)  # well-formed, whatever the subject holds
    subjects = root.findall(f".//{{{ecms.RAM}}}Subject")
    assert [s.text for s in subjects] == [SUBJECT]
    assert b"&amp;" in xml and b"&lt;" in xml
    assert root.findtext(f".//{{{ecms.RAM}}}ID") == letter.letter_number

    receipt = platform.db(import_file(suthep.tenant.slug, xml, exchange=platform.saraban_exchange))
    clerk = suthep["saraban_clerk"]
    waiting = [
        m for m in platform.db(exchange.incoming(suthep.tenant, clerk)) if m.receipt_id == receipt.receipt_id
    ]
    assert [(m.subject, m.letter_number, m.peer_code, m.channel) for m in waiting] == [
        (SUBJECT, letter.letter_number, code_of(maehia), "ecms")
    ]
    # The same file again is recognised, not a second letter in the inbox.
    again = platform.db(import_file(suthep.tenant.slug, xml, exchange=platform.saraban_exchange))
    assert (again.receipt_id, again.duplicate) == (receipt.receipt_id, True)

    received = platform.db(
        exchange.register(suthep.tenant, clerk, receipt.receipt_id, platform.saraban_exchange)
    )
    assert received.subject == SUBJECT
    assert received.original_sha256 == hashlib.sha256(sent_pdf).hexdigest()
    assert platform.blobs.get(received.blob_key).startswith(sent_pdf)


def test_the_json_envelope_imports_only_where_it_is_addressed(
    platform: Any, towns: tuple[dict[str, Office], DevPki]
) -> None:
    offices, _ = towns
    maehia, suthep = offices["maehia"], offices["suthep"]
    letter = signed_letter(platform, maehia, "ขอเชิญร่วมพิธีเปิดตลาดชุมชน", [suthep])
    data = platform.db(export_letter(maehia.tenant, letter.public_id, platform.saraban_files, "json"))
    assert env.parse(data).letter.subject == "ขอเชิญร่วมพิธีเปิดตลาดชุมชน"  # type: ignore[union-attr]

    with pytest.raises(InvalidAddressee):
        platform.db(import_file(maehia.tenant.slug, data, exchange=platform.saraban_exchange))
    receipt = platform.db(import_file(suthep.tenant.slug, data, exchange=platform.saraban_exchange))
    waiting = platform.db(exchange.incoming(suthep.tenant, suthep["saraban_clerk"]))
    assert [(m.subject, m.channel) for m in waiting if m.receipt_id == receipt.receipt_id] == [
        ("ขอเชิญร่วมพิธีเปิดตลาดชุมชน", "file")
    ]


def test_a_letter_to_an_ecms_agency_is_delivered_with_the_nodes_process_id(
    platform: Any, towns: tuple[dict[str, Office], DevPki], node: EcmsNode, ministry_of_interior: Agency
) -> None:
    offices, _ = towns
    maehia = offices["maehia"]
    dla = ministry_of_interior
    letter = signed_letter(platform, maehia, "รายงานผลการเบิกจ่ายงบประมาณ & แผนงานประจำปี", [])
    made = platform.db(
        exchange.send(maehia.tenant, maehia["saraban_clerk"], letter.public_id, platform.saraban_exchange,
                      to=[dla.letter_code or ""])
    )  # fmt: skip
    assert [d.channel for d in made] == ["ecms"]
    pump(platform)

    held = node.held_for(dla.department_id)
    assert [(i.kind, i.letter_id) for i in held] == [("GovernmentDocument", letter.letter_number)]
    dispatch = platform.db(Dispatch.get(id=made[0].id))
    assert (dispatch.state, dispatch.receipt_id) == ("sent", held[0].process_id)
    document = etree.fromstring(held[0].payload)
    assert document.findtext(f".//{{{ecms.RAM}}}Subject") == letter.subject


def _outbound(to: Address) -> Outbound:
    moment = datetime.now(UTC)
    envelope = env.Envelope(
        protocol=env.PROTOCOL, message_id=str(uuid.uuid4()), type="Letter", created_at=moment,
        sender=env.Agency(agency_code="ชม 52101", ministry_id="15", department_id="15001"),
        recipient=env.Agency(agency_code=to.agency_code, ministry_id="15", department_id="15999"),
        letter=env.Letter(number="ชม 52101/77", date=date(2026, 8, 27), kind="external",
                          subject="แจ้งกำหนดการ & ขั้นตอน <ด่วน>", salutation="อธิบดี"),
        documents=[env.Document.of("main", "letter.pdf", "application/pdf", b"%PDF-1.7 letter")],
    )  # fmt: skip
    body = env.canonical(envelope)
    return Outbound(envelope.message_id, "Letter", body, "", "", "ชม 52101", to)


def test_the_transport_answers_down_unreachable_and_refused_apart(node: EcmsNode) -> None:
    transport = EcmsTransport(timeout=5)
    runner = _loop()

    message = _outbound(Address("มท 0808", "กรมทดสอบ", ecms_url=node.url_for("15999")))
    receipt = runner(transport.deliver(message))
    assert [i.process_id for i in node.held_for("15999")] == [receipt.receipt_id]
    # The same message again (a retry) gets the same ProcessID, and the node holds it once.
    assert runner(transport.deliver(message)).receipt_id == receipt.receipt_id
    assert len(node.held_for("15999")) == 1

    node.down = True
    try:
        with pytest.raises(TransportUnavailable):
            runner(transport.deliver(_outbound(Address("มท 0808", "กรมทดสอบ", ecms_url=node.url))))
    finally:
        node.down = False
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(TransportUnavailable):
        runner(
            transport.deliver(_outbound(Address("มท 0808", "กรมทดสอบ", ecms_url=f"http://127.0.0.1:{port}/")))
        )

    node.departments = {"15001"}
    try:
        with pytest.raises(InvalidAddressee) as refused:
            runner(transport.deliver(_outbound(Address("มท 0808", "กรมทดสอบ", ecms_url=node.url))))
    finally:
        node.departments = None
    assert "15999" in refused.value.message_th

    with pytest.raises(Validation) as malformed:
        call(node.url, b"<soap:Envelope><Body>&unclosed;</Body>", "CorrespondenceLetterOutboundRequest")
    assert "ระบบ e-CMS ปลายทางไม่รับข้อความ" in malformed.value.message_th


def _loop() -> Any:
    import asyncio

    def run(awaitable: Any) -> Any:
        return asyncio.run(awaitable)

    return run


def _letter_from(agency: Agency, to: Office, subject: str, number: str) -> bytes:
    saraban = to.tenant.settings["saraban"]
    envelope = env.Envelope(
        protocol=env.PROTOCOL, message_id=str(uuid.uuid4()), type="Letter", created_at=datetime.now(UTC),
        sender=env.Agency(agency_code=agency.letter_code or "มท 0000", ministry_id=agency.ministry_id or None,
                          department_id=agency.department_id or None),
        recipient=env.Agency(agency_code=code_of(to), ministry_id=saraban["ministry_id"],
                             department_id=saraban["department_id"]),
        letter=env.Letter(number=number, date=date(2026, 9, 1), kind="external", subject=subject,
                          salutation="นายกเทศมนตรี", speed_code="002",
                          sender_party=env.Party(name="สมศรี ใจดี", position="ผู้อำนวยการกอง")),
        documents=[env.Document.of("main", "letter.pdf", "application/pdf", b"%PDF-1.7 " + subject.encode())],
    )  # fmt: skip
    return ecms.to_ecms(envelope)


def test_polling_stores_each_letter_once_and_leaves_an_unknown_senders_on_the_node(
    platform: Any, towns: tuple[dict[str, Office], DevPki], node: EcmsNode, ministry_of_interior: Agency
) -> None:
    offices, _ = towns
    suthep = offices["suthep"]
    clerk = suthep["saraban_clerk"]
    box = platform.saraban_exchange
    department = department_of(suthep)
    subject = "ขอให้รายงานข้อมูลผู้สูงอายุ & ผู้พิการ ภายในวันที่ 30 กันยายน 2569"
    known = node.put(department, _letter_from(ministry_of_interior, suthep, subject, "มท 0808.2/ว 4411"))
    stranger = Agency(letter_code="นร 0105", ministry_id="01", department_id="01999")
    unknown = node.put(department, _letter_from(stranger, suthep, "หนังสือจากหน่วยงานที่ไม่รู้จัก", "นร 0105/12"))

    report = platform.db(poll(suthep.tenant, box))
    assert len(report.stored) == 1 and not report.stored[0].duplicate
    assert [(item.process_id, item.fault) for item in report.left] == [(unknown.process_id, "Validation")]
    assert "ไม่พบหน่วยงานผู้ส่ง" in report.left[0].detail_th
    waiting = [m for m in platform.db(exchange.incoming(suthep.tenant, clerk)) if m.subject == subject]
    assert [(m.letter_number, m.peer_code, m.channel, m.urgency) for m in waiting] == [
        ("มท 0808.2/ว 4411", ministry_of_interior.letter_code, "ecms", "urgent")
    ]
    # Stored, so removed from the node; the unknown sender's letter waits there for the directory.
    assert [i.process_id for i in node.held_for(department)] == [unknown.process_id]
    assert known.process_id not in [i.process_id for i in node.held_for(department)]
    refused = platform.db(
        SarabanAudit.filter(tenant_id=suthep.tenant.id, event="refused").order_by("-seq").first()
    )
    assert refused is not None and refused.detail["process_id"] == unknown.process_id

    again = platform.db(poll(suthep.tenant, box))
    assert (again.stored, again.left) == ([], [])
    assert len([m for m in platform.db(exchange.incoming(suthep.tenant, clerk)) if m.subject == subject]) == 1

    # ตอบรับ goes back through e-CMS to the sending department's queue.
    pump(platform)
    notices = [
        i for i in node.held_for(ministry_of_interior.department_id) if i.kind == "ReceiveLetterNotifier"
    ]
    assert [n.letter_id for n in notices] == ["มท 0808.2/ว 4411"]


def test_the_ecms_node_setting_is_an_http_address(
    platform: Any, towns: tuple[dict[str, Office], DevPki]
) -> None:
    offices, _ = towns
    maehia = offices["maehia"]
    with pytest.raises(InvalidLetter) as refused:
        platform.db(
            organisation.put_settings(maehia.tenant, admin_of(maehia), {"ecms_url": "ftp://ecms.example/"})
        )
    assert refused.value.field == "ecms_url"
    settled = platform.db(
        organisation.put_settings(
            maehia.tenant, admin_of(maehia), {"ecms_url": " https://ecms.example.go.th/ws "}
        )
    )
    assert settled.ecms_url == "https://ecms.example.go.th/ws"
