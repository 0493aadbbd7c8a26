"""Fee accounts, bills with Thai QR payloads, and billing runs.

Accounts are opened by the ``open_fee_account`` effect of an approved registration (garbage,
wastewater); one-off bills by the ``request_payment`` effect (e.g. the food-premises fee).
Both are keyed by their effect job, so a job that runs twice changes nothing the second time.

A billing run creates one bill per active account and period. The bill table is unique per
(tenant, account, period) and every batch is inserted with ``ON CONFLICT DO NOTHING``, so a
run repeated, interrupted and restarted, or racing another run of the same period never
bills an account twice. Amounts come from :func:`engine.payments.fees.compute_fees` with the
municipality's current local rates, computed once per distinct set of inputs: a city has
50,000 accounts but a handful of rate classes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine import jsonpointer
from engine.definitions import Catalog, ServiceDefinition
from engine.definitions.model import Fee, ServiceSpec
from engine.forms import data_roles
from engine.payments import promptpay
from engine.payments.fees import FeeError, compute_fees
from engine.payments.promptpay import bill_payment, tlv
from engine.services.errors import NotFound, ServiceError
from engine.store.counters import next_number
from engine.store.models import Bill, BillingRun, EffectJob, EnabledService, FeeAccount, Submission, Tenant
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
# Billing runs

BILL_COLUMNS = (
    "tenant_id",
    "account_id",
    "period",
    "fee_ids",
    "amount",
    "ref1",
    "ref2",
    "qr_payload",
    "status",
    "paid_amount",
    "created_at",
)
ACCOUNT_COLUMNS = (
    "id",
    "number",
    "service_id",
    "service_version",
    "fee_id",
    "fee_period",
    "parameters",
    "first_period",
)


def insert_sql(postgres: bool, rows: int, *, ignore_conflicts: bool) -> str:
    """One multi-row INSERT of ``rows`` bills (the same statement on both databases, bar placeholders)."""
    width = len(BILL_COLUMNS)
    if postgres:
        groups = ("(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows))
    else:
        groups = ("(" + ", ".join("?" * width) + ")" for _ in range(rows))
    sql = f"INSERT INTO bill ({', '.join(BILL_COLUMNS)}) VALUES {', '.join(groups)}"
    if ignore_conflicts:
        sql += " ON CONFLICT (tenant_id, account_id, period) DO NOTHING"
    return sql


def bill_values(postgres: bool, rows: list[tuple[Any, ...]]) -> list[Any]:
    """The flat parameter list of :func:`insert_sql`, typed as each driver stores the ORM's fields.

    aiosqlite gets decimals as text and times in ISO form (what Tortoise writes there);
    asyncpg takes ``Decimal`` and aware ``datetime`` as they are.
    """
    flat: list[Any] = []
    if postgres:
        for row in rows:
            flat.extend(row)
        return flat
    for row in rows:  # amount (4), paid_amount (9) and created_at (10), as BILL_COLUMNS orders them
        flat.extend(row[:4])
        flat.append(str(row[4]))
        flat.extend(row[5:9])
        flat.append(str(row[9]))
        flat.append(row[10].isoformat())
    return flat


# SQLite allows 32,766 parameters per statement, PostgreSQL 32,767: chunk multi-row INSERTs below that.
MAX_PARAMETERS = 32_000


async def insert_bills(
    connection: Any, rows: list[tuple[Any, ...]], *, ignore_conflicts: bool = True
) -> None:
    """Insert bill rows (in :data:`BILL_COLUMNS` order) with multi-row INSERTs on ``connection``."""
    postgres = connection.capabilities.dialect == "postgres"
    per_statement = MAX_PARAMETERS // len(BILL_COLUMNS)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = insert_sql(postgres, len(chunk), ignore_conflicts=ignore_conflicts)
        await connection.execute_query(sql, bill_values(postgres, chunk))


class BillPayloads:
    """Bill-payment payloads of one biller, period and amount, for many accounts (ref1) at once.

    Builds exactly what :func:`engine.payments.promptpay.bill_payment` builds, but computes
    the CRC of the part before reference 1 once per template: a run makes a payload per
    bill, and this halves its cost. The first payload of each template is checked against
    ``bill_payment`` itself, so the two cannot drift apart unnoticed.
    """

    def __init__(self, biller: str, ref2: str, amount: Decimal):
        self.biller, self.ref2, self.amount = biller, ref2, amount
        self.checked = False
        # Everything but reference 1 and the CRC, from a real payload (validates biller, ref2 and amount).
        sample = bill_payment(biller_id=biller, ref1="0", ref2=ref2, amount=amount)
        fields = promptpay.parse(sample)
        info = fields["30"]
        assert isinstance(info, dict)
        self.head = "000201010212"
        self.info_head = tlv("00", info["00"]) + tlv("01", info["01"])
        self.info_tail = tlv("03", ref2)
        self.tail = sample[sample.index("5303") : -8]  # up to "6304" and the CRC
        self.head_crc: dict[int, tuple[str, int]] = {}

    def payload(self, ref1: str) -> str:
        """Raises :class:`~engine.payments.promptpay.InvalidReference` for a malformed ``ref1``."""
        if not self.checked:
            self.checked = True
            expected = bill_payment(biller_id=self.biller, ref1=ref1, ref2=self.ref2, amount=self.amount)
            if self.payload(ref1) != expected:
                raise AssertionError(f"bill payload template differs from bill_payment: {expected}")
        size = len(ref1)
        if size not in self.head_crc:
            if not 1 <= size <= 20:
                raise promptpay.InvalidReference(f"reference 1 must be 1-20 characters, not {ref1!r}")
            info_size = len(self.info_head) + 4 + size + len(self.info_tail)
            head = f"{self.head}30{info_size:02d}{self.info_head}02{size:02d}"
            self.head_crc[size] = (head, _crc_continue(0xFFFF, head))
        head, state = self.head_crc[size]
        rest = ref1 + self.info_tail + self.tail + "6304"
        return f"{head}{rest}{_crc_continue(state, rest):04X}"


def _crc_continue(state: int, text: str) -> int:
    """CRC-16/CCITT-FALSE continued from ``state`` over ``text`` (ASCII)."""
    table = _CRC_TABLE
    for byte in text.encode("ascii"):
        state = ((state << 8) & 0xFFFF) ^ table[(state >> 8) ^ byte]
    return state


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def _due(account: dict[str, Any], period: str, month: int) -> bool:
    """Whether the account is billed in ``period``: monthly from its first period, yearly on its anniversary."""
    if account["first_period"] and account["first_period"] > period:
        return False
    if account["fee_period"] == "yearly":
        return not account["first_period"] or int(account["first_period"][-2:]) == month
    return account["fee_period"] == "monthly"


@dataclass
class _Amounts:
    """Each account's amount, computed once per (service, fee, inputs)."""

    tenant_id: int
    catalog: Catalog
    cache: dict[tuple[str, str, str, Any], Decimal | None]
    rates: dict[str, dict[str, Any]]

    def amount(self, account: dict[str, Any]) -> Decimal | None:
        parameters = account["parameters"]
        if isinstance(parameters, str):  # SQLite hands JSON columns back as text through values()
            parameters = json.loads(parameters)
        inputs = parameters.get("inputs", {})
        try:  # inputs are scalars as a rule: a tuple key is much cheaper than JSON text
            frozen: Any = tuple(sorted(inputs.items()))
            hash(frozen)
        except TypeError:
            frozen = json.dumps(parameters, sort_keys=True)
        # The account keeps the version it was opened under: its fee rules bill it to the end.
        key = (account["service_id"], account["service_version"], account["fee_id"], frozen)
        if key not in self.cache:
            self.cache[key] = self._compute(
                account["service_id"], account["service_version"], account["fee_id"], parameters
            )
        return self.cache[key]

    def _compute(
        self, service_id: str, version: str, fee_id: str, parameters: dict[str, Any]
    ) -> Decimal | None:
        try:
            service: ServiceSpec = self.catalog.get(service_id, version).service
            lines = compute_fees(
                service,
                inputs_document(parameters.get("inputs", {})),
                local_rates=self.rates.get(service_id, {}),
                only=[fee_id],
            )
        except (FeeError, KeyError, LookupError) as error:
            log.warning("no amount for %s/%s %s: %s", service_id, fee_id, parameters, error)
            return None
        amount = sum((line.amount for line in lines), Decimal("0.00"))
        return amount if amount > 0 else None


