"""Numbers the Thai official way: amounts in words (บาทถ้วน), grouped digits, Thai digits."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from renderers.documents.errors import InvalidAmount

# --- words and numbers the Thai way -----------------------------------------------------------

_DIGIT_WORDS = ("ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า")
_PLACE_WORDS = ("", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน")
SATANG = Decimal("0.01")


def _group_words(value: int, after_higher: bool) -> str:
    """0 < value < 1,000,000 in words; ``after_higher`` when a higher digit of the number is not zero."""
    digits = [int(d) for d in reversed(str(value))]
    words = []
    for place in range(len(digits) - 1, -1, -1):
        digit = digits[place]
        if digit == 0:
            continue
        if place == 0 and digit == 1 and (after_higher or value > 9):
            # 11 สิบเอ็ด, 101 หนึ่งร้อยเอ็ด, 1,000,001 หนึ่งล้านเอ็ด: a final one after other digits.
            words.append("เอ็ด")
        elif place == 1 and digit == 1:
            words.append("สิบ")
        elif place == 1 and digit == 2:
            words.append("ยี่สิบ")
        else:
            words.append(_DIGIT_WORDS[digit] + _PLACE_WORDS[place])
    return "".join(words)


def number_words(value: int) -> str:
    """A whole number ≥ 0 in Thai words: 21 → ยี่สิบเอ็ด, 1,000,000 → หนึ่งล้าน."""
    if value < 0:
        raise InvalidAmount(value)
    if value == 0:
        return _DIGIT_WORDS[0]

    def words(n: int, after_higher: bool) -> str:
        high, low = divmod(n, 1_000_000)
        text = (words(high, after_higher) + "ล้าน") if high else ""
        if low:
            text += _group_words(low, after_higher or high > 0)
        return text

    return words(value, False)


def baht_text(amount: Decimal | int | str) -> str:
    """An amount written out as on a Thai receipt: 120 → หนึ่งร้อยยี่สิบบาทถ้วน, 0.25 → ยี่สิบห้าสตางค์.

    Rounds half-up to the satang. Raises :class:`InvalidAmount` for a negative amount or
    something that is not a number (floats are refused: their binary value is not the
    amount someone typed).
    """
    if isinstance(amount, bool | float):
        raise InvalidAmount(amount)
    try:
        value = Decimal(str(amount)).quantize(SATANG, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise InvalidAmount(amount) from None
    if not value.is_finite() or value < 0:
        raise InvalidAmount(amount)
    baht = int(value)
    satang = int((value - baht) * 100)
    if baht == 0 and satang == 0:
        return "ศูนย์บาทถ้วน"
    text = number_words(baht) + "บาท" if baht else ""
    # Satang are read as a number of their own: 1.01 is หนึ่งบาทหนึ่งสตางค์, not ...เอ็ดสตางค์.
    return text + (number_words(satang) + "สตางค์" if satang else "ถ้วน")


def format_number(value: Any, places: int | None = None) -> str:
    """1234.5 → ``1,234.50``; whole numbers without decimals unless ``places`` asks for them."""
    number = Decimal(str(value))
    if places is None:
        places = 0 if number == number.to_integral_value() else 2
    quantum = Decimal(1).scaleb(-places)
    return f"{number.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"
