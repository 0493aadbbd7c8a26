"""This installation's side of the e-CMS (TH e-GIF ``GovernmentDocument`` over SOAP 1.1).

- :class:`EcmsTransport` (channel ``ecms``) hands a queued message to an agency whose directory
  entry gives only an e-CMS node: letters and notices inside ``CorrespondenceLetterOutboundRequest``,
  the node's ``ProcessID`` as the receipt.
- :func:`poll` pulls what a municipality's own e-CMS node holds for it
  (``CorrespondenceLetterInboundRequest``), takes each item in through the exchange, and only then
  removes it from the node (``CorrespondenceLetterDeleteRequest``), so a crash in between means the
  item is pulled again and recognised as a duplicate, never lost.
- :func:`export_letter` and :func:`import_file` move one letter as a file, for an operator carrying
  it between systems by hand.

The e-CMS carries no agency codes and no JWS: the sender is found in the directory by its
department (or ministry) id, and the node it came through vouches for it. The mapping itself is
:mod:`engine.saraban.exchange.ecms`; nothing here builds XML as text.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from lxml import etree
from tortoise.transactions import in_transaction

from engine.saraban.errors import InvalidLetter
from engine.saraban.exchange import ecms
from engine.saraban.exchange import envelope as env
from engine.saraban.exchange.faults import FAULTS, ExchangeFault, Validation, from_answer
from engine.saraban.exchange.transports import Outbound, Receipt, TransportUnavailable
from engine.saraban.settings import settings_of
from engine.services.saraban import agencies, audit
from engine.services.saraban import exchange as service
from engine.services.saraban.letters import Files
from engine.store.models import Agency, ExchangeMessage, Tenant
from engine.workflow.sla import BANGKOK

CHANNEL: Final = "ecms"
TIMEOUT_SECONDS: Final = 30
POLL_BATCH: Final = 20  # what BOI's job pulls per run (SARABAN.md §2.2)
INBOUND: Final = "CorrespondenceLetterInboundRequest"
DELETE: Final = "CorrespondenceLetterDeleteRequest"
IMPORTED_BY: Final = "import by the operator"
ExportFormat = Literal["json", "ecms-xml"]
FORMATS: Final = ("json", "ecms-xml")

_PAYLOADS: Final = frozenset({"GovernmentDocument", ecms.WITHDRAW, ecms.STATUS, *ecms.NOTICE_TYPES})


# --- one SOAP call ---------------------------------------------------------------------------

log = logging.getLogger(__name__)


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _first(root: etree._Element, name: str) -> etree._Element | None:
    return next((e for e in root.iter(tag=etree.Element) if _local(e) == name), None)


def _text_of(root: etree._Element | None, *path: str) -> str:
    element = root
    for name in path:
        if element is None:
            return ""
        element = next((c for c in element.iterchildren(tag=etree.Element) if _local(c) == name), None)
    return (element.text or "").strip() if element is not None else ""


def fault_of(root: etree._Element) -> ExchangeFault | None:
    """The refusal a SOAP Fault carries, as the exchange names it; None when there is no Fault.

    e-CMS nodes name their faults in free text: the first exchange fault named in the faultcode,
    faultstring or detail decides the class, else Validation (the node refused the message itself).
    """
    fault = _first(root, "Fault")
    if fault is None:
        return None
    code, reason = _text_of(fault, "faultcode"), _text_of(fault, "faultstring")
    detail = _first(fault, "detail")
    said = " ".join(filter(None, (code, reason, " ".join(detail.itertext()) if detail is not None else "")))
    kind = next((name for name in FAULTS if name.lower() in said.lower()), "Validation")
    text = (reason or code or "the e-CMS node refused the message")[:400]
    answer: dict[str, Any] = {
        "fault": kind,
        "detail": text,
        "detail_th": f"ระบบ e-CMS ปลายทางไม่รับข้อความ โดยแจ้งเหตุว่า {text}",
    }
    process_id = _text_of(detail, "ProcessID") if detail is not None else ""
    if kind == "Duplicate" and process_id:
        answer["receipt_id"] = process_id
    return from_answer(answer)


def call(url: str, body: bytes, action: str, *, timeout: float = TIMEOUT_SECONDS) -> etree._Element:
    """POST one SOAP request to an e-CMS node and return the root of its answer.

    Raises the ExchangeFault a SOAP Fault names, and TransportUnavailable when the node cannot be
    reached, times out, fails without a Fault (a 5xx, or an answer that is not XML).
    """
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{action}"',
            "Accept": "text/xml",
        },
    )
    limit = env.raw_limit(env.DEFAULT_MAX_BYTES)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(limit + 1)
    except urllib.error.HTTPError as error:
        # SOAP 1.1 answers a Fault with HTTP 500: that is a refusal; any other failure is not.
        root = _xml_or_none(error.read(limit + 1))
        refused = fault_of(root) if root is not None else None
        if refused is not None:
            raise refused from None
        raise TransportUnavailable(f"{url} answered {error.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        raise TransportUnavailable(f"{url}: {error}") from None
    root = _xml_or_none(raw)
    if root is None:
        raise TransportUnavailable(f"{url} answered with something that is not XML")
    refused = fault_of(root)
    if refused is not None:
        raise refused
    return root


def _xml_or_none(raw: bytes) -> etree._Element | None:
    try:
        return ecms.read_xml(raw)
    except ExchangeFault:
        return None


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EcmsTransport:
    """Delivers to an agency reached through an e-CMS node (the URL its directory entry gives)."""

    channel: str = CHANNEL
    timeout: float = TIMEOUT_SECONDS
    max_bytes: int = env.DEFAULT_MAX_BYTES

    async def deliver(self, message: Outbound) -> Receipt:
        return await asyncio.to_thread(self._post, message)

    def _post(self, message: Outbound) -> Receipt:
        url = message.to.ecms_url
        if not url:
            raise TransportUnavailable(f"{message.to.agency_code} has no e-CMS node")
        envelope = env.parse(message.body, max_bytes=self.max_bytes)
        body = ecms.request(envelope, to=url, max_bytes=self.max_bytes)
        action = ecms.OUTBOUND if envelope.type not in ("Withdraw", "StatusRequest") else _action_of(envelope)
        root = call(url, body, action, timeout=self.timeout)
        process_id = _text_of(_first(root, "ProcessID"))
        if not process_id:
            raise TransportUnavailable(f"{url} gave no ProcessID")
        return Receipt(process_id[:80])


def _action_of(envelope: env.Envelope) -> str:
    return ecms.WITHDRAW if envelope.type == "Withdraw" else ecms.STATUS


# --- pulling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pulled:
    """One item an e-CMS node holds: its ProcessID, when the node took it, and the payload alone
    (a GovernmentDocument or a notifier, without the node's SOAP envelope, whose message id names
    the pull and not the letter)."""

    process_id: str
    process_time: str
    xml: bytes


def pull(url: str, *, timeout: float = TIMEOUT_SECONDS) -> list[Pulled]:
    """``CorrespondenceLetterInboundRequest``: what the node hands out now (usually one item, none
    when its queue is empty). Raises TransportUnavailable or the fault the node answers."""
    root = call(
        url, ecms.soap(etree.Element(INBOUND), message_id=_request_id(), to=url), INBOUND, timeout=timeout
    )
    items: list[Pulled] = []
    process_id = process_time = ""
    for element in root.iter(tag=etree.Element):
        name = _local(element)
        if name == "ProcessID":
            process_id = (element.text or "").strip()
        elif name == "ProcessTime":
            process_time = (element.text or "").strip()
        elif name in _PAYLOADS and process_id:
            payload = etree.fromstring(etree.tostring(element), ecms.parser())
            data: bytes = etree.tostring(payload, xml_declaration=True, encoding="UTF-8")
            items.append(Pulled(process_id[:80], process_time, data))
            process_id = process_time = ""
    return items


def delete(url: str, process_id: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
    """``CorrespondenceLetterDeleteRequest``: the item is stored here, the node may drop it."""
    element = etree.Element(DELETE)
    etree.SubElement(element, "ProcessID").text = process_id
    call(url, ecms.soap(element, message_id=_request_id(), to=url), DELETE, timeout=timeout)


def _request_id() -> str:
    return str(uuid.uuid4())


# --- from an e-CMS item to an envelope -------------------------------------------------------


class SenderUnknown(Validation):
    """The e-CMS item names a sending department the directory does not know."""

    def __init__(self, ministry_id: str, department_id: str):
        what = f"department {department_id or '-'} of ministry {ministry_id or '-'}"
        super().__init__(
            f"the sender ({what}) is not in the agency directory",
            th=(
                f"ไม่พบหน่วยงานผู้ส่ง (รหัสกรม {department_id or '-'} รหัสกระทรวง {ministry_id or '-'}) "
                "ในสมุดรายชื่อหน่วยงาน จึงยังรับหนังสือนี้ไม่ได้"
            ),
            field="SenderParty",
        )


async def sender_by_ids(ministry_id: str, department_id: str) -> Agency:
    """The directory's active agency with this department id (the ministry id settles a tie);
    by the ministry id alone only when one agency holds it. Raises SenderUnknown."""
    found: list[Agency] = []
    if department_id:
        found = await Agency.filter(department_id=department_id, active=True).filter(
            letter_code__isnull=False
        )
        if len(found) > 1 and ministry_id:
            found = [a for a in found if a.ministry_id == ministry_id]
    elif ministry_id:
        found = await Agency.filter(ministry_id=ministry_id, active=True).filter(letter_code__isnull=False)
    if len(found) != 1:
        raise SenderUnknown(ministry_id, department_id)
    return found[0]


def _moment(text: str, fallback: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback
    return moment if moment.tzinfo else moment.replace(tzinfo=BANGKOK)


def _day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    return day.replace(year=day.year - env.BUDDHIST_ERA_OFFSET) if day.year >= 2400 else day


async def _letter_message(
    tenant: Tenant, direction: str, number: str, day: date | None
) -> ExchangeMessage | None:
    if not number or day is None:
        return None
    return (
        await ExchangeMessage.filter(
            tenant_id=tenant.id,
            direction=direction,
            type="Letter",
            letter_number=number[:80],
            letter_date=day,
        )
        .order_by("-id")
        .first()
    )


async def envelope_of_item(
    tenant: Tenant,
    xml: bytes,
    *,
    received_at: datetime,
    sender: Agency | None = None,
    max_bytes: int = env.DEFAULT_MAX_BYTES,
) -> env.Envelope:
    """The envelope of one e-CMS payload addressed to ``tenant``.

    A letter's sender is ``sender`` or the directory's agency of its SenderParty ids. A notice
    about a letter sent from here answers the message that carried it (found by LetterID and
    CorrespondenceDate), and comes from the agency it went to; a withdrawal or a report of a wrong
    receive number comes from the agency that sent the letter here.

    Raises ExchangeFault (malformed, SenderUnknown, ลับที่สุด, too large) and ExchangeKeyMissing
    when the municipality has no letter code yet.
    """
    root = ecms.read_xml(xml, max_bytes=max_bytes)
    payload = next((e for e in root.iter(tag=etree.Element) if _local(e) in _PAYLOADS), None)
    if payload is None:
        raise Validation(
            "no GovernmentDocument or notifier in the e-CMS message",
            th="ไม่พบหนังสือหรือหนังสือแจ้งในข้อความ e-CMS",
        )
    name = _local(payload)
    own = service.party_of(await service.own_agency(tenant), tenant.slug)
    in_reply_to: str | None = None
    if name == "GovernmentDocument":
        if sender is None:
            party = _first(payload, "SenderParty")
            sender = await sender_by_ids(
                _text_of(party, "MinistryOrganization", "ID"), _text_of(party, "DepartmentOrganization", "ID")
            )
    elif name != ecms.STATUS:
        number, day = _text_of(payload, "LetterID"), _day(_text_of(payload, "CorrespondenceDate"))
        ours = name in ecms.NOTICE_TYPES and name != ecms.NOTIFIERS["InvalidAcceptIdNotice"]
        original = await _letter_message(tenant, "out" if ours else "in", number, day)
        if original is not None:
            in_reply_to = original.message_id
            if sender is None and original.peer_id is not None:
                sender = await Agency.get_or_none(id=original.peer_id)
        if sender is None and name == ecms.WITHDRAW:
            sender = await sender_by_ids("", _text_of(payload, "SenderDepartment", "Code"))
        if sender is None:
            raise Validation(
                f"no letter {number} of {day} is known here to answer",
                th=f"ไม่พบหนังสือเลขที่ {number} ที่ข้อความ e-CMS นี้อ้างถึง",
                field="LetterID",
            )
    if sender is None:
        raise SenderUnknown("", "")
    return ecms.from_ecms(
        xml,
        sender=service.party_of(sender, await _slug(sender)),
        recipient=own,
        in_reply_to=in_reply_to,
        received_at=received_at,
        max_bytes=max_bytes,
    )


async def _slug(agency: Agency) -> str:
    if agency.tenant_id is None:
        return ""
    tenant = await Tenant.get_or_none(id=agency.tenant_id)
    return tenant.slug if tenant else ""


# --- polling a municipality's node -----------------------------------------------------------


@dataclass
class Left:
    """An item left on the node, and why."""

    process_id: str
    fault: str
    detail: str
    detail_th: str


@dataclass
class PollReport:
    stored: list[Receipt] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)
    not_deleted: list[str] = field(default_factory=list)  # stored here; the node will hand them out again

    def as_dict(self) -> dict[str, Any]:
        return {
            "stored": [{"receipt_id": r.receipt_id, "duplicate": r.duplicate} for r in self.stored],
            "left": [vars(item) for item in self.left],
            "not_deleted": self.not_deleted,
        }


def ecms_url_of(tenant: Tenant) -> str:
    """The municipality's own e-CMS node; raises InvalidLetter when none is set."""
    url = settings_of(tenant.settings or {}).ecms_url.strip()
    if not url:
        raise InvalidLetter(
            f"{tenant.slug} has no e-CMS node (saraban.ecms_url)",
            th="หน่วยงานยังไม่ได้กำหนดที่อยู่ระบบ e-CMS ของตนเอง โปรดให้ผู้ดูแลระบบกำหนดก่อน",
            field="ecms_url",
        )
    return url


