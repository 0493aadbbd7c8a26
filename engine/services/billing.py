"""Fee accounts and bills with Thai QR payloads; periods, billers and what a citizen looks up.

Accounts are opened by the ``open_fee_account`` effect of an approved registration (garbage,
wastewater); one-off bills by the ``request_payment`` effect (e.g. the food-premises fee).
Both are keyed by their effect job, so a job that runs twice changes nothing the second time.
Billing runs (a bill per account and period) are :mod:`engine.services.billing_runs`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.definitions.model import Fee
from engine.forms import data_roles
from engine.payments import promptpay
from engine.payments.fees import compute_fees
from engine.payments.promptpay import bill_payment
from engine.services.errors import NotFound, ServiceError
from engine.store.counters import next_number
from engine.store.models import (
    Bill,
    EffectJob,
    EnabledService,
    FeeAccount,
    IssuedDocument,
    Submission,
    Tenant,
)
from engine.thaidate import MONTHS_EN, MONTHS_LONG, ascii_digits, buddhist_year
from engine.workflow.sla import BANGKOK

log = logging.getLogger(__name__)

# A demo biller (a made-up 13-digit tax ID + suffix 00) for tenants that have not set theirs.
DEMO_BILLER_ID = "099400015980400"
_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")

Progress = Callable[[int, int], None]
DefinitionOf = Callable[[str, str], ServiceDefinition]


class InvalidPeriod(ServiceError):
    """A billing period is a Buddhist-Era year and month, e.g. 2569-01."""

    code = "invalid_period"

    def __init__(self, period: str):
        self.period = period
        super().__init__(f"a billing period is a Buddhist-Era year and month such as 2569-01, not {period!r}")


def parse_period(period: str) -> tuple[int, int]:
    """``2569-01`` -> (2569, 1); raises :class:`InvalidPeriod`."""
    match = _PERIOD.fullmatch(period)
    if match is None or not 2500 <= int(match.group(1)) <= 2700:
        raise InvalidPeriod(period)
    return int(match.group(1)), int(match.group(2))


def period_of(day: date) -> str:
    """The Buddhist-Era billing period a day falls in."""
    return f"{buddhist_year(day):04d}-{day.month:02d}"


def current_period() -> str:
    return period_of(datetime.now(UTC).astimezone(BANGKOK).date())


BILLER_SETTING = "biller_id"


def biller_id(tenant: Tenant) -> str:
    """The tenant's PromptPay biller ID (``settings["biller_id"]``), else the demo one."""
    return str(tenant.settings.get(BILLER_SETTING) or DEMO_BILLER_ID)


class InvalidBillerId(ServiceError):
    """Not a PromptPay biller ID (a 13-digit tax ID, or 15 digits with its suffix)."""

    code = "invalid_biller_id"


def normalised_biller_id(text: str) -> str:
    """``0994000159804`` -> ``099400015980400``; raises :class:`InvalidBillerId`."""
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"[0-9]{13}|[0-9]{15}", digits):
        raise InvalidBillerId(text)
    try:
        payload = bill_payment(biller_id=digits, ref1="0", ref2="0")
    except promptpay.PromptPayError:
        raise InvalidBillerId(text) from None
    info = promptpay.parse(payload)["30"]
    assert isinstance(info, dict)
    return str(info["01"])


async def set_biller_id(tenant: Tenant, text: str) -> str:
    """Save the biller ID every new bill's QR names; returns it normalised. Raises :class:`InvalidBillerId`."""
    biller = normalised_biller_id(text)
    tenant.settings = {**tenant.settings, BILLER_SETTING: biller}
    await tenant.save(update_fields=["settings"])
    return biller


def reference_code(text: str) -> str:
    """A reference as QR payloads take it: upper-case letters and digits only (``GB-000123`` -> ``GB000123``)."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())[:20]


async def local_rates(tenant_id: int, service_id: str) -> dict[str, Any]:
    """The municipality's own fee amounts for one service (empty when it kept the defaults)."""
    enabled = await EnabledService.get_or_none(tenant_id=tenant_id, service_id=service_id)
    return dict(enabled.parameters.get("fees", {})) if enabled is not None else {}


