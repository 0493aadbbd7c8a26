"""Thai QR Payment payloads (EMVCo merchant-presented mode, PromptPay), as pure functions.

Two kinds: credit transfer to a PromptPay proxy (tag 29: mobile number, national or tax ID,
e-wallet ID) and bill payment to a biller (tag 30: biller ID, reference 1, reference 2).
A payload without an amount is static (reusable, tag 01 = 11); with an amount it is
dynamic (one payment, tag 01 = 12). The CRC is CRC-16/CCITT-FALSE over the whole payload
including the literal ``6304``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from engine.errors import ThongthinError

CREDIT_TRANSFER_AID = "A000000677010111"
BILL_PAYMENT_AID = "A000000677010112"
THB = "764"
MAX_AMOUNT = Decimal("9999999999.99")
_REFERENCE = re.compile(r"[A-Z0-9]{1,20}")


class PromptPayError(ThongthinError, ValueError):
    """Base class of invalid PromptPay input and of unreadable payloads."""


class InvalidProxy(PromptPayError):
    pass


class InvalidAmount(PromptPayError):
    pass


class InvalidReference(PromptPayError):
    pass


class InvalidPayload(PromptPayError):
    pass


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) as four upper-case hex digits.

    Table-driven, since a billing run computes one per bill.
    """
    crc = 0xFFFF
    for byte in data.encode("ascii"):
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[(crc >> 8) ^ byte]
    return f"{crc:04X}"


def tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise InvalidPayload(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value)


def format_amount(amount: Decimal | str | float | int) -> str:
    """The amount with two decimals; raises :class:`InvalidAmount` for a malformed, zero or negative one."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidAmount(f"not an amount: {amount!r}") from None
    if not value.is_finite() or value <= 0:
        raise InvalidAmount(f"the amount must be more than zero, not {amount}")
    if value > MAX_AMOUNT:
        raise InvalidAmount(f"the amount must be at most {MAX_AMOUNT}")
    if value != value.quantize(Decimal("0.01")):
        raise InvalidAmount(f"the amount has more than two decimals: {amount}")
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _finish(
    merchant_tag: str, merchant_info: str, amount: Decimal | str | float | int | None, extra: str = ""
) -> str:
    body = tlv("00", "01") + tlv("01", "11" if amount is None else "12") + tlv(merchant_tag, merchant_info)
    body += tlv("53", THB)
    if amount is not None:
        body += tlv("54", format_amount(amount))
    body += tlv("58", "TH") + extra + "6304"
    return body + crc16(body)


def mobile_proxy(mobile: str) -> str:
    """``0812345678`` or ``+66812345678`` -> ``0066812345678``; raises :class:`InvalidProxy`."""
    digits = _digits(mobile).removeprefix("+")
    if digits.startswith("66") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not re.fullmatch(r"0[0-9]{9}", digits):
        raise InvalidProxy(f"a Thai mobile number has 10 digits starting with 0, not {mobile!r}")
    return "0066" + digits[1:]


def credit_transfer(
    *,
    mobile: str | None = None,
    national_id: str | None = None,
    ewallet: str | None = None,
    amount: Decimal | str | float | int | None = None,
) -> str:
    """A PromptPay credit-transfer payload to exactly one proxy."""
    given = [(k, v) for k, v in (("01", mobile), ("02", national_id), ("03", ewallet)) if v is not None]
    if len(given) != 1:
        raise InvalidProxy("give exactly one of mobile, national ID (or tax ID) and e-wallet ID")
    sub_tag, value = given[0]
    if sub_tag == "01":
        proxy = mobile_proxy(value)
    else:
        proxy = _digits(value)
        length = 13 if sub_tag == "02" else 15
        if not re.fullmatch(rf"[0-9]{{{length}}}", proxy):
            kind = "a national or tax ID" if sub_tag == "02" else "an e-wallet ID"
            raise InvalidProxy(f"{kind} has {length} digits, not {value!r}")
    return _finish("29", tlv("00", CREDIT_TRANSFER_AID) + tlv(sub_tag, proxy), amount)


def bill_payment(
    *,
    biller_id: str,
    ref1: str,
    ref2: str | None = None,
    amount: Decimal | str | float | int | None = None,
    terminal: str | None = None,
) -> str:
    """A bill-payment payload: biller ID (a 13-digit tax ID, or 15 digits with its suffix) and references."""
    biller = _digits(biller_id)
    if re.fullmatch(r"[0-9]{13}", biller):
        biller += "00"
    if not re.fullmatch(r"[0-9]{15}", biller):
        raise InvalidProxy(
            f"a biller ID is a 13-digit tax ID or 15 digits with its suffix, not {biller_id!r}"
        )
    info = tlv("00", BILL_PAYMENT_AID) + tlv("01", biller) + tlv("02", _reference("reference 1", ref1))
    if ref2:
        info += tlv("03", _reference("reference 2", ref2))
    extra = tlv("62", tlv("07", _reference("terminal label", terminal))) if terminal else ""
    return _finish("30", info, amount, extra)


def _reference(name: str, value: str | None) -> str:
    if value is None or not _REFERENCE.fullmatch(value):
        raise InvalidReference(f"{name} must be 1–20 upper-case letters or digits, not {value!r}")
    return value


@dataclass(frozen=True)
class Field:
    tag: str
    value: str
    children: tuple[Field, ...] = ()


def parse(payload: str) -> dict[str, str | dict[str, str]]:
    """Read a payload back into tags (templates 26–51 and 62 into their sub-tags), checking its CRC.

    Raises :class:`InvalidPayload` for a broken structure or a wrong CRC.
    """
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise InvalidPayload("the payload does not end with a CRC field (6304....)")
    if crc16(payload[:-4]) != payload[-4:].upper():
        raise InvalidPayload(
            f"CRC mismatch: the payload says {payload[-4:]}, its content gives {crc16(payload[:-4])}"
        )
    fields = _read(payload)
    result: dict[str, str | dict[str, str]] = {}
    for tag, value in fields:
        if 26 <= int(tag) <= 51 or tag == "62":
            result[tag] = dict(_read(value))
        else:
            result[tag] = value
    return result


def _read(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(text):
        if position + 4 > len(text) or not text[position : position + 4].isdigit():
            raise InvalidPayload(f"malformed field at position {position}")
        tag, length = text[position : position + 2], int(text[position + 2 : position + 4])
        value = text[position + 4 : position + 4 + length]
        if len(value) != length:
            raise InvalidPayload(f"field {tag} at position {position} is cut short")
        found.append((tag, value))
        position += 4 + length
    return found
