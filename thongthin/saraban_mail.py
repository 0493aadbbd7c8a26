"""Letters between agencies by e-mail: the ``saraban@`` mailbox of ระเบียบฯ ฉบับที่ 4 as a channel.

Outgoing (:class:`MailTransport`, channel ``email``): one mail per message, its Thai subject naming
the letter or the notice, the letter's files attached as they are, and the signed message itself
as ``envelope.json`` (exactly the bytes signed) with ``envelope.jws`` (the detached JWS), so a
receiving e-Saraban system can check who sent it and an official without one still reads the PDF.

Incoming (:class:`SarabanMailHandler`, served by ``thongthin saraban smtpd``): a mail carrying a
signed envelope is taken in like any signed message; a plain mail with PDF attachments from the
address the directory lists for an agency is taken in on that address's word, as a letter waiting
to be registered (the sender is vouched for by the directory, not by a signature).

:func:`compose`, :func:`read` and :func:`plain_envelope` are pure; the transport and the handler
do the IO.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import smtplib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy
from email.headerregistry import Address as MailAddress
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from typing import Any, Final

from pydantic import ValidationError

from engine.errors import ThongthinError
from engine.messaging.channels import SmtpChannel
from engine.saraban.exchange import envelope as env
from engine.saraban.exchange.faults import (
    ExchangeFault,
    InvalidAddressee,
    SizeLimitExceeded,
    Validation,
    from_answer,
)
from engine.saraban.exchange.transports import Outbound, Receipt, TransportUnavailable
from engine.thaidate import MONTHS_LONG, MONTHS_SHORT, ascii_digits, format_date
from engine.workflow.sla import BANGKOK

log = logging.getLogger(__name__)

CHANNEL: Final = "email"
ENVELOPE_FILE: Final = "envelope.json"
SIGNATURE_FILE: Final = "envelope.jws"
# A mail carries the documents twice (as files, and inside envelope.json), each base64 again in
# MIME: about 3.2 times the documents, plus the text and headers.
MAX_MAIL_BYTES: Final = env.DEFAULT_MAX_BYTES * 4 + 2 * env.ENVELOPE_OVERHEAD
MAX_PARTS: Final = 2 * env.MAX_DOCUMENTS + 10
TIMEOUT_SECONDS: Final = 60
NO_NUMBER: Final = "ไม่ปรากฏเลขที่"
NO_SUBJECT: Final = "หนังสือทางไปรษณีย์อิเล็กทรอนิกส์ที่ไม่ได้ระบุเรื่อง"
# Message ids of plain mails: uuid5 of their Message-ID in this namespace, the same on redelivery.
MAIL_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://thongthin.go.th/saraban/mail")


# --- refusals ---


class MailRefused(ThongthinError):
    """A mail this platform does not take, with its reason in Thai and English and the SMTP answer."""

    http_status = 422
    smtp_code: int = 550
    smtp_status: str = "5.6.0"

    def __init__(self, message: str, *, th: str):
        self.message = message
        self.message_th = th
        super().__init__(message)

    def reply(self, utf8: bool = True) -> str:
        """The SMTP answer: Thai on the first line when the session speaks UTF-8, English last."""
        return smtp_reply(self.smtp_code, self.smtp_status, self.message_th, self.message, utf8=utf8)


class MailTooLarge(MailRefused):
    smtp_code = 552
    smtp_status = "5.3.4"

    def __init__(self, size: int, limit: int):
        super().__init__(
            f"the mail has {size} bytes, more than the {limit} accepted",
            th=f"อีเมลมีขนาด {size} ไบต์ เกินกว่าที่รับได้ {limit} ไบต์",
        )


class MailMalformed(MailRefused):
    """The mail cannot be read, has too many parts, or carries two envelopes."""

    smtp_status = "5.6.0"


class NothingToRegister(MailRefused):
    """Neither a signed envelope nor a PDF: there is no letter to register."""

    smtp_status = "5.6.0"

    def __init__(self) -> None:
        super().__init__(
            "the mail carries neither a signed th-saraban envelope nor a PDF letter",
            th="อีเมลนี้ไม่มีทั้งข้อความ th-saraban ที่ลงลายมือชื่อและไฟล์หนังสือ PDF จึงไม่มีหนังสือให้ลงรับ",
        )


class UnsignedEnvelope(MailRefused):
    """An envelope without its signature, and no PDF to take the mail as a plain letter."""

    smtp_status = "5.7.7"

    def __init__(self) -> None:
        super().__init__(
            f"{ENVELOPE_FILE} is attached without {SIGNATURE_FILE}, and the mail has no PDF letter",
            th=f"อีเมลนี้แนบ {ENVELOPE_FILE} มาโดยไม่มีลายมือชื่อ {SIGNATURE_FILE} และไม่มีไฟล์หนังสือ PDF",
        )


class SenderUnknown(MailRefused):
    """A plain mail from an address the directory lists for no active agency."""

    smtp_status = "5.7.1"

    def __init__(self, address: str):
        self.address = address
        super().__init__(
            f"{address or 'the sender'} is not the e-mail address of an agency in the directory; "
            "send the letter from the agency's saraban address, or as a signed message",
            th=(
                f"ที่อยู่อีเมล {address or 'ของผู้ส่ง'} ไม่ใช่อีเมลสารบรรณกลางของหน่วยงานใดในสมุดรายชื่อหน่วยงาน "
                "โปรดส่งหนังสือจากอีเมลสารบรรณกลางของหน่วยงาน หรือส่งเป็นข้อความที่ลงลายมือชื่อ"
            ),
        )


class SenderHasNoCode(MailRefused):
    """The sending agency is in the directory but without a letter code to file the letter under."""

    smtp_status = "5.7.1"

    def __init__(self, address: str, name_th: str):
        super().__init__(
            f"the agency of {address} has no letter code in the directory yet",
            th=f"{name_th} ยังไม่มีรหัสหนังสือในสมุดรายชื่อหน่วยงาน จึงยังรับหนังสือทางอีเมลจากหน่วยงานนี้ไม่ได้",
        )


class RecipientUnknown(MailRefused):
    smtp_status = "5.1.1"

    def __init__(self, address: str):
        super().__init__(
            f"{address} is not the saraban address of a municipality served here",
            th=f"{address} ไม่ใช่อีเมลสารบรรณกลางของหน่วยงานที่ใช้ระบบนี้",
        )


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def smtp_reply(code: int, status: str, th: str, en: str, *, utf8: bool) -> str:
    """An SMTP answer of one or two lines; Thai only where the session may carry UTF-8."""
    # 512 octets a line (RFC 5321 4.5.3.1.5): a Thai character takes three.
    english = f"{code} {status} {_one_line(en, 400)}"
    if not utf8 or not th or th == en:
        return english
    return f"{code}-{status} {_one_line(th, 150)}\r\n{english}"


def fault_reply(fault: ExchangeFault, *, utf8: bool) -> str:
    """A refused message as an SMTP answer that :class:`MailTransport` reads back as the same fault."""
    code = 552 if isinstance(fault, SizeLimitExceeded) else 550
    status = "5.3.4" if code == 552 else "5.7.1" if fault.fault == "BadSignature" else "5.6.0"
    return smtp_reply(
        code, status, f"[{fault.fault}] {fault.message_th}", f"[{fault.fault}] {fault.message}", utf8=utf8
    )


# --- composing ---


def _letter_date(day: date, number: str) -> str:
    return format_date(day, thai_numerals=bool(re.search("[๐-๙]", number)))


def subject_of(envelope: env.Envelope) -> str:
    """The mail's subject: what an official reads in the list of mails before opening one."""
    part = envelope.letter
    if part is None:
        return "สอบถามสถานะของหนังสือที่ส่งไปทางระบบสารบรรณอิเล็กทรอนิกส์"
    letter = f"หนังสือ ที่ {part.number} ลงวันที่ {_letter_date(part.date, part.number)}"
    kind = envelope.type
    if kind == "Letter":
        return f"{letter} เรื่อง {part.subject}"
    if kind == "ReceiveNotice":
        return f"ตอบรับว่าได้รับ{letter} เรื่อง {part.subject} แล้ว"
    if kind == "AcceptNotice":
        accepted = (
            f" วันที่ {_letter_date(envelope.accept_date, envelope.accept_id or '')}"
            if envelope.accept_date
            else ""
        )
        return f"แจ้งเลขรับ{letter} ซึ่งได้ลงทะเบียนรับไว้แล้ว เลขรับที่ {envelope.accept_id}{accepted}"
    if kind == "RejectNotice":
        return f"ปฏิเสธการรับ{letter} เรื่อง {part.subject}"
    if kind == "InvalidNotice":
        return f"แจ้งว่า{letter} เรื่อง {part.subject} ส่งมาผิดหน่วยงาน"
    if kind == "InvalidAcceptIdNotice":
        return f"แจ้งว่าเลขรับ {envelope.accept_id} ของ{letter} ไม่ถูกต้อง"
    if kind == "Withdraw":
        return f"ขอถอน{letter} เรื่อง {part.subject} เพื่อส่งใหม่"
    return f"สอบถามสถานะของ{letter} เรื่อง {part.subject}"


