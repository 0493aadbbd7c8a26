"""Letters by e-mail through real SMTP servers on loopback.

- the e-mail transport hands a signed letter to the addressee's mail server: the mail that arrives
  carries the PDF, ``envelope.json`` and ``envelope.jws``, and the signature checks out;
- a mailbox the server refuses ends the message (InvalidAddressee); a server that is down means
  "try again later";
- maehia sends to an agency its directory knows only by e-mail; that agency's mail is served by
  ``thongthin saraban smtpd`` of the platform where it is a municipality, and the letter waits in
  its inbox; registered there, the receive number comes back to maehia;
- an official mails a scanned letter from the directory's address: it waits in the inbox with the
  number from the subject, and the acknowledgement and the receive number go back by e-mail;
  a stranger's mail, or one for a mailbox not served here, is refused at once.

One database plays both platforms of the e-mail round trip: while maehia sends, the directory
lists the addressee by its mailbox only, as maehia's platform would.
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from engine.saraban.exchange import envelope as env
from engine.saraban.exchange import jws
from engine.saraban.exchange.faults import InvalidAddressee
from engine.saraban.exchange.transports import Address, Outbound, TransportUnavailable
from engine.services.saraban import agencies, exchange
from engine.store.models import Agency, ExchangeMessage, RegisterEntry
from signing.pki import DevPki, DevPkiServer, Officer, ensure_dev_pki
from tests.integration.test_saraban_exchange import pump, signed_letter
from tests.integration.test_saraban_letters import Office, make_office
from tests.messaging_servers import Mailbox, smtp_server
from thongthin.saraban_mail import MailTransport, SarabanMailHandler

pytestmark = pytest.mark.db

KEY = ec.generate_private_key(ec.SECP256R1())
KEY_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
PDF = b"%PDF-1.7\n% a letter\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
FROM = "saraban@thongthin.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def outbound(to_email: str) -> Outbound:
    envelope = env.Envelope(
        protocol=env.PROTOCOL,
        message_id=str(uuid.uuid4()),
        type="Letter",
        created_at=datetime(2026, 8, 27, 3, 15, tzinfo=UTC),
        sender=env.Agency(agency_code="ชม 99101"),
        recipient=env.Agency(agency_code="ชม 99102"),
        letter=env.Letter(number="ชม 99101/7", date=date(2026, 8, 27), subject="ขอเชิญประชุม & หารือ <ด่วน>"),
        documents=[env.Document.of("main", "หนังสือเชิญประชุม.pdf", "application/pdf", PDF)],
    )
    body = env.canonical(envelope)
    return Outbound(
        message_id=envelope.message_id, type="Letter", body=body, signature=jws.sign(body, KEY_PEM, "k1"),
        key_id="k1", sender_code="ชม 99101", to=Address(agency_code="ชม 99102", name_th="เทศบาลปลายทาง", email=to_email),
    )  # fmt: skip


@pytest.fixture
def mailbox() -> Iterator[tuple[str, Mailbox]]:
    yield from smtp_server()


def test_the_transport_mails_the_letter_its_envelope_and_signature(
    platform: Any, mailbox: tuple[str, Mailbox]
) -> None:
    url, box = mailbox
    message = outbound("saraban@far.example")
    receipt = platform.db(MailTransport.from_url(url, FROM).deliver(message))

    [mail] = box.messages
    assert mail["To"].addresses[0].addr_spec == "saraban@far.example"
    assert receipt.receipt_id == mail["Message-ID"] == f"<{message.message_id}@thongthin.example>"
    assert mail["Subject"] == "หนังสือ ที่ ชม 99101/7 ลงวันที่ 27 สิงหาคม 2569 เรื่อง ขอเชิญประชุม & หารือ <ด่วน>"
    files = {str(part.get_filename()): part.get_payload(decode=True) for part in mail.iter_attachments()}
    assert hashlib.sha256(files["หนังสือเชิญประชุม.pdf"]).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert files["envelope.json"] == message.body
    assert (
        jws.verify(files["envelope.json"], files["envelope.jws"].decode().strip(), {"k1": PUBLIC_PEM}) == "k1"
    )


def test_a_refused_mailbox_ends_the_message_and_a_server_down_is_tried_later(
    platform: Any, mailbox: tuple[str, Mailbox]
) -> None:
    url, box = mailbox
    box.refuse.add("saraban@gone.example")
    with pytest.raises(InvalidAddressee) as refused:
        platform.db(MailTransport.from_url(url, FROM).deliver(outbound("saraban@gone.example")))
    assert "saraban@gone.example" in refused.value.message_th
    assert box.messages == []

    down = MailTransport.from_url(f"smtp://127.0.0.1:{free_port()}", FROM)
    with pytest.raises(TransportUnavailable):
        platform.db(down.deliver(outbound("saraban@far.example")))


# --- the round trip through thongthin saraban smtpd ---


@pytest.fixture(scope="module")
def towns(platform: Any) -> Iterator[tuple[dict[str, Office], DevPki]]:
    officers: list[Officer] = []
    made = {
        "maehia": make_office(platform, officers, code=f"ชม {uuid.uuid4().int % 90000 + 10000}"),
        "suthep": make_office(platform, officers, code=f"ชม {uuid.uuid4().int % 90000 + 10000}"),
    }
    for name, office in made.items():
        agency = platform.db(agencies.ensure_for_tenant(office.tenant))
        platform.db(Agency.filter(id=agency.id).update(email=f"saraban@{name}-{office.tenant.slug}.example"))
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield made, pki
    server.stop()


@pytest.fixture
def smtpd(platform: Any) -> Iterator[str]:
    """``thongthin saraban smtpd`` on loopback: (its SMTP URL)."""
    port = free_port()
    controller = Controller(
        SarabanMailHandler(platform), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True
    )
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def mail_through(platform: Any, url: str) -> Iterator[None]:
    """The platform's e-mail channel sends through ``url`` while the test runs."""
    registry = platform.saraban_exchange.transports
    before = registry.by_channel.get("email")
    registry.register(MailTransport.from_url(url, FROM))
    try:
        yield
    finally:
        if before is None:
            registry.by_channel.pop("email", None)
        else:
            registry.register(before)


