"""Bank statement import: payments that arrived without a notification, read from a CSV file.

A statement is checked whole before anything is recorded: one bad row and the officer gets
every problem of the file (``file.csv:row 7: amount: ...``) and nothing is imported, so a
corrected file can be imported again without thinking about which half got in.

Rows then go through :func:`engine.services.payments.record_payment` one by one, so a
statement row of a transfer the bank already notified is a duplicate that changes nothing,
and importing the same file twice changes nothing the second time.

Files come from Thai banks' exports and from spreadsheets: UTF-8 (with or without BOM) or
TIS-620/Windows-874; comma, semicolon or tab separated; column names in Thai or English;
dates ISO or Thai ``DD/MM/BBBB`` in the Buddhist Era; times in Bangkok time.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from engine.definitions import ServiceDefinition
from engine.services import payments
from engine.services.billing import reference_code
from engine.services.errors import NotFound, ServiceError
from engine.store.models import EffectJob, Payment, StatementImport, Tenant, User
from engine.thaidate import BUDDHIST_ERA_OFFSET
from engine.workflow.sla import BANGKOK

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# A file with thousands of bad rows: the first ones say what is wrong.
PROBLEMS_SHOWN = 200
SOURCE = "statement"
DELIMITERS = ",;\t|"
# A payment dated further ahead than this is a typo in the file, not a transfer.
FUTURE_SLACK = timedelta(days=1)

DefinitionOf = Callable[[str, str], ServiceDefinition]

# Column names as banks and officers write them, normalised by :func:`_normalise`.
ALIASES: dict[str, frozenset[str]] = {
    "transaction_id": frozenset(
        {"transactionid", "transaction", "txnid", "รหัสรายการ", "เลขที่รายการ", "เลขรายการ"}
    ),
    "paid_at": frozenset(
        {
            "paidat",
            "date",
            "datetime",
            "transactiondate",
            "paymentdate",
            "วันที่",
            "วันที่ชำระ",
            "วันที่ชำระเงิน",
            "วันเวลา",
            "วันที่เวลา",
            "วันที่และเวลา",
        }
    ),
    "time": frozenset({"time", "เวลา", "เวลาชำระ", "เวลาที่ชำระ"}),
    "ref1": frozenset({"ref1", "reference1", "เลขอ้างอิง1", "เลขที่อ้างอิง1", "อ้างอิง1"}),
    "ref2": frozenset({"ref2", "reference2", "เลขอ้างอิง2", "เลขที่อ้างอิง2", "อ้างอิง2"}),
    "amount": frozenset({"amount", "amountthb", "amountbaht", "จำนวนเงิน", "จำนวนเงินบาท", "ยอดเงิน"}),
    "payer": frozenset({"payer", "payername", "ผู้ชำระ", "ผู้ชำระเงิน", "ชื่อผู้ชำระ", "ชื่อผู้ชำระเงิน"}),
}
REQUIRED = ("transaction_id", "paid_at", "ref1", "amount")

_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?\s*(?:น\.?)?\s*(Z|[+-]\d{2}:?\d{2})?")


# ---------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with a statement file: where (row 0 is the file itself), what, and a code.

    ``code`` names the kind of problem (e.g. ``bad_amount``) so that screens can word it in
    Thai; ``value`` is what the cell held.
    """

    filename: str
    row: int
    column: str
    code: str
    message: str
    value: str = ""

    def __str__(self) -> str:
        if self.row == 0:
            return f"{self.filename}: {self.message}"
        return f"{self.filename}:row {self.row}: {self.column}: {self.message}"


class StatementError(ServiceError):
    """The file cannot be imported; ``problems`` lists every problem (``file:row N: column: message``).

    Nothing of the file was recorded.
    """

    code = "invalid_statement"

    def __init__(self, details: list[RowProblem]):
        self.details = details
        self.problems = [str(p) for p in details]
        shown = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the statement: {shown}{more}")


# ---------------------------------------------------------------------------------------------
# Reading the file


@dataclass(frozen=True)
class StatementRow:
    """A row of the file that is a payment, with its row number (the header is row 1)."""

    row: int
    reported: payments.Reported


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-.():]+", "", name.replace("\ufeff", "").strip().lower())


