"""Fee bills as citizens see them: the rows of an account's statement, and the printable A4 bill.

The printable bill (ใบแจ้งหนี้ค่าธรรมเนียม) is laid out like the issued documents (same
house style, fonts and one-page check, see :mod:`renderers.documents`), but it is not
signed: it asks for money, it does not acknowledge any. Where a document keeps the lower
part of the page for signatures, the bill has its payment slip: the Thai QR code for
banking apps and the Code 128 bank barcode with the references for the counter.

Account numbers are sequential, so anyone can look up a neighbour's account. Pages and
bills therefore show the holder and address only as :func:`masked_holder` and
:func:`public_address` leave them; that rule lives here, once.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from engine.definitions import ServiceDefinition
from engine.forms.data_roles import address_line
from engine.payments.barcode import barcode_caption, barcode_svg, barcode_text
from engine.services import billing
from engine.services.billing import AccountStatement
from engine.store.models import Bill, Tenant
from renderers.documents import (
    TEMPLATES_DIR,
    DocumentTenant,
    _Helpers,
    _to_pdf,
    baht_text,
    qr_svg,
)

BILL_TEMPLATE = "bill.html.j2"
# More unpaid months than this are summed into one "earlier arrears" row, so that the
# table always leaves room for the payment slip on one page.
MAX_ROWS = 12
ARREARS_REF2 = "0"
_SUBDISTRICT_MARKS = ("ต.", "ตำบล", "แขวง")
_DISTRICT_MARKS = ("อ.", "อำเภอ", "เขต")
_PROVINCE_MARKS = ("จ.", "จังหวัด")


# --- what anyone who knows an account number may see ------------------------------------------


def masked_holder(name: str) -> str:
    """The holder as public pages show them: first name (with its title) and the surname's first letter.

    ``นางสมพร ใจดี`` -> ``นางสมพร ใ…``. A one-word name (a shop's name, say) stays as it
    is. Thai titles are written joined to the first name, so the first word carries it.
    """
    words = name.split()
    if len(words) < 2:
        return name.strip()
    return f"{words[0]} {words[1][0]}…"


def public_address(account: Any) -> str:
    """The account's address from the subdistrict up (``ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ …``).

    House number, moo, village and road are left out. Accounts opened before addresses were
    kept as answered have only the line; an address in which no subdistrict, district or
    province can be found is left out whole rather than guessed at.
    """
    parts = getattr(account, "address_parts", None)
    if parts:
        return address_line(parts, area_only=True)
    words = str(getattr(account, "address", "") or "").split()
    for marks in (_SUBDISTRICT_MARKS, _DISTRICT_MARKS, _PROVINCE_MARKS):
        for index, word in enumerate(words):
            if word.startswith(marks):
                return " ".join(words[index:])
    return ""


def due_date(periods: Sequence[str]) -> date | None:
    """The last day to pay: the end of the month after the latest period billed (None with no periods).

    A convention of this platform, not a rule of any ordinance: municipalities commonly
    ask for a month's fee within the following month.
    """
    if not periods:
        return None
    year_be, month = billing.parse_period(max(periods))
    year, month = (year_be - 543, month + 1) if month < 12 else (year_be - 543 + 1, 1)
    return date(year, month, calendar.monthrange(year, month)[1])


# --- an account's bills, for the page and the paper --------------------------------------------


@dataclass(frozen=True)
class BillRow:
    """One unpaid bill (or, on paper, the earlier arrears summed): what it is for and what is owed."""

    period: str  # BE year-month of the (latest) bill
    period_title: str
    description: str
    note: str
    amount: Decimal  # billed
    paid: Decimal  # paid so far
    owed: Decimal
    status: str  # unpaid | partial
    payload: str  # Thai QR for what is owed on this bill ("" for a summed row)
    ref1: str
    ref2: str
    count: int = 1


@dataclass(frozen=True)
class Payment:
    """What one payment of the whole sheet carries: the QR payload and the counter's references."""

    payload: str
    biller_id: str
    ref1: str
    ref2: str
    amount: Decimal

    @property
    def barcode_text(self) -> str:
        return barcode_text(self.biller_id, self.ref1, self.ref2, self.amount)

    @property
    def barcode_caption(self) -> str:
        return barcode_caption(self.biller_id, self.ref1, self.ref2, self.amount)


@dataclass(frozen=True)
class BillSheet:
    """An account's statement as a bill shows it (holder and address already masked)."""

    account_number: str
    holder: str
    address: str
    service_title: str
    rate_class: str
    active: bool
    rows: list[BillRow]
    total: Decimal
    due_on: date | None
    payment: Payment | None  # None when nothing is owed


def unpaid_rows(
    tenant: Tenant, statement: AccountStatement, definition: ServiceDefinition, language: str = "th"
) -> list[BillRow]:
    """Each unpaid bill of the statement, oldest first, with the QR payload of what it still owes."""
    rows = []
    for bill in statement.unpaid:
        line = billing.bill_line(bill, None, definition, language)
        rows.append(
            BillRow(
                period=bill.period,
                period_title=billing.period_title(bill.period, language) if bill.period else "",
                description=line.description,
                note=line.note,
                amount=Decimal(str(bill.amount)),
                paid=Decimal(str(bill.paid_amount)),
                owed=billing.outstanding(bill),
                status=bill.status,
                payload=billing.bill_payload(tenant, bill),
                ref1=bill.ref1,
                ref2=bill.ref2,
            )
        )
    return rows


def _fold(rows: list[BillRow], language: str) -> list[BillRow]:
    """At most :data:`MAX_ROWS` rows: the oldest are summed into one row of earlier arrears."""
    if len(rows) <= MAX_ROWS:
        return rows
    earlier, recent = rows[: len(rows) - MAX_ROWS + 1], rows[len(rows) - MAX_ROWS + 1 :]
    first, last = earlier[0].period_title, earlier[-1].period_title
    if language == "en":
        description, note = "Earlier arrears", f"{first} – {last} ({len(earlier)} months)"
    else:
        description, note = "ยอดค้างชำระงวดก่อนหน้า", f"{first} – {last} ({len(earlier)} งวด)"
    summed = BillRow(
        period=earlier[-1].period,
        period_title=f"{first} – {last}",
        description=description,
        note=note,
        amount=sum((r.amount for r in earlier), Decimal("0.00")),
        paid=sum((r.paid for r in earlier), Decimal("0.00")),
        owed=sum((r.owed for r in earlier), Decimal("0.00")),
        status="partial" if any(r.status == "partial" for r in earlier) else "unpaid",
        payload="",
        ref1="",
        ref2="",
        count=len(earlier),
    )
    return [summed, *recent]


def fee_title(statement: AccountStatement, definition: ServiceDefinition, language: str = "th") -> str:
    """What the account is billed for (the fee's title, e.g. the monthly garbage fee), else the service's title."""
    fee = definition.service.fee(statement.account.fee_id)
    return (fee.title if fee is not None else definition.service.title).get(language)


def rate_class_title(statement: AccountStatement, definition: ServiceDefinition, language: str = "th") -> str:
    """The account's rate class as the ordinance names it (e.g. ครัวเรือน), else its fee's title."""
    account = statement.account
    return billing.class_title(definition, account.rate_class, language, fee_id=account.fee_id)


def payment_of(tenant: Tenant, statement: AccountStatement) -> Payment | None:
    """One payment for everything owed: the single bill's own references, or the account's arrears (ref2 0)."""
    if not statement.unpaid or statement.arrears <= 0:
        return None
    if len(statement.unpaid) == 1:
        bill: Bill = statement.unpaid[0]
        return Payment(
            billing.bill_payload(tenant, bill),
            billing.biller_id(tenant),
            bill.ref1,
            bill.ref2,
            billing.outstanding(bill),
        )
    assert statement.arrears_payload is not None  # statement() makes one whenever arrears > 0
    return Payment(
        statement.arrears_payload,
        billing.biller_id(tenant),
        billing.reference_code(statement.account.number),
        ARREARS_REF2,
        statement.arrears,
    )


def bill_sheet(
    tenant: Tenant, statement: AccountStatement, definition: ServiceDefinition, language: str = "th"
) -> BillSheet:
    """What the printable bill of ``statement`` shows (no IO: the statement is already loaded)."""
    account = statement.account
    rows = unpaid_rows(tenant, statement, definition, language)
    return BillSheet(
        account_number=account.number,
        holder=masked_holder(account.holder),
        address=public_address(account),
        service_title=fee_title(statement, definition, language),
        rate_class=rate_class_title(statement, definition, language),
        active=account.active,
        rows=_fold(rows, language),
        total=statement.arrears,
        due_on=due_date([r.period for r in rows if r.period]),
        payment=payment_of(tenant, statement),
    )


def render_bill(
    sheet: BillSheet,
    *,
    tenant: DocumentTenant,
    issued_on: date,
    thai_numerals: bool = False,
) -> bytes:
    """The PDF (one A4 page, unsigned) of the bill ``sheet`` describes.

    The wording is Thai, as on the tenant's other paper; amounts and dates follow
    ``thai_numerals``, but the references and the barcode line stay in Arabic digits, which
    is what bank counters key in. Raises :class:`~renderers.documents.TemplateError`,
    :class:`~renderers.documents.DocumentTooLong` or
    :class:`~engine.payments.barcode.BarcodeError` (a biller ID that is not 13 or 15 digits).
    """
    helpers = _Helpers(language="th", thai_numerals=thai_numerals)
    payment = sheet.payment
    # barcode_svg() writes nothing but numbers into its markup: nothing there to escape.
    bars = Markup(barcode_svg(payment.barcode_text)) if payment else Markup("")
    context = {
        **helpers.as_dict(),
        "lang": "th",
        "tenant": tenant,
        "issued_on_th": helpers.thai_date(issued_on),
        "sheet": sheet,
        "total_text": baht_text(sheet.total),
        "due_on_th": helpers.thai_date(sheet.due_on) if sheet.due_on else "",
        "payment": payment,
        "qr": qr_svg(payment.payload) if payment else "",
        "barcode": bars,
        "barcode_caption": payment.barcode_caption if payment else "",
    }
    return _to_pdf(TEMPLATES_DIR, BILL_TEMPLATE, context, [], [])
