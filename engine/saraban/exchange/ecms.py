"""The e-CMS mapping: ``th-saraban/1.0`` envelopes to and from the TH e-GIF ``rsm:GovernmentDocument``.

**Not certified.** No official XSD of the e-CMS GovernmentDocument or of its notices was found;
this mapping follows public implementations (the element list in SARABAN.md §2.2) and must be
checked against a live or recorded e-CMS node before anyone claims compatibility.

What maps where:

- ``Letter`` ↔ ``rsm:GovernmentDocument/ram:CorrespondenceLetter``: ID (number as printed),
  CorrespondenceDate (**Gregorian** ``yyyy-MM-dd``; the envelope's dates are Buddhist Era),
  Subject, SecretCode, SpeedCode, SenderParty (``letter.sender_party`` split into GivenName /
  FamilyName at the last space, JobTitle, the sender's ministry and department ids),
  ReceiverParty (JobTitle = ``letter.salutation``, the recipient's ids),
  ReferenceCorrespondence*, Attachment (``letter.enclosures``), SendDate (``created_at``),
  Description (empty), MainLetterBinaryObject and AttachmentBinaryObject* (``mimeCode``,
  base64); ``ram:GovernmentSignature/ram:SignerParty`` carries ``letter.signer`` with an empty
  TypeCode and no ``ds:Signature``.
- Notices ↔ ``ReceiveLetterNotifier``, ``AcceptLetterNotifier`` (with AcceptID),
  ``RejectLetterNotifier``, ``InvalidLetterNotifier``, ``InvalidAcceptIDNotifier``: LetterID,
  CorrespondenceDate, Subject, unqualified as in the implementations seen.
- ``Withdraw`` ↔ ``CorrespondenceDeleteGovernmentDocumentRequest``; ``StatusRequest`` ↔
  ``OutboundStatusRequest``.

Not carried by e-CMS, so lost on the way there and defaulted on the way back: the letter's
``kind`` (``external``), ``due_at``, file names (``letter.pdf``, ``enclosure-1.pdf`` …),
``reason``, ``acceptor``, ``accept_date`` (the receiving moment), the agency codes and tenant
(the caller names ``sender`` and ``recipient`` from its directory). Message ids travel as
``wsa:MessageID`` (``urn:uuid:…``); when a peer sends none, or not a UUID, one is derived from
the letter (:func:`letter_key`), so the same item pulled twice gets the same id.

Reading is lenient where peers are known to differ (elements matched by local name, whatever
namespace; dates with a time or in Buddhist Era accepted) and strict where it matters: no DTD,
no entities, no network, bounded size; anything malformed is a Validation fault.

Pure: lxml in memory, no IO, no clock.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any, Final

from lxml import etree
from pydantic import ValidationError

from engine.saraban.exchange.envelope import (
    BUDDHIST_ERA_OFFSET,
    DEFAULT_MAX_BYTES,
    PROTOCOL,
    Agency,
    Document,
    Envelope,
    Party,
    be_text,
    check,
    raw_limit,
    validation_fault,
)
from engine.saraban.exchange.faults import SizeLimitExceeded, Validation
from engine.workflow.sla import BANGKOK

RSM: Final = "urn:th:gov:egif:data:standard:GovernmentDocument:1.0"
RAM: Final = "urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1"
SOAP: Final = "http://schemas.xmlsoap.org/soap/envelope/"
WSA: Final = "http://www.w3.org/2005/08/addressing"
NSMAP: Final = {"rsm": RSM, "ram": RAM}

# Envelope type ↔ the e-CMS notifier element.
NOTIFIERS: Final = {
    "ReceiveNotice": "ReceiveLetterNotifier",
    "AcceptNotice": "AcceptLetterNotifier",
    "RejectNotice": "RejectLetterNotifier",
    "InvalidNotice": "InvalidLetterNotifier",
    "InvalidAcceptIdNotice": "InvalidAcceptIDNotifier",
}
NOTICE_TYPES: Final = {element: kind for kind, element in NOTIFIERS.items()}
WITHDRAW: Final = "CorrespondenceDeleteGovernmentDocumentRequest"
STATUS: Final = "OutboundStatusRequest"
OUTBOUND: Final = "CorrespondenceLetterOutboundRequest"
_PAYLOADS: Final = frozenset({"GovernmentDocument", WITHDRAW, STATUS, *NOTICE_TYPES})

# Derived message ids (when a peer sends none): a fixed namespace, the letter's identity.
KEY_NAMESPACE: Final = uuid.UUID("0b7a3a52-6f0e-5b8e-9a51-3f5e7c1d2a90")

EXTENSIONS: Final = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "text/plain": ".txt",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/zip": ".zip",
}
_MIME_BY_CODE: Final = {ext.lstrip("."): mime for mime, ext in EXTENSIONS.items()}


def _ram(name: str) -> str:
    return f"{{{RAM}}}{name}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib=attributes or None)
    if text is not None:
        element.text = text
    return element


def _split_name(name: str) -> tuple[str, str]:
    given, _, family = name.strip().rpartition(" ")
    return (given, family) if given else (family, "")


def _party(
    parent: etree._Element, tag: str, person: Party | None, agency: Agency, *, title: str = ""
) -> None:
    element = _sub(parent, _ram(tag))
    given, family = _split_name(person.name) if person else ("", "")
    _sub(element, _ram("GivenName"), given)
    _sub(element, _ram("FamilyName"), family)
    _sub(element, _ram("JobTitle"), person.position if person else title)
    _sub(_sub(element, _ram("MinistryOrganization")), _ram("ID"), agency.ministry_id or "")
    _sub(_sub(element, _ram("DepartmentOrganization")), _ram("ID"), agency.department_id or "")


def government_document(envelope: Envelope) -> etree._Element:
    """The ``rsm:GovernmentDocument`` of a Letter envelope. Raises ValueError for another type."""
    letter = envelope.letter
    if envelope.type != "Letter" or letter is None:
        raise ValueError(f"a {envelope.type} is not a GovernmentDocument")
    root = etree.Element(f"{{{RSM}}}GovernmentDocument", nsmap=NSMAP)
    body = _sub(root, _ram("CorrespondenceLetter"), ID="Letter")
    _sub(body, _ram("ID"), letter.number)
    _sub(body, _ram("CorrespondenceDate"), letter.date.isoformat())
    _sub(body, _ram("Subject"), letter.subject)
    _sub(body, _ram("SecretCode"), letter.secret_code)
    _sub(body, _ram("SpeedCode"), letter.speed_code)
    _party(body, "SenderParty", letter.sender_party, envelope.sender)
    _party(body, "ReceiverParty", None, envelope.recipient, title=letter.salutation)
    for reference in letter.references:
        element = _sub(body, _ram("ReferenceCorrespondence"))
        _sub(element, _ram("ID"), reference.number)
        _sub(element, _ram("CorrespondenceDate"), reference.date.isoformat())
        _sub(element, _ram("Subject"), reference.subject)
    _sub(body, _ram("Attachment"), letter.enclosures)
    _sub(body, _ram("SendDate"), envelope.created_at.isoformat())
    _sub(body, _ram("Description"), "")
    for document in sorted(envelope.documents, key=lambda d: d.role != "main"):
        tag = "MainLetterBinaryObject" if document.role == "main" else "AttachmentBinaryObject"
        _sub(body, _ram(tag), document.content_b64, mimeCode=document.mime)
    signature = _sub(root, _ram("GovernmentSignature"))
    _sub(signature, _ram("TypeCode"), "")
    if letter.signer is not None:
        signer = _sub(signature, _ram("SignerParty"))
        given, family = _split_name(letter.signer.name)
        _sub(signer, _ram("GivenName"), given)
        _sub(signer, _ram("FamilyName"), family)
        _sub(signer, _ram("Title"), letter.signer.position)
        _sub(signer, _ram("MinistryCode"), envelope.sender.ministry_id or "")
        _sub(signer, _ram("DepartmentCode"), envelope.sender.department_id or "")
    return root


def to_element(envelope: Envelope) -> etree._Element:
    """The e-CMS element for ``envelope``: a GovernmentDocument, a notifier, a withdrawal or a
    status request."""
    letter = envelope.letter
    if envelope.type == "Letter":
        return government_document(envelope)
    if envelope.type == "StatusRequest":
        return etree.Element(STATUS)
    assert letter is not None  # every other type names its letter (Envelope's rule)
    if envelope.type == "Withdraw":
        element = etree.Element(WITHDRAW)
        _sub(element, "LetterID", letter.number)
        _sub(element, "CorrespondenceDate", letter.date.isoformat())
        _sub(_sub(element, "SenderDepartment"), "Code", envelope.sender.department_id or "")
        _sub(_sub(element, "AcceptDepartment"), "Code", envelope.recipient.department_id or "")
        return element
    element = etree.Element(NOTIFIERS[envelope.type])
    _sub(element, "LetterID", letter.number)
    if envelope.type in ("AcceptNotice", "InvalidAcceptIdNotice"):
        _sub(element, "AcceptID", envelope.accept_id or "")
    _sub(element, "CorrespondenceDate", letter.date.isoformat())
    _sub(element, "Subject", letter.subject)
    return element


def to_ecms(envelope: Envelope, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The e-CMS XML (UTF-8, with declaration) of ``envelope``, without the SOAP envelope.

    Raises what :func:`~engine.saraban.exchange.envelope.check` raises (ลับที่สุด, size, digests).
    """
    check(envelope, max_bytes=max_bytes)
    return _serialize(to_element(envelope))


