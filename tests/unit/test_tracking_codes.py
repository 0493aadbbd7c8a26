"""Tracking codes people read off a screen and type on a phone."""

from __future__ import annotations

from engine.services.secrets import (
    CODE_ALPHABET,
    CODE_LENGTH,
    format_code,
    new_tracking_code,
    normalise_code,
)


def test_codes_have_no_look_alike_characters_and_enough_randomness():
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert not set(code) & set("0O1IL-_ ")
    assert set("".join(codes)) == set(CODE_ALPHABET), "every character of the alphabet is used"


def test_a_code_is_shown_in_groups_and_typed_back_any_way():
    code = new_tracking_code()
    shown = format_code(code)
    assert shown.count("-") == 4 and shown.replace("-", "") == code
    assert all(len(group) == 5 for group in shown.split("-"))
    for typed in (shown, shown.lower(), shown.replace("-", " "), f"  {code.lower()} "):
        assert normalise_code(typed) == code


def test_older_tokens_pass_through_unchanged():
    old = "qW3-e_rTy7uIoP9aSdFgHjKlZxCvBnM1"
    assert normalise_code(f" {old} ") == old
    assert format_code(old) == old


def test_numbers_are_grouped_as_thais_write_them():
    from renderers.answers import group_national_id, group_phone

    assert group_national_id("1101700123456") == "1-1017-00123-45-6"
    assert group_national_id("12345") == "12345"
    assert group_phone("0812345678") == "081-234-5678"
    assert group_phone("021234567") == "02-123-4567"
    assert group_phone("053123456") == "053-123-456"
    assert group_phone("+66 81") == "+66 81"