def _decode(filename: str, content: bytes) -> str:
    """UTF-8 (a BOM is dropped), else Thai Windows-874, which reads all of TIS-620 too."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp874")
    except UnicodeDecodeError:
        raise StatementError(
            [RowProblem(filename, 0, "", "not_text", "the file is not UTF-8 or TIS-620 text (CSV)")]
        ) from None


def _delimiter(text: str) -> str:
    """The separator the header line uses most (a comma when it uses none)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _columns(filename: str, header: list[str], row: int) -> tuple[dict[str, int], list[RowProblem]]:
    """Which cell holds which field, and the problems of the header."""
    found: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        key = _normalise(name)
        for column, aliases in ALIASES.items():
            if key in aliases:
                if column in found:
                    problems.append(
                        RowProblem(
                            filename, row, name.strip(), "duplicate_column", f"a second {column} column", name
                        )
                    )
                else:
                    found[column] = index
    for column in REQUIRED:
        if column not in found:
            problems.append(
                RowProblem(filename, row, column, "missing_column", f"the file has no {column} column")
            )
    return found, problems


def _year(value: int) -> int:
    """A Buddhist-Era year (2400 and later) in the Common Era; CE years stay."""
    return value - BUDDHIST_ERA_OFFSET if value >= 2400 else value


def _offset(text: str | None) -> timezone:
    if not text:
        return BANGKOK
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_moment(day_text: str, time_text: str = "") -> datetime:
    """A statement's date (and time) as a UTC moment; raises :class:`ValueError` saying why.

    Dates are ISO (``2026-01-05``, ``2026-01-05T10:30:00+07:00``) or day first
    (``05/01/2569``, ``5/1/2026 10:30``); a year from 2400 on is Buddhist Era. The time is
    part of the date cell or in ``time_text``; without an offset it is Bangkok time, and a
    date without any time is taken as midnight in Bangkok.
    """
    text = day_text.strip()
    match = _ISO_DAY.match(text)
    if match:
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    else:
        match = _DAY_FIRST.match(text)
        if match is None:
            raise ValueError("give the date as DD/MM/BBBB (Buddhist Era) or YYYY-MM-DD")
        day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    rest = text[match.end() :].lstrip(" T")
    if not rest:
        rest = time_text.strip()
    year = _year(year)
    if not 2000 <= year <= 2200:
        raise ValueError(f"the year {match.group(0)} is not plausible")
    hour = minute = second = 0
    zone = BANGKOK
    if rest:
        clock = _TIME.fullmatch(rest)
        if clock is None:
            raise ValueError("give the time as HH:MM or HH:MM:SS")
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        zone = _offset(clock.group(4))
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        raise ValueError("no such date or time") from None
    return moment.astimezone(UTC)


def _amount(text: str) -> Decimal:
    """``1,250.00``, ``฿1,250`` or ``1250 บาท``; raises :class:`ValueError` saying why."""
    cleaned = text.replace("฿", "").replace("บาท", "").replace(" ", "").strip()
    try:
        return payments.parse_amount(cleaned)
    except payments.InvalidPayment as error:
        raise ValueError(str(error).split(": ", 1)[-1]) from None


def _read_rows(filename: str, text: str) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as error:
        raise StatementError(
            [RowProblem(filename, 0, "", "not_csv", f"the file is not CSV ({error})")]
        ) from None
    return rows