# ---------------------------------------------------------------------------------------------
# The inputs of a fee, kept with the account


def _schema_leaves(schema: Any, prefix: str = "") -> Iterable[str]:
    """The pointers a ``when`` schema tests (the leaves of its nested ``properties``)."""
    if not isinstance(schema, dict):
        return
    for name, sub in (schema.get("properties") or {}).items():
        pointer = jsonpointer.child(prefix, name)
        if isinstance(sub, dict) and sub.get("properties"):
            yield from _schema_leaves(sub, pointer)
        else:
            yield pointer


def fee_inputs(fee: Fee, data: Any) -> dict[str, Any]:
    """The values of ``data`` that ``fee`` is computed from and that its ``when`` tests, by pointer."""
    pointers = [fee.field] if fee.field else []
    pointers += list(_schema_leaves(fee.when))
    found = {}
    for pointer in pointers:
        value = jsonpointer.resolve(data, pointer, None)
        if value is not None:
            found[pointer] = value
    return found


def inputs_document(inputs: dict[str, Any]) -> dict[str, Any]:
    """The smallest document holding ``inputs`` (pointer -> value) where the pointers say."""
    document: dict[str, Any] = {}
    for pointer, value in inputs.items():
        parts = jsonpointer.split(pointer)
        holder = document
        for part in parts[:-1]:
            holder = holder.setdefault(part, {})
        holder[parts[-1]] = value
    return document


def _first_period(fee: Fee, start: Any, opened: date) -> str:
    """Monthly fees start with the registration's start month (else this month); yearly ones a year on.

    A yearly fee's first year is paid when the permit is issued (``request_payment``), so its
    account bills from the anniversary.
    """
    day = opened
    if isinstance(start, str):
        try:
            day = date.fromisoformat(start)
        except ValueError:
            day = opened
    if fee.period == "yearly":
        return f"{buddhist_year(day) + 1:04d}-{day.month:02d}"
    return period_of(day)


# ---------------------------------------------------------------------------------------------
# How a bill reads on paper


def period_title(period: str, language: str = "th") -> str:
    """``2569-01`` -> ``มกราคม 2569`` (``January 2026`` in English)."""
    year, month = parse_period(period)
    if language == "en":
        return f"{MONTHS_EN[month - 1]} {year - 543}"
    return f"{MONTHS_LONG[month - 1]} {year}"


def option_label(definition: ServiceDefinition, pointer: str, value: Any, language: str = "th") -> str:
    """The label ui.json gives ``value`` of the field at ``pointer`` (the value itself if none)."""
    for ui_field in definition.ui.fields():
        if ui_field.pointer == pointer:
            for option in ui_field.options:
                if option.value == value:
                    return option.label.get(language)
    return str(value)


def class_title(
    definition: ServiceDefinition | None, rate_class: str, language: str = "th", *, fee_id: str | None = None
) -> str:
    """A rate class as the ordinance and citizens name it (e.g. ครัวเรือน), the class itself when nothing does.

    With ``fee_id`` (an account's fee) the class is that fee's: the label its field gives the class,
    else the fee's title. Without, a fee named like the class gives its title, else the first
    rate-class fee whose field labels it.
    """
    if definition is None:
        return rate_class
    service = definition.service
    if fee_id is not None:
        fee = service.fee(fee_id)
        if fee is None:
            return rate_class
        if fee.kind == "rate_class" and fee.field:
            return option_label(definition, fee.field, rate_class, language)
        return fee.title.get(language)
    named = service.fee(rate_class)
    if named is not None:
        return named.title.get(language)
    for fee in service.fees:
        if fee.kind == "rate_class" and fee.field:
            label = option_label(definition, fee.field, rate_class, language)
            if label != rate_class:
                return label
    return rate_class


