"""The platform's Thai terms and the variants that must not stand in for them
(``schemas/meta/glossary.json``), found in JSON documents (reported at their JSON pointer) and in
text files such as templates (reported at their line).

One term per thing: the catalog, the locale files and the templates say ผู้ยื่นคำขอ, ถอน,
เลขที่คำขอ … the same way everywhere, and citizens are addressed as ท่าน.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from engine import jsonpointer
from engine.definitions.locations import meta_dir
from engine.definitions.problems import Problem

CITIZEN = "citizen"  # only what citizens read
EVERYWHERE = "all"


@dataclass(frozen=True)
class Entry:
    term: str
    banned: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    excepted: tuple[str, ...]
    scope: str
    why: str


@cache
def entries() -> tuple[Entry, ...]:
    """The glossary's entries (read once)."""
    document = json.loads((meta_dir() / "glossary.json").read_text(encoding="utf-8"))
    return tuple(
        Entry(
            term=raw["term"],
            banned=tuple(raw.get("banned", ())),
            patterns=tuple(re.compile(p) for p in raw.get("banned_patterns", ())),
            excepted=tuple(raw.get("except", ())),
            scope=raw.get("scope", EVERYWHERE),
            why=raw.get("why", ""),
        )
        for raw in document["terms"]
    )


def _excepted(text: str, start: int, banned: str, excepted: Iterable[str]) -> bool:
    """Whether the ``banned`` found at ``start`` is part of a longer, allowed word."""
    for word in excepted:
        offset = word.find(banned)
        while offset >= 0:
            if text[start - offset : start - offset + len(word)] == word:
                return True
            offset = word.find(banned, offset + 1)
    return False


def findings(
    text: str, *, citizen: bool, glossary: Iterable[Entry] | None = None
) -> Iterator[tuple[int, str, Entry]]:
    """(offset, variant found, entry) for each banned variant in ``text``; ``citizen``: the text is
    read by citizens, so entries for citizens apply too."""
    for entry in entries() if glossary is None else glossary:
        if entry.scope == CITIZEN and not citizen:
            continue
        for banned in entry.banned:
            start = text.find(banned)
            while start >= 0:
                if not _excepted(text, start, banned, entry.excepted):
                    yield start, banned, entry
                start = text.find(banned, start + 1)
        for pattern in entry.patterns:
            for match in pattern.finditer(text):
                yield match.start(), match.group(0).strip(), entry


def _message(found: str, entry: Entry) -> str:
    return f"'{found}': write '{entry.term}' instead ({entry.why})"


def check_json(path: Path, document: Any, *, citizen: bool, pointer: str = "") -> Iterator[Problem]:
    """Banned variants in the strings of a JSON document, at their JSON pointers."""
    if isinstance(document, str):
        for _, found, entry in findings(document, citizen=citizen):
            yield Problem(path, pointer, _message(found, entry))
    elif isinstance(document, dict):
        for key, value in document.items():
            if key not in ("$comment", "$id", "$schema"):
                yield from check_json(path, value, citizen=citizen, pointer=jsonpointer.child(pointer, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from check_json(path, value, citizen=citizen, pointer=f"{pointer}/{index}")


def check_text(path: Path, text: str, *, citizen: bool) -> Iterator[Problem]:
    """Banned variants in a text file (a template), at their line numbers."""
    for number, line in enumerate(text.splitlines(), start=1):
        for _, found, entry in findings(line, citizen=citizen):
            yield Problem(path, str(number), _message(found, entry))


def check_file(path: Path, *, citizen: bool) -> list[Problem]:
    """A JSON document at its pointers, any other text file at its lines (unreadable files: none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    if path.suffix == ".json":
        try:
            return list(check_json(path, json.loads(text), citizen=citizen))
        except json.JSONDecodeError:
            return []
    return list(check_text(path, text, citizen=citizen))


def check_files(files: Iterable[tuple[Path, bool]]) -> list[Problem]:
    """Every banned variant in ``files`` (each with whether citizens read it), in file order."""
    return [problem for path, citizen in files for problem in check_file(path, citizen=citizen)]