def request(envelope: Envelope, *, to: str = "", max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The SOAP request that hands ``envelope`` to the sender's e-CMS node: letters and notices
    inside ``CorrespondenceLetterOutboundRequest``, withdrawals and status requests bare.

    Raises what :func:`to_ecms` raises.
    """
    check(envelope, max_bytes=max_bytes)
    element = to_element(envelope)
    if envelope.type not in ("Withdraw", "StatusRequest"):
        wrapper = etree.Element(OUTBOUND)
        wrapper.append(element)
        element = wrapper
    return soap(element, message_id=envelope.message_id, to=to)


def soap(body_element: etree._Element, *, message_id: str, to: str = "") -> bytes:
    """A SOAP 1.1 envelope around ``body_element``, with ``wsa:MessageID`` (``urn:uuid:`` +
    ``message_id``) and ``wsa:To`` (the e-CMS node's URL) in the header."""
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, "wsa": WSA})
    header = _sub(envelope, f"{{{SOAP}}}Header")
    _sub(header, f"{{{WSA}}}MessageID", f"urn:uuid:{message_id}")
    _sub(header, f"{{{WSA}}}To", to)
    _sub(envelope, f"{{{SOAP}}}Body").append(body_element)
    return _serialize(envelope)


def _serialize(element: etree._Element) -> bytes:
    data: bytes = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
    return data


