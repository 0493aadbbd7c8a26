"""The Thai bank bill-payment barcode: its text, read back from the bars by an independent decoder.

Two renderings are scanned with zxing-cpp: python-barcode's own PNG writer, and the SVG
the printed bill embeds (rasterised here bar by bar, as it holds nothing but rectangles).
Both must give back the text exactly, carriage returns included.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import barcode
import pytest
import zxingcpp
from barcode.writer import ImageWriter
from PIL import Image, ImageDraw

from engine.payments.barcode import (
    QUIET_MODULES,
    BarcodeError,
    barcode_caption,
    barcode_svg,
    barcode_text,
    modules,
    satang,
)

BILLER = "099400015980400"
BAR = re.compile(r"M(\d+) 0h(\d+)v1h-\2z")


def read_png(text: str) -> list[zxingcpp.Result]:
    """Draw ``text`` with python-barcode's PNG writer and scan it."""
    buffer = io.BytesIO()
    barcode.get("code128", text, writer=ImageWriter()).write(buffer, options={"write_text": False})
    buffer.seek(0)
    with Image.open(buffer) as image:
        return zxingcpp.read_barcodes(image)


def read_svg(svg: str, pixels_per_module: int = 3) -> list[zxingcpp.Result]:
    """Rasterise the bars of :func:`barcode_svg` (a white field and black rectangles) and scan them."""
    width = int(re.search(r'viewBox="0 0 (\d+) 1"', svg).group(1))
    image = Image.new("L", (width * pixels_per_module, 80), 255)
    draw = ImageDraw.Draw(image)
    for x, bar in BAR.findall(svg):
        left = int(x) * pixels_per_module
        draw.rectangle([left, 0, left + int(bar) * pixels_per_module - 1, 79], fill=0)
    return zxingcpp.read_barcodes(image)


@pytest.mark.parametrize(
    "arguments,text,caption",
    [
        (
            (BILLER, "GB000123", "256901", Decimal("25.00")),
            f"|{BILLER}\rGB000123\r256901\r2500",
            f"| {BILLER} GB000123 256901 2500",
        ),
        (
            ("0994000159804", "WW000042", "0", "125.50"),
            f"|{BILLER}\rWW000042\r0\r12550",
            f"| {BILLER} WW000042 0 12550",
        ),
        ((BILLER, "BL2569000012", "", None), f"|{BILLER}\rBL2569000012\r\r0", f"| {BILLER} BL2569000012  0"),
        ((BILLER, "GB000123", None, 0), f"|{BILLER}\rGB000123\r\r0", f"| {BILLER} GB000123  0"),
        (
            (BILLER, "A" * 20, "9" * 20, "9999999999.99"),
            f"|{BILLER}\r{'A' * 20}\r{'9' * 20}\r999999999999",
            None,
        ),
    ],
)
def test_text_and_caption(arguments, text, caption):
    assert barcode_text(*arguments) == text
    if caption is not None:
        assert barcode_caption(*arguments) == caption


@pytest.mark.parametrize(
    "arguments",
    [
        (BILLER, "GB000123", "256901", "25.00"),
        ("0994000159804", "WW000042", "0", "125.50"),
        (BILLER, "BL2569000012", "", None),
        (BILLER, "ABCDEFGHIJ0123456789", "ZYXWVUTSRQ9876543210", "9999999999.99"),
    ],
)
def test_the_bars_read_back_as_the_text_with_its_carriage_returns(arguments):
    text = barcode_text(*arguments)
    assert text.count("\r") == 3
    for results in (read_png(text), read_svg(barcode_svg(text))):
        assert [(r.format, r.text) for r in results] == [(zxingcpp.BarcodeFormat.Code128, text)]


def test_the_svg_is_inline_markup_with_quiet_zones_and_a_printed_size():
    text = barcode_text(BILLER, "GB000123", "256901", "25.00")
    svg = barcode_svg(text, module_mm=0.25, height_mm=10)
    count = len(modules(text)) + 2 * QUIET_MODULES
    assert svg.startswith("<svg ") and "<?xml" not in svg and "style=" not in svg
    assert f'viewBox="0 0 {count} 1"' in svg and f'width="{count * 0.25:g}mm"' in svg
    assert 'height="10mm"' in svg
    bars = BAR.findall(svg)
    assert int(bars[0][0]) == QUIET_MODULES
    assert int(bars[-1][0]) + int(bars[-1][1]) == count - QUIET_MODULES


@pytest.mark.parametrize(
    "arguments,field",
    [
        (("12345", "GB000123", "0", "1.00"), "biller_id"),
        (("09940001598040012", "GB000123", "0", "1.00"), "biller_id"),
        (("09940001598A400", "GB000123", "0", "1.00"), "biller_id"),
        ((BILLER, "", "0", "1.00"), "ref1"),
        ((BILLER, "gb000123", "0", "1.00"), "ref1"),
        ((BILLER, "GB-000123", "0", "1.00"), "ref1"),
        ((BILLER, "A" * 21, "0", "1.00"), "ref1"),
        ((BILLER, "GB000123", "25 69", "1.00"), "ref2"),
        ((BILLER, "GB000123", "ก", "1.00"), "ref2"),
        ((BILLER, "GB000123", "0", "-1.00"), "amount"),
        ((BILLER, "GB000123", "0", "1.005"), "amount"),
        ((BILLER, "GB000123", "0", "abc"), "amount"),
        ((BILLER, "GB000123", "0", "NaN"), "amount"),
        ((BILLER, "GB000123", "0", 1.5), "amount"),
        ((BILLER, "GB000123", "0", "10000000000.00"), "amount"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(arguments, field):
    with pytest.raises(BarcodeError) as raised:
        barcode_text(*arguments)
    assert raised.value.field == field
    with pytest.raises(ValueError):
        barcode_caption(*arguments)


def test_satang_and_non_ascii_text():
    assert [satang(v) for v in ("0.01", "1", Decimal("1250.5"), 0, None)] == ["1", "100", "125050", "0", "0"]
    with pytest.raises(BarcodeError):
        barcode_svg("ใบแจ้งหนี้")
    with pytest.raises(BarcodeError):
        barcode_svg("")
