"""How register numbers are keyed and printed.

Every book runs from 1 through the Buddhist-Era **calendar** year (ข้อ 42: "เรียงลำดับติดต่อกันไป
ตลอดปีปฏิทิน"), the year of the registration instant in Bangkok — not UTC, not the fiscal year
that starts on 1 October.
"""

from __future__ import annotations

from datetime import datetime

from engine.thaidate import buddhist_year, thai_digits
from engine.workflow.sla import BANGKOK


def calendar_year(moment: datetime) -> int:
    """The Buddhist-Era calendar year of ``moment`` in Bangkok (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no Bangkok year")
    return buddhist_year(moment.astimezone(BANGKOK).date())


def running_text(book: str, number: int, year: int, *, circular: bool = False) -> str:
    """What follows the letter code and its slash: ``123``, ``ว 45``, or ``12/2569`` for an order or
    an announcement (ทับเลขปีพุทธศักราช); a receive number alone."""
    if book in ("order", "announcement"):
        return f"{number}/{year}"
    if circular or book == "circular":
        return f"ว {number}"
    return str(number)


def number_text(book: str, number: int, year: int, *, letter_code: str, circular: bool = False) -> str:
    """The number as the regulation prints it: ``ชม 52101.3/123``, ``ชม 52101/ว 45``, ``12/2569``, or a
    receive number alone."""
    running = running_text(book, number, year, circular=circular)
    if book in ("order", "announcement", "receive", "secret_receive") or not letter_code:
        return running
    return f"{letter_code}/{running}"


def printed(text: str, *, thai_numerals: bool) -> str:
    """``text`` in Thai digits when the tenant prints them (a setting), as it is otherwise."""
    return thai_digits(text) if thai_numerals else text