# --- reading ---------------------------------------------------------------------------------


def parser() -> etree.XMLParser:
    """The hardened parser: no DTD loading or validation, entities not resolved, no network,
    no huge trees, comments and processing instructions dropped."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_xml(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The root element of ``xml``, refusing what could expand or reach out.

    Raises SizeLimitExceeded when ``xml`` is longer than the body limit for ``max_bytes``, and
    Validation when it has a DOCTYPE or an entity declaration or reference, or is not
    well-formed.
    """
    limit = raw_limit(max_bytes)
    if len(xml) > limit:
        raise SizeLimitExceeded(
            f"{len(xml)} bytes, at most {limit}", th=f"ข้อความมีขนาด {len(xml)} ไบต์ เกินกว่าที่รับได้ {limit} ไบต์"
        )
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise _invalid(
            "a DOCTYPE or an entity declaration is not accepted", "ไม่รับเอกสาร XML ที่มี DOCTYPE หรือ ENTITY"
        )
    try:
        root = etree.fromstring(xml, parser())
    except etree.XMLSyntaxError as exc:
        raise _invalid(f"not well-formed XML: {exc}", "เอกสาร XML ไม่ถูกต้องตามรูปแบบ") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or any(isinstance(node, etree._Entity) for node in root.iter()):
        raise _invalid("a DOCTYPE or an entity is not accepted", "ไม่รับเอกสาร XML ที่มี DOCTYPE หรือ ENTITY")
    return root


def letter_key(agency_code: str, number: str, day: date) -> str:
    """The message id derived for a letter pulled from e-CMS without one: the same letter of the
    same sending agency always gives the same id (``day`` Gregorian)."""
    return str(uuid.uuid5(KEY_NAMESPACE, f"{agency_code}\x1f{number}\x1f{day.isoformat()}"))


