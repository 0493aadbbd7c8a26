"""Letters between agencies: sending a signed letter, taking in what arrives, and the notices back.

The sending side (a municipality's registry):

- :func:`send` dispatches a signed letter to its addressees from the directory: per addressee a
  :class:`Dispatch` and a signed ``Letter`` message queued for delivery, all in one transaction;
- :func:`deliver` (the ``saraban_deliver`` job) hands a queued message to the transport of the
  addressee's channel, again with the same ``message_id`` until it is taken;
- the notices that come back move each dispatch on: ``queued → sent → received → accepted``
  (with the addressee's เลขรับ) ``| rejected | invalid``, and :func:`withdraw` / :func:`resend`
  (ขอลบเพื่อส่งใหม่) start a new round.

The receiving side:

- :func:`take_in` checks a message (format, addressee, the sender's signature from the
  directory, duplicates), keeps its body as evidence, and applies it: a letter waits in the
  registry's inbox (and a ReceiveNotice goes back), a notice moves the sender's dispatch;
- :func:`register` (ลงรับ), :func:`reject` (ปฏิเสธ) and :func:`report_wrong_delivery`
  (แจ้งหนังสือผิด / ส่งผิด) answer a letter in the inbox with the matching notice.

Every message is one :class:`ExchangeMessage` row per side; a message id from one peer is stored
once, so a retried delivery is answered with the receipt it got the first time.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.saraban.errors import InvalidLetter, NotAllowed, SarabanError, SecrecyRefused, StaleLetter
from engine.saraban.exchange import envelope as env
from engine.saraban.exchange import jws
from engine.saraban.exchange.faults import (
    BadSignature,
    Duplicate,
    ExchangeFault,
    InvalidAddressee,
    Validation,
)
from engine.saraban.exchange.transports import (
    Address,
    NoTransport,
    Outbound,
    Receipt,
    TransportRegistry,
    TransportUnavailable,
    channel_for,
)
from engine.saraban.vocabulary import INBOUND_STATES, SECRECY_CODES, URGENCY_CODES
from engine.services.saraban import agencies, audit, exchange_keys, letters
from engine.services.saraban.letters import Files, Incoming
from engine.services.saraban.organisation import Actor
from engine.store.bounds import could_be_key
from engine.store.models import (
    Agency,
    Dispatch,
    EffectJob,
    ExchangeMessage,
    Letter,
    RegisterEntry,
    Tenant,
)
from engine.workflow.sla import BANGKOK

DELIVER_JOB = "saraban_deliver"
URGENCY_OF_CODE = {code: name for name, code in URGENCY_CODES.items()}
SECRECY_OF_CODE = {code: name for name, code in SECRECY_CODES.items()}
# Where a dispatch may move when a notice arrives: a late ReceiveNotice never undoes an acceptance.
_MOVES: dict[str, tuple[str, ...]] = {
    "ReceiveNotice": ("queued", "sent"),
    "AcceptNotice": ("queued", "sent", "received"),
    "RejectNotice": ("queued", "sent", "received"),
    "InvalidNotice": ("queued", "sent", "received"),
}
_STATE_OF_NOTICE = {
    "ReceiveNotice": "received",
    "AcceptNotice": "accepted",
    "RejectNotice": "rejected",
    "InvalidNotice": "invalid",
}


@dataclass(frozen=True)
class Exchange:
    """What the exchange needs from the installation: the letters' files (with the platform key
    that unseals each municipality's exchange key) and the transports by channel."""

    files: Files
    transports: TransportRegistry
    max_bytes: int = env.DEFAULT_MAX_BYTES

    @property
    def blobs(self) -> Any:
        return self.files.blobs


class MessageNotFound(SarabanError):
    """No such message in this municipality's exchange (or not one this officer may act on)."""

    http_status = 404
    code = "message_not_found"

    def __init__(self, what: str):
        super().__init__(f"no message {what!r}", th=f"ไม่พบข้อความ {what}")


class AddresseeRefused(InvalidLetter):
    """An addressee unknown to the directory, inactive, without a letter code or a way to reach it
    (the exchange's InvalidAddressee, found before anything is numbered or queued)."""

    code = "invalid_addressee"


class DispatchRefused(SarabanError):
    """The letter cannot be sent, withdrawn or sent again in its present state."""

    http_status = 409
    code = "dispatch_refused"


# --- the directory as the envelope names it ---


def party_of(agency: Agency, tenant_slug: str = "") -> env.Agency:
    """``agency`` as an envelope names it; raises InvalidAddressee when it has no letter code."""
    if not agency.letter_code:
        raise InvalidAddressee(agency.name_th)
    return env.Agency(
        agency_code=agency.letter_code,
        ministry_id=agency.ministry_id or None,
        department_id=agency.department_id or None,
        tenant=tenant_slug or None,
    )


async def _slug_of(agency: Agency) -> str:
    if agency.tenant_id is None:
        return ""
    tenant = await Tenant.get_or_none(id=agency.tenant_id)
    return tenant.slug if tenant else ""


async def address_of(agency: Agency) -> Address:
    """Where ``agency`` takes messages, as the transports need it."""
    return Address(
        agency_code=agency.letter_code or "",
        name_th=agency.name_th,
        tenant=await _slug_of(agency),
        endpoint_url=agency.endpoint_url,
        ecms_url=agency.ecms_url,
        email=agency.email,
    )


async def _own_code(tenant_id: int) -> str:
    own = await Agency.get_or_none(tenant_id=tenant_id)
    return own.letter_code or "" if own else ""


async def own_agency(tenant: Tenant) -> Agency:
    """The municipality's own directory entry; raises ExchangeKeyMissing without a letter code."""
    agency = await agencies.ensure_for_tenant(tenant)
    if not agency.letter_code:
        raise exchange_keys.ExchangeKeyMissing(tenant.slug)
    return agency


# --- composing ---


def _letter_part(letter: Letter) -> env.Letter:
    if not letter.letter_number or letter.letter_date is None:
        raise DispatchRefused(
            "only a signed letter, with its number and date, can be sent",
            th="ส่งได้เฉพาะหนังสือที่ลงนามแล้วและมีเลขที่และวันที่",
        )
    return env.Letter(
        number=letter.letter_number,
        date=letter.letter_date,
        kind=letter.kind,
        subject=letter.subject,
        salutation=letter.salutation,
        enclosures="\n".join(str(line) for line in letter.enclosures or [])[:2000],
        speed_code=URGENCY_CODES.get(letter.urgency, "001"),  # type: ignore[arg-type]
        secret_code=SECRECY_CODES.get(letter.secrecy, "001"),  # type: ignore[arg-type]
        due_at=letter.due_at if letter.urgency != "normal" else None,
        sender_party=env.Party(name=letter.sender[:200]) if letter.sender else None,
        signer=env.Party(name=letter.signer_name[:200], position=letter.signer_position[:200])
        if letter.signer_name
        else None,
    )


