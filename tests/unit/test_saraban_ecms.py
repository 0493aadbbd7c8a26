"""The e-CMS GovernmentDocument mapping: escaping, namespaces, notices, hardened parsing."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from lxml import etree

from engine.saraban.exchange import ecms
from engine.saraban.exchange.envelope import PROTOCOL, Agency, Document, Envelope, Letter, Party, Reference
from engine.saraban.exchange.faults import SecrecyNotAllowed, SizeLimitExceeded, Validation

ICT = timezone(timedelta(hours=7))
SUBJECT = 'ขอความร่วมมือ & ประสานงาน <โครงการ> "ถนนปลอดภัย"'
SENDER = Agency(agency_code="ชม 52101", ministry_id="01", department_id="52101")
RECIPIENT = Agency(agency_code="ชม 0017", ministry_id="01", department_id="0017")
NS = {"rsm": ecms.RSM, "ram": ecms.RAM, "soap": ecms.SOAP, "wsa": ecms.WSA}


def letter_envelope(**letter: object) -> Envelope:
    fields: dict[str, object] = {
        "number": "ชม 52101/123",
        "date": "2569-01-01",
        "subject": SUBJECT,
        "salutation": "นายอำเภอแม่ริม",
        "references": [Reference(number="ชม 0017/45", date="2568-12-31", subject="แจ้ง & ขอ")],
        "enclosures": "สำเนาคำสั่ง 1 ฉบับ",
        "speed_code": "002",
        "secret_code": "002",
        "sender_party": Party(name="นายสมชาย ใจดี", position="ปลัดเทศบาล"),
        "signer": Party(name="ว่าที่ร้อยตรี สมศักดิ์ มั่นคง", position="นายกเทศมนตรี"),
    }
    fields.update(letter)
    return Envelope(
        protocol=PROTOCOL,
        message_id=str(uuid.uuid4()),
        type="Letter",
        created_at=datetime(2025, 12, 31, 23, 30, tzinfo=ICT),
        sender=SENDER,
        recipient=RECIPIENT,
        letter=Letter.model_validate(fields),
        documents=[
            Document.of("main", "letter.pdf", "application/pdf", b"%PDF-1.7 main"),
            Document.of("enclosure", "enclosure-1.pdf", "application/pdf", b"%PDF-1.7 enclosure"),
        ],
    )


def test_letter_round_trip_escapes_and_keeps_the_fields() -> None:
    envelope = letter_envelope()
    xml = ecms.to_ecms(envelope)
    root = etree.fromstring(xml)  # well-formed despite & < " in the subject
    assert root.tag == f"{{{ecms.RSM}}}GovernmentDocument"
    letter = root.find("ram:CorrespondenceLetter", NS)
    assert letter is not None and letter.get("ID") == "Letter"
    assert letter.findtext("ram:Subject", namespaces=NS) == SUBJECT
    assert letter.findtext("ram:ID", namespaces=NS) == "ชม 52101/123"
    assert letter.findtext("ram:CorrespondenceDate", namespaces=NS) == "2026-01-01"  # Gregorian
    assert (
        letter.findtext("ram:ReferenceCorrespondence/ram:CorrespondenceDate", namespaces=NS) == "2025-12-31"
    )
    assert letter.findtext("ram:SecretCode", namespaces=NS) == "002"
    assert letter.findtext("ram:SpeedCode", namespaces=NS) == "002"
    assert letter.findtext("ram:SenderParty/ram:DepartmentOrganization/ram:ID", namespaces=NS) == "52101"
    assert letter.find("ram:MainLetterBinaryObject", NS).get("mimeCode") == "application/pdf"
    assert len(letter.findall("ram:AttachmentBinaryObject", NS)) == 1
    assert b"&amp;" in xml and b"&lt;" in xml

    back = ecms.from_ecms(xml, sender=SENDER, recipient=RECIPIENT)
    assert back.letter == envelope.letter
    assert back.documents == envelope.documents
    assert back.created_at == envelope.created_at
    assert back.type == "Letter"


def test_soap_request_carries_the_message_id() -> None:
    envelope = letter_envelope()
    xml = ecms.request(envelope, to="http://dev.scp1.ecms.dga.or.th/ecms-ws01/service2")
    root = etree.fromstring(xml)
    assert root.tag == f"{{{ecms.SOAP}}}Envelope"
    assert root.findtext("soap:Header/wsa:MessageID", namespaces=NS) == f"urn:uuid:{envelope.message_id}"
    assert root.find("soap:Body/CorrespondenceLetterOutboundRequest/rsm:GovernmentDocument", NS) is not None
    assert ecms.from_ecms(xml, sender=SENDER, recipient=RECIPIENT) == envelope


def test_without_a_message_id_the_same_letter_gets_the_same_id() -> None:
    xml = ecms.to_ecms(letter_envelope())
    first = ecms.from_ecms(xml, sender=SENDER, recipient=RECIPIENT)
    again = ecms.from_ecms(xml, sender=SENDER, recipient=RECIPIENT)
    assert (
        first.message_id == again.message_id == ecms.letter_key("ชม 52101", "ชม 52101/123", date(2026, 1, 1))
    )


@pytest.mark.parametrize(
    ("kind", "element", "extra"),
    [
        ("ReceiveNotice", "ReceiveLetterNotifier", {}),
        ("AcceptNotice", "AcceptLetterNotifier", {"accept_id": "1523", "accept_date": "2569-01-02"}),
        ("RejectNotice", "RejectLetterNotifier", {}),
        ("InvalidNotice", "InvalidLetterNotifier", {}),
        ("InvalidAcceptIdNotice", "InvalidAcceptIDNotifier", {"accept_id": "1523"}),
    ],
)
def test_notices(kind: str, element: str, extra: dict[str, str]) -> None:
    letter = letter_envelope()
    notice = Envelope.model_validate(
        {
            "protocol": PROTOCOL,
            "message_id": str(uuid.uuid4()),
            "type": kind,
            "in_reply_to": letter.message_id,
            "created_at": datetime(2026, 1, 2, 9, 0, tzinfo=ICT),
            "sender": RECIPIENT,
            "recipient": SENDER,
            "letter": {"number": "ชม 52101/123", "date": "2569-01-01", "subject": SUBJECT},
            **extra,
        }
    )
    xml = ecms.request(notice)
    root = etree.fromstring(xml)
    body = root.find(f"soap:Body/CorrespondenceLetterOutboundRequest/{element}", NS)
    assert body is not None
    assert body.findtext("LetterID") == "ชม 52101/123"
    assert body.findtext("CorrespondenceDate") == "2026-01-01"
    assert body.findtext("Subject") == SUBJECT
    assert body.findtext("AcceptID") == extra.get("accept_id")
    back = ecms.from_ecms(
        xml, sender=RECIPIENT, recipient=SENDER, in_reply_to=letter.message_id, received_at=notice.created_at
    )
    assert back == notice


def test_withdraw_and_status_request() -> None:
    letter = letter_envelope()
    withdraw = Envelope(
        protocol=PROTOCOL,
        message_id=str(uuid.uuid4()),
        type="Withdraw",
        in_reply_to=letter.message_id,
        created_at=datetime(2026, 1, 3, 8, 0, tzinfo=ICT),
        sender=SENDER,
        recipient=RECIPIENT,
        letter=Letter(number="ชม 52101/123", date=date(2026, 1, 1), subject="ชม 52101/123"),
    )
    root = etree.fromstring(ecms.request(withdraw))
    body = root.find("soap:Body/CorrespondenceDeleteGovernmentDocumentRequest", NS)
    assert body is not None and body.findtext("AcceptDepartment/Code") == "0017"
    back = ecms.from_ecms(
        ecms.request(withdraw), sender=SENDER, recipient=RECIPIENT, received_at=withdraw.created_at
    )
    assert back.in_reply_to == ecms.letter_key("ชม 52101", "ชม 52101/123", date(2026, 1, 1))
    assert back.letter == withdraw.letter


def test_top_secret_is_refused_both_ways() -> None:
    with pytest.raises(SecrecyNotAllowed):
        ecms.to_ecms(letter_envelope(secret_code="004"))
    xml = ecms.to_ecms(letter_envelope()).replace(
        b"<ram:SecretCode>002</ram:SecretCode>", b"<ram:SecretCode>004</ram:SecretCode>"
    )
    with pytest.raises(SecrecyNotAllowed) as caught:
        ecms.from_ecms(xml, sender=SENDER, recipient=RECIPIENT)
    assert "ลับที่สุด" in caught.value.text("th")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rsm:GovernmentDocument xmlns:rsm="urn:th:gov:egif:data:standard:GovernmentDocument:1.0"
  xmlns:ram="urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1">
 <ram:CorrespondenceLetter><ram:ID>1</ram:ID><ram:Subject>&lol9;</ram:Subject></ram:CorrespondenceLetter>
</rsm:GovernmentDocument>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ReceiveLetterNotifier><LetterID>&xxe;</LetterID><CorrespondenceDate>2026-01-01</CorrespondenceDate>
<Subject>x</Subject></ReceiveLetterNotifier>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_are_refused_without_expansion(xml: bytes) -> None:
    with pytest.raises(Validation) as caught:
        ecms.from_ecms(xml, sender=SENDER, recipient=RECIPIENT)
    assert "root:" not in caught.value.message and "lol" not in caught.value.message


def test_the_parser_itself_resolves_nothing() -> None:
    # Even past the DOCTYPE screen, the parser neither expands nor fetches.
    root = etree.fromstring(EXTERNAL_ENTITY, ecms.parser())
    assert "root:" not in etree.tostring(root, encoding="unicode")
    try:
        root = etree.fromstring(BILLION_LAUGHS, ecms.parser())
    except etree.XMLSyntaxError:
        return  # libxml2's amplification guard refuses it outright
    assert len(etree.tostring(root)) < 10_000


@pytest.mark.parametrize(
    "xml",
    [
        b"<not-closed>",
        b"",
        b"<Other/>",
        b"<ReceiveLetterNotifier><LetterID>1</LetterID></ReceiveLetterNotifier>",
        b"<AcceptLetterNotifier><LetterID>1</LetterID><CorrespondenceDate>2026-13-01</CorrespondenceDate>"
        b"<Subject>x</Subject></AcceptLetterNotifier>",
    ],
)
def test_malformed_is_a_validation_fault(xml: bytes) -> None:
    with pytest.raises(Validation):
        ecms.from_ecms(xml, sender=SENDER, recipient=RECIPIENT, received_at=datetime(2026, 1, 1, tzinfo=ICT))


def test_size_bound() -> None:
    xml = ecms.to_ecms(letter_envelope())
    with pytest.raises(SizeLimitExceeded):
        ecms.from_ecms(xml + b" " * (2 * 1024 * 1024), sender=SENDER, recipient=RECIPIENT, max_bytes=1000)


def test_lenient_reading_of_peer_dates() -> None:
    xml = (
        ecms.to_ecms(letter_envelope())
        .replace(
            b"<ram:CorrespondenceDate>2026-01-01</ram:CorrespondenceDate>",
            b"<ram:CorrespondenceDate>2569-01-01</ram:CorrespondenceDate>",
        )
        .replace(
            b"<ram:SendDate>2025-12-31T23:30:00+07:00</ram:SendDate>",
            b"<ram:SendDate>2025-12-31</ram:SendDate>",
        )
    )
    back = ecms.from_ecms(xml, sender=SENDER, recipient=RECIPIENT)
    assert back.letter is not None and back.letter.date == date(2026, 1, 1)
    assert back.created_at == datetime(2025, 12, 31, tzinfo=ICT)