async def poll(
    tenant: Tenant,
    exchange: service.Exchange,
    *,
    url: str | None = None,
    limit: int = POLL_BATCH,
    timeout: float = TIMEOUT_SECONDS,
    now: datetime | None = None,
) -> PollReport:
    """Pull up to ``limit`` items from the municipality's e-CMS node, take each in, and remove
    from the node only what is stored here.

    An item refused here (an unknown sender, a malformed document) stays on the node and its
    fault goes into the report and the audit trail, so the operator can add the agency to the
    directory and poll again. Raises TransportUnavailable when the node cannot be reached at all.
    """
    node = url or ecms_url_of(tenant)
    report = PollReport()
    seen: set[str] = set()
    while len(seen) < limit:
        items = [
            item
            for item in await asyncio.to_thread(pull, node, timeout=timeout)
            if item.process_id not in seen
        ]
        if not items:
            break  # the queue is empty, or the node hands out again what was left on it
        for item in items[: limit - len(seen)]:
            seen.add(item.process_id)
            moment = now or datetime.now(UTC)
            try:
                envelope = await envelope_of_item(
                    tenant,
                    item.xml,
                    received_at=_moment(item.process_time, moment),
                    max_bytes=exchange.max_bytes,
                )
                receipt = await service.take_in_trusted(
                    envelope, channel=CHANNEL, exchange=exchange, vouched_by=node, now=moment
                )
            except ExchangeFault as fault:
                report.left.append(Left(item.process_id, fault.fault, fault.message, fault.message_th))
                await _record_left(tenant, node, item, fault, moment)
                continue
            report.stored.append(receipt)
            try:
                await asyncio.to_thread(delete, node, item.process_id, timeout=timeout)
            except (TransportUnavailable, ExchangeFault):
                report.not_deleted.append(item.process_id)
    return report