@dataclass(frozen=True)
class BillLine:
    description: str
    note: str


def bill_line(
    bill: Bill, account: FeeAccount | None, definition: ServiceDefinition, language: str = "th"
) -> BillLine:
    """What a bill is for, as a receipt or a paper bill words it."""
    titles = [
        fee.title.get(language)
        for fee_id in bill.fee_ids.split(",")
        if (fee := definition.service.fee(fee_id)) is not None
    ] or [definition.service.title.get(language)]
    description = ", ".join(titles)
    notes = []
    if bill.period:
        label = "ประจำเดือน" if language == "th" else "for"
        notes.append(f"{label} {period_title(bill.period, language)}")
    if account is not None:
        fee = definition.service.fee(account.fee_id)
        if fee is not None and fee.kind == "rate_class" and fee.field:
            label = "ประเภท" if language == "th" else "class"
            notes.append(f"{label} {option_label(definition, fee.field, account.rate_class, language)}")
        label = "บัญชี" if language == "th" else "account"
        notes.append(f"{label} {account.number}")
    return BillLine(description, " · ".join(notes))


# ---------------------------------------------------------------------------------------------
# Effect runners


@dataclass
class FeeAccountOpener:
    """The ``open_fee_account`` runner: one account per job, for the fee named in its params.

    A fee whose ``when`` does not hold for the submission (e.g. the wastewater classes other
    than the applicant's) opens nothing. Raises :class:`KeyError` when the params name no fee.
    """

    definition_of: DefinitionOf

    async def __call__(self, job: EffectJob, submission: Submission) -> None:
        await open_fee_account(
            job, submission, self.definition_of(submission.service_id, submission.service_version)
        )


async def open_fee_account(
    job: EffectJob, submission: Submission, definition: ServiceDefinition
) -> FeeAccount | None:
    """The account ``job`` opens (or opened before); ``None`` when its fee does not apply."""
    existing = await FeeAccount.get_or_none(job_id=job.id)
    if existing is not None:
        return existing
    fee = definition.service.fee(job.params["fee"])
    if fee is None:
        raise KeyError(f"{definition.id} has no fee {job.params['fee']!r}")
    rates = await local_rates(job.tenant_id, definition.id)
    # Raises FeeError for a registration without the inputs its fee needs: the job retries and shows why.
    if not compute_fees(definition.service, submission.data, local_rates=rates, only=[fee.id]):
        return None
    inputs = fee_inputs(fee, submission.data)
    rate_class = str(inputs.get(fee.field or "", "")) if fee.kind == "rate_class" else fee.id
    opened = datetime.now(UTC).astimezone(BANGKOK).date()
    prefix = definition.service.data_roles.account_prefix or reference_code(definition.id)[:2] or "AC"
    address = data_roles.address_parts(definition, submission.data)
    async with in_transaction() as connection:
        number = await next_number(connection, "fee_account_counter", job.tenant_id, 0)
        return await FeeAccount.create(
            tenant_id=job.tenant_id,
            number=f"{prefix}-{number:06d}",
            service_id=definition.id,
            service_version=definition.version,
            fee_id=fee.id,
            fee_period=fee.period,
            rate_class=rate_class[:64],
            parameters={"inputs": inputs},
            holder=data_roles.account_holder(definition, submission.data)[:300],
            phone=data_roles.text_of(definition, submission.data, "phone")[:32],
            address=data_roles.address_line(address),
            address_parts=address,
            first_period=_first_period(
                fee, data_roles.value_of(definition, submission.data, "start_month"), opened
            ),
            submission=submission,
            job=job,
            using_db=connection,
        )


@dataclass
class PaymentRequester:
    """The ``request_payment`` runner: one unpaid bill on the submission for the fees named in its params."""

    definition_of: DefinitionOf

    async def __call__(self, job: EffectJob, submission: Submission) -> None:
        await request_payment(
            job, submission, self.definition_of(submission.service_id, submission.service_version)
        )