def parse_statement(filename: str, content: bytes, *, now: datetime | None = None) -> list[StatementRow]:
    """The payments a statement CSV lists, each with its row number.

    Raises :class:`StatementError` listing every problem: too large (over 5 MB or 20,000
    rows), not text, no header with the needed columns, or rows with a missing or malformed
    transaction ID, date, time, reference or amount, or a transaction ID listed twice with
    different details. Rows left entirely empty are skipped.
    """
    now = now or datetime.now(UTC)
    if len(content) > MAX_BYTES:
        raise StatementError(
            [RowProblem(filename, 0, "", "too_large", f"the file is larger than {MAX_BYTES // 2**20} MB")]
        )
    rows = _read_rows(filename, _decode(filename, content))
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(cell.strip() for cell in r)]
    if not numbered:
        raise StatementError([RowProblem(filename, 0, "", "empty", "the file has no rows")])
    header_row, header = numbered[0]
    body = numbered[1:]
    if len(body) > MAX_ROWS:
        raise StatementError(
            [
                RowProblem(
                    filename, 0, "", "too_many_rows", f"the file has more than {MAX_ROWS:,} rows; split it"
                )
            ]
        )
    columns, problems = _columns(filename, header, header_row)
    if problems and any(p.code == "missing_column" for p in problems):
        raise StatementError(problems)
    names = {column: header[index].strip() for column, index in columns.items()}
    found: list[StatementRow] = []
    seen: dict[str, tuple[int, payments.Reported]] = {}
    for number, cells in body:
        reported, row_problems = _row(filename, number, cells, header, columns, names, now)
        problems += row_problems
        if reported is None:
            continue
        earlier = seen.get(reported.transaction_id)
        if earlier is not None and (earlier[1].amount, earlier[1].ref1, earlier[1].ref2) != (
            reported.amount,
            reported.ref1,
            reported.ref2,
        ):
            problems.append(
                RowProblem(
                    filename,
                    number,
                    names["transaction_id"],
                    "conflict_in_file",
                    f"transaction {reported.transaction_id} is also on row {earlier[0]} with other details",
                    reported.transaction_id,
                )
            )
            continue
        seen.setdefault(reported.transaction_id, (number, reported))
        found.append(StatementRow(number, reported))
    if problems:
        raise StatementError(problems)
    if not found:
        raise StatementError([RowProblem(filename, 0, "", "empty", "the file lists no payments")])
    return found


def _row(
    filename: str,
    number: int,
    cells: list[str],
    header: list[str],
    columns: dict[str, int],
    names: dict[str, str],
    now: datetime,
) -> tuple[payments.Reported | None, list[RowProblem]]:
    """One data row as a payment, or the problems of its cells."""
    problems: list[RowProblem] = []

    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def problem(column: str, code: str, message: str, value: str = "") -> None:
        problems.append(RowProblem(filename, number, names.get(column, column), code, message, value))

    transaction_id = cell("transaction_id")
    if not transaction_id:
        problem("transaction_id", "required", "the transaction ID is empty")
    elif len(transaction_id) > 64:
        problem(
            "transaction_id", "too_long", "the transaction ID is longer than 64 characters", transaction_id
        )

    paid_at = None
    try:
        paid_at = parse_moment(cell("paid_at"), cell("time")) if cell("paid_at") else None
        if paid_at is None:
            problem("paid_at", "required", "the date is empty")
        elif paid_at > now + FUTURE_SLACK:
            problem("paid_at", "future_date", "the date is in the future", cell("paid_at"))
            paid_at = None
    except ValueError as error:
        problem("paid_at", "bad_date", str(error), " ".join(filter(None, (cell("paid_at"), cell("time")))))

    ref1 = reference_code(cell("ref1"))
    raw_ref1 = re.sub(r"[^A-Za-z0-9]", "", cell("ref1"))
    if not cell("ref1"):
        problem("ref1", "required", "reference 1 is empty")
    elif not ref1:
        problem("ref1", "bad_reference", "reference 1 has no letters or digits", cell("ref1"))
    elif len(raw_ref1) > 20:
        problem("ref1", "bad_reference", "reference 1 is longer than 20 characters", cell("ref1"))
    ref2 = reference_code(cell("ref2"))
    if len(re.sub(r"[^A-Za-z0-9]", "", cell("ref2"))) > 20:
        problem("ref2", "bad_reference", "reference 2 is longer than 20 characters", cell("ref2"))

    amount = None
    if not cell("amount"):
        problem("amount", "required", "the amount is empty")
    else:
        try:
            amount = _amount(cell("amount"))
        except ValueError as error:
            problem("amount", "bad_amount", str(error), cell("amount"))

    payer = cell("payer")
    if len(payer) > 200:
        problem("payer", "too_long", "the payer's name is longer than 200 characters", payer[:40])

    if problems or paid_at is None or amount is None:
        return None, problems
    received = {
        "filename": filename,
        "row": number,
        "cells": {
            (header[i].strip() or f"column {i + 1}"): c for i, c in enumerate(cells) if i < len(header)
        },
    }
    return (
        payments.Reported(
            transaction_id=transaction_id,
            ref1=ref1,
            ref2=ref2,
            amount=amount,
            paid_at=paid_at,
            source=SOURCE,
            payer=payer,
            received=received,
        ),
        [],
    )


# ---------------------------------------------------------------------------------------------
# Importing