_WHAT_EN = {
    "Letter": "an official letter",
    "ReceiveNotice": "an acknowledgement that a letter arrived",
    "AcceptNotice": "the receive number (เลขรับ) under which a letter was registered",
    "RejectNotice": "a refusal to accept a letter",
    "InvalidNotice": "a notice that a letter was sent to the wrong agency",
    "InvalidAcceptIdNotice": "a notice that a receive number given was wrong",
    "Withdraw": "a request to withdraw a letter so that it can be sent again",
    "StatusRequest": "a question about the state of a letter",
}


def _text_of(envelope: env.Envelope, addressee: str, sender: str) -> str:
    part = envelope.letter
    lines = [f"เรียน {addressee}" if addressee else "เรียน เจ้าหน้าที่สารบรรณกลาง", ""]
    lines.append(subject_of(envelope))
    if sender:
        lines.append(f"ข้อความนี้ส่งจาก{sender}ทางไปรษณีย์อิเล็กทรอนิกส์")
    lines.append("")
    if envelope.type == "Letter":
        lines.append("ตัวหนังสือและสิ่งที่ส่งมาด้วยเป็นไฟล์ที่แนบมากับอีเมลนี้ โปรดลงทะเบียนรับและแจ้งเลขรับกลับมายังที่อยู่อีเมลนี้")
    if envelope.reason:
        lines.append(f"หน่วยงานผู้ส่งให้เหตุผลว่า {envelope.reason}")
    lines += [
        "",
        f"ไฟล์ {ENVELOPE_FILE} คือข้อความตามรูปแบบ {env.PROTOCOL} และไฟล์ {SIGNATURE_FILE} "
        "คือลายมือชื่ออิเล็กทรอนิกส์ของหน่วยงานผู้ส่งที่ลงไว้บนข้อความนั้น "
        "ระบบสารบรรณอิเล็กทรอนิกส์ของผู้รับใช้ตรวจสอบได้ว่าข้อความมาจากหน่วยงานผู้ส่งจริงและไม่ถูกแก้ไข",
        "",
        "---",
        "",
        f"This mail carries {_WHAT_EN.get(envelope.type, 'a message')}"
        + (f" (no. {part.number} of {part.date.isoformat()}: {part.subject})." if part else "."),
    ]
    if envelope.type == "Letter":
        lines.append(
            "The letter and its enclosures are attached; please register it and reply with the receive number."
        )
    if envelope.reason:
        lines.append(f"Reason given: {envelope.reason}")
    lines.append(
        f"{ENVELOPE_FILE} is the {env.PROTOCOL} message and {SIGNATURE_FILE} the sending agency's detached "
        "JWS signature over it, by which an e-Saraban system checks who sent it and that it is unchanged."
    )
    return "\n".join(lines) + "\n"