async def _record_left(
    tenant: Tenant, node: str, item: Pulled, fault: ExchangeFault, moment: datetime
) -> None:
    async with in_transaction() as connection:
        await audit.record(
            connection,
            tenant.id,
            "refused",
            actor_label=node[:200],
            detail={
                "fault": fault.fault,
                "detail": fault.message_th[:300],
                "process_id": item.process_id,
                "sha256": hashlib.sha256(item.xml).hexdigest(),
                "channel": CHANNEL,
            },
            at=moment,
        )


# --- a letter as a file ----------------------------------------------------------------------


async def export_letter(
    tenant: Tenant,
    public_id: str,
    files: Files,
    fmt: ExportFormat,
    to_code: str | None = None,
    *,
    now: datetime | None = None,
) -> bytes:
    """A letter signed here as a file: ``json``, the canonical ``th-saraban/1.0`` envelope, or
    ``ecms-xml``, its e-CMS GovernmentDocument. Raises what ``letter_envelope`` raises, and the
    envelope's faults (ลับที่สุด, too large)."""
    if fmt not in FORMATS:
        raise InvalidLetter(f"no format {fmt!r}", th="รูปแบบไฟล์ที่ระบุไม่ถูกต้อง", field="format")
    envelope = await service.letter_envelope(tenant, public_id, files, to_code=to_code, now=now)
    return env.canonical(envelope) if fmt == "json" else ecms.to_ecms(envelope)


