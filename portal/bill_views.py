"""Citizens find their fee bills by account number, pay them by Thai QR, and print them.

``/<tenant>/bills`` asks for an account number (or the reference 1 printed on a paper
bill); the same address with ``?account=…`` shows the account, so the lookup works without
JavaScript and can be bookmarked. Account numbers are sequential and guessable: what these
pages and the printable bill show of the holder is masked (see :mod:`renderers.bills`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import abort, g, redirect, render_template, request, session, url_for
from markupsafe import Markup

from engine.definitions import ServiceDefinition
from engine.services import billing, documents
from engine.services.billing import AccountNotFound, AccountStatement
from engine.services.throttle import TooManyAttempts
from engine.store.models import Bill, FeeAccount, IssuedDocument, Tenant
from portal import blueprint
from renderers import bills
from renderers.documents import format_number, qr_png, qr_svg
from renderers.forms import SummaryLink, ascii_digits
from renderers.web import current_language, download, translate
from thongthin.app import platform
from thongthin.runners import printable_bill

# How many paid bills the account page lists (and whose receipts it serves): two years of months.
PAID_LISTED = 24
MAX_LOOKUP_CHARS = 40
# Receipts carry the holder's full name and address: this browser session must first give the
# phone number registered with the account (a few wrong numbers per account, then a wait).
PROVEN_ACCOUNTS = "bill_accounts"


def _proven(account: FeeAccount) -> bool:
    return account.id in session.get(PROVEN_ACCOUNTS, [])


@dataclass(frozen=True)
class UnpaidView:
    """One unpaid bill on the account page."""

    period: str
    period_title: str
    description: str
    amount: str
    owed: str
    paid: str
    partial: bool
    payload: str
    qr: Markup


@dataclass(frozen=True)
class PaidView:
    """One paid bill, with its e-receipt once issued."""

    period_title: str
    description: str
    amount: str
    settled_at: datetime | None
    receipt: IssuedDocument | None


def _money(value: Decimal) -> str:
    return format_number(value, 2)


async def _account_page_data(tenant: Tenant, text: str) -> tuple[AccountStatement, dict[int, IssuedDocument]]:
    """The account ``text`` names, its statement and the receipts of its paid bills; raises AccountNotFound."""
    account = await billing.find_account(tenant, text)
    statement = await billing.statement(tenant, account, paid_limit=PAID_LISTED)
    receipts = await documents.receipts_of(tenant.id, [b.id for b in statement.paid])
    return statement, receipts


def _definition(account: FeeAccount) -> ServiceDefinition:
    return platform().definition(account.service_id, account.service_version)


def _lookup_page(account: str, error: str | None) -> Any:
    errors = {"account": error} if error else {}
    links = [SummaryLink("#bills-account", translate(error, current_language()))] if error else []
    return render_template("portal/bills.html", account=account, errors=errors, links=links)


def _paid_view(
    bill: Bill, receipt: IssuedDocument | None, definition: ServiceDefinition, language: str
) -> PaidView:
    return PaidView(
        period_title=billing.period_title(bill.period, language) if bill.period else "",
        description=billing.bill_line(bill, None, definition, language).description,
        amount=_money(Decimal(str(bill.paid_amount))),
        settled_at=bill.settled_at,
        receipt=receipt,
    )


@blueprint.get("/<tenant>/bills")
def bills_lookup() -> Any:
    """The lookup form; with ``?account=`` the account's bills, or the form again with an error."""
    text = request.args.get("account")
    if text is None:
        return _lookup_page("", None)
    text = ascii_digits(text).strip()[:MAX_LOOKUP_CHARS]
    if not text:
        return _lookup_page(text, "portal.bills.account_missing")
    try:
        statement, receipts = platform().db(_account_page_data(g.tenant, text))
    except AccountNotFound:
        return _lookup_page(text, "portal.bills.not_found")
    language = current_language()
    definition = _definition(statement.account)
    return _account_page(
        statement, receipts, _unpaid_views(statement, definition, language), definition, language
    )