def email_of(platform: Any, office: Office) -> str:
    return str(platform.db(Agency.get(tenant_id=office.tenant.id)).email)


def test_a_letter_to_a_mailbox_lands_in_that_municipalitys_inbox(
    platform: Any, towns: tuple[dict[str, Office], DevPki], smtpd: str
) -> None:
    offices, _ = towns
    maehia, suthep = offices["maehia"], offices["suthep"]
    box = platform.saraban_exchange
    letter = signed_letter(platform, maehia, "ขอความร่วมมือสำรวจข้อมูลผู้สูงอายุ & ผู้พิการ", [suthep])
    sent_pdf = platform.blobs.get(letter.blob_key)
    entry = platform.db(Agency.get(tenant_id=suthep.tenant.id))
    # On maehia's platform suthep is only a saraban@ mailbox.
    platform.db(Agency.filter(id=entry.id).update(tenant_id=None, kind="email"))
    try:
        made = platform.db(exchange.send(maehia.tenant, maehia["saraban_clerk"], letter.public_id, box))
    finally:
        platform.db(Agency.filter(id=entry.id).update(tenant_id=suthep.tenant.id, kind="tenant"))
    assert [d.channel for d in made] == ["email"]

    for _ in mail_through(platform, smtpd):
        pump(platform)

    item = next(
        m
        for m in platform.db(exchange.incoming(suthep.tenant, suthep["saraban_clerk"]))
        if m.subject == letter.subject
    )
    assert (item.letter_number, item.channel, item.signature != "") == (letter.letter_number, "email", True)
    rows = platform.db(exchange.status(maehia.tenant, maehia["saraban_clerk"], letter.public_id))
    assert [r.dispatch.state for r in rows] == ["received"]

    received = platform.db(exchange.register(suthep.tenant, suthep["saraban_clerk"], item.receipt_id, box))
    assert received.original_sha256 == hashlib.sha256(sent_pdf).hexdigest()
    # The receive number answers on the channel the letter came by: to maehia's saraban@ mailbox.
    for _ in mail_through(platform, smtpd):
        pump(platform)
    number = platform.db(RegisterEntry.get(letter_id=received.id)).number_text
    rows = platform.db(exchange.status(maehia.tenant, maehia["saraban_clerk"], letter.public_id))
    assert [(r.dispatch.state, r.dispatch.accept_id) for r in rows] == [("accepted", number)]


def plain_mail(sender: str, to: str, subject: str, pdf: bytes) -> EmailMessage:
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = f"งานสารบรรณ <{sender}>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = "Thu, 27 Aug 2026 10:15:00 +0700"
    mail["Message-ID"] = f"<{uuid.uuid4()}@far.example>"
    mail.set_content("เรียน นายกเทศมนตรีตำบล\n\nส่งหนังสือมาเพื่อโปรดพิจารณา\n")
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="หนังสือ.pdf")
    return mail