async def import_file(
    tenant_slug: str,
    data: bytes,
    *,
    exchange: service.Exchange,
    sender_code: str | None = None,
    now: datetime | None = None,
) -> Receipt:
    """Take in a letter (or notice) the operator brings as a file: e-CMS XML or a ``th-saraban/1.0``
    envelope. An XML letter's sender is ``sender_code`` or the directory's agency of its department
    id; a JSON envelope names its own and must be addressed to this municipality.

    Raises ExchangeFault (malformed, unknown sender, not addressed here, a Duplicate with another
    body), TenantNotFound, AgencyNotFound, ExchangeKeyMissing.
    """
    from engine.services import tenants

    tenant = await tenants.get_tenant(tenant_slug)
    moment = now or datetime.now(UTC)
    sender = await agencies.find(sender_code) if sender_code else None
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        envelope = await envelope_of_item(
            tenant, data, received_at=moment, sender=sender, max_bytes=exchange.max_bytes
        )
        channel = CHANNEL
    else:
        envelope = env.parse(data, max_bytes=exchange.max_bytes)
        own = await service.own_agency(tenant)
        if agencies.normal_code(envelope.recipient.agency_code) != own.letter_code:
            raise _not_here(envelope.recipient.agency_code, tenant)
        if sender is not None and agencies.normal_code(envelope.sender.agency_code) != sender.letter_code:
            raise Validation(
                f"the file is from {envelope.sender.agency_code}, not {sender.letter_code}",
                th=f"ไฟล์นี้ส่งมาจาก {envelope.sender.agency_code} ไม่ใช่ {sender.letter_code}",
                field="sender.agency_code",
            )
        channel = "file"
    return await service.take_in_trusted(
        envelope, channel=channel, exchange=exchange, vouched_by=IMPORTED_BY, now=moment
    )