def message_id_of(message: Outbound, from_address: str) -> str:
    """The Message-ID of ``message``'s mail: the same on every retry, so the far side sees one mail."""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "thongthin.invalid"
    return f"<{message.message_id}@{domain}>"


def compose(
    message: Outbound, *, from_address: str, sender_name: str = "", reply_to: str = ""
) -> EmailMessage:
    """The mail carrying ``message``: Thai subject and text, the letter's files, the signed envelope.

    ``sender_name`` (the sending municipality) is shown as the From's name; ``reply_to`` is its own
    saraban@ mailbox, where the answer should go. Raises ExchangeFault when ``message.body`` is not
    a valid envelope.
    """
    envelope = env.parse(message.body)
    display, address = parseaddr(from_address)
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = MailAddress(display_name=sender_name or display, addr_spec=address)
    mail["To"] = MailAddress(display_name=message.to.name_th, addr_spec=message.to.email)
    if reply_to:
        mail["Reply-To"] = reply_to
    mail["Subject"] = subject_of(envelope)
    mail["Date"] = format_datetime(envelope.created_at)
    mail["Message-ID"] = message_id_of(message, from_address)
    mail["X-Saraban-Message"] = f"{envelope.type} {message.message_id}"
    mail["X-Saraban-Key"] = message.key_id
    mail.set_content(_text_of(envelope, message.to.name_th, sender_name))
    for document in envelope.documents:
        maintype, _, subtype = document.mime.partition("/")
        mail.add_attachment(
            document.content(), maintype=maintype, subtype=subtype, filename=document.filename
        )
    media, _, media_sub = env.MEDIA_TYPE.partition("/")
    mail.add_attachment(message.body, maintype=media, subtype=media_sub, filename=ENVELOPE_FILE)
    mail.add_attachment(message.signature, subtype="plain", filename=SIGNATURE_FILE)
    return mail