def _reference(part: env.Letter) -> env.Letter:
    """A letter as a notice names it: number, date and subject."""
    return env.Letter(number=part.number, date=part.date, kind=part.kind, subject=part.subject)


async def letter_envelope(
    tenant: Tenant,
    public_id: str,
    files: Files,
    *,
    to_code: str | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
) -> env.Envelope:
    """The ``Letter`` message of a letter signed here, to ``to_code`` (default: its first
    addressee), with the signed PDF as it stands.

    Raises LetterNotFound, DispatchRefused (not signed), AgencyNotFound, InvalidAddressee,
    ExchangeKeyMissing.
    """
    letter = await letters._letter(tenant, public_id)
    if letter.direction != "out" or letter.status not in ("signed", "sent", "closed"):
        raise DispatchRefused(
            "only a letter signed here can be sent", th="ส่งได้เฉพาะหนังสือที่ลงนามแล้วของหน่วยงานนี้"
        )
    code = to_code or next(iter(letter.addressees or []), None)
    if not code:
        raise InvalidLetter("name the addressee", th="กรุณาระบุหน่วยงานผู้รับ", field="to")
    recipient = await agencies.resolve_recipient(code)
    pdf = await asyncio.to_thread(files.blobs.get, letter.blob_key)
    return await _compose_letter(tenant, letter, recipient, pdf, message_id or str(uuid.uuid4()), now)


async def _compose_letter(
    tenant: Tenant, letter: Letter, recipient: Agency, pdf: bytes, message_id: str, now: datetime | None
) -> env.Envelope:
    sender = await own_agency(tenant)
    try:
        return env.Envelope(
            protocol=env.PROTOCOL,
            message_id=message_id,
            type="Letter",
            created_at=(now or datetime.now(UTC)).astimezone(BANGKOK),
            sender=party_of(sender, tenant.slug),
            recipient=party_of(recipient, await _slug_of(recipient)),
            letter=_letter_part(letter),
            documents=[env.Document.of("main", f"{letter.public_id}.pdf", "application/pdf", pdf)],
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise InvalidLetter(
            f"the letter cannot be put in a message: {exc}",
            th="ข้อมูลของหนังสือไม่ครบหรือยาวเกินกว่าที่ส่งทางระบบได้",
            field="letter",
        ) from None


# --- queueing what leaves ---


@dataclass(frozen=True)
class _Signed:
    envelope: env.Envelope
    body: bytes
    signature: str
    key_id: str
    blob_key: str


async def _sign(tenant: Tenant, exchange: Exchange, envelope: env.Envelope, *, now: datetime) -> _Signed:
    """The canonical body, its JWS by the municipality's key, and the body kept as evidence.

    Reads the key from the database: call it before a transaction opens. Raises the envelope's
    faults (ลับที่สุด, too large) as DispatchRefused: nothing is queued."""
    key = await exchange_keys.current(tenant, exchange.files.secret_key, now=now)
    return await asyncio.to_thread(_seal, key, exchange, tenant, envelope)


def _seal(
    key: exchange_keys.SigningKey, exchange: Exchange, tenant: Tenant, envelope: env.Envelope
) -> _Signed:
    """:func:`_sign` with the key in hand (no database: safe inside a transaction)."""
    try:
        body = env.canonical(envelope, max_bytes=exchange.max_bytes)
    except ExchangeFault as fault:
        raise DispatchRefused(fault.message, th=fault.message_th, field=fault.field) from None
    signature = jws.sign(body, key.key_pem, key.key_id)
    blob_key = f"tenant/{tenant.id}/saraban/messages/out/{envelope.message_id}.json"
    exchange.blobs.put(blob_key, body, env.MEDIA_TYPE)
    return _Signed(envelope, body, signature, key.key_id, blob_key)


async def _queue(
    connection: Any,
    tenant: Tenant,
    signed: _Signed,
    peer: Agency,
    channel: str,
    *,
    moment: datetime,
    letter_id: int | None = None,
    dispatch_id: int | None = None,
) -> ExchangeMessage:
    """The outgoing message's row and its delivery job, inside the caller's transaction."""
    envelope = signed.envelope
    part = envelope.letter
    message = await ExchangeMessage.create(
        tenant_id=tenant.id,
        direction="out",
        message_id=envelope.message_id,
        type=envelope.type,
        in_reply_to=envelope.in_reply_to or "",
        peer_id=peer.id,
        peer_code=peer.letter_code or "",
        peer_name=peer.name_th,
        channel=channel,
        letter_id=letter_id,
        dispatch_id=dispatch_id,
        subject=part.subject if part else "",
        letter_number=part.number if part else "",
        letter_date=part.date if part else None,
        blob_key=signed.blob_key,
        sha256=hashlib.sha256(signed.body).hexdigest(),
        size=len(signed.body),
        signature=signed.signature,
        key_id=signed.key_id,
        state="queued",
        receipt_id="",
        reason=envelope.reason or "",
        created_at=moment,
        using_db=connection,
    )
    await EffectJob.create(
        tenant_id=tenant.id,
        type=DELIVER_JOB,
        params={"message": message.id},
        run_after=moment,
        using_db=connection,
    )
    return message


def _require_clerk(actor: Actor, th: str) -> None:
    if not actor.is_clerk:
        raise NotAllowed("only the registry exchanges letters with other agencies", th=th)


async def _addressees(codes: Sequence[str]) -> list[Agency]:
    """The active agencies of ``codes``, each once; raises InvalidLetter naming every unknown one."""
    found: list[Agency] = []
    problems = []
    for code in dict.fromkeys(c.strip() for c in codes if c and c.strip()):
        try:
            agency = await agencies.resolve_recipient(code)
        except agencies.AgencyNotFound as exc:
            problems.append(letters.FieldProblem("to", exc.message, exc.message_th))
            continue
        if not agency.letter_code:
            problems.append(
                letters.FieldProblem(
                    "to",
                    f"{agency.name_th} has no letter code in the directory",
                    f"{agency.name_th} ยังไม่มีรหัสหนังสือในสมุดรายชื่อหน่วยงาน จึงส่งทางระบบไม่ได้",
                )
            )
            continue
        try:
            channel_for(await address_of(agency))
        except NoTransport:
            problems.append(
                letters.FieldProblem(
                    "to",
                    f"the directory gives no way to reach {agency.name_th}",
                    f"สมุดรายชื่อหน่วยงานไม่มีช่องทางรับหนังสือของ {agency.name_th}",
                )
            )
            continue
        if agency not in found:
            found.append(agency)
    if problems:
        raise AddresseeRefused.of(problems)
    return found


async def check_addressees(codes: Sequence[str]) -> list[str]:
    """The letter codes of ``codes`` as the directory has them; raises AddresseeRefused (an InvalidLetter)
    for an unknown, inactive or unreachable agency (before a letter to it is drafted or numbered)."""
    return [agency.letter_code or "" for agency in await _addressees(codes)]


async def send(
    tenant: Tenant,
    actor: Actor,
    public_id: str,
    exchange: Exchange,
    *,
    to: Sequence[str] = (),
    now: datetime | None = None,
) -> list[Dispatch]:
    """Send a signed letter to ``to`` (letter codes; default the addressees it was drafted for).

    One Letter message per addressee, signed and queued with its dispatch in one transaction;
    the letter becomes ``sent``. An addressee it already went to (and was not withdrawn from) is
    skipped. Raises NotAllowed, LetterNotFound, DispatchRefused, InvalidLetter (unknown or
    unreachable addressees, named each), SecrecyRefused (ลับที่สุด), ExchangeKeyMissing.
    """
    _require_clerk(actor, "การส่งหนังสือถึงหน่วยงานอื่นทางระบบทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    moment = now or datetime.now(UTC)
    letter = await letters.visible(tenant, actor, public_id)
    if letter.direction != "out" or letter.status not in ("signed", "sent"):
        raise DispatchRefused(
            "only a letter signed here can be sent", th="ส่งได้เฉพาะหนังสือที่ลงนามแล้วของหน่วยงานนี้"
        )
    if letter.secrecy == "top_secret":
        raise SecrecyRefused(letters.TOP_SECRET_RULE_EN, th=letters.TOP_SECRET_RULE_TH, field="to")
    codes = list(to) or list(letter.addressees or [])
    if not codes:
        raise InvalidLetter(
            "choose at least one addressee", th="กรุณาเลือกหน่วยงานผู้รับอย่างน้อยหนึ่งหน่วยงาน", field="to"
        )
    recipients = await _addressees(codes)
    live = {
        d.agency_id
        for d in await Dispatch.filter(letter_id=letter.id).exclude(state__in=["withdrawn", "undeliverable"])
    }
    recipients = [agency for agency in recipients if agency.id not in live]
    pdf = await asyncio.to_thread(exchange.blobs.get, letter.blob_key)
    prepared = []
    for agency in recipients:
        envelope = await _compose_letter(tenant, letter, agency, pdf, str(uuid.uuid4()), moment)
        prepared.append(
            (
                agency,
                channel_for(await address_of(agency)),
                await _sign(tenant, exchange, envelope, now=moment),
            )
        )
    return await _dispatch(tenant, actor, letter, prepared, moment=moment, event="send")


async def _dispatch(
    tenant: Tenant,
    actor: Actor,
    letter: Letter,
    prepared: list[tuple[Agency, str, _Signed]],
    *,
    moment: datetime,
    event: str,
    round_of: dict[int, int] | None = None,
) -> list[Dispatch]:
    made = []
    async with in_transaction() as connection:
        changed = (
            await Letter.filter(id=letter.id, version=letter.version)
            .using_db(connection)
            .update(version=letter.version + 1, status="sent")
        )
        if not changed:
            raise StaleLetter(
                "the letter changed meanwhile", th="มีผู้ดำเนินการกับหนังสือนี้ไปแล้ว โปรดเปิดหน้าใหม่แล้วลองอีกครั้ง"
            )
        for agency, channel, signed in prepared:
            dispatch = await Dispatch.create(
                tenant_id=tenant.id,
                letter_id=letter.id,
                agency_id=agency.id,
                round=(round_of or {}).get(agency.id, 1),
                channel=channel,
                message_id=signed.envelope.message_id,
                state="queued",
                using_db=connection,
            )
            await _queue(
                connection,
                tenant,
                signed,
                agency,
                channel,
                moment=moment,
                letter_id=letter.id,
                dispatch_id=dispatch.id,
            )
            made.append(dispatch)
        await audit.record(
            connection,
            tenant.id,
            event,
            letter=letter.public_id,
            actor_id=actor.user.id,
            actor_label=actor.label,
            detail={
                "to": [
                    {"agency": a.letter_code, "channel": c, "message": s.envelope.message_id}
                    for a, c, s in prepared
                ]
            },
            at=moment,
        )
    return made


async def _latest_dispatch(letter: Letter, code: str) -> Dispatch:
    agency = await agencies.find(code)
    dispatch = await Dispatch.filter(letter_id=letter.id, agency_id=agency.id).order_by("-round").first()
    if dispatch is None:
        raise MessageNotFound(code)
    return dispatch


async def withdraw(
    tenant: Tenant,
    actor: Actor,
    public_id: str,
    agency_code: str,
    exchange: Exchange,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> Dispatch:
    """Withdraw a letter from one addressee to send it again (ขอลบหนังสือเพื่อส่งใหม่).

    Allowed until the addressee registers it; a Withdraw message tells them. Raises NotAllowed,
    LetterNotFound, MessageNotFound, DispatchRefused (registered already, or withdrawn)."""
    _require_clerk(actor, "การถอนหนังสือที่ส่งไปแล้วทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    moment = now or datetime.now(UTC)
    letter = await letters.visible(tenant, actor, public_id)
    dispatch = await _latest_dispatch(letter, agency_code)
    if dispatch.state in ("accepted", "withdrawn"):
        raise DispatchRefused(
            f"the letter is {dispatch.state} there; it cannot be withdrawn",
            th="ปลายทางลงรับหนังสือนี้แล้ว หรือถอนไปแล้ว จึงถอนไม่ได้"
            if dispatch.state == "accepted"
            else "ถอนหนังสือจากหน่วยงานนี้ไปแล้ว",
        )
    agency = await Agency.get(id=dispatch.agency_id)
    signed = None
    if dispatch.state != "queued":  # delivered: the addressee is told; a queued one simply never leaves
        part = _reference(_letter_part(letter))
        envelope = env.Envelope(
            protocol=env.PROTOCOL, message_id=str(uuid.uuid4()), type="Withdraw", in_reply_to=dispatch.message_id,
            created_at=moment.astimezone(BANGKOK), sender=party_of(await own_agency(tenant), tenant.slug),
            recipient=party_of(agency, await _slug_of(agency)), letter=part, reason=reason.strip()[:2000] or None,
        )  # fmt: skip
        signed = await _sign(tenant, exchange, envelope, now=moment)
    async with in_transaction() as connection:
        changed = (
            await Dispatch.filter(id=dispatch.id, state=dispatch.state)
            .using_db(connection)
            .update(state="withdrawn", reason=reason.strip()[:2000])
        )
        if not changed:
            raise DispatchRefused("the delivery moved on meanwhile", th="สถานะการส่งเปลี่ยนไปแล้ว โปรดเปิดหน้าใหม่")
        if signed is None:
            await (
                ExchangeMessage.filter(
                    tenant_id=tenant.id, direction="out", message_id=dispatch.message_id, state="queued"
                )
                .using_db(connection)
                .update(state="cancelled", done_at=moment)
            )
        else:
            await _queue(
                connection, tenant, signed, agency, dispatch.channel, moment=moment, letter_id=letter.id, dispatch_id=dispatch.id
            )  # fmt: skip
        await audit.record(
            connection, tenant.id, "withdraw", letter=letter.public_id, actor_id=actor.user.id, actor_label=actor.label,
            detail={"agency": agency.letter_code, "message": dispatch.message_id, "reason": reason.strip()[:500]}, at=moment,
        )  # fmt: skip
    return await Dispatch.get(id=dispatch.id)


async def resend(
    tenant: Tenant,
    actor: Actor,
    public_id: str,
    agency_code: str,
    exchange: Exchange,
    *,
    now: datetime | None = None,
) -> Dispatch:
    """Send a withdrawn letter to the same addressee again, as a new message (the next round).

    Raises NotAllowed, LetterNotFound, MessageNotFound, DispatchRefused (not withdrawn first)."""
    _require_clerk(actor, "การส่งหนังสือถึงหน่วยงานอื่นทางระบบทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    moment = now or datetime.now(UTC)
    letter = await letters.visible(tenant, actor, public_id)
    dispatch = await _latest_dispatch(letter, agency_code)
    if dispatch.state not in ("withdrawn", "undeliverable"):
        raise DispatchRefused(
            "withdraw the letter from this addressee before sending it again",
            th="โปรดถอนหนังสือจากหน่วยงานนี้ก่อน แล้วจึงส่งใหม่",
        )
    agency = (await _addressees([str(dispatch.agency_id)]))[0]
    pdf = await asyncio.to_thread(exchange.blobs.get, letter.blob_key)
    envelope = await _compose_letter(tenant, letter, agency, pdf, str(uuid.uuid4()), moment)
    signed = await _sign(tenant, exchange, envelope, now=moment)
    channel = channel_for(await address_of(agency))
    made = await _dispatch(
        tenant, actor, letter, [(agency, channel, signed)], moment=moment, event="resend",
        round_of={agency.id: dispatch.round + 1},
    )  # fmt: skip
    return made[0]


async def report_wrong_accept_id(
    tenant: Tenant,
    actor: Actor,
    public_id: str,
    agency_code: str,
    exchange: Exchange,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> ExchangeMessage:
    """Tell an addressee that the เลขรับ it sent back is wrong (แจ้งเลขรับผิด).

    Raises NotAllowed, LetterNotFound, MessageNotFound, DispatchRefused (nothing accepted yet)."""
    _require_clerk(actor, "การแจ้งเลขรับผิดทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    moment = now or datetime.now(UTC)
    letter = await letters.visible(tenant, actor, public_id)
    dispatch = await _latest_dispatch(letter, agency_code)
    if dispatch.state != "accepted":
        raise DispatchRefused(
            "the addressee has sent no receive number yet", th="ปลายทางยังไม่ได้แจ้งเลขรับหนังสือนี้"
        )
    agency = await Agency.get(id=dispatch.agency_id)
    envelope = env.Envelope(
        protocol=env.PROTOCOL, message_id=str(uuid.uuid4()), type="InvalidAcceptIdNotice",
        in_reply_to=dispatch.message_id, created_at=moment.astimezone(BANGKOK),
        sender=party_of(await own_agency(tenant), tenant.slug), recipient=party_of(agency, await _slug_of(agency)),
        letter=_reference(_letter_part(letter)), accept_id=dispatch.accept_id, reason=reason.strip()[:2000] or None,
    )  # fmt: skip
    signed = await _sign(tenant, exchange, envelope, now=moment)
    async with in_transaction() as connection:
        message = await _queue(
            connection, tenant, signed, agency, dispatch.channel, moment=moment, letter_id=letter.id, dispatch_id=dispatch.id
        )  # fmt: skip
        await audit.record(
            connection, tenant.id, "wrong_accept_id", letter=letter.public_id, actor_id=actor.user.id,
            actor_label=actor.label, detail={"agency": agency.letter_code, "accept_id": dispatch.accept_id}, at=moment,
        )  # fmt: skip
    return message


# --- delivering (the saraban_deliver job) ---


async def deliver(
    message_row: int, exchange: Exchange, *, final: bool = False, now: datetime | None = None
) -> str:
    """Hand one queued message to its transport; returns the message's state afterwards.

    A message already delivered, refused or cancelled is left alone (the job may run twice).
    A refusal by the far side (a fault) ends the message and marks its dispatch undeliverable; an
    unreachable far side raises TransportUnavailable, so the queue tries again later with the same
    message id, until ``final`` (the last attempt) marks it undeliverable too.
    """
    moment = now or datetime.now(UTC)
    message = await ExchangeMessage.get_or_none(id=message_row, direction="out")
    if message is None or message.state != "queued":
        return message.state if message else "missing"
    peer = await Agency.get_or_none(id=message.peer_id) if message.peer_id else None
    if peer is None:
        await _refused(
            message,
            "InvalidAddressee",
            "the addressee left the directory",
            "หน่วยงานผู้รับไม่อยู่ในสมุดรายชื่อแล้ว",
            moment,
        )
        return "refused"
    address = await address_of(peer)
    body = await asyncio.to_thread(exchange.blobs.get, message.blob_key)
    outbound = Outbound(
        message_id=message.message_id, type=message.type, body=body, signature=message.signature,
        key_id=message.key_id, sender_code=await _own_code(message.tenant_id), to=address,
    )  # fmt: skip
    try:
        receipt = await exchange.transports.get(message.channel, address.agency_code).deliver(outbound)
    except Duplicate as fault:
        if not fault.receipt_id:
            await _refused(message, fault.fault, fault.message, fault.message_th, moment)
            return "refused"
        receipt = Receipt(fault.receipt_id, duplicate=True)
    except ExchangeFault as fault:
        await _refused(message, fault.fault, fault.message, fault.message_th, moment)
        return "refused"
    except NoTransport as error:
        await _refused(message, "NoTransport", str(error), "ระบบนี้ยังไม่มีช่องทางส่งถึงหน่วยงานนี้", moment)
        return "refused"
    except TransportUnavailable as error:
        await ExchangeMessage.filter(id=message.id).update(
            attempts=message.attempts + 1, fault="Unavailable", fault_detail=str(error)[:500]
        )
        if final:
            await _refused(message, "Unavailable", str(error), error.message_th, moment)
        raise
    async with in_transaction() as connection:
        await ExchangeMessage.filter(id=message.id, state="queued").using_db(connection).update(
            state="sent", receipt_id=receipt.receipt_id[:80], attempts=message.attempts + 1, done_at=moment,
            fault="", fault_detail="",
        )  # fmt: skip
        if message.dispatch_id and message.type == "Letter":
            await (
                Dispatch.filter(id=message.dispatch_id, state="queued")
                .using_db(connection)
                .update(state="sent", receipt_id=receipt.receipt_id[:80], fault="", fault_detail="")
            )
    return "sent"


async def _refused(
    message: ExchangeMessage, fault: str, detail: str, detail_th: str, moment: datetime
) -> None:
    async with in_transaction() as connection:
        await (
            ExchangeMessage.filter(id=message.id)
            .using_db(connection)
            .update(
                state="refused",
                fault=fault[:40],
                fault_detail=detail_th[:500] or detail[:500],
                done_at=moment,
            )
        )
        if message.dispatch_id and message.type == "Letter":
            await (
                Dispatch.filter(id=message.dispatch_id, state="queued")
                .using_db(connection)
                .update(state="undeliverable", fault=fault[:40], fault_detail=detail_th[:500] or detail[:500])
            )
        letter = (
            await Letter.filter(id=message.letter_id).using_db(connection).first()
            if message.letter_id
            else None
        )
        await audit.record(
            connection, message.tenant_id, "undeliverable", letter=letter.public_id if letter else "",
            actor_label="ระบบ", detail={"message": message.message_id, "type": message.type, "fault": fault, "detail": detail[:300]},
            at=moment,
        )  # fmt: skip


# --- taking in what arrives ---


async def _served(recipient: env.Agency) -> tuple[Agency, Tenant]:
    code = agencies.normal_code(recipient.agency_code)
    agency = await Agency.get_or_none(letter_code=code) if code and len(code) <= 40 else None
    if agency is None or agency.tenant_id is None or not agency.active:
        raise InvalidAddressee(recipient.agency_code)
    tenant = await Tenant.get_or_none(id=agency.tenant_id)
    if tenant is None:
        raise InvalidAddressee(recipient.agency_code)
    return agency, tenant


async def _sender(envelope: env.Envelope) -> Agency | None:
    code = agencies.normal_code(envelope.sender.agency_code)
    return await Agency.get_or_none(letter_code=code) if code and len(code) <= 40 else None


async def take_in(
    body: bytes,
    signature: str,
    *,
    channel: str,
    exchange: Exchange,
    now: datetime | None = None,
) -> Receipt:
    """Receive one signed message for a municipality of this platform.

    Checks, in order: the format (:func:`envelope.parse`), the addressee, the sender's signature
    against its keys in the directory. A refused message stores nothing and takes no number; a
    bad signature leaves an entry in the addressee's audit trail. The same message again is
    answered with the first receipt; the same id with another body is refused as Duplicate.

    Raises ExchangeFault (Validation, UnsupportedVersion, SizeLimitExceeded, SecrecyNotAllowed,
    InvalidAddressee, BadSignature, Duplicate).
    """
    moment = now or datetime.now(UTC)
    envelope = env.parse(body, max_bytes=exchange.max_bytes)
    _agency, tenant = await _served(envelope.recipient)
    sender = await _sender(envelope)
    try:
        if sender is None or not sender.active:
            raise BadSignature(
                f"the sender {envelope.sender.agency_code!r} is not in the directory",
                th=f"ไม่พบหน่วยงานผู้ส่ง {envelope.sender.agency_code} ในสมุดรายชื่อหน่วยงาน จึงตรวจลายมือชื่อไม่ได้",
            )
        keys = {
            key.fingerprint: key.certificate_pem.encode("ascii")
            for key in await agencies.keys_for(sender, moment)
        }
        if not signature:
            raise BadSignature("the message is not signed", th="ข้อความไม่มีลายมือชื่อ")
        key_id = jws.verify(body, signature, keys)
    except BadSignature as fault:
        async with in_transaction() as connection:
            await audit.record(
                connection, tenant.id, "refused", actor_label=envelope.sender.agency_code[:200],
                detail={"fault": fault.fault, "message": envelope.message_id, "type": envelope.type, "sha256": hashlib.sha256(body).hexdigest(), "channel": channel},
                at=moment,
            )  # fmt: skip
        raise
    return await _store_in(tenant, sender, envelope, body, signature, key_id, channel, exchange, moment)


async def take_in_trusted(
    envelope: env.Envelope,
    *,
    channel: str,
    exchange: Exchange,
    vouched_by: str,
    now: datetime | None = None,
) -> Receipt:
    """Receive a message whose channel vouches for its sender and which carries no JWS: a letter
    pulled from an e-CMS node, a plain e-mail from the address the directory lists for the
    sending agency, a file the operator imports. ``vouched_by`` says who vouched, kept with it.

    Raises ExchangeFault (Validation, SizeLimitExceeded, SecrecyNotAllowed, InvalidAddressee,
    Duplicate); an unknown sending agency is refused as InvalidAddressee of the sender.
    """
    moment = now or datetime.now(UTC)
    body = env.canonical(envelope, max_bytes=exchange.max_bytes)
    _agency, tenant = await _served(envelope.recipient)
    sender = await _sender(envelope)
    if sender is None or not sender.active:
        fault = InvalidAddressee(envelope.sender.agency_code)
        fault.message = f"the sending agency {envelope.sender.agency_code!r} is not in the directory"
        fault.message_th = f"ไม่พบหน่วยงานผู้ส่ง {envelope.sender.agency_code} ในสมุดรายชื่อหน่วยงาน"
        fault.field = "sender.agency_code"
        raise fault
    return await _store_in(
        tenant, sender, envelope, body, "", f"vouched:{vouched_by}"[:64], channel, exchange, moment
    )


async def _store_in(
    tenant: Tenant,
    sender: Agency,
    envelope: env.Envelope,
    body: bytes,
    signature: str,
    key_id: str,
    channel: str,
    exchange: Exchange,
    moment: datetime,
) -> Receipt:
    digest = hashlib.sha256(body).hexdigest()
    peer_code = sender.letter_code or ""
    seen = await ExchangeMessage.get_or_none(
        tenant_id=tenant.id, direction="in", peer_code=peer_code, message_id=envelope.message_id
    )
    if seen is not None:
        return _again(seen, digest)
    answer = await _answer_to_letter(tenant, exchange, envelope, sender, moment)
    blob_key = f"tenant/{tenant.id}/saraban/messages/in/{uuid.uuid4()}.json"
    await asyncio.to_thread(exchange.blobs.put, blob_key, body, env.MEDIA_TYPE)
    receipt_id = str(uuid.uuid4())
    part = envelope.letter
    try:
        async with in_transaction() as connection:
            message = await ExchangeMessage.create(
                tenant_id=tenant.id, direction="in", message_id=envelope.message_id, type=envelope.type,
                in_reply_to=envelope.in_reply_to or "", peer_id=sender.id, peer_code=peer_code, peer_name=sender.name_th,
                channel=channel[:8], subject=part.subject if part else "", letter_number=part.number if part else "",
                letter_date=part.date if part else None,
                urgency=URGENCY_OF_CODE.get(part.speed_code, "normal") if part else "normal",
                secrecy=SECRECY_OF_CODE.get(part.secret_code, "normal") if part else "normal",
                blob_key=blob_key, sha256=digest, size=len(body), signature=signature, key_id=key_id,
                state="pending" if envelope.type == "Letter" else "done", receipt_id=receipt_id,
                reason=envelope.reason or "", created_at=moment, using_db=connection,
            )  # fmt: skip
            await _apply(connection, tenant, sender, envelope, message, moment)
            if answer is not None:
                await _queue(connection, tenant, answer, sender, answer.channel_hint, moment=moment)
            await audit.record(
                connection, tenant.id, "arrived", actor_label=sender.name_th[:200],
                detail={"message": envelope.message_id, "type": envelope.type, "from": peer_code, "channel": channel, "sha256": digest, "receipt": receipt_id},
                at=moment,
            )  # fmt: skip
    except IntegrityError:
        # The same message arrived twice at once: the other delivery stored it first.
        seen = await ExchangeMessage.get_or_none(
            tenant_id=tenant.id, direction="in", peer_code=peer_code, message_id=envelope.message_id
        )
        if seen is None:
            raise
        return _again(seen, digest)
    return Receipt(receipt_id)


def _again(seen: ExchangeMessage, digest: str) -> Receipt:
    if seen.sha256 != digest:
        raise Duplicate(seen.message_id)
    return Receipt(seen.receipt_id, duplicate=True)


@dataclass(frozen=True)
class _Answer(_Signed):
    channel_hint: str = "platform"


async def _answer_to_letter(
    tenant: Tenant, exchange: Exchange, envelope: env.Envelope, sender: Agency, moment: datetime
) -> _Answer | None:
    """The ReceiveNotice (หนังสือตอบรับ) a letter that arrives gets at once."""
    if envelope.type != "Letter" or envelope.letter is None:
        return None
    try:
        channel = channel_for(await address_of(sender))
    except NoTransport:
        return None
    notice = _notice(envelope, "ReceiveNotice", moment)
    signed = await _sign(tenant, exchange, notice, now=moment)
    return _Answer(signed.envelope, signed.body, signed.signature, signed.key_id, signed.blob_key, channel)


def _notice(letter: env.Envelope, kind: str, moment: datetime, **parts: Any) -> env.Envelope:
    assert letter.letter is not None
    return env.Envelope(
        protocol=env.PROTOCOL,
        message_id=str(uuid.uuid4()),
        type=kind,  # type: ignore[arg-type]
        in_reply_to=letter.message_id,
        created_at=moment.astimezone(BANGKOK),
        sender=letter.recipient,
        recipient=letter.sender,
        letter=_reference(letter.letter),
        **parts,
    )


async def _apply(
    connection: Any,
    tenant: Tenant,
    sender: Agency,
    envelope: env.Envelope,
    message: ExchangeMessage,
    moment: datetime,
) -> None:
    """What a notice or a withdrawal changes here, inside the transaction that stores it."""
    kind = envelope.type
    if kind in _STATE_OF_NOTICE:
        dispatch = (
            await Dispatch.filter(
                tenant_id=tenant.id, message_id=envelope.in_reply_to or "", agency_id=sender.id
            )
            .using_db(connection)
            .first()
        )
        if dispatch is None:
            raise Validation(
                f"no letter {envelope.in_reply_to} was sent to {sender.letter_code}",
                th="ไม่พบหนังสือที่ส่งถึงหน่วยงานนี้ตามข้อความที่อ้างถึง",
                field="in_reply_to",
            )
        message.letter_id, message.dispatch_id = dispatch.letter_id, dispatch.id
        await message.save(using_db=connection, update_fields=["letter_id", "dispatch_id"])
        changes: dict[str, Any] = {}
        if kind == "AcceptNotice":
            changes.update(
                accept_id=envelope.accept_id or "",
                accepted_at=_accepted_at(envelope.accept_date, moment),
                acceptor=_person(envelope.acceptor),
            )
        if kind in ("RejectNotice", "InvalidNotice"):
            changes.update(reason=envelope.reason or "", acceptor=_person(envelope.acceptor))
        await (
            Dispatch.filter(id=dispatch.id, state__in=list(_MOVES[kind]))
            .using_db(connection)
            .update(state=_STATE_OF_NOTICE[kind], **changes)
        )
        letter = await Letter.filter(id=dispatch.letter_id).using_db(connection).get()
        await audit.record(
            connection, tenant.id, kind.removesuffix("Notice").lower(), letter=letter.public_id,
            actor_label=sender.name_th[:200],
            detail={"agency": sender.letter_code, "accept_id": envelope.accept_id or "", "reason": (envelope.reason or "")[:300]},
            at=moment,
        )  # fmt: skip
        return
    if kind in ("Withdraw", "InvalidAcceptIdNotice"):
        original = (
            await ExchangeMessage.filter(
                tenant_id=tenant.id,
                direction="in",
                type="Letter",
                peer_code=sender.letter_code or "",
                message_id=envelope.in_reply_to or "",
            )
            .using_db(connection)
            .first()
        )
        if original is None:
            raise Validation(
                f"no letter {envelope.in_reply_to} arrived from {sender.letter_code}",
                th="ไม่พบหนังสือจากหน่วยงานนี้ตามข้อความที่อ้างถึง",
                field="in_reply_to",
            )
        message.letter_id = original.letter_id
        await message.save(using_db=connection, update_fields=["letter_id"])
        if kind == "InvalidAcceptIdNotice":
            note = f"ผู้ส่งแจ้งว่าเลขรับ {envelope.accept_id} ไม่ถูกต้อง" + (
                f": {envelope.reason}" if envelope.reason else ""
            )
            await ExchangeMessage.filter(id=original.id).using_db(connection).update(reason=note[:2000])
            return
        if original.state == "accepted":
            raise Validation(
                "the letter is registered here already; it cannot be withdrawn",
                th="หน่วยงานปลายทางลงรับหนังสือนี้แล้ว จึงถอนคืนไม่ได้",
                field="in_reply_to",
            )
        await (
            ExchangeMessage.filter(id=original.id)
            .using_db(connection)
            .update(state="withdrawn", reason=(envelope.reason or "")[:2000], done_at=moment)
        )


def _accepted_at(day: date | None, moment: datetime) -> datetime:
    if day is None:
        return moment
    return datetime(day.year, day.month, day.day, 12, tzinfo=BANGKOK)


def _person(party: env.Party | None) -> str:
    if party is None:
        return ""
    return " ".join(part for part in (party.name, party.position) if part)[:300]


# --- the registry's inbox of letters from other agencies ---


async def incoming(
    tenant: Tenant, actor: Actor, *, state: str = "pending", limit: int = 200
) -> list[ExchangeMessage]:
    """Letters that arrived from other agencies in ``state`` (default: awaiting registration), oldest first."""
    _require_clerk(actor, "หนังสือที่ส่งมาจากหน่วยงานอื่นเปิดดูได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    if state not in INBOUND_STATES:
        raise InvalidLetter(f"no state {state!r}", th="สถานะที่ระบุไม่ถูกต้อง", field="state")
    return (
        await ExchangeMessage.filter(tenant_id=tenant.id, direction="in", type="Letter", state=state)
        .order_by("created_at", "id")
        .limit(max(1, min(limit, 500)))
    )


async def message(tenant: Tenant, actor: Actor, receipt_or_message_id: str) -> ExchangeMessage:
    """One letter that arrived, by its receipt id (or its message id); raises MessageNotFound."""
    _require_clerk(actor, "หนังสือที่ส่งมาจากหน่วยงานอื่นเปิดดูได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    text = str(receipt_or_message_id).strip()
    if not could_be_key(text, ExchangeMessage, "receipt_id"):
        raise MessageNotFound(text[:80])
    found = await ExchangeMessage.filter(
        tenant_id=tenant.id, direction="in", type="Letter", receipt_id=text
    ).first()
    if found is None and could_be_key(text, ExchangeMessage, "message_id"):
        found = await ExchangeMessage.filter(
            tenant_id=tenant.id, direction="in", type="Letter", message_id=text
        ).first()
    if found is None:
        raise MessageNotFound(text[:80])
    return found


async def envelope_of(message: ExchangeMessage, exchange: Exchange) -> env.Envelope:
    """The envelope of a stored message, as it arrived."""
    body = await asyncio.to_thread(exchange.blobs.get, message.blob_key)
    return env.Envelope.model_validate_json(body)


def _pending(message: ExchangeMessage) -> None:
    if message.state != "pending":
        term = INBOUND_STATES.get(message.state)
        raise StaleLetter(
            f"the letter is {message.state} already",
            th=f"สถานะของหนังสือฉบับนี้คือ “{term.th}” จึงดำเนินการอีกไม่ได้" if term else "หนังสือฉบับนี้ดำเนินการไปแล้ว",
        )


async def register(
    tenant: Tenant,
    actor: Actor,
    receipt_or_message_id: str,
    exchange: Exchange,
    *,
    remark: str = "",
    now: datetime | None = None,
) -> Letter:
    """Register (ลงรับ) a letter that arrived from another agency: its own copy of the PDF (the same
    SHA-256 inside the stamped file), a receive number, and an AcceptNotice with that number (เลขรับ)
    back to the sender, in one transaction.

    Raises NotAllowed, MessageNotFound, StaleLetter (registered, rejected or withdrawn already),
    and what :func:`letters.receive` raises.
    """
    moment = now or datetime.now(UTC)
    item = await message(tenant, actor, receipt_or_message_id)
    _pending(item)
    envelope = await envelope_of(item, exchange)
    assert envelope.letter is not None
    main = envelope.main_document
    data = main.content() if main is not None else None
    sender = await Agency.get_or_none(id=item.peer_id) if item.peer_id else None
    part = envelope.letter
    incoming_letter = Incoming(
        letter_number=part.number,
        letter_date=part.date,
        sender=(sender.name_th if sender else item.peer_name) or part.number,
        recipient=tenant.name_th,
        subject=part.subject,
        urgency=URGENCY_OF_CODE.get(part.speed_code, "normal"),
        secrecy=SECRECY_OF_CODE.get(part.secret_code, "normal"),
        due_at=part.due_at,
        remark=remark or _channel_remark(item.channel),
    )
    accept_date = moment.astimezone(BANGKOK).date()
    key = await exchange_keys.current(tenant, exchange.files.secret_key, now=moment) if sender else None

    async def answered(connection: Any, letter: Letter, entry: RegisterEntry) -> None:
        changed = (
            await ExchangeMessage.filter(id=item.id, state="pending")
            .using_db(connection)
            .update(state="accepted", letter_id=letter.id, done_at=moment)
        )
        if not changed:
            raise StaleLetter("the letter was answered meanwhile", th="มีผู้ดำเนินการกับหนังสือนี้ไปแล้ว โปรดเปิดหน้าใหม่")
        if enclosures := [d.filename for d in envelope.documents if d.role == "enclosure"]:
            await Letter.filter(id=letter.id).using_db(connection).update(enclosures=enclosures)
        notice = _notice(
            envelope, "AcceptNotice", moment, accept_id=entry.number_text, accept_date=accept_date,
            acceptor=env.Party(name=actor.label[:200] or "-", position=(actor.user.position_th or "")[:200]),
        )  # fmt: skip
        if sender is not None and key is not None:
            signed = await asyncio.to_thread(_seal, key, exchange, tenant, notice)
            await _queue(
                connection,
                tenant,
                signed,
                sender,
                _channel_of(item, sender),
                moment=moment,
                letter_id=letter.id,
            )

    return await letters.receive(
        tenant, actor, incoming_letter, data, exchange.files, now=moment, within=answered
    )


def _channel_remark(channel: str) -> str:
    return {
        "platform": "รับทางระบบสารบรรณอิเล็กทรอนิกส์",
        "http": "รับทางระบบสารบรรณอิเล็กทรอนิกส์",
        "ecms": "รับทางระบบ e-CMS",
        "email": "รับทางไปรษณีย์อิเล็กทรอนิกส์",
    }.get(channel, "รับทางระบบสารบรรณอิเล็กทรอนิกส์")


def _channel_of(item: ExchangeMessage, sender: Agency) -> str:
    """Answers go back the way the letter came, where the sender can be reached that way."""
    if item.channel in ("platform", "http", "ecms", "email"):
        return item.channel
    return "platform" if sender.tenant_id else "http"


async def _answer(
    tenant: Tenant,
    actor: Actor,
    receipt_or_message_id: str,
    exchange: Exchange,
    kind: str,
    state: str,
    reason: str,
    now: datetime | None,
) -> ExchangeMessage:
    moment = now or datetime.now(UTC)
    item = await message(tenant, actor, receipt_or_message_id)
    _pending(item)
    if not reason.strip():
        raise InvalidLetter("give the reason", th="กรุณาระบุเหตุผล", field="reason")
    envelope = await envelope_of(item, exchange)
    sender = await Agency.get_or_none(id=item.peer_id) if item.peer_id else None
    notice = _notice(
        envelope, kind, moment, reason=reason.strip()[:2000],
        acceptor=env.Party(name=actor.label[:200] or "-", position=(actor.user.position_th or "")[:200]),
    )  # fmt: skip
    signed = await _sign(tenant, exchange, notice, now=moment) if sender is not None else None
    async with in_transaction() as connection:
        changed = (
            await ExchangeMessage.filter(id=item.id, state="pending")
            .using_db(connection)
            .update(state=state, reason=reason.strip()[:2000], done_at=moment)
        )
        if not changed:
            raise StaleLetter("the letter was answered meanwhile", th="มีผู้ดำเนินการกับหนังสือนี้ไปแล้ว โปรดเปิดหน้าใหม่")
        if signed is not None and sender is not None:
            await _queue(connection, tenant, signed, sender, _channel_of(item, sender), moment=moment)
        await audit.record(
            connection, tenant.id, state, actor_id=actor.user.id, actor_label=actor.label,
            detail={"message": item.message_id, "from": item.peer_code, "reason": reason.strip()[:300]}, at=moment,
        )  # fmt: skip
    return await ExchangeMessage.get(id=item.id)


async def reject(
    tenant: Tenant,
    actor: Actor,
    receipt_or_message_id: str,
    exchange: Exchange,
    *,
    reason: str,
    now: datetime | None = None,
) -> ExchangeMessage:
    """Refuse a letter that arrived (ปฏิเสธ), with the reason; a RejectNotice tells the sender.
    Raises NotAllowed, MessageNotFound, StaleLetter, InvalidLetter (no reason)."""
    return await _answer(
        tenant, actor, receipt_or_message_id, exchange, "RejectNotice", "rejected", reason, now
    )


async def report_wrong_delivery(
    tenant: Tenant,
    actor: Actor,
    receipt_or_message_id: str,
    exchange: Exchange,
    *,
    reason: str,
    now: datetime | None = None,
) -> ExchangeMessage:
    """Tell the sender the letter is not for this agency or is wrong (แจ้งหนังสือผิด / ส่งผิด).
    Raises NotAllowed, MessageNotFound, StaleLetter, InvalidLetter (no reason)."""
    return await _answer(
        tenant, actor, receipt_or_message_id, exchange, "InvalidNotice", "invalid", reason, now
    )


# --- what the sender sees ---


@dataclass(frozen=True)
class DeliveryRow:
    """One addressee's delivery, as the letter page and ``saraban status`` show it."""

    dispatch: Dispatch
    agency: Agency

    def as_json(self) -> dict[str, Any]:
        d = self.dispatch
        return {
            "agency": self.agency.letter_code,
            "name": self.agency.name_th,
            "round": d.round,
            "channel": d.channel,
            "message_id": d.message_id,
            "state": d.state,
            "receipt_id": d.receipt_id,
            "accept_id": d.accept_id,
            "accepted_at": d.accepted_at.isoformat() if d.accepted_at else None,
            "acceptor": d.acceptor,
            "reason": d.reason,
            "fault": d.fault,
            "fault_detail": d.fault_detail,
            "updated_at": d.updated_at.isoformat() if d.updated_at else None,
        }


async def deliveries(tenant: Tenant, letter: Letter) -> list[DeliveryRow]:
    """Every addressee's delivery of ``letter`` (the caller checked the officer may open it)."""
    rows = await Dispatch.filter(tenant_id=tenant.id, letter_id=letter.id).order_by("agency_id", "round")
    found = {a.id: a for a in await Agency.filter(id__in=list({r.agency_id for r in rows}))}
    return [DeliveryRow(row, found[row.agency_id]) for row in rows]


async def status(tenant: Tenant, actor: Actor, public_id: str) -> list[DeliveryRow]:
    """The deliveries of a letter this officer may open. Raises LetterNotFound."""
    letter = await letters.visible(tenant, actor, public_id)
    return await deliveries(tenant, letter)


# --- the transport between two municipalities of this platform ---


@dataclass
class PlatformTransport:
    """Hands a message to another municipality of this platform: the same checks and the same
    store as a message from outside, without the network in between."""

    exchange: Exchange | None = None
    channel: str = "platform"

    async def deliver(self, message: Outbound) -> Receipt:
        if self.exchange is None:
            raise NoTransport("platform", message.to.agency_code)
        return await take_in(message.body, message.signature, channel="platform", exchange=self.exchange)