@dataclass(frozen=True)
class ImportedRow:
    """What became of one row: ``applied``, ``duplicate``, ``held`` or ``conflict``.

    ``problem`` repeats the payment's flag (underpaid, overpaid, unknown_reference).
    """

    row: int
    reported: payments.Reported
    outcome: str
    payment_id: int | None = None
    problem: str = ""

    def as_json(self) -> dict[str, Any]:
        r = self.reported
        return {
            "row": self.row,
            "transaction_id": r.transaction_id,
            "ref1": r.ref1,
            "ref2": r.ref2,
            "amount": str(r.amount),
            "paid_at": r.paid_at.isoformat(),
            "payer": r.payer,
            "outcome": self.outcome,
            "payment_id": self.payment_id,
            "problem": self.problem,
        }

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ImportedRow:
        reported = payments.Reported(
            transaction_id=item["transaction_id"],
            ref1=item["ref1"],
            ref2=item["ref2"],
            amount=Decimal(item["amount"]),
            paid_at=datetime.fromisoformat(item["paid_at"]),
            source="statement",
            payer=item.get("payer", ""),
        )
        return cls(item["row"], reported, item["outcome"], item.get("payment_id"), item.get("problem", ""))


@dataclass
class StatementResult:
    """An imported statement: its record, what happened to each row, and an earlier import of the same file."""

    record: StatementImport
    rows: list[ImportedRow] = field(default_factory=list)
    earlier: StatementImport | None = None

    def _where(self, outcome: str, problem: str | None = None) -> list[ImportedRow]:
        return [r for r in self.rows if r.outcome == outcome and (problem is None or r.problem == problem)]

    @property
    def finished(self) -> bool:
        return self.record.status == "completed"

    @property
    def applied(self) -> list[ImportedRow]:
        """Rows that paid bills exactly (underpaid and overpaid ones are listed apart)."""
        return self._where("applied", "")

    @property
    def duplicates(self) -> list[ImportedRow]:
        return self._where("duplicate")

    @property
    def held(self) -> list[ImportedRow]:
        return self._where("held")

    @property
    def underpaid(self) -> list[ImportedRow]:
        return self._where("applied", "underpaid")

    @property
    def overpaid(self) -> list[ImportedRow]:
        return self._where("applied", "overpaid")

    @property
    def conflicts(self) -> list[ImportedRow]:
        """Rows whose transaction ID was recorded before with another amount or reference."""
        return self._where("conflict")


class StatementNotFound(NotFound):
    code = "statement_not_found"


IMPORT_JOB = "import_statement"
PROGRESS_EVERY = 200  # rows between two progress updates of a running import