# --- reading ---


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes


@dataclass(frozen=True)
class SignedMail:
    """A mail carrying a signed message: ``body`` exactly as signed, ``signature`` its detached JWS."""

    body: bytes
    signature: str
    sender: str
    message_id: str


@dataclass(frozen=True)
class PlainMail:
    """A letter sent as an ordinary mail: the PDFs attached, the particulars in the subject."""

    sender: str
    subject: str
    date: datetime | None
    message_id: str
    pdfs: tuple[Attachment, ...]
    digest: str  # SHA-256 of the raw mail, naming it when it has no Message-ID


MailIn = SignedMail | PlainMail


def _address(header: Any) -> str:
    try:
        addresses = getattr(header, "addresses", ())
        return str(addresses[0].addr_spec).strip() if addresses else ""
    except (IndexError, AttributeError, ValueError):
        return ""


def _date(header: Any) -> datetime | None:
    moment = getattr(header, "datetime", None)
    if not isinstance(moment, datetime):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(BANGKOK)


def _is_pdf(part: EmailMessage, name: str, data: bytes) -> bool:
    declared = part.get_content_type() == "application/pdf" or name.lower().endswith(".pdf")
    return declared and b"%PDF-" in data[:1024]


def read(raw: bytes, *, max_bytes: int = MAX_MAIL_BYTES, max_parts: int = MAX_PARTS) -> MailIn:
    """The message or letter a received mail carries.

    Raises MailTooLarge beyond ``max_bytes``, MailMalformed (unreadable, more than ``max_parts``
    parts, two envelopes), UnsignedEnvelope, NothingToRegister.
    """
    if len(raw) > max_bytes:
        raise MailTooLarge(len(raw), max_bytes)
    try:
        mail = BytesParser(policy=policy.default).parsebytes(raw)
    except (ValueError, TypeError, LookupError, RecursionError) as error:
        raise MailMalformed(
            f"the mail cannot be read ({type(error).__name__})", th="อ่านอีเมลนี้ไม่ได้ เพราะรูปแบบไม่ถูกต้อง"
        ) from None
    assert isinstance(mail, EmailMessage)
    body: bytes | None = None
    signature = ""
    pdfs: list[Attachment] = []
    count = 0
    for part in mail.walk():
        count += 1
        if count > max_parts:
            raise MailMalformed(
                f"the mail has more than {max_parts} parts",
                th=f"อีเมลนี้มีส่วนประกอบมากกว่า {max_parts} ส่วน เกินกว่าที่รับได้",
            )
        if part.is_multipart():
            continue
        name = (part.get_filename() or "").strip()
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        if name == ENVELOPE_FILE or part.get_content_type() == env.MEDIA_TYPE:
            if body is not None:
                raise MailMalformed(
                    f"the mail carries more than one {ENVELOPE_FILE}",
                    th=f"อีเมลนี้แนบ {ENVELOPE_FILE} มามากกว่าหนึ่งไฟล์ จึงไม่ทราบว่าข้อความใดเป็นของจริง",
                )
            body = data
        elif name == SIGNATURE_FILE:
            signature = data.decode("ascii", "replace").strip()
        elif _is_pdf(part, name, data):
            pdfs.append(Attachment(name, data))
    sender = _address(mail["From"])
    message_id = str(mail["Message-ID"] or "").strip()
    if body is not None and signature:
        return SignedMail(body=body, signature=signature, sender=sender, message_id=message_id)
    if not pdfs:
        raise UnsignedEnvelope() if body is not None else NothingToRegister()
    return PlainMail(
        sender=sender,
        subject=" ".join(str(mail["Subject"] or "").split()),
        date=_date(mail["Date"]),
        message_id=message_id,
        pdfs=tuple(pdfs),
        digest=hashlib.sha256(raw).hexdigest(),
    )