def from_ecms(
    xml: bytes,
    *,
    sender: Agency,
    recipient: Agency,
    in_reply_to: str | None = None,
    received_at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Envelope:
    """The envelope of an e-CMS message: a GovernmentDocument, a notifier, a withdrawal or a
    status request, bare or inside a SOAP envelope and its request or response wrapper.

    ``sender`` and ``recipient`` come from the caller's directory (e-CMS does not carry agency
    codes). ``in_reply_to`` is the message id of the letter a notice or withdrawal answers (the
    caller finds it by LetterID and date); without it, :func:`letter_key` of the letter.
    ``received_at`` (aware) stands in where e-CMS gives no time (SendDate missing, accept date).

    Raises SizeLimitExceeded, Validation (malformed, DTD or entities, missing or wrong fields,
    bad base64), SecrecyNotAllowed (SecretCode 004).
    """
    root = read_xml(xml, max_bytes=max_bytes)
    payload = _payload(root)
    name = etree.QName(payload).localname
    header_id = _message_id(root)
    if name == "GovernmentDocument":
        data = _letter_data(payload, sender, recipient, received_at)
        letter = data["letter"]
        data["message_id"] = header_id or letter_key(sender.agency_code, letter["number"], letter["date"])
        if in_reply_to:
            data["in_reply_to"] = in_reply_to
    elif name == STATUS:
        if not in_reply_to:
            raise _invalid(
                "a status request answers a known message (in_reply_to)", "ไม่ทราบว่าถามสถานะของข้อความใด"
            )
        moment = _required_moment(received_at)
        data = _common("StatusRequest", sender, recipient, moment)
        data["message_id"] = header_id or str(
            uuid.uuid5(KEY_NAMESPACE, f"status\x1f{in_reply_to}\x1f{moment}")
        )
        data["in_reply_to"] = in_reply_to
    else:
        data = _notice_data(name, payload, sender, recipient, in_reply_to, received_at, header_id)
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError as exc:
        raise validation_fault(exc) from None
    check(envelope, max_bytes=max_bytes)
    return envelope


def _invalid(message: str, th: str, field: str = "") -> Validation:
    return Validation(message, th=th, field=field)


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _payload(root: etree._Element) -> etree._Element:
    for element in root.iter(tag=etree.Element):
        if _local(element) in _PAYLOADS:
            return element
    raise _invalid(
        "no GovernmentDocument, notifier, withdrawal or status request in the message",
        "ไม่พบหนังสือหรือหนังสือแจ้งในข้อความ e-CMS",
    )


def _child(parent: etree._Element | None, *path: str) -> etree._Element | None:
    element = parent
    for name in path:
        if element is None:
            return None
        element = next(
            (child for child in element.iterchildren(tag=etree.Element) if _local(child) == name), None
        )
    return element


def _children(parent: etree._Element, name: str) -> Iterable[etree._Element]:
    return (child for child in parent.iterchildren(tag=etree.Element) if _local(child) == name)


def _text(parent: etree._Element | None, *path: str) -> str:
    element = _child(parent, *path)
    return (element.text or "").strip() if element is not None else ""


def _required(parent: etree._Element, *path: str) -> str:
    value = _text(parent, *path)
    if not value:
        field = "/".join(path)
        raise _invalid(f"{field} is missing", f"ไม่พบ {field} ในข้อความ e-CMS", field)
    return value


def _message_id(root: etree._Element) -> str | None:
    for element in root.iter(tag=etree.Element):
        if _local(element) == "MessageID" and etree.QName(element).namespace == WSA:
            text = (element.text or "").strip().lower().removeprefix("urn:").removeprefix("uuid:")
            try:
                return str(uuid.UUID(text))
            except ValueError:
                return None
    return None


def _gregorian(text: str, field: str) -> date:
    """A date from e-CMS: ``yyyy-MM-dd`` (a time after it ignored); a Buddhist-Era year (2400
    or later) converted."""
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        raise _invalid(f"{field}: {text!r} is not a date yyyy-MM-dd", f"วันที่ {field} ไม่ถูกต้อง", field) from None
    if day.year >= 2400:
        day = day.replace(year=day.year - BUDDHIST_ERA_OFFSET)
    return day


def _moment(text: str, fallback: date) -> datetime:
    if text:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = datetime.combine(_gregorian(text, "SendDate"), time())
        return moment if moment.tzinfo else moment.replace(tzinfo=BANGKOK)
    return datetime.combine(fallback, time(), tzinfo=BANGKOK)


def _required_moment(received_at: datetime | None) -> datetime:
    if received_at is None:
        raise _invalid("no time to date the message by (received_at)", "ไม่ทราบเวลาที่ได้รับข้อความ")
    return received_at


def _person(element: etree._Element | None, title: str) -> dict[str, str] | None:
    name = " ".join(part for part in (_text(element, "GivenName"), _text(element, "FamilyName")) if part)
    return {"name": name, "position": _text(element, title)} if name else None


def _common(kind: str, sender: Agency, recipient: Agency, created_at: datetime) -> dict[str, Any]:
    return {
        "protocol": PROTOCOL,
        "type": kind,
        "created_at": created_at,
        "sender": sender.model_dump(),
        "recipient": recipient.model_dump(),
    }


def _mime(code: str) -> str:
    code = code.strip().lower()
    if "/" in code:
        return code
    return _MIME_BY_CODE.get(code.lstrip("."), "application/octet-stream")


def _binary(element: etree._Element, role: str, filename_stem: str) -> Document:
    mime = _mime(element.get("mimeCode", "") or "application/pdf")
    text = "".join((element.text or "").split())
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"{_local(element)} is not base64", "เนื้อไฟล์แนบไม่ใช่ base64", _local(element)) from None
    try:
        return Document.of(role, filename_stem + EXTENSIONS.get(mime, ".bin"), mime, content)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise validation_fault(exc) from None