def upload_filename(name: str) -> str:
    """The name a browser or client gave an uploaded file, without any folder (``C:\\a\\b.csv`` -> ``b.csv``)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1][:255]


async def queue_statement(
    tenant: Tenant, filename: str, content: bytes, officer: User | None, blobs: Any
) -> StatementImport:
    """Check a statement file whole, keep it, and queue its rows for the worker to record.

    Raises :class:`StatementError` (nothing kept, nothing queued) when the file has any
    problem. ``blobs`` is the blob store the file is kept in until the worker reads it.
    """
    rows = parse_statement(filename, content)
    digest = hashlib.sha256(content).hexdigest()
    key = f"tenant/{tenant.id}/statements/{digest}.csv"
    await asyncio.to_thread(blobs.put, key, content, "text/csv")
    async with in_transaction() as connection:
        record = await StatementImport.create(
            tenant=tenant,
            filename=filename[:255],
            sha256=digest,
            status="queued",
            blob_key=key,
            rows=len(rows),
            imported_by=officer,
            using_db=connection,
        )
        await EffectJob.create(
            tenant=tenant,
            type=IMPORT_JOB,
            params={"statement": record.id},
            run_after=datetime.now(UTC),
            using_db=connection,
        )
    return record


async def _recorded_before(tenant: Tenant, transaction_ids: list[str]) -> dict[str, Payment]:
    """The payments already recorded under these transaction IDs (looked up in chunks, not row by row)."""
    found: dict[str, Payment] = {}
    for start in range(0, len(transaction_ids), 1000):
        chunk = transaction_ids[start : start + 1000]
        for payment in await Payment.filter(tenant=tenant, transaction_id__in=chunk):
            found[payment.transaction_id] = payment
    return found


async def import_statement(
    tenant: Tenant,
    filename: str,
    content: bytes,
    officer: User | None,
    definition_of: DefinitionOf | None = None,
    *,
    record: StatementImport | None = None,
) -> StatementResult:
    """Record every payment of a statement file and keep a record of the import (and of each row's fate).

    ``record`` is the queued import the worker carries out; without it a new record is made.
    Raises :class:`StatementError` (nothing recorded) when the file has any problem. A row
    whose transaction was recorded before with the same details is a duplicate and changes
    nothing; one recorded with other details is listed as a conflict, the other rows are
    still recorded. Run again after an interruption, the rows recorded before are duplicates.
    """
    rows = parse_statement(filename, content)
    digest = hashlib.sha256(content).hexdigest()
    if record is None:
        record = await StatementImport.create(
            tenant=tenant, filename=filename[:255], sha256=digest, rows=len(rows), imported_by=officer
        )
    record.status, record.done, record.error = "running", 0, ""
    await record.save(update_fields=["status", "done", "error"])
    earlier = (
        await StatementImport.filter(tenant=tenant, sha256=digest, id__lt=record.id, status="completed")
        .order_by("id")
        .first()
    )
    before = await _recorded_before(tenant, [row.reported.transaction_id for row in rows])
    result: list[ImportedRow] = []
    for index, row in enumerate(rows, start=1):
        result.append(await _import_row(tenant, row, before.get(row.reported.transaction_id), definition_of))
        if index % PROGRESS_EVERY == 0:
            await StatementImport.filter(id=record.id).update(done=index)
    record.applied = sum(1 for r in result if r.outcome == "applied")
    record.duplicates = sum(1 for r in result if r.outcome == "duplicate")
    record.held = sum(1 for r in result if r.outcome == "held")
    record.outcomes = [r.as_json() for r in result]
    record.status, record.done = "completed", len(rows)
    await record.save()
    return StatementResult(record, result, earlier)


async def _import_row(
    tenant: Tenant, row: StatementRow, before: Payment | None, definition_of: DefinitionOf | None
) -> ImportedRow:
    if before is not None:
        outcome = "duplicate" if payments.same_details(before, row.reported) else "conflict"
        return ImportedRow(row.row, row.reported, outcome, before.id if outcome == "duplicate" else None)
    try:
        recorded = await payments.record_payment(tenant, row.reported, definition_of=definition_of)
    except payments.TransactionConflict:
        return ImportedRow(row.row, row.reported, "conflict")
    payment = recorded.payment
    outcome = "duplicate" if recorded.duplicate else "held" if payment.status == "held" else "applied"
    return ImportedRow(row.row, row.reported, outcome, payment.id, payment.problem)


async def statement_result(tenant: Tenant, statement_id: int) -> StatementResult:
    """An import of ``tenant`` as its page shows it; raises :class:`StatementNotFound` for any other's."""
    record = await StatementImport.get_or_none(tenant=tenant, id=statement_id)
    if record is None:
        raise StatementNotFound(f"no statement import {statement_id}")
    earlier = (
        await StatementImport.filter(
            tenant=tenant, sha256=record.sha256, id__lt=record.id, status="completed"
        )
        .order_by("id")
        .first()
    )
    return StatementResult(record, [ImportedRow.from_json(item) for item in record.outcomes or []], earlier)


@dataclass
class StatementImporter:
    """The ``import_statement`` runner: records a queued statement's rows (resumable: repeats are duplicates)."""

    blobs: Any
    definition_of: DefinitionOf | None = None

    async def __call__(self, job: EffectJob, submission: Any) -> None:
        record = await StatementImport.get(id=job.params["statement"], tenant_id=job.tenant_id)
        if record.status == "completed":
            return
        tenant = await Tenant.get(id=job.tenant_id)
        content = await asyncio.to_thread(self.blobs.get, record.blob_key)
        try:
            await import_statement(tenant, record.filename, content, None, self.definition_of, record=record)
        except Exception as error:
            await StatementImport.filter(id=record.id).update(error=f"{type(error).__name__}: {error}"[:2000])
            raise


async def recent_imports(tenant: Tenant, limit: int = 20) -> list[StatementImport]:
    """The tenant's latest statement imports, newest first."""
    return await StatementImport.filter(tenant=tenant).order_by("-id").limit(limit)