# --- a plain mail as a letter ---

_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|fw|fwd|ตอบกลับ|ส่งต่อ)\s*:\s*)+", re.IGNORECASE)
_DIGIT = "[0-9๐-๙]"
_NUMBER = re.compile(
    rf"(?:^|\s)ที่\s*(?P<number>[\u0e01-\u0e2e]{{1,4}}\.?\s*{_DIGIT}{{2,6}}(?:\.{_DIGIT}{{1,4}})*"
    rf"\s*/\s*(?:ว\s*)?{_DIGIT}{{1,6}})"
)
_MONTHS = sorted(
    MONTHS_LONG + MONTHS_SHORT + tuple(m.replace(".", "") for m in MONTHS_SHORT), key=len, reverse=True
)
_DATE = re.compile(
    rf"(?:ลงวันที่|ลว\.?)\s*(?P<day>{_DIGIT}{{1,2}})\s*(?P<month>{'|'.join(re.escape(m) for m in _MONTHS)})"
    rf"\s*(?:พ\.ศ\.\s*)?(?P<year>{_DIGIT}{{4}}|{_DIGIT}{{2}})"
)
_TOPIC = re.compile(r"(?:^|\s)เรื่อง\s*(?P<topic>.*)$")


def _month(name: str) -> int:
    for months in (MONTHS_LONG, MONTHS_SHORT):
        if name in months:
            return months.index(name) + 1
    return tuple(m.replace(".", "") for m in MONTHS_SHORT).index(name) + 1


def _subject_date(match: re.Match[str]) -> date | None:
    year = int(ascii_digits(match["year"]))
    if year < 100:
        year += 2500
    if year >= 2400:
        year -= env.BUDDHIST_ERA_OFFSET
    try:
        return date(year, _month(match["month"]), int(ascii_digits(match["day"])))
    except ValueError:
        return None


@dataclass(frozen=True)
class Heading:
    """What a mail's subject says of the letter: its number, its date, its subject."""

    number: str | None
    day: date | None
    subject: str


def heading_of(subject: str) -> Heading:
    """The letter's number ("ที่ ชม ๕๒๑๐๑/๑๒๓", Thai digits kept as written), date ("ลงวันที่ …")
    and subject (after "เรื่อง", else what is left) in a mail's subject."""
    text = _REPLY_PREFIX.sub("", " ".join(subject.split()))
    number = day = None
    found = _NUMBER.search(text)
    if found:
        number = " ".join(found["number"].split()).replace(" /", "/").replace("/ ", "/")
    dated = _DATE.search(text)
    if dated:
        day = _subject_date(dated)
    topic = _TOPIC.search(text)
    if topic:
        rest = topic["topic"]
    else:
        rest = text
        for match in (dated, found):
            if match:
                rest = rest.replace(match.group(0), " ")
        rest = re.sub(r"^\s*หนังสือ\s", "", rest)
    return Heading(number, day, " ".join(rest.split()))


