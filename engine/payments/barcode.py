"""The Thai bank bill-payment barcode printed on paper bills, as pure functions.

Counter staff at any bank, post office or convenience store scan it to take a bill
payment without typing. Its text, after the Thai Bankers' Association layout, is::

    "|" + biller ID (13-digit tax ID + 2-digit suffix) + CR + ref1 + CR + ref2 + CR + amount

with the amount in satang and no decimal point (125.50 baht -> ``12550``; ``0`` lets the
cashier key the amount in). The symbol is Code 128: its code set A encodes the carriage
returns (ASCII 13) that separate the fields, and python-barcode switches to set A for them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import barcode

from engine.errors import ThongthinError
from engine.payments.promptpay import MAX_AMOUNT

SEPARATOR = "\r"
_REFERENCE = re.compile(r"[A-Z0-9]{1,20}")
# Quiet zone either side of the bars, in modules (Code 128 asks for at least ten).
QUIET_MODULES = 10


class BarcodeError(ThongthinError, ValueError):
    """Input a bill-payment barcode cannot carry: a malformed biller ID, reference or amount."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


def _biller(biller_id: str) -> str:
    """A 13-digit tax ID gets suffix ``00``; 15 digits are taken as they are."""
    digits = re.sub(r"[\s-]", "", biller_id)
    if re.fullmatch(r"[0-9]{13}", digits):
        digits += "00"
    if not re.fullmatch(r"[0-9]{15}", digits):
        raise BarcodeError("biller_id", f"a 13-digit tax ID or 15 digits with its suffix, not {biller_id!r}")
    return digits


def _reference(field: str, value: str | None, *, required: bool) -> str:
    if not value and not required:
        return ""
    if value is None or not _REFERENCE.fullmatch(value):
        raise BarcodeError(field, f"1–20 upper-case letters or digits, not {value!r}")
    return value


def satang(amount: Decimal | str | int | None) -> str:
    """``125.50`` -> ``12550``; ``None`` or 0 -> ``0``. Raises :class:`BarcodeError`.

    Floats are refused: their binary value is not the amount on the bill.
    """
    if amount is None:
        return "0"
    if isinstance(amount, bool | float):
        raise BarcodeError("amount", f"give the amount as a decimal, not {amount!r}")
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise BarcodeError("amount", f"not an amount: {amount!r}") from None
    if not value.is_finite() or value < 0:
        raise BarcodeError("amount", f"the amount must be zero or more, not {amount}")
    if value > MAX_AMOUNT:
        raise BarcodeError("amount", f"the amount must be at most {MAX_AMOUNT}")
    if value != value.quantize(Decimal("0.01")):
        raise BarcodeError("amount", f"the amount has more than two decimals: {amount}")
    return str(int(value * 100))


def _fields(
    biller_id: str, ref1: str, ref2: str | None, amount: Decimal | str | int | None
) -> tuple[str, str, str, str]:
    return (
        _biller(biller_id),
        _reference("ref1", ref1, required=True),
        _reference("ref2", ref2, required=False),
        satang(amount),
    )


def barcode_text(biller_id: str, ref1: str, ref2: str | None, amount: Decimal | str | int | None) -> str:
    """The text the barcode carries, fields separated by carriage returns.

    ``ref2`` may be empty (the field stays, empty). Raises :class:`BarcodeError`.
    """
    return "|" + SEPARATOR.join(_fields(biller_id, ref1, ref2, amount))


def barcode_caption(biller_id: str, ref1: str, ref2: str | None, amount: Decimal | str | int | None) -> str:
    """The human-readable line under the bars: ``| 099400015980400 GB000123 256901 2500``.

    Raises :class:`BarcodeError`.
    """
    return "| " + " ".join(_fields(biller_id, ref1, ref2, amount))


def modules(text: str) -> str:
    """The Code 128 symbol of ``text`` as modules, ``1`` black and ``0`` white, without quiet zones.

    Raises :class:`BarcodeError` for characters Code 128 cannot encode (outside ASCII).
    """
    if not text or not text.isascii():
        raise BarcodeError("text", "Code 128 encodes ASCII text only")
    return "".join(barcode.get("code128", text).build())


def barcode_svg(text: str, *, module_mm: float = 0.3, height_mm: float = 12.0) -> str:
    """An inline SVG of the Code 128 symbol of ``text`` (bars only; print the caption yourself).

    The bars are drawn from the modules python-barcode computes rather than by its
    SVGWriter, whose output carries ``style=""`` attributes (the pages' Content-Security-
    Policy forbids them) and an XML prolog that cannot sit inside HTML. The drawing is in
    module units with ``preserveAspectRatio="none"``, so CSS may set another width and
    height; ``module_mm`` and ``height_mm`` give its printed size otherwise. Raises
    :class:`BarcodeError`.
    """
    pattern = "0" * QUIET_MODULES + modules(text) + "0" * QUIET_MODULES
    bars = [(m.start(), m.end() - m.start()) for m in re.finditer("1+", pattern)]
    path = "".join(f"M{x} 0h{width}v1h-{width}z" for x, width in bars)
    width_mm = round(len(pattern) * module_mm, 3)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {len(pattern)} 1"'
        f' width="{width_mm}mm" height="{height_mm}mm" preserveAspectRatio="none"'
        f' class="barcode" aria-hidden="true" shape-rendering="crispEdges">'
        f'<rect width="{len(pattern)}" height="1" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )
