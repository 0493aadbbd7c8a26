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