def _filenames(pdfs: Sequence[Attachment]) -> list[str]:
    names: list[str] = []
    for index, pdf in enumerate(pdfs, start=1):
        base = re.sub(r"[\\/\x00-\x1f\x7f]", "_", pdf.filename.rsplit("/", 1)[-1]).strip().lstrip(".").strip()
        if not base:
            base = "letter.pdf" if index == 1 else f"enclosure-{index - 1}.pdf"
        if len(base) > 200:
            base = base[:196] + ".pdf"
        name, counter = base, 2
        while name in names:
            stem, dot, extension = base.rpartition(".")
            name = f"{stem} ({counter}).{extension}" if dot else f"{base} ({counter})"
            counter += 1
        names.append(name)
    return names


def plain_message_id(mail: PlainMail) -> str:
    """The message id of a plain mail: uuid5 of its Message-ID (of its content when it has none)."""
    name = mail.message_id.strip("<> ") or f"sha256:{mail.digest}"
    return str(uuid.uuid5(MAIL_NAMESPACE, name))


def plain_envelope(
    mail: PlainMail, *, sender: env.Agency, recipient: env.Agency, now: datetime
) -> env.Envelope:
    """A Letter envelope for a letter sent as a plain mail: the first PDF the letter, the others
    its enclosures. The same mail delivered again gives the same envelope.

    Raises Validation when the letter cannot be described within the format's bounds.
    """
    heading = heading_of(mail.subject)
    moment = mail.date or now.astimezone(BANGKOK)
    names = _filenames(mail.pdfs)
    try:
        return env.Envelope(
            protocol=env.PROTOCOL,
            message_id=plain_message_id(mail),
            type="Letter",
            created_at=moment,
            sender=sender,
            recipient=recipient,
            letter=env.Letter(
                number=(heading.number or NO_NUMBER)[:80],
                date=heading.day or moment.date(),
                subject=(heading.subject or NO_SUBJECT)[:500],
            ),
            documents=[
                env.Document.of("main" if index == 0 else "enclosure", name, "application/pdf", pdf.content)
                for index, (name, pdf) in enumerate(zip(names, mail.pdfs, strict=True))
            ],
        )
    except ValidationError as error:
        raise env.validation_fault(error) from None


# --- sending ---


def _reply_text(raw: Any) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return str(raw)


def fault_of_reply(code: int, raw: Any) -> ExchangeFault:
    """The fault an SMTP refusal of the message stands for; a thongthin smtpd names it in brackets."""
    lines = [line.strip() for line in _reply_text(raw).splitlines() if line.strip()]
    # smtplib gives each line's text without its code: "5.7.1 [BadSignature] …".
    named = [re.match(r"(?:[245]\.[0-9]{1,3}\.[0-9]{1,3}\s+)?\[([A-Za-z]+)\]\s*(.*)", line) for line in lines]
    found = [match for match in named if match]
    if found:
        thai, english = found[0], found[-1]
        return from_answer({"fault": english[1], "detail": english[2], "detail_th": thai[2]})
    said = " ".join(lines)[:400] or str(code)
    kind = SizeLimitExceeded if code == 552 else Validation
    return kind(
        f"the addressee's mail server refused the message: {code} {said}",
        th=f"เซิร์ฟเวอร์อีเมลของหน่วยงานปลายทางไม่รับข้อความนี้ โดยตอบว่า {code} {said}",
    )