def test_a_scanned_letter_mailed_by_an_official_waits_to_be_registered(
    platform: Any, towns: tuple[dict[str, Office], DevPki], smtpd: str, mailbox: tuple[str, Mailbox]
) -> None:
    offices, _ = towns
    maehia, suthep = offices["maehia"], offices["suthep"]
    box = platform.saraban_exchange
    far_mail = f"saraban@far-{uuid.uuid4().hex[:8]}.example"
    code = f"ชม {uuid.uuid4().int % 90000 + 10000}"
    platform.db(
        Agency.create(kind="email", name_th="องค์การบริหารส่วนตำบลไกลบ้าน", letter_code=code, email=far_mail)
    )
    pdf = platform.blobs.get(signed_letter(platform, maehia, "หนังสือที่สแกนส่งทางอีเมล", [suthep]).blob_key)
    thai_code = code.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    subject = f"ที่ {thai_code}/๑๒๓ ลงวันที่ ๒๕ สิงหาคม ๒๕๖๙ เรื่อง ขอเชิญประชุมประจำเดือน & หารือ <ด่วน>"
    port = int(smtpd.rsplit(":", 1)[1])
    url, outbox = mailbox

    for _ in mail_through(platform, url):
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(plain_mail(far_mail.upper(), email_of(platform, suthep), subject, pdf))
        item = next(
            m
            for m in platform.db(exchange.incoming(suthep.tenant, suthep["saraban_clerk"]))
            if m.peer_code == code
        )
        assert (item.letter_number, item.subject, item.channel) == (
            f"{thai_code}/๑๒๓",
            "ขอเชิญประชุมประจำเดือน & หารือ <ด่วน>",
            "email",
        )
        stored = platform.db(exchange.envelope_of(item, box))
        assert (
            stored.main_document is not None
            and stored.main_document.sha256 == hashlib.sha256(pdf).hexdigest()
        )
        pump(platform)
        [acknowledged] = [m for m in outbox.messages if far_mail in str(m["To"])]
        assert acknowledged["Subject"].startswith(f"ตอบรับว่าได้รับหนังสือ ที่ {thai_code}/๑๒๓ ลงวันที่")

        received = platform.db(
            exchange.register(suthep.tenant, suthep["saraban_clerk"], item.receipt_id, box)
        )
        pump(platform)
        number = platform.db(RegisterEntry.get(letter_id=received.id)).number_text
        answers = [m for m in outbox.messages if far_mail in str(m["To"])]
        assert f"เลขรับที่ {number}" in answers[-1]["Subject"]

        # A stranger's mail is refused at once, in Thai first.
        with smtplib.SMTP("127.0.0.1", port) as client, pytest.raises(smtplib.SMTPDataError) as refused:
            client.send_message(plain_mail("someone@example.com", email_of(platform, suthep), subject, pdf))
        assert refused.value.smtp_code == 550
        assert "ไม่ใช่อีเมลสารบรรณกลางของหน่วยงานใดในสมุดรายชื่อหน่วยงาน" in refused.value.smtp_error.decode()
        # A mailbox not served here is refused before the mail is sent.
        with smtplib.SMTP("127.0.0.1", port) as client, pytest.raises(smtplib.SMTPRecipientsRefused):
            client.send_message(plain_mail(far_mail, "saraban@nowhere.example", subject, pdf))
    assert platform.db(ExchangeMessage.filter(peer_code=code, direction="in").count()) == 1


def test_a_signed_letter_sent_to_the_wrong_mailbox_is_refused(
    platform: Any, towns: tuple[dict[str, Office], DevPki], smtpd: str
) -> None:
    offices, _ = towns
    maehia, suthep = offices["maehia"], offices["suthep"]
    letter = signed_letter(platform, maehia, "แจ้งกำหนดการตรวจเยี่ยมพื้นที่", [suthep])
    envelope = platform.db(
        exchange.letter_envelope(maehia.tenant, letter.public_id, platform.saraban_files, to_code=None)
    )
    body = env.canonical(envelope)
    from engine.services.saraban import exchange_keys

    key = platform.db(exchange_keys.current(maehia.tenant, platform.settings.secret_key))
    # Addressed to suthep inside, but mailed to maehia's own mailbox.
    wrong = Outbound(
        envelope.message_id, "Letter", body, jws.sign(body, key.key_pem, key.key_id), key.key_id,
        envelope.sender.agency_code, Address(envelope.recipient.agency_code, "", email=email_of(platform, maehia)),
    )  # fmt: skip
    from thongthin.saraban_mail import compose

    port = int(smtpd.rsplit(":", 1)[1])
    with smtplib.SMTP("127.0.0.1", port) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.send_message(compose(wrong, from_address=FROM))
    assert refused.value.smtp_code == 550 and b"InvalidAddressee" in refused.value.smtp_error
    assert not platform.db(ExchangeMessage.exists(message_id=envelope.message_id))