def _unpaid_views(
    statement: AccountStatement, definition: ServiceDefinition, language: str
) -> list[UnpaidView]:
    return [
        UnpaidView(
            period=row.period,
            period_title=row.period_title,
            description=row.description,
            amount=_money(row.amount),
            owed=_money(row.owed),
            paid=_money(row.paid),
            partial=row.paid > 0,
            payload=row.payload,
            qr=qr_svg(row.payload),
        )
        for row in bills.unpaid_rows(g.tenant, statement, definition, language)
    ]


def _account_page(
    statement: AccountStatement,
    receipts: dict[int, IssuedDocument],
    unpaid: list[UnpaidView],
    definition: ServiceDefinition,
    language: str,
    phone_error: str | None = None,
    status: int = 200,
) -> Any:
    account = statement.account
    paid = [_paid_view(bill, receipts.get(bill.id), definition, language) for bill in statement.paid]
    # One QR for everything owed only when there is more than one bill to pay.
    arrears_payload = statement.arrears_payload if len(unpaid) > 1 else None
    return render_template(
        "portal/bills_account.html",
        account=account,
        holder=bills.masked_holder(account.holder),
        address=bills.public_address(account),
        service_title=bills.fee_title(statement, definition, language),
        rate_class=bills.rate_class_title(statement, definition, language),
        unpaid=unpaid,
        paid=paid,
        arrears=_money(statement.arrears),
        arrears_payload=arrears_payload,
        arrears_qr=qr_svg(arrears_payload) if arrears_payload else None,
        proven=_proven(account),
        can_prove=bool(account.phone) and phone_error != "portal.bills.phone_throttled",
        phone_error=phone_error,
        links=[SummaryLink("#receipts-phone", translate(phone_error, language))] if phone_error else [],
    ), status


@blueprint.get("/<tenant>/bills/<account>/qr/<period>.png")
def bill_qr(account: str, period: str) -> Any:
    """The Thai QR of one unpaid bill (``period``, e.g. 2569-11) or of everything owed (``all``), as a
    PNG to save: a banking app scans it from the phone's gallery. Only what the account page shows."""
    statement, _receipts = platform().db(_account_page_data(g.tenant, account))
    payload = billing.payload_for(g.tenant, statement, period)
    if not payload:
        abort(404)
    return download(qr_png(payload), f"qr-{statement.account.number}-{period}.png", "image/png")


@blueprint.get("/<tenant>/bills/<account>/bill.pdf")
def bill_pdf(account: str) -> Any:
    """The printable bill of an account (the 404 page for an unknown one)."""
    number, pdf = printable_bill(platform(), g.tenant, account)
    return download(pdf, f"bill-{number}.pdf", "application/pdf")


@blueprint.get("/<tenant>/bills/<account>/receipts/<public_id>")
def bill_receipt(account: str, public_id: str) -> Any:
    """The e-receipt of one of the account's paid bills (the ones its page lists), else the 404 page."""
    statement, receipts = platform().db(_account_page_data(g.tenant, account))
    if not _proven(statement.account):
        abort(404)
    found = next((r for r in receipts.values() if r.public_id == public_id), None)
    if found is None:
        raise documents.DocumentNotFound(public_id)
    return download(platform().blobs.get(found.blob_key), documents.file_name(found), "application/pdf")


@blueprint.post("/<tenant>/bills/<account>/receipts")
def prove_account(account: str) -> Any:
    """Unlock the account's receipts for this browser session with the phone number registered with it."""
    found = platform().db(billing.find_account(g.tenant, account))
    given = request.form.get("phone", "")
    error = "portal.bills.phone_missing"
    if given.strip():
        try:
            if platform().db(billing.prove_phone(g.tenant, found, given)):
                session[PROVEN_ACCOUNTS] = [*session.get(PROVEN_ACCOUNTS, []), found.id][-20:]
                return redirect(url_for("portal.bills_lookup", account=found.number, _anchor="receipts"))
            error = "portal.bills.phone_wrong"
        except TooManyAttempts:
            error = "portal.bills.phone_throttled"
    statement, receipts = platform().db(_account_page_data(g.tenant, found.number))
    language = current_language()
    definition = _definition(found)
    return _account_page(
        statement, receipts, _unpaid_views(statement, definition, language), definition, language, error, 400
    )