async def request_payment(
    job: EffectJob, submission: Submission, definition: ServiceDefinition
) -> Bill | None:
    """The one-off bill ``job`` asks for (or asked for before); ``None`` when nothing is owed.

    ref1 is the submission's reference without dashes, ref2 ``0``. Raises
    :class:`~engine.payments.fees.FeeError` when the data lacks a fee's input.
    """
    existing = await Bill.get_or_none(job_id=job.id)
    if existing is not None:
        return existing
    fee_ids = list(job.params.get("fees", []))
    rates = await local_rates(job.tenant_id, definition.id)
    lines = compute_fees(definition.service, submission.data, local_rates=rates, only=fee_ids)
    amount = sum((line.amount for line in lines), Decimal("0.00"))
    if amount <= 0:
        log.warning("request_payment on %s owes nothing (fees %s)", submission.reference, fee_ids)
        return None
    tenant = await Tenant.get(id=job.tenant_id)
    ref1, ref2 = reference_code(submission.reference), "0"
    return await Bill.create(
        tenant_id=job.tenant_id,
        submission=submission,
        job=job,
        period="",
        fee_ids=",".join(line.fee_id for line in lines)[:200],
        amount=amount,
        ref1=ref1,
        ref2=ref2,
        qr_payload=bill_payment(biller_id=biller_id(tenant), ref1=ref1, ref2=ref2, amount=amount),
    )


# ---------------------------------------------------------------------------------------------
# Citizens look up their bills


class AccountNotFound(NotFound):
    code = "account_not_found"


def account_number(text: str) -> str:
    """``gb000123``, ``GB-000123`` or ``GB 000123`` -> ``GB-000123`` (the form accounts are stored in)."""
    code = reference_code(text)
    match = re.fullmatch(r"([A-Z]{2})([0-9]{6,})", code)
    return f"{match.group(1)}-{match.group(2)}" if match else code


async def find_account(tenant: Tenant, text: str) -> FeeAccount:
    """The account an account number (or a paper bill's reference 1) names; raises :class:`AccountNotFound`."""
    number = account_number(text)
    found = await FeeAccount.get_or_none(tenant=tenant, number=number) if number else None
    if found is None:
        bill = await Bill.filter(tenant=tenant, ref1=reference_code(text), account_id__isnull=False).first()
        found = await FeeAccount.get_or_none(tenant=tenant, id=bill.account_id) if bill else None
    if found is None:
        raise AccountNotFound(f"no account {text!r}")
    return found


@dataclass(frozen=True)
class AccountStatement:
    """An account's bills as a citizen sees them: what is owed (with one QR for all of it) and what was paid."""

    account: FeeAccount
    unpaid: list[Bill]
    paid: list[Bill]
    arrears: Decimal
    arrears_payload: str | None  # one QR for everything owed (ref2 0), None when nothing is


def outstanding(bill: Bill) -> Decimal:
    """What is still owed on a bill (0 when paid or overpaid)."""
    return max(Decimal(str(bill.amount)) - Decimal(str(bill.paid_amount)), Decimal("0.00"))


def bill_payload(tenant: Tenant, bill: Bill) -> str:
    """The QR payload for what is still owed on ``bill`` (its stored payload while nothing is paid)."""
    owed = outstanding(bill)
    if owed == Decimal(str(bill.amount)):
        return bill.qr_payload
    return bill_payment(biller_id=biller_id(tenant), ref1=bill.ref1, ref2=bill.ref2, amount=owed)


