"""Dates the Thai way: Buddhist Era years, Thai month names, optionally Thai digits."""

from __future__ import annotations

import unicodedata
from datetime import date

BUDDHIST_ERA_OFFSET = 543

MONTHS_LONG = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_ASCII_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def buddhist_year(day: date) -> int:
    return day.year + BUDDHIST_ERA_OFFSET


def thai_digits(text: str) -> str:
    """``text`` with Arabic digits written as Thai digits (๐–๙)."""
    return text.translate(_THAI_DIGITS)


def ascii_digits(text: str) -> str:
    """``text`` with Thai (๐–๙) and full-width digits as ASCII digits."""
    return unicodedata.normalize("NFKC", text).translate(_ASCII_DIGITS)


def format_date(day: date, language: str = "th", *, short: bool = False, thai_numerals: bool = False) -> str:
    """``15 มกราคม 2569`` (Thai, Buddhist Era) or ``15 January 2026`` (English, Common Era)."""
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    months = MONTHS_SHORT if short else MONTHS_LONG
    text = f"{day.day} {months[day.month - 1]} {buddhist_year(day)}"
    return thai_digits(text) if thai_numerals else text