def _letter_data(
    document: etree._Element, sender: Agency, recipient: Agency, received_at: datetime | None
) -> dict[str, Any]:
    body = _child(document, "CorrespondenceLetter")
    if body is None:
        raise _invalid("no CorrespondenceLetter", "ไม่พบ CorrespondenceLetter", "CorrespondenceLetter")
    day = _gregorian(_required(body, "CorrespondenceDate"), "CorrespondenceDate")
    signer = _child(document, "GovernmentSignature", "SignerParty")
    letter: dict[str, Any] = {
        "number": _required(body, "ID"),
        "date": day,
        "subject": _required(body, "Subject"),
        "salutation": _text(body, "ReceiverParty", "JobTitle"),
        "references": [
            {
                "number": _required(reference, "ID"),
                "date": _gregorian(_required(reference, "CorrespondenceDate"), "ReferenceCorrespondence"),
                "subject": _text(reference, "Subject"),
            }
            for reference in _children(body, "ReferenceCorrespondence")
        ],
        "enclosures": _text(body, "Attachment"),
        "speed_code": _text(body, "SpeedCode") or "001",
        "secret_code": _text(body, "SecretCode") or "001",
        "sender_party": _person(_child(body, "SenderParty"), "JobTitle"),
        "signer": _person(signer, "Title"),
    }
    mains = list(_children(body, "MainLetterBinaryObject"))
    if len(mains) != 1:
        raise _invalid(
            "a letter has exactly one MainLetterBinaryObject",
            "หนังสือต้องมีไฟล์หนังสือหลัก (MainLetterBinaryObject) หนึ่งไฟล์",
            "MainLetterBinaryObject",
        )
    documents = [_binary(mains[0], "main", "letter")]
    attachments = list(_children(body, "AttachmentBinaryObject"))
    documents += [_binary(item, "enclosure", f"enclosure-{i}") for i, item in enumerate(attachments, 1)]
    send_date = _text(body, "SendDate")
    created_at = received_at if received_at is not None and not send_date else _moment(send_date, day)
    data = _common("Letter", sender, recipient, created_at)
    data["letter"] = letter
    data["documents"] = [document.model_dump() for document in documents]
    return data


def _notice_data(
    name: str,
    element: etree._Element,
    sender: Agency,
    recipient: Agency,
    in_reply_to: str | None,
    received_at: datetime | None,
    header_id: str | None,
) -> dict[str, Any]:
    number = _required(element, "LetterID")
    day = _gregorian(_required(element, "CorrespondenceDate"), "CorrespondenceDate")
    moment = received_at or datetime.combine(day, time(), tzinfo=BANGKOK)
    if name == WITHDRAW:
        kind, letter_sender = "Withdraw", sender
        letter: dict[str, Any] = {
            "number": number,
            "date": day,
            "subject": _text(element, "Subject") or number,
        }
    else:
        kind, letter_sender = NOTICE_TYPES[name], recipient
        letter = {"number": number, "date": day, "subject": _required(element, "Subject")}
    data = _common(kind, sender, recipient, moment)
    data["letter"] = letter
    reply_to = in_reply_to or letter_key(letter_sender.agency_code, number, day)
    data["in_reply_to"] = reply_to
    accept_id = _text(element, "AcceptID")
    if kind in ("AcceptNotice", "InvalidAcceptIdNotice"):
        data["accept_id"] = accept_id or None
    if kind == "AcceptNotice":
        accept_date = _text(element, "AcceptDate")
        data["accept_date"] = (
            _gregorian(accept_date, "AcceptDate") if accept_date else moment.astimezone(BANGKOK).date()
        )
    data["message_id"] = header_id or str(
        uuid.uuid5(KEY_NAMESPACE, f"{kind}\x1f{reply_to}\x1f{accept_id}\x1f{be_text(day)}")
    )
    return data


__all__ = [
    "NOTIFIERS",
    "RAM",
    "RSM",
    "SOAP",
    "WSA",
    "from_ecms",
    "government_document",
    "letter_key",
    "parser",
    "read_xml",
    "request",
    "soap",
    "to_ecms",
    "to_element",
]
