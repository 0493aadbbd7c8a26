"""Bank statement CSV import: read in Thai banks' encodings and date styles, checked whole, recorded once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.services import billing, billing_runs, payments, statements, tenants
from engine.store.models import Bill, FeeAccount, Payment, PaymentAllocation, StatementImport, Tenant
from tests.integration.test_billing import GARBAGE_RATE, direct_accounts, make_tenant

PERIOD = "2569-03"
REF2 = "256903"
THAI_HEADER = "รหัสรายการ,วันที่,เวลา,เลขอ้างอิง 1,เลขอ้างอิง 2,จำนวนเงิน,ผู้ชำระ"


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def tx() -> str:
    """A transaction ID no other test uses (IDs are unique per tenant, tenants are fresh anyway)."""
    return f"TX{uuid.uuid4().hex[:12].upper()}"


@pytest.fixture
def billed(platform: Any) -> tuple[Tenant, list[str]]:
    """A municipality with four household garbage accounts billed for March 2569 (25 baht each).

    Returns the tenant and the accounts' reference 1 (their numbers without the dash).
    """

    async def run() -> tuple[Tenant, list[str]]:
        tenant = await make_tenant(platform)
        await direct_accounts(tenant, 4)
        await billing_runs.run_billing(tenant, PERIOD, catalog=platform.catalog)
        numbers = await FeeAccount.filter(tenant=tenant).order_by("id").values_list("number", flat=True)
        return tenant, [billing.reference_code(n) for n in numbers]

    return platform.db(run())


# --- reading ----------------------------------------------------------------------------------


def test_utf8_with_bom_thai_headers_and_buddhist_era_dates():
    content = b"\xef\xbb\xbf" + csv_bytes(
        [
            THAI_HEADER,
            'TX1,05/01/2569,10:30,GB-000123,256901,"1,250.00",นางสมพร ใจดี',
            "TX2,5/1/2569 23:59:59,,gb000124,,25,",
        ]
    )
    rows = statements.parse_statement("january.csv", content)
    assert [r.row for r in rows] == [2, 3]
    first, second = (r.reported for r in rows)
    assert first.transaction_id == "TX1" and first.source == "statement"
    assert (first.ref1, first.ref2) == ("GB000123", "256901")
    assert first.amount == Decimal("1250.00") and first.payer == "นางสมพร ใจดี"
    assert first.paid_at == datetime(2026, 1, 5, 3, 30, tzinfo=UTC), "10:30 in Bangkok"
    assert second.paid_at == datetime(2026, 1, 5, 16, 59, 59, tzinfo=UTC)
    assert (second.ref1, second.ref2, second.amount) == ("GB000124", "", Decimal("25.00"))
    assert first.received["cells"]["ผู้ชำระ"] == "นางสมพร ใจดี" and first.received["row"] == 2


def test_tis620_file_with_english_headers_and_iso_times():
    content = csv_bytes(
        [
            "Transaction ID;Paid at;Reference 1;Reference 2;Amount;Payer",
            "A-1;2026-01-05T10:30:00+07:00;WW000001;256901;80.50;บริษัท น้ำใส จำกัด",
            "A-2;2567-02-29;WW000002;0;1 250;",  # 29 Feb 2567 BE (2024) exists; a space between thousands
        ],
        encoding="tis-620",
    )
    rows = statements.parse_statement("bank.csv", content)
    first, second = (r.reported for r in rows)
    assert first.payer == "บริษัท น้ำใส จำกัด" and first.amount == Decimal("80.50")
    assert first.paid_at == datetime(2026, 1, 5, 3, 30, tzinfo=UTC)
    assert second.paid_at == datetime(2024, 2, 28, 17, 0, tzinfo=UTC), "midnight in Bangkok"
    assert second.amount == Decimal("1250.00")


def test_every_bad_row_is_listed_with_its_row_number():
    content = csv_bytes(
        [
            THAI_HEADER,
            "TX1,05/01/2569,10:30,GB000123,256901,25.00,",
            "TX2,05/01/2569,10:30,GB000124,256901,ยี่สิบห้า,",
            "TX3,31/02/2569,,GB000125,256901,25.00,",
            "TX4,05/01/2569,25:00,GB000126,256901,25.00,",
            "",
            ",05/01/2569,,ก-ข,256901,-5,",
            "TX1,05/01/2569,10:30,GB000123,256901,30.00,",
        ]
    )
    with pytest.raises(statements.StatementError) as caught:
        statements.parse_statement("bad.csv", content)
    problems = caught.value.problems
    assert any(p.startswith("bad.csv:row 3: จำนวนเงิน: ") for p in problems)
    assert any(p.startswith("bad.csv:row 4: วันที่: ") for p in problems)
    assert any(p.startswith("bad.csv:row 5: วันที่: ") for p in problems), "25:00 is no time"
    row7 = [p for p in problems if p.startswith("bad.csv:row 7: ")]
    assert {p.split(": ")[1] for p in row7} == {"รหัสรายการ", "เลขอ้างอิง 1", "จำนวนเงิน"}
    assert any(p.startswith("bad.csv:row 8: รหัสรายการ: ") and "row 2" in p for p in problems)
    assert len(problems) == 7, problems
    assert {d.code for d in caught.value.details} >= {
        "bad_amount",
        "bad_date",
        "required",
        "conflict_in_file",
    }


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (csv_bytes(["รหัสรายการ,วันที่,จำนวนเงิน", "TX1,05/01/2569,25"]), "missing_column"),
        (b"", "empty"),
        (csv_bytes([THAI_HEADER]), "empty"),
        (b"\xff\xfe\x00\x00" * 10, "not_text"),
        (b"x" * (statements.MAX_BYTES + 1), "too_large"),
        (
            csv_bytes([THAI_HEADER] + ["TX,05/01/2569,,GB1,,1,"] * (statements.MAX_ROWS + 1)),
            "too_many_rows",
        ),
    ],
)
def test_files_that_are_not_statements_are_refused_whole(content: bytes, code: str):
    with pytest.raises(statements.StatementError) as caught:
        statements.parse_statement("file.csv", content)
    assert [d.code for d in caught.value.details] == [code]
    assert caught.value.problems[0].startswith("file.csv:")


def test_a_date_in_the_future_is_a_typo():
    with pytest.raises(statements.StatementError) as caught:
        statements.parse_statement(
            "f.csv",
            csv_bytes([THAI_HEADER, "TX1,05/01/2599,10:30,GB1,,25,"]),
            now=datetime(2026, 1, 5, tzinfo=UTC),
        )
    assert caught.value.details[0].code == "future_date"


# --- importing --------------------------------------------------------------------------------


def test_a_statement_with_any_bad_row_imports_nothing(platform: Any, billed: tuple[Tenant, list[str]]):
    tenant, refs = billed
    content = csv_bytes(
        [
            THAI_HEADER,
            f"{tx()},05/03/2569,09:00,{refs[0]},{REF2},25.00,",
            f"{tx()},05/03/2569,,{refs[1]},{REF2},,",
        ]
    )
    with pytest.raises(statements.StatementError) as caught:
        platform.db(statements.import_statement(tenant, "march.csv", content, None))
    assert caught.value.problems == ["march.csv:row 3: จำนวนเงิน: the amount is empty"]
    assert platform.db(Payment.filter(tenant=tenant).count()) == 0
    assert platform.db(StatementImport.filter(tenant=tenant).count()) == 0
    assert platform.db(Bill.filter(tenant=tenant, status="unpaid").count()) == 4


def test_import_applies_to_bills_and_lists_what_needs_an_officer(
    platform: Any, billed: tuple[Tenant, list[str]]
):
    tenant, refs = billed
    notified = tx()
    platform.db(
        payments.record_payment(
            tenant,
            payments.Reported(
                notified, refs[3], REF2, Decimal(GARBAGE_RATE), datetime(2026, 3, 5, 2, tzinfo=UTC)
            ),
        )
    )
    exact, under, over, unknown = tx(), tx(), tx(), tx()
    content = csv_bytes(
        [
            THAI_HEADER,
            f"{exact},05/03/2569,09:00,{refs[0]},{REF2},{GARBAGE_RATE}.00,นางหนึ่ง",
            f"{under},05/03/2569,09:05,{refs[1]},{REF2},10.00,นายสอง",
            f"{over},06/03/2569,12:00,{refs[2]},{REF2},40.00,นางสาม",
            f"{unknown},06/03/2569,12:30,GB999999,{REF2},25.00,ไม่ทราบ",
            f"{notified},05/03/2569,09:00,{refs[3]},{REF2},{GARBAGE_RATE}.00,นายสี่",
        ]
    )
    result = platform.db(statements.import_statement(tenant, "march.csv", content, None))
    assert [r.reported.transaction_id for r in result.applied] == [exact]
    assert [r.reported.transaction_id for r in result.underpaid] == [under]
    assert [r.reported.transaction_id for r in result.overpaid] == [over]
    assert [r.reported.transaction_id for r in result.held] == [unknown]
    assert [r.reported.transaction_id for r in result.duplicates] == [notified]
    assert [r.row for r in result.held] == [5]
    record = result.record
    assert (record.rows, record.applied, record.duplicates, record.held) == (5, 3, 1, 1)
    assert record.filename == "march.csv" and result.earlier is None

    bills = {b.ref1: b for b in platform.db(Bill.filter(tenant=tenant, period=PERIOD))}
    assert bills[refs[0]].status == "paid"
    assert bills[refs[1]].status == "partial" and Decimal(str(bills[refs[1]].paid_amount)) == Decimal("10.00")
    assert bills[refs[2]].status == "paid" and Decimal(str(bills[refs[2]].paid_amount)) == Decimal("40.00")
    assert bills[refs[3]].status == "paid"
    # The notified transaction was recorded once, with its first source; its bill paid once.
    assert platform.db(Payment.filter(tenant=tenant, transaction_id=notified).count()) == 1
    assert platform.db(Payment.get(tenant=tenant, transaction_id=notified)).source == "notify"
    assert platform.db(PaymentAllocation.filter(tenant=tenant, bill_id=bills[refs[3]].id).count()) == 1
    review = {p.transaction_id: p.problem for p in platform.db(payments.needing_review(tenant))}
    assert review == {under: "underpaid", over: "overpaid", unknown: "unknown_reference"}
    held = platform.db(Payment.get(tenant=tenant, transaction_id=unknown))
    assert held.source == "statement" and held.payer == "ไม่ทราบ" and held.received["row"] == 5


def test_importing_the_same_file_again_changes_nothing(platform: Any, billed: tuple[Tenant, list[str]]):
    tenant, refs = billed
    content = csv_bytes(
        [
            THAI_HEADER,
            f"{tx()},05/03/2569,09:00,{refs[0]},{REF2},25.00,",
            f"{tx()},05/03/2569,09:00,{refs[1]},{REF2},5.00,",
            f"{tx()},05/03/2569,09:00,XX1,,25.00,",
        ]
    )
    first = platform.db(statements.import_statement(tenant, "march.csv", content, None))
    state = platform.db(Bill.filter(tenant=tenant).order_by("id").values_list("status", "paid_amount"))
    payments_before = platform.db(Payment.filter(tenant=tenant).count())
    again = platform.db(statements.import_statement(tenant, "march-copy.csv", content, None))
    assert len(again.duplicates) == 3 and not (again.applied or again.held or again.underpaid)
    assert again.earlier is not None and again.earlier.id == first.record.id
    assert (again.record.rows, again.record.applied, again.record.duplicates, again.record.held) == (
        3,
        0,
        3,
        0,
    )
    assert platform.db(Payment.filter(tenant=tenant).count()) == payments_before == 3
    assert (
        platform.db(Bill.filter(tenant=tenant).order_by("id").values_list("status", "paid_amount")) == state
    )


def test_a_transaction_recorded_with_other_details_is_that_rows_problem(
    platform: Any, billed: tuple[Tenant, list[str]]
):
    tenant, refs = billed
    known = tx()
    platform.db(
        payments.record_payment(
            tenant,
            payments.Reported(known, refs[0], REF2, Decimal("25.00"), datetime(2026, 3, 5, tzinfo=UTC)),
        )
    )
    fresh = tx()
    content = csv_bytes(
        [
            THAI_HEADER,
            f"{known},05/03/2569,,{refs[0]},{REF2},99.00,",
            f"{fresh},05/03/2569,,{refs[1]},{REF2},25.00,",
        ]
    )
    result = platform.db(statements.import_statement(tenant, "march.csv", content, None))
    assert [(r.row, r.reported.transaction_id) for r in result.conflicts] == [(2, known)]
    assert [r.reported.transaction_id for r in result.applied] == [fresh]
    assert Decimal(str(platform.db(Payment.get(tenant=tenant, transaction_id=known)).amount)) == Decimal(
        "25.00"
    )


def test_a_queued_statement_is_recorded_by_the_worker_and_resumes_after_a_crash(
    platform: Any, billed: tuple[Tenant, list[str]]
):
    from engine.services.effects import run_pending
    from thongthin.runners import runners_for

    tenant, refs = billed
    first, second, third = tx(), tx(), tx()
    content = csv_bytes(
        [
            THAI_HEADER,
            f"{first},05/03/2569,09:00,{refs[0]},{REF2},25.00,",
            f"{second},05/03/2569,09:10,{refs[1]},{REF2},25.00,",
            f"{third},05/03/2569,09:20,{refs[2]},{REF2},5.00,",
        ]
    )
    record = platform.db(statements.queue_statement(tenant, "march.csv", content, None, platform.blobs))
    assert (record.status, record.rows, record.done) == ("queued", 3, 0)
    assert platform.db(Payment.filter(tenant=tenant).count()) == 0, "nothing recorded in the request"
    # A worker that died after the first row: that payment is in, the import not finished.
    row = statements.parse_statement("march.csv", content)[0]
    platform.db(payments.record_payment(tenant, row.reported))

    platform.db(run_pending(runners_for(platform), limit=10_000))
    result = platform.db(statements.statement_result(tenant, record.id))
    assert result.finished and result.record.done == 3
    assert [r.reported.transaction_id for r in result.duplicates] == [first]
    assert [r.reported.transaction_id for r in result.applied] == [second]
    assert [r.reported.transaction_id for r in result.underpaid] == [third]
    assert result.underpaid[0].payment_id == platform.db(Payment.get(tenant=tenant, transaction_id=third)).id
    assert platform.db(Payment.filter(tenant=tenant).count()) == 3, "each transaction once"
    other = platform.db(tenants.ensure_tenant(f"o{uuid.uuid4().hex[:8]}", name_th="อื่น", name_en="Other",
                                              kind="municipality", province="เชียงใหม่", reference_prefix="OT"))  # fmt: skip
    with pytest.raises(statements.StatementNotFound):
        platform.db(statements.statement_result(other, record.id))
