"""A stored file's name shows what it is: the true extension, nothing invisible, never too long."""

from __future__ import annotations

import pytest

from engine.services.uploads import clean_filename


@pytest.mark.parametrize(
    "sent, content_type, stored",
    [
        ("photo.html", "image/png", "photo.png"),  # served as what it is, never as a web page
        ("invoice.pdf.exe", "application/pdf", "invoice.pdf.pdf"),
        ("แบบแปลน.pdf", "application/pdf", "แบบแปลน.pdf"),
        ("IMG_0001.JPEG", "image/jpeg", "IMG_0001.JPEG"),
        ("scan", "image/jpeg", "scan.jpg"),
        ("สำเนาบัตร นาย ก. ใจดี", "image/png", "สำเนาบัตร นาย ก. ใจดี.png"),
        ("C:\\Users\\somchai\\Desktop\\deed.pdf", "application/pdf", "deed.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("", "image/png", "file.png"),
    ],
)
def test_the_extension_is_the_detected_type(sent: str, content_type: str, stored: str):
    assert clean_filename(sent, content_type) == stored


def test_bidirectional_and_invisible_characters_are_removed():
    # U+202E makes "photo‮gpj.exe" read as "photoexe.jpg" in a file list.
    assert clean_filename("photo\u202egpj.exe", "image/jpeg") == "photogpj.jpg"
    assert clean_filename("a\u200bb\u2066c\u2069d\u200d.pdf\x00", "application/pdf") == "abcd.pdf"
    assert clean_filename("\ufeffdeed\x07.pdf", "application/pdf") == "deed.pdf"


def test_a_long_name_keeps_its_extension_within_255_bytes():
    thai = "ใบอนุญาตก่อสร้างอาคาร" * 30  # three bytes a character in UTF-8
    stored = clean_filename(f"{thai}.pdf", "application/pdf")
    assert stored.endswith(".pdf")
    assert len(stored.encode()) <= 255
    assert stored.startswith("ใบอนุญาต")
    stored.encode().decode()  # no character cut in half
