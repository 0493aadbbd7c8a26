"""The fee commands against a served demo town: billing runs, the notification secret, a bank's notification.

``thongthin payments notify`` signs and posts over HTTP to ``thongthin serve``, as a bank's
system would; the answers and the database show what a finance officer would see.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

from engine.services.billing import current_period, parse_period
from tests.e2e.test_serve import TENANT, THONGTHIN, Served, clean_environ
from tests.e2e.test_serve import served as served  # the fixture


def thongthin(served: Served, *args: str) -> subprocess.CompletedProcess[str]:
    environ = clean_environ(THONGTHIN_DATA=str(served.database.parent), SECRET_KEY="test-serve-secret")
    return subprocess.run([THONGTHIN, *args], env=environ, capture_output=True, text=True, timeout=120)


def query(database: Path, sql: str, *values: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql, values).fetchall()


def next_period() -> str:
    year, month = parse_period(current_period())
    return f"{year + (month == 12):04d}-{1 if month == 12 else month + 1:02d}"


def test_fee_commands_bill_a_period_once_and_send_a_signed_notification(served: Served):
    """One served town for both halves: starting gunicorn and seeding is most of the time."""
    pay_arrears_from_the_command_line(served)
    bill_next_period(served)


def bill_next_period(served: Served) -> None:
    period = next_period()
    first = thongthin(served, "billing", "run", TENANT, period)
    assert first.returncode == 0, first.stderr
    assert "8 bill(s) created" in first.stdout.splitlines()[-1]
    again = thongthin(served, "billing", "run", TENANT, period)
    assert again.returncode == 0 and "0 bill(s) created, 8 already there" in again.stdout
    assert query(served.database, "SELECT COUNT(*) FROM bill WHERE period = ?", period) == [(8,)]

    wrong = thongthin(served, "billing", "run", TENANT, "2026-13")
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    assert "Buddhist-Era year and month" in wrong.stderr


def pay_arrears_from_the_command_line(served: Served) -> None:
    secret = thongthin(served, "payments", "secret", TENANT)
    assert secret.returncode == 0, secret.stderr
    assert thongthin(served, "payments", "secret", TENANT).stdout == secret.stdout, "kept until rotated"
    # Account GB-000007 (a market stall, 60 baht a month) owes last month and this month.
    owed = query(
        served.database,
        "SELECT amount FROM bill WHERE ref1 = 'GB000007' AND status = 'unpaid' ORDER BY period",
    )
    total = sum((Decimal(str(a)) for (a,) in owed), Decimal("0.00"))
    assert len(owed) == 2 and total == Decimal("120.00")
    url = f"http://127.0.0.1:{served.port}"

    forged = thongthin(
        served, "payments", "notify", TENANT, "--ref1", "GB000007", "--amount", "120.00", "--url", url,
        "--secret", "guessed",
    )  # fmt: skip
    assert forged.returncode != 0 and "HTTP 401" in forged.stderr

    paid = thongthin(
        served, "payments", "notify", TENANT, "--ref1", "GB000007", "--ref2", "0", "--amount", "120.00",
        "--url", url, "--transaction-id", "KTB20270110000042",
    )  # fmt: skip
    assert paid.returncode == 0, paid.stderr
    answer = json.loads(paid.stdout.splitlines()[-1])
    assert answer["status"] == "applied" and answer["problem"] is None and len(answer["settled"]) == 2
    assert query(
        served.database, "SELECT COUNT(*) FROM bill WHERE ref1 = 'GB000007' AND status = 'unpaid'"
    ) == [(0,)]

    repeat = thongthin(
        served, "payments", "notify", TENANT, "--ref1", "GB000007", "--ref2", "0", "--amount", "120.00",
        "--url", url, "--transaction-id", "KTB20270110000042",
    )  # fmt: skip
    assert repeat.returncode == 0 and json.loads(repeat.stdout.splitlines()[-1])["duplicate"] is True
    assert query(
        served.database, "SELECT COUNT(*) FROM payment WHERE transaction_id = 'KTB20270110000042'"
    ) == [(1,)]

    bad = thongthin(
        served, "payments", "notify", TENANT, "--ref1", "GB000007", "--amount", "-3", "--url", url
    )
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "amount" in bad.stderr
