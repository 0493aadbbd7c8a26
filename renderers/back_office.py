"""The back office's form helpers, console and studio alike: error items and flashed messages."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash


@dataclass(frozen=True)
class ErrorItem:
    """One problem for the error summary: the id of the field it links to and what to say.

    ``key`` is a message catalog key; ``text`` an already translated message (from the
    engine's Thai/English messages). The template shows ``text`` when given.
    """

    target: str
    key: str = ""
    text: str = ""


def flash_key(key: str, **values: str) -> None:
    """Flash a catalog key (translated when shown, so switching language still works)."""
    # Flask annotates the message as str, but stores any value the session can serialise.
    flash({"key": key, "values": values})  # type: ignore[arg-type]


def errors_by_field(errors: list[ErrorItem]) -> dict[str, ErrorItem]:
    """The first error of each field, for the message next to it."""
    found: dict[str, ErrorItem] = {}
    for error in errors:
        found.setdefault(error.target, error)
    return found