async def run_billing(
    tenant: Tenant,
    period: str,
    *,
    progress: Progress | None = None,
    batch: int = 2000,
    catalog: Catalog | None = None,
) -> BillingRun:
    """Create ``period``'s bills for every active account of ``tenant``; returns the run's record.

    Idempotent: accounts already billed for the period are skipped, and the insert ignores a
    bill that a concurrent run created meanwhile. Each batch commits on its own, so an
    interrupted run keeps its finished batches and a restart completes the rest.
    ``progress(done, total)`` is called after each batch (an exception it raises stops the
    run). Accounts whose amount cannot be computed or is zero are counted as skipped.
    Raises :class:`InvalidPeriod`.
    """

    year, month = parse_period(period)
    ref2 = f"{year:04d}{month:02d}"
    started = datetime.now(UTC)
    run = await _start_run(tenant, period, started)
    try:
        run = await _bill_accounts(tenant, period, run, month, ref2, progress, batch, catalog)
    except BaseException as error:  # interrupted: say so in the console, keep what was billed
        await BillingRun.filter(id=run.id).update(
            status="interrupted", error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    from engine.services.payments import rematch_held

    await rematch_held(tenant)  # payments that arrived before their bills
    return run


async def _start_run(tenant: Tenant, period: str, started: datetime) -> BillingRun:
    """The period's run record, (re)started; a run of the same period started concurrently shares it."""
    try:
        run, _ = await BillingRun.get_or_create(
            tenant=tenant, period=period, defaults={"started_at": started}
        )
    except IntegrityError:
        run = await BillingRun.get(tenant=tenant, period=period)
    run.status, run.started_at, run.finished_at, run.error, run.done = "running", started, None, "", 0
    await run.save(update_fields=["status", "started_at", "finished_at", "error", "done"])
    return run


async def _bill_accounts(
    tenant: Tenant,
    period: str,
    run: BillingRun,
    month: int,
    ref2: str,
    progress: Progress | None,
    batch: int,
    catalog: Catalog | None,
) -> BillingRun:
    from engine.definitions import load_catalog

    enabled = await EnabledService.filter(tenant=tenant)
    amounts = _Amounts(
        tenant.id,
        catalog if catalog is not None else load_catalog(),
        {},
        {e.service_id: dict(e.parameters.get("fees", {})) for e in enabled},
    )
    biller = biller_id(tenant)
    accounts_query = FeeAccount.filter(tenant=tenant, active=True)
    total = await accounts_query.count()
    await BillingRun.filter(id=run.id).update(of=total)
    before = await Bill.filter(tenant=tenant, period=period, account_id__isnull=False).count()
    done = skipped = due = 0
    payloads: dict[Decimal, BillPayloads] = {}
    last_id = 0
    while True:
        accounts = (
            await FeeAccount.filter(tenant=tenant, active=True, id__gt=last_id)
            .order_by("id")
            .limit(batch)
            .values(*ACCOUNT_COLUMNS)
        )
        if not accounts:
            break
        last_id = accounts[-1]["id"]
        billable = [a for a in accounts if _due(a, period, month)]
        due += len(billable)
        # The batch's id range, not an IN list of 2,000 ids: PostgreSQL plans a range on the
        # (tenant, account, period) index, a long IN list it may check row by row.
        billed = set(
            await Bill.filter(
                tenant=tenant,
                account_id__gte=accounts[0]["id"],
                account_id__lte=last_id,
                period=period,
            ).values_list("account_id", flat=True)
        )
        now = datetime.now(UTC)
        rows = []
        for account in billable:
            if account["id"] in billed:
                continue
            amount = amounts.amount(account)
            if amount is None:
                skipped += 1
                continue
            ref1 = reference_code(account["number"])
            if amount not in payloads:
                payloads[amount] = BillPayloads(biller, ref2, amount)
            payload = payloads[amount].payload(ref1)
            rows.append(
                (
                    tenant.id,
                    account["id"],
                    period,
                    account["fee_id"],
                    amount,
                    ref1,
                    ref2,
                    payload,
                    "unpaid",
                    Decimal("0.00"),
                    now,
                )
            )
        done += len(accounts)
        async with in_transaction() as connection:  # the batch and its progress in one commit
            if rows:
                await insert_bills(connection, rows)
            await BillingRun.filter(id=run.id).using_db(connection).update(done=done)
        if progress is not None:
            progress(done, total)
    after = await Bill.filter(tenant=tenant, period=period, account_id__isnull=False).count()
    run.accounts, run.created, run.existing = due, after - before, before
    run.skipped = skipped
    billed_total = await Bill.filter(tenant=tenant, period=period, account_id__isnull=False).values_list(
        "amount", flat=True
    )
    run.total = sum((Decimal(str(v)) for v in billed_total), Decimal("0.00"))
    run.status, run.finished_at, run.done, run.of = "completed", datetime.now(UTC), done, total
    await run.save()
    return run


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


async def queue_billing_run(tenant: Tenant, period: str) -> EffectJob:
    """Ask the worker to run ``period``'s billing (the console's button); one queued run per period.

    Raises :class:`InvalidPeriod`.
    """
    parse_period(period)
    async with in_transaction() as connection:
        waiting = (
            await EffectJob.filter(tenant=tenant, type="billing_run", status__in=["pending", "running"])
            .using_db(connection)
            .all()
        )
        for job in waiting:
            if job.params.get("period") == period:
                return job
        now = datetime.now(UTC)
        run, _ = await BillingRun.get_or_create(
            tenant=tenant,
            period=period,
            defaults={"started_at": now, "status": "queued"},
            using_db=connection,
        )
        if run.status != "running":
            run.status, run.error = "queued", ""
            await run.save(using_db=connection, update_fields=["status", "error"])
        return await EffectJob.create(
            tenant=tenant, type="billing_run", params={"period": period}, run_after=now, using_db=connection
        )


@dataclass
class BillingRunner:
    """The ``billing_run`` runner: the console's billing button, carried out by the worker."""

    catalog: Catalog | None = None

    async def __call__(self, job: EffectJob, submission: Submission | None) -> None:
        tenant = await Tenant.get(id=job.tenant_id)
        await run_billing(tenant, job.params["period"], catalog=self.catalog)


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