@dataclass(frozen=True)
class MailTransport:
    """Delivers messages to an agency's saraban@ mailbox through this installation's SMTP server."""

    smtp: SmtpChannel
    from_address: str
    timeout: float = TIMEOUT_SECONDS
    channel: str = CHANNEL

    @classmethod
    def from_url(cls, smtp_url: str, from_address: str) -> MailTransport:
        """Raises ChannelNotConfigured for a URL that is not ``smtp://`` or ``smtps://``."""
        return cls(SmtpChannel.from_url(smtp_url, from_address), from_address)

    async def deliver(self, message: Outbound) -> Receipt:
        if not message.to.email:
            raise TransportUnavailable(
                f"{message.to.agency_code} has no e-mail address in the directory",
                th=f"{message.to.name_th} ไม่มีอีเมลสารบรรณกลางในสมุดรายชื่อหน่วยงาน",
            )
        name, reply_to = await _sender_of(message.sender_code)
        mail = compose(message, from_address=self.from_address, sender_name=name, reply_to=reply_to)
        return await asyncio.to_thread(self._send, message, mail)

    def _send(self, message: Outbound, mail: EmailMessage) -> Receipt:
        where = f"{message.to.email} ({self.smtp.host}:{self.smtp.port})"
        try:
            with self.smtp.connect(self.timeout) as server:
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as refused:
            code, said = next(iter(refused.recipients.values()), (550, b""))
            if 500 <= code < 600:
                fault = InvalidAddressee(message.to.agency_code)
                fault.message = (
                    f"the mail server refused {message.to.email}: {code} {_reply_text(said)[:300]}"
                )
                fault.message_th = (
                    f"เซิร์ฟเวอร์อีเมลปลายทางไม่รับอีเมลที่ส่งถึง {message.to.email} ของ{message.to.name_th}"
                )
                raise fault from None
            raise TransportUnavailable(f"{where} answered {code} for the recipient") from None
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            if error.smtp_code == 552 or (
                isinstance(error, smtplib.SMTPDataError) and 500 <= error.smtp_code < 600
            ):
                raise fault_of_reply(error.smtp_code, error.smtp_error) from None
            raise TransportUnavailable(f"{where} answered {error.smtp_code}") from None
        except smtplib.SMTPResponseException as error:
            raise TransportUnavailable(f"{where} answered {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TransportUnavailable(f"{where} could not be reached: {type(error).__name__}") from None
        return Receipt(str(mail["Message-ID"]))


async def _sender_of(code: str) -> tuple[str, str]:
    """The sending municipality's name and its own saraban@ mailbox, for From and Reply-To."""
    from engine.services.saraban import agencies
    from engine.store.models import Agency

    normal = agencies.normal_code(code)
    agency = await Agency.get_or_none(letter_code=normal) if normal else None
    return (agency.name_th, agency.email) if agency else ("", "")


def mail_transport(platform: Any) -> MailTransport | None:
    """The ``email`` transport of this installation; None when ``THONGTHIN_SMTP_URL`` is not set
    (or the installation has no settings, as the demo's and the bench's letter-only exchange)."""
    settings = getattr(platform, "settings", None)
    url = settings.environ.get("THONGTHIN_SMTP_URL") if settings is not None else None
    if not url:
        return None
    return MailTransport.from_url(url, platform.settings.saraban_mail_from)


# --- receiving ---


async def tenant_agency_of(address: str) -> Any:
    """The directory entry of the municipality whose saraban@ mailbox ``address`` is, if any."""
    from engine.store.models import Agency

    address = address.strip()
    if not address or len(address) > 254:
        return None
    return (
        await Agency.filter(kind="tenant", email__iexact=address, active=True, tenant_id__not_isnull=True)
        .order_by("id")
        .first()
    )


async def _slug(agency: Any) -> str:
    from engine.store.models import Tenant

    if agency.tenant_id is None:
        return ""
    tenant = await Tenant.get_or_none(id=agency.tenant_id)
    return tenant.slug if tenant else ""


def _addressed_code(body: bytes) -> str | None:
    """The recipient's letter code as the envelope gives it (None when it cannot be read: the
    service then refuses the message with its own fault)."""
    from engine.services.saraban.agencies import normal_code

    try:
        code = json.loads(body.decode("utf-8"))["recipient"]["agency_code"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return normal_code(code) if isinstance(code, str) else None


async def take_in_mail(
    mail: MailIn, rcpt_tos: Sequence[str], *, exchange: Any, now: datetime | None = None
) -> list[Receipt]:
    """Take in one received mail for the municipalities it was addressed to (run on the ORM loop).

    Raises ExchangeFault (the service refused the message), SenderUnknown, SenderHasNoCode,
    RecipientUnknown.
    """
    from engine.services.saraban import exchange as service
    from engine.store.models import Agency

    moment = now or datetime.now(UTC)
    if isinstance(mail, SignedMail):
        # The signed envelope names its addressee; it must be a mailbox this mail was sent to.
        served = {agency.letter_code for agency in [await tenant_agency_of(a) for a in rcpt_tos] if agency}
        addressed = _addressed_code(mail.body)
        if addressed is not None and addressed not in served:
            raise InvalidAddressee(addressed[:40])
        return [
            await service.take_in(mail.body, mail.signature, channel=CHANNEL, exchange=exchange, now=moment)
        ]
    recipients: dict[int, Any] = {}
    for address in rcpt_tos:
        agency = await tenant_agency_of(address)
        if agency is None:
            raise RecipientUnknown(address)
        recipients[agency.id] = agency
    sender = (
        await Agency.filter(email__iexact=mail.sender, active=True).order_by("id").first()
        if mail.sender and len(mail.sender) <= 254
        else None
    )
    if sender is None:
        raise SenderUnknown(mail.sender)
    if not sender.letter_code:
        raise SenderHasNoCode(mail.sender, sender.name_th)
    party = service.party_of(sender, await _slug(sender))
    receipts = []
    for agency in recipients.values():
        envelope = plain_envelope(
            mail, sender=party, recipient=service.party_of(agency, await _slug(agency)), now=moment
        )
        receipts.append(
            await service.take_in_trusted(
                envelope, channel=CHANNEL, exchange=exchange, vouched_by=mail.sender, now=moment
            )
        )
    return receipts


@dataclass
class SarabanMailHandler:
    """An aiosmtpd handler taking mail for the municipalities' saraban@ mailboxes.

    aiosmtpd runs its own event loop on a thread of its own; the ORM belongs to the platform's
    loop, so every query is handed over to that loop and awaited from here.
    """

    platform: Any
    max_bytes: int = MAX_MAIL_BYTES
    taken: list[Receipt] = field(default_factory=list, repr=False)

    async def _on_orm(self, coroutine: Any) -> Any:
        loop = self.platform.runtime.loop
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        utf8 = bool(getattr(server, "enable_SMTPUTF8", False))
        try:
            agency = await self._on_orm(tenant_agency_of(address))
        except Exception:
            log.exception("saraban mail: looking up the recipient %s failed", address)
            return _try_later(utf8)
        if agency is None:
            return RecipientUnknown(address).reply(utf8)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        utf8 = bool(getattr(server, "enable_SMTPUTF8", False))
        raw = envelope.original_content if isinstance(envelope.original_content, bytes) else envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw).encode("utf-8", "surrogateescape")
        try:
            mail = read(raw, max_bytes=self.max_bytes)
            receipts = await self._on_orm(
                take_in_mail(mail, list(envelope.rcpt_tos), exchange=self.platform.saraban_exchange)
            )
        except MailRefused as refused:
            return refused.reply(utf8)
        except ExchangeFault as fault:
            return fault_reply(fault, utf8=utf8)
        except Exception:
            # A database that is down, or a fault of ours: the sending server keeps the mail and tries again.
            log.exception("saraban mail: taking in a mail failed")
            return _try_later(utf8)
        self.taken.extend(receipts)
        return f"250 2.0.0 received as {', '.join(receipt.receipt_id for receipt in receipts)}"


def _try_later(utf8: bool) -> str:
    return smtp_reply(
        451,
        "4.3.0",
        "ระบบสารบรรณอิเล็กทรอนิกส์ของผู้รับขัดข้องชั่วคราว โปรดส่งใหม่ภายหลัง",
        "the e-Saraban system is temporarily unable to take the mail; try again later",
        utf8=utf8,
    )


__all__ = [
    "CHANNEL",
    "MailIn",
    "MailRefused",
    "MailTooLarge",
    "MailTransport",
    "NothingToRegister",
    "PlainMail",
    "SarabanMailHandler",
    "SenderUnknown",
    "SignedMail",
    "compose",
    "mail_transport",
    "plain_envelope",
    "read",
]