def _not_here(code: str, tenant: Tenant) -> ExchangeFault:
    from engine.saraban.exchange.faults import InvalidAddressee

    fault = InvalidAddressee(code)
    fault.message = f"the file is addressed to {code}, not to {tenant.slug}"
    fault.message_th = f"ไฟล์นี้มีถึง {code} ไม่ใช่ถึง{tenant.name_th}"
    return fault


__all__ = [
    "CHANNEL",
    "EcmsTransport",
    "PollReport",
    "Pulled",
    "SenderUnknown",
    "call",
    "delete",
    "ecms_url_of",
    "envelope_of_item",
    "export_letter",
    "fault_of",
    "import_file",
    "poll",
    "pull",
]


async def poll_every_node(exchange: service.Exchange, *, now: datetime | None = None) -> int:
    """:func:`poll` for every municipality that has set its e-CMS node (the worker's chore);
    returns how many items were stored. A node that cannot be reached is tried at the next turn."""
    stored = 0
    for tenant in await Tenant.all().order_by("id"):
        if not settings_of(tenant.settings or {}).ecms_url.strip():
            continue
        try:
            report = await poll(tenant, exchange, now=now)
        except TransportUnavailable as error:
            log.warning("e-CMS node of %s unreachable: %s", tenant.slug, error)
            continue
        stored += sum(1 for receipt in report.stored if not receipt.duplicate)
    return stored
