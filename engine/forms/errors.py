"""What a citizen is told about one wrong answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one answer: where (a JSON pointer into the data) and what, in Thai and English."""

    pointer: str
    message_th: str
    message_en: str
    keyword: str = ""

    def message(self, language: str = "th") -> str:
        return self.message_en if language == "en" else self.message_th

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k != "keyword"}


# A citizen acts on a handful of messages at a time; a program gets the first ones and a count.
MAX_ERRORS = 50
# Beyond the first MAX_ERRORS, further problems are counted up to this many, then checking stops:
# the rest of a body built to make validation slow is never looked at.
MAX_COUNTED = 1000


class ErrorList(list[FieldError]):
    """At most :data:`MAX_ERRORS` field errors; ``more`` counts further ones found (at least that many)."""

    def __init__(self, errors: list[FieldError] | None = None, more: int = 0):
        super().__init__(errors or [])
        self.more = more