async def statement(tenant: Tenant, account: FeeAccount, *, paid_limit: int = 24) -> AccountStatement:
    """The account's unpaid bills (oldest first) and its latest paid ones."""
    unpaid = await Bill.filter(tenant=tenant, account=account, status__in=["unpaid", "partial"]).order_by(
        "period", "id"
    )
    paid = (
        await Bill.filter(tenant=tenant, account=account, status="paid").order_by("-period").limit(paid_limit)
    )
    arrears = sum((outstanding(b) for b in unpaid), Decimal("0.00"))
    payload = None
    if arrears > 0:
        payload = bill_payment(
            biller_id=biller_id(tenant), ref1=reference_code(account.number), ref2="0", amount=arrears
        )
    return AccountStatement(account, unpaid, paid, arrears, payload)


# Account numbers and references are short; anything much longer is no account of ours.
MAX_ACCOUNT_TEXT = 40


async def statement_of(tenant: Tenant, text: str, *, paid_limit: int = 24) -> AccountStatement:
    """The statement of the account an account number (or a paper bill's reference 1) names, as the
    bills page shows it to whoever has that number; raises :class:`AccountNotFound`."""
    account = await find_account(tenant, ascii_digits(text).strip()[:MAX_ACCOUNT_TEXT])
    return await statement(tenant, account, paid_limit=paid_limit)


class PhoneNotProven(ServiceError):
    """The phone number given is not the one registered with the account (or it has none)."""

    http_status = 403
    code = "account_phone_wrong"

    def __init__(self) -> None:
        super().__init__("the phone number does not match the one registered with the account")


async def receipts_for(tenant: Tenant, statement: AccountStatement, phone: str) -> dict[int, IssuedDocument]:
    """The issued e-receipts of the statement's paid bills (by bill), for whoever gives the phone
    number registered with the account: receipts carry the holder's full name and address.

    Raises :class:`PhoneNotProven` and, after a few wrong numbers for the account,
    :class:`~engine.services.throttle.TooManyAttempts`.
    """
    from engine.services import documents

    if not await prove_phone(tenant, statement.account, phone):
        raise PhoneNotProven()
    return await documents.receipts_of(tenant.id, [b.id for b in statement.paid])


ALL_OWED = "all"  # the "period" of the one QR that pays everything an account owes


def payload_for(tenant: Tenant, statement: AccountStatement, period: str) -> str | None:
    """The Thai QR payload of an account's unpaid bill of ``period`` (e.g. ``2569-11``), or of
    everything owed (:data:`ALL_OWED`); None when nothing of that period is owed."""
    if period == ALL_OWED:
        return statement.arrears_payload
    return next((bill_payload(tenant, b) for b in statement.unpaid if b.period == period and b.period), None)


@dataclass(frozen=True)
class SubmissionFees:
    """What an application owes or paid (its one-off bills) and the fee accounts it opened."""

    bills: list[Bill]
    accounts: list[FeeAccount]


async def fees_of_submission(submission: Submission) -> SubmissionFees:
    """The one-off bills of an application (oldest first) and the recurring accounts it opened."""
    bills = (
        await Bill.filter(tenant_id=submission.tenant_id, submission_id=submission.id, account_id=None)
        .exclude(status="cancelled")
        .order_by("id")
    )
    accounts = await FeeAccount.filter(tenant_id=submission.tenant_id, submission_id=submission.id).order_by(
        "id"
    )
    return SubmissionFees(bills, accounts)


async def prove_phone(tenant: Tenant, account: FeeAccount, phone: str) -> bool:
    """Whether ``phone`` is the number registered with the account (digits compared, Thai digits allowed).

    Raises :class:`~engine.services.throttle.TooManyAttempts` after a few wrong numbers for
    the account, whoever sends them; an account without a number on file proves nothing.
    """
    from engine.services import throttle

    key = f"{tenant.id}:{account.id}"
    await throttle.take(throttle.ACCOUNT_PHONE, key)
    digits = "".join(c for c in ascii_digits(phone) if c.isdigit())
    registered = "".join(c for c in account.phone if c.isdigit())
    if registered and digits == registered:
        await throttle.forget(throttle.ACCOUNT_PHONE, key)
        return True
    return False
