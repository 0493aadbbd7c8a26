from datetime import date

import pytest

from engine.forms.formats import (
    is_date,
    is_email,
    is_thai_national_id,
    is_thai_phone,
    is_thai_postcode,
    national_id_check_digit,
)
from engine.thaidate import format_date


@pytest.mark.parametrize(
    "value",
    ["1234545678781", "3100600445635", "0994000165510"],  # published python-stdnum vectors, a juristic ID
)
def test_real_national_ids_pass(value):
    assert is_thai_national_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "1234545678782",  # wrong check digit
        "123454567878",  # 12 digits
        "12345456787811",  # 14 digits
        "1-2345-45678-78-1",  # separators are the portal's job to strip
        "๑๒๓๔๕๔๕๖๗๘๗๘๑",  # Thai digits are not stored
        1234545678781,
        None,
    ],
)
def test_wrong_national_ids_fail(value):
    assert not is_thai_national_id(value)


def test_check_digit_wraps_ten_to_zero():
    # sum mod 11 == 1 gives 11 - 1 = 10, written as 0
    twelve = next(
        f"{n:012d}"
        for n in range(100000000000, 100000001000)
        if (11 - sum(int(d) * (13 - i) for i, d in enumerate(f"{n:012d}")) % 11) == 10
    )
    assert national_id_check_digit(twelve) == 0
    assert is_thai_national_id(twelve + "0")


@pytest.mark.parametrize("value", ["0812345678", "0612345678", "0991234567", "053123456", "021234567"])
def test_thai_phone_numbers_pass(value):
    assert is_thai_phone(value)


@pytest.mark.parametrize(
    "value", ["081234567", "08123456789", "0112345678", "+66812345678", "081-234-5678", "๐๘๑๒๓๔๕๖๗๘"]
)
def test_wrong_phone_numbers_fail(value):
    assert not is_thai_phone(value)


@pytest.mark.parametrize(
    "value,ok",
    [
        ("50100", True),
        ("10200", True),
        ("96000", True),
        ("00100", False),
        ("97000", False),
        ("5010", False),
        ("501000", False),
    ],
)
def test_postcodes(value, ok):
    assert is_thai_postcode(value) is ok


@pytest.mark.parametrize(
    "value,ok", [("somchai@example.co.th", True), ("a@b", False), ("no at sign", False), ("x@y.", False)]
)
def test_emails(value, ok):
    assert is_email(value) is ok


@pytest.mark.parametrize(
    "value,ok",
    [
        ("2026-02-28", True),
        ("2024-02-29", True),
        ("2026-02-29", False),
        ("20260101", False),
        ("2569-13-01", False),
    ],
)
def test_dates_must_exist(value, ok):
    assert is_date(value) is ok


def test_thai_dates_use_the_buddhist_era():
    day = date(2026, 1, 15)
    assert format_date(day) == "15 มกราคม 2569"
    assert format_date(day, thai_numerals=True) == "๑๕ มกราคม ๒๕๖๙"
    assert format_date(day, short=True) == "15 ม.ค. 2569"
    assert format_date(day, "en") == "15 January 2026"
