"""Thai first, English second: message catalogs as JSON files, one pair per area.

Each area (portal, admin, shared) keeps ``locales/th.json`` and ``locales/en.json``; a key
missing in English falls back to Thai, and a key missing in Thai is shown as the key
itself so it is noticed.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"
SHARED = Path(__file__).parent / "locales"


@cache
def _catalog(folder: str, language: str) -> dict[str, str]:
    path = Path(folder) / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


class Translator:
    """Looks keys up in the given catalog folders, first match wins."""

    def __init__(self, *folders: Path):
        self.folders = [str(f) for f in (*folders, SHARED)]

    def __call__(self, key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
        for lang in (language, DEFAULT_LANGUAGE):
            for folder in self.folders:
                text = _catalog(folder, lang).get(key)
                if text is not None:
                    return text.format(**values) if values else text
        return key


def normalise_language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE
