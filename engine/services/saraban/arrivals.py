"""The registry's view of letters that arrived from other agencies, and of where its own letters went.

Reading only: the documents a stored message carries (for the arrival page and its downloads),
how many letters wait for ลงรับ (for the navigation), and which answers each delivery row of a
letter allows now (for the letter page). The changes themselves are :mod:`exchange`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.saraban.exchange import envelope as env
from engine.services.saraban import exchange
from engine.services.saraban.exchange import DeliveryRow, Exchange, MessageNotFound
from engine.services.saraban.organisation import Actor
from engine.store.models import ExchangeMessage, Letter, Tenant

# What the sender may still do about one addressee's latest delivery (exchange.withdraw, resend,
# report_wrong_accept_id refuse the others).
WITHDRAW = "withdraw"
RESEND = "resend"
WRONG_ACCEPT_ID = "wrong_accept_id"
_ACTIONS_OF_STATE: dict[str, tuple[str, ...]] = {
    "queued": (WITHDRAW,),
    "sent": (WITHDRAW,),
    "received": (WITHDRAW,),
    "rejected": (WITHDRAW,),
    "invalid": (WITHDRAW,),
    "withdrawn": (RESEND,),
    "undeliverable": (RESEND,),
    "accepted": (WRONG_ACCEPT_ID,),
}


@dataclass(frozen=True)
class ArrivedDocument:
    """One file of a letter that arrived, as the arrival page lists it (``index`` names it in the URL)."""

    index: int
    role: str
    filename: str
    mime: str
    size: int


def row_actions(rows: Sequence[DeliveryRow]) -> dict[int, tuple[str, ...]]:
    """Per dispatch id, the actions its state allows; only an addressee's latest round has any,
    as the service acts on that round alone."""
    latest: dict[int, DeliveryRow] = {}
    for row in rows:
        held = latest.get(row.agency.id)
        if held is None or row.dispatch.round > held.dispatch.round:
            latest[row.agency.id] = row
    return {
        row.dispatch.id: _ACTIONS_OF_STATE.get(row.dispatch.state, ()) if latest[row.agency.id] is row else ()
        for row in rows
    }


def may_send(letter: Letter) -> bool:
    """Whether the registry may send ``letter`` to other agencies now (as exchange.send checks)."""
    return (
        letter.direction == "out" and letter.status in ("signed", "sent") and letter.secrecy != "top_secret"
    )


def answerable(item: ExchangeMessage) -> bool:
    """Whether a letter that arrived still waits for ลงรับ, ปฏิเสธ or แจ้งว่าส่งผิด."""
    return item.state == "pending"


async def waiting(tenant: Tenant, actor: Actor) -> int:
    """How many letters from other agencies wait for ลงรับ; 0 for an officer outside the registry."""
    if not actor.is_clerk:
        return 0
    return await ExchangeMessage.filter(
        tenant_id=tenant.id, direction="in", type="Letter", state="pending"
    ).count()


async def documents(
    tenant: Tenant, actor: Actor, receipt: str, box: Exchange
) -> tuple[ExchangeMessage, list[ArrivedDocument]]:
    """A letter that arrived and the files it carries, the main one first.
    Raises NotAllowed, MessageNotFound."""
    item = await exchange.message(tenant, actor, receipt)
    envelope = await exchange.envelope_of(item, box)
    ordered = sorted(enumerate(envelope.documents), key=lambda pair: pair[1].role != "main")
    return item, [ArrivedDocument(i, d.role, d.filename, d.mime, d.size) for i, d in ordered]


async def document(
    tenant: Tenant, actor: Actor, receipt: str, index: int, box: Exchange
) -> tuple[env.Document, bytes]:
    """One file of a letter that arrived, its content checked against the digest it came with.
    Raises NotAllowed, MessageNotFound (no such file too), Validation (a damaged file)."""
    item = await exchange.message(tenant, actor, receipt)
    envelope = await exchange.envelope_of(item, box)
    if not 0 <= index < len(envelope.documents):
        raise MessageNotFound(f"{receipt}/{index}")
    found = envelope.documents[index]
    return found, found.content()
