"""The books as the regulation lays them out: one row of strings per number, in the official columns.

The การปฏิบัติ column of a letter received says where it went: the row itself is never changed, so
it is read from the letter's routing steps when the row leaves it empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.saraban.errors import NotAllowed
from engine.saraban.numbering import printed
from engine.saraban.settings import settings_of
from engine.saraban.vocabulary import BOOKS, DELIVERY_STATES, ENTRY_STATES, register_columns
from engine.services.saraban.numbers import check_book, current, lapse_reservations
from engine.services.saraban.organisation import Actor
from engine.store.models import Agency, Dispatch, Letter, RegisterEntry, RoutingStep, Tenant
from engine.thaidate import format_date
from engine.workflow.sla import BANGKOK


async def _deliveries(letter_ids: list[int]) -> dict[int, str]:
    """Where each letter sent through the exchange stands, per addressee (their เลขรับ once registered)."""
    latest: dict[tuple[int, int], Dispatch] = {}
    for dispatch in await Dispatch.filter(letter_id__in=letter_ids).order_by("round"):
        latest[(dispatch.letter_id, dispatch.agency_id)] = dispatch
    names = {a.id: a.name_th for a in await Agency.filter(id__in=list({agency for _, agency in latest}))}
    said: dict[int, list[str]] = {}
    for (letter_id, agency_id), dispatch in latest.items():
        name = names.get(agency_id, "")
        if dispatch.state == "accepted":
            said.setdefault(letter_id, []).append(f"{name} ลงรับเลขที่ {dispatch.accept_id}")
        else:
            said.setdefault(letter_id, []).append(f"{name}: {DELIVERY_STATES[dispatch.state].th}")
    return {letter_id: "; ".join(parts) for letter_id, parts in said.items()}


@dataclass(frozen=True)
class Register:
    book: str
    year: int
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    entries: list[RegisterEntry]


CLASSIFIED_BOOKS = frozenset({"secret_receive", "secret_send"})


async def register(tenant: Tenant, actor: Actor, book: str, year: int, *, unit: str = "") -> Register:
    """The book's rows for ``year`` (reservations past their time are cancelled first).

    The registry keeps the books; a classified book shows its letters' rows, not their files.
    Raises NotAllowed for anyone else, InvalidLetter for an unknown book."""
    check_book(book)
    if not actor.is_clerk:
        raise NotAllowed("only the registry keeps the books", th="ทะเบียนหนังสือเปิดดูได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    await lapse_reservations(tenant=tenant)
    entries = await current(tenant, book, year, unit)
    thai = settings_of(tenant.settings).thai_numerals
    steps: dict[int, RoutingStep] = {}
    letter_ids = [e.letter_id for e in entries if e.letter_id]
    for step in await RoutingStep.filter(letter_id__in=letter_ids, target_kind__not="").order_by("seq"):
        steps[step.letter_id] = step
    delivered = await _deliveries(letter_ids) if book not in ("receive", "secret_receive") else {}
    closed = set(
        await Letter.filter(id__in=letter_ids, status__in=["closed", "destroyed"]).values_list(
            "id", flat=True
        )
    )
    rows: list[tuple[str, ...]] = []
    for entry in entries:
        action = entry.action
        # Where a letter received went; a letter sent is routed inside the office before it is signed.
        if not action and entry.letter_id in steps and book in ("receive", "secret_receive"):
            action = f"ส่ง {steps[entry.letter_id].target_label}"
        if not action and entry.letter_id in delivered:
            action = delivered[entry.letter_id]
        if entry.letter_id in closed:
            action = (action + " " if action else "") + "ปฏิบัติเสร็จแล้ว"
        remark = entry.remark
        if entry.state == "cancelled" and "ยกเลิก" not in remark:
            remark = (ENTRY_STATES["cancelled"].th + " " + remark).strip()
        rows.append(
            (
                format_date(entry.registered_at.astimezone(BANGKOK).date(), thai_numerals=thai),
                printed(str(entry.number), thai_numerals=thai),  # เลขทะเบียน: the running number
                printed(entry.letter_number, thai_numerals=thai),
                format_date(entry.letter_date, thai_numerals=thai) if entry.letter_date else "",
                entry.sender,
                entry.recipient,
                entry.subject,
                action,
                remark,
            )
        )
    return Register(book, year, f"{BOOKS[book].th} ประจำปี พ.ศ. {year}", register_columns(book), rows, entries)
