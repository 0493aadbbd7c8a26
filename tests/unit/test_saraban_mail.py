"""Letters by e-mail, without a network: the mail a message becomes, and the letter a mail becomes.

- a signed letter composed as a mail reads back as the same signed bytes, its files attached as
  they are (same SHA-256), its Thai subject intact even with ``&`` and ``<``;
- a notice's subject says what it is (the เลขรับ of an AcceptNotice);
- a plain mail from an official becomes a Letter envelope: the number from "ที่ ชม ๕๒๑๐๑/๑๒๓", the
  date from the subject, the first PDF the letter; delivered again it is the same envelope;
- refusals: no letter in the mail, an unsigned envelope, too large, too many parts.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from engine.saraban.exchange import envelope as env
from engine.saraban.exchange import jws
from engine.saraban.exchange.transports import Address, Outbound
from thongthin.saraban_mail import (
    NO_NUMBER,
    MailMalformed,
    MailTooLarge,
    NothingToRegister,
    PlainMail,
    SignedMail,
    UnsignedEnvelope,
    compose,
    fault_of_reply,
    fault_reply,
    heading_of,
    plain_envelope,
    read,
)

PDF = b"%PDF-1.7\n% a letter\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
MAP = b"%PDF-1.4\n% the map\n%%EOF\n"
SUBJECT = "ขอความร่วมมือประชาสัมพันธ์ภาษีที่ดิน & สิ่งปลูกสร้าง <ด่วน>"
MAEHIA = env.Agency(agency_code="ชม 52101", tenant="maehia")
SUTHEP = env.Agency(agency_code="ชม 52102")
KEY = ec.generate_private_key(ec.SECP256R1())
KEY_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
TO = Address(agency_code="ชม 52102", name_th="เทศบาลตำบลสุเทพ", email="saraban@suthep.go.th")


def outbound(envelope: env.Envelope) -> Outbound:
    body = env.canonical(envelope)
    return Outbound(
        message_id=envelope.message_id,
        type=envelope.type,
        body=body,
        signature=jws.sign(body, KEY_PEM, "k1"),
        key_id="k1",
        sender_code="ชม 52101",
        to=TO,
    )


def letter(**changes: object) -> env.Envelope:
    values: dict[str, object] = {
        "protocol": env.PROTOCOL,
        "message_id": str(uuid.uuid4()),
        "type": "Letter",
        "created_at": datetime(2026, 8, 27, 3, 15, tzinfo=UTC),
        "sender": MAEHIA,
        "recipient": SUTHEP,
        "letter": env.Letter(number="ชม 52101/123", date=date(2026, 8, 27), subject=SUBJECT),
        "documents": [
            env.Document.of("main", "หนังสือ ชม 52101-123.pdf", "application/pdf", PDF),
            env.Document.of("enclosure", "แผนที่.pdf", "application/pdf", MAP),
        ],
    }
    values.update(changes)
    return env.Envelope(**values)  # type: ignore[arg-type]


def attachments(mail: EmailMessage) -> dict[str, tuple[str, bytes]]:
    found = {}
    for part in mail.iter_attachments():
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        found[str(part.get_filename())] = (part.get_content_type(), data)
    return found


def test_a_signed_letter_goes_out_with_its_files_and_reads_back_as_signed() -> None:
    envelope = letter()
    message = outbound(envelope)
    mail = compose(message, from_address="saraban@thongthin.example", sender_name="เทศบาลตำบลแม่เหีย")
    raw = mail.as_bytes()

    received = BytesParser(policy=policy.default).parsebytes(raw)
    assert received["Subject"] == f"หนังสือ ที่ ชม 52101/123 ลงวันที่ 27 สิงหาคม 2569 เรื่อง {SUBJECT}"
    assert received["To"].addresses[0].addr_spec == "saraban@suthep.go.th"
    assert received["Message-ID"] == f"<{envelope.message_id}@thongthin.example>"
    text = received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.index("โปรดลงทะเบียนรับ") < text.index("please register it")
    files = attachments(received)  # type: ignore[arg-type]
    assert set(files) == {"หนังสือ ชม 52101-123.pdf", "แผนที่.pdf", "envelope.json", "envelope.jws"}
    for document in envelope.documents:
        mime, data = files[document.filename]
        assert (mime, hashlib.sha256(data).hexdigest()) == (document.mime, document.sha256)
    assert files["envelope.json"] == (env.MEDIA_TYPE, message.body)
    assert files["envelope.jws"][0] == "text/plain"

    back = read(raw)
    assert isinstance(back, SignedMail)
    assert (back.body, back.signature) == (message.body, message.signature)
    assert jws.verify(back.body, back.signature, {"k1": PUBLIC_PEM}) == "k1"
    # A retry composes the same mail: the far side sees one Message-ID.
    again = compose(message, from_address="saraban@thongthin.example", sender_name="เทศบาลตำบลแม่เหีย")
    assert again["Message-ID"] == mail["Message-ID"]


def test_a_notice_says_what_it_is_in_its_subject() -> None:
    original = letter()
    accepted = env.Envelope(
        protocol=env.PROTOCOL,
        message_id=str(uuid.uuid4()),
        type="AcceptNotice",
        in_reply_to=original.message_id,
        created_at=datetime(2026, 8, 28, 2, 0, tzinfo=UTC),
        sender=SUTHEP,
        recipient=MAEHIA,
        letter=env.Letter(number="ชม 52101/123", date=date(2026, 8, 27), subject=SUBJECT),
        accept_id="456",
        accept_date=date(2026, 8, 28),
    )
    mail = compose(outbound(accepted), from_address="Thongthin <saraban@thongthin.example>")
    assert mail["Subject"] == (
        "แจ้งเลขรับหนังสือ ที่ ชม 52101/123 ลงวันที่ 27 สิงหาคม 2569 ซึ่งได้ลงทะเบียนรับไว้แล้ว เลขรับที่ 456 วันที่ 28 สิงหาคม 2569"
    )
    assert not any(name.endswith(".pdf") for name in attachments(mail))
    rejected = accepted.model_copy(update={"type": "RejectNotice", "accept_id": None, "accept_date": None})
    assert compose(outbound(rejected), from_address="saraban@x.example")["Subject"].startswith(
        "ปฏิเสธการรับหนังสือ ที่ ชม 52101/123"
    )


def plain(subject: str, *pdfs: tuple[str, bytes], message_id: str = "<abc@suthep.go.th>") -> bytes:
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = "งานสารบรรณ เทศบาลตำบลสุเทพ <Saraban@Suthep.go.th>"
    mail["To"] = "saraban@maehia.go.th"
    mail["Subject"] = subject
    mail["Date"] = "Thu, 27 Aug 2026 10:15:00 +0700"
    if message_id:
        mail["Message-ID"] = message_id
    mail.set_content("เรียน นายกเทศมนตรีตำบลแม่เหียะ\n\nส่งหนังสือมาเพื่อโปรดพิจารณา\n")
    for name, data in pdfs:
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return mail.as_bytes()


def test_a_plain_mail_becomes_a_letter_with_the_number_from_its_subject() -> None:
    raw = plain(
        "ที่ ชม ๕๒๑๐๑/๑๒๓ ลงวันที่ ๒๕ สิงหาคม ๒๕๖๙ เรื่อง ขอเชิญประชุม & หารือ <ด่วน>",
        ("หนังสือ.pdf", PDF),
        ("แผนที่.pdf", MAP),
    )
    mail = read(raw)
    assert isinstance(mail, PlainMail)
    assert mail.sender == "Saraban@Suthep.go.th"
    moment = datetime(2026, 8, 28, tzinfo=UTC)
    made = plain_envelope(mail, sender=SUTHEP, recipient=MAEHIA, now=moment)
    assert made.letter is not None
    assert (made.letter.number, made.letter.date, made.letter.subject) == (
        "ชม ๕๒๑๐๑/๑๒๓",
        date(2026, 8, 25),
        "ขอเชิญประชุม & หารือ <ด่วน>",
    )
    assert [(d.role, d.filename, d.sha256) for d in made.documents] == [
        ("main", "หนังสือ.pdf", hashlib.sha256(PDF).hexdigest()),
        ("enclosure", "แผนที่.pdf", hashlib.sha256(MAP).hexdigest()),
    ]
    # The same mail delivered again is the same message, byte for byte.
    later = plain_envelope(read(raw), sender=SUTHEP, recipient=MAEHIA, now=datetime(2026, 9, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert env.canonical(later) == env.canonical(made)


def test_a_plain_mail_without_a_number_says_so_and_takes_the_mail_date() -> None:
    raw = plain("Fwd: ขอความอนุเคราะห์ข้อมูลผู้สูงอายุ", ("scan.pdf", PDF), ("scan.pdf", MAP), message_id="")
    made = plain_envelope(read(raw), sender=SUTHEP, recipient=MAEHIA, now=datetime(2026, 9, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert made.letter is not None
    assert (made.letter.number, made.letter.date, made.letter.subject) == (
        NO_NUMBER,
        date(2026, 8, 27),
        "ขอความอนุเคราะห์ข้อมูลผู้สูงอายุ",
    )
    assert [d.filename for d in made.documents] == ["scan.pdf", "scan (2).pdf"]


def test_the_heading_of_our_own_subject_reads_back() -> None:
    heading = heading_of("หนังสือ ที่ มท 0808.2/ว 123 ลงวันที่ 27 ส.ค. 69 เรื่อง แจ้งแนวทางปฏิบัติ")
    assert (heading.number, heading.day, heading.subject) == (
        "มท 0808.2/ว 123",
        date(2026, 8, 27),
        "แจ้งแนวทางปฏิบัติ",
    )
    # "ที่" as an ordinary word is no letter number.
    assert heading_of("ขอเชิญประชุมที่ห้องประชุมใหญ่").number is None


def test_a_mail_without_a_letter_is_refused_in_thai_and_english() -> None:
    with pytest.raises(NothingToRegister) as refused:
        read(plain("สวัสดีครับ"))
    reply = refused.value.reply(utf8=True)
    assert reply.startswith("550-5.6.0 อีเมลนี้ไม่มีทั้งข้อความ th-saraban")
    assert reply.splitlines()[-1].startswith("550 5.6.0 the mail carries neither")
    assert refused.value.reply(utf8=False).isascii()
    # A PDF in name only is not a letter.
    with pytest.raises(NothingToRegister):
        read(plain("ที่ ชม 52102/1 เรื่อง ทดสอบ", ("letter.pdf", b"MZ not a pdf")))


def test_an_envelope_without_its_signature_is_refused() -> None:
    message = outbound(letter())
    mail = compose(message, from_address="saraban@thongthin.example")
    stripped = EmailMessage(policy=policy.SMTP)
    stripped["From"], stripped["Subject"] = mail["From"], mail["Subject"]
    stripped.set_content("ไม่มีลายมือชื่อ")
    stripped.add_attachment(
        message.body, maintype="application", subtype="thongthin-saraban+json", filename="envelope.json"
    )
    with pytest.raises(UnsignedEnvelope):
        read(stripped.as_bytes())


def test_the_mail_is_bounded_in_size_and_parts() -> None:
    raw = plain("ที่ ชม 52102/1 เรื่อง ทดสอบ", *[(f"{n}.pdf", PDF) for n in range(12)])
    with pytest.raises(MailTooLarge) as large:
        read(raw, max_bytes=len(raw) - 1)
    assert large.value.reply(utf8=False).startswith("552 5.3.4 ")
    with pytest.raises(MailMalformed):
        read(raw, max_parts=10)
    assert isinstance(read(raw), PlainMail)


def test_a_refusal_by_a_thongthin_smtpd_reads_back_as_the_same_fault() -> None:
    from engine.saraban.exchange.faults import BadSignature

    sent = BadSignature("the signature does not match the body", th="ลายมือชื่อของข้อความไม่ถูกต้อง")
    reply = fault_reply(sent, utf8=True)
    assert [line[:4] for line in reply.split("\r\n")] == ["550-", "550 "]
    # What smtplib hands over: each line's text after its code.
    said = "\n".join(line[4:] for line in reply.split("\r\n")).encode()
    back = fault_of_reply(550, said)
    assert isinstance(back, BadSignature)
    assert (back.message, back.message_th) == (sent.message, sent.message_th)
