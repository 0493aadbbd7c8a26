"""Thai full-text search over letters: the words of subject, parties, numbers, body and PDF text.

Thai has no spaces between words, so the words are cut here (pythainlp's dictionary cutter) and
stored joined by single spaces; the database only splits on spaces and indexes whole words:
SQLite an FTS5 table ``saraban_search`` (ranked by bm25), PostgreSQL a ``tsvector`` of the
``simple`` configuration with a GIN index (ranked by ts_rank), plus the letter's numbers as text
for partial matches (trigram-indexed when pg_trgm is available). Migration 0015 creates either.

PDFs write สระอำ either as one character (U+0E33) or as nikhahit + sara aa (U+0E4D U+0E32), and
some write แ as two เ: both are folded to one form before words are cut, so "ตำบล" finds either.
Thai digits are folded to ASCII, so "๕๒๑๐๑" finds "52101" and the other way round.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from tortoise import connections

from engine.saraban.vocabulary import CLASSIFIED
from engine.services.saraban.organisation import Actor
from engine.store.models import Letter, RegisterEntry, Tenant

SARA_AM = "\u0e33"
NIKHAHIT_AA = "\u0e4d\u0e32"
SARA_AE = "\u0e41"
SARA_E_TWICE = "\u0e40\u0e40"
# Zero-width characters Thai text uses as invisible word breaks: read as spaces.
_INVISIBLE_BREAKS = str.maketrans({"\u200b": " ", "\u200c": " ", "\u200d": " ", "\ufeff": " ", "\u00ad": ""})

MAX_QUERY = 200  # characters of a query looked at
MAX_QUERY_WORDS = 20
MAX_LIMIT = 200
MAX_INDEXED = 300_000  # characters of words kept per letter
PDF_TEXT_LIMIT = 200_000
PDFTOTEXT_SECONDS = 30
PREFIX_DIGITS = 3  # a number of at least this many digits also matches the numbers it begins


def normalise(text: str) -> str:
    """NFKC, lower case, สระอำ as one character, แ as one, Thai digits as ASCII, runs of space as one."""
    from engine.thaidate import ascii_digits

    # ascii_digits applies NFKC, which splits สระอำ into nikhahit + sara aa: fold it back after.
    folded = ascii_digits(text.translate(_INVISIBLE_BREAKS)).lower()
    folded = folded.replace(NIKHAHIT_AA, SARA_AM).replace(SARA_E_TWICE, SARA_AE)
    return " ".join(folded.split())


def words(text: str) -> list[str]:
    """The words of ``text`` (Thai cut by a dictionary), normalised, without spaces and punctuation."""
    from pythainlp.tokenize import word_tokenize

    return [
        w
        for w in word_tokenize(normalise(text), engine="newmm", keep_whitespace=False)
        if any(c.isalnum() for c in w)
    ]


def text_of(*parts: str) -> str:
    """What the index keeps of a letter: its words joined by spaces."""
    return " ".join(words(" ".join(p for p in parts if p)))[:20000]


def _word_character(c: str) -> bool:
    # Letters, digits, private-use glyphs, and the marks Thai vowels and tones are written with.
    category = unicodedata.category(c)
    return category[0] in "LN" or category in ("Mn", "Mc", "Co")


def pieces(word: str) -> list[str]:
    """The runs of word characters in one cut word ("52101/12" → ["52101", "12"]), as the index splits it."""
    found: list[str] = []
    current: list[str] = []
    for c in word:
        if _word_character(c):
            current.append(c)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


def terms(text: str) -> list[str]:
    """Every indexed term of ``text``, in order: its words split into runs of word characters."""
    return [piece for word in words(text) for piece in pieces(word)]


_dictionary_lock = threading.Lock()
_dictionary: list[Any] = []  # the word list as a trie, built on first use


def _trie() -> Any:
    from pythainlp.corpus import thai_words
    from pythainlp.util import Trie

    if not _dictionary:
        _dictionary.append(Trie(thai_words()))
    return _dictionary[0]


@lru_cache(maxsize=50_000)
def inner_words(word: str, depth: int = 2) -> tuple[str, ...]:
    """The dictionary words a compound is made of ("ถนนสายหลัก" → ถนน, สาย, หลัก; "คณะกรรมการ" →
    คณะ, กรรมการ), so a letter is found by a part of a compound its text cut as one word."""
    from pythainlp.tokenize import word_tokenize

    if depth == 0 or len(word) < 4 or not any("\u0e01" <= c <= "\u0e2e" for c in word):
        return ()
    with _dictionary_lock:
        trie = _trie()
        if word not in trie:
            return ()
        trie.remove(word)
        try:
            parts = word_tokenize(word, custom_dict=trie, engine="newmm", keep_whitespace=False)
        finally:
            trie.add(word)
        if len(parts) < 2 or not all(part in trie for part in parts):
            return ()
    found: list[str] = []
    for part in parts:
        found += [part, *inner_words(part, depth - 1)]
    return tuple(found)


def index_terms(text: str) -> list[str]:
    """The terms the index keeps of ``text``: :func:`terms`, each compound followed by its parts."""
    kept: list[str] = []
    for term in terms(text):
        kept += [term, *inner_words(term)]
    return kept


def query_words(text: str) -> list[list[str]]:
    """What a query asks for: up to 20 distinct words of its first 200 characters, each as its terms
    (a word the index splits, like "52101/12", must match as the same terms side by side)."""
    wanted: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for word in words((text or "")[:MAX_QUERY]):
        split = pieces(word)
        if split and tuple(split) not in seen:
            seen.add(tuple(split))
            wanted.append(split)
        if len(wanted) == MAX_QUERY_WORDS:
            break
    return wanted


# --- PDF text ---


def pdf_text(pdf: bytes, limit: int = PDF_TEXT_LIMIT) -> str:
    """The normalised text of a text PDF (a scan without a text layer has none), at most ``limit``
    characters. Uses poppler's pdftotext; "" when it is not installed or cannot read the file.
    Blocking: call it on a worker thread."""
    if not pdf or shutil.which("pdftotext") is None:
        return ""
    handle, path = tempfile.mkstemp(suffix=".pdf")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
        done = subprocess.run(
            ["pdftotext", "-q", "-enc", "UTF-8", "-nopgbrk", path, "-"],
            capture_output=True,
            timeout=PDFTOTEXT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    finally:
        os.unlink(path)
    if done.returncode != 0:
        return ""
    return normalise(done.stdout[: limit * 4].decode("utf-8", errors="replace"))[:limit]


# --- the index ---


def _numbers_of(letter: Letter, register_numbers: Iterable[str]) -> list[str]:
    return [normalise(n) for n in dict.fromkeys([letter.letter_number, *register_numbers]) if n and n.strip()]


def _indexed_words(letter: Letter, numbers: Sequence[str], pdf_text: str) -> str:
    body = [p for p in (letter.body or []) if isinstance(p, str)]
    parts = [letter.subject, letter.sender, letter.recipient, *numbers, *body, pdf_text]
    return " ".join(index_terms("\n".join(p for p in parts if p)))[:MAX_INDEXED]


async def index_letter(connection: Any, letter: Letter, pdf_text: str = "") -> None:
    """(Re)index one letter: subject, sender, recipient, its letter and register numbers (Thai
    digits folded to ASCII), body paragraphs and, when given, the text of its PDF (see
    :func:`pdf_text`). Replaces what was indexed for it before. ``connection`` is the
    transaction's, so the index changes with the letter or not at all."""
    register_numbers = await (
        RegisterEntry.filter(letter_id=letter.id).using_db(connection).values_list("number_text", flat=True)
    )
    numbers = _numbers_of(letter, [str(n) for n in register_numbers])
    indexed = await asyncio.to_thread(_indexed_words, letter, numbers, pdf_text)
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            "INSERT INTO saraban_search (letter_id, tenant_id, words, numbers) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (letter_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, words = EXCLUDED.words, "
            "numbers = EXCLUDED.numbers",
            [letter.id, letter.tenant_id, indexed, " | ".join(numbers)],
        )
    else:
        await connection.execute_query("DELETE FROM saraban_search WHERE rowid = ?", [letter.id])
        await connection.execute_query(
            "INSERT INTO saraban_search (rowid, letter_id, tenant_id, words) VALUES (?, ?, ?, ?)",
            [letter.id, letter.id, letter.tenant_id, indexed],
        )


async def unindex_letter(connection: Any, letter_id: int) -> None:
    """Take a letter out of the index (when it is destroyed)."""
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("DELETE FROM saraban_search WHERE letter_id = $1", [letter_id])
    else:
        await connection.execute_query("DELETE FROM saraban_search WHERE rowid = ?", [letter_id])


# --- searching ---


class _Params:
    """Bound parameters in the order they appear: ``$n`` on PostgreSQL, ``?`` on SQLite."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    def each(self, values: Iterable[Any]) -> str:
        return ", ".join(self(v) for v in values)


def _prefixed(term: str) -> bool:
    return term.isdigit() and len(term) >= PREFIX_DIGITS


def fts5_query(wanted: Sequence[Sequence[str]]) -> str:
    """The FTS5 expression: every word a quoted phrase of its terms (a long number's last term as
    a prefix), ANDed. Terms hold word characters only; quotes are doubled all the same."""
    phrases = []
    for split in wanted:
        phrase = '"' + " ".join(t.replace('"', '""') for t in split) + '"'
        phrases.append(phrase + ("*" if _prefixed(split[-1]) else ""))
    return " AND ".join(phrases)


def tsquery(wanted: Sequence[Sequence[str]]) -> str:
    """The to_tsquery text: every word its quoted terms side by side (``<->``), ANDed."""

    def quoted(term: str, last: bool) -> str:
        text = "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
        return text + (":*" if last and _prefixed(term) else "")

    return " & ".join(
        "(" + " <-> ".join(quoted(t, i == len(split) - 1) for i, t in enumerate(split)) + ")"
        for split in wanted
    )


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _access_sql(actor: Actor, p: _Params) -> str:
    """``may_open`` in SQL over ``l`` (saraban_letter): a classified letter's named list only;
    otherwise also the registry, whoever holds it, and its owner unit's members."""
    # Placeholders are taken in the order they appear in the text (SQLite's are positional).
    listed = (
        f"EXISTS (SELECT 1 FROM saraban_access a WHERE a.letter_id = l.id AND a.user_id = {p(actor.user.id)})"
    )
    classified = p.each(sorted(CLASSIFIED))
    if actor.is_clerk:
        return f"({listed} OR l.secrecy NOT IN ({classified}))"
    held = [f"(l.holder_kind = 'user' AND l.holder = {p(str(actor.user.id))})"]
    if actor.units:
        held.append(f"(l.holder_kind = 'unit' AND l.holder IN ({p.each(sorted(actor.units))}))")
    if actor.roles:
        held.append(f"(l.holder_kind = 'role' AND l.holder IN ({p.each(sorted(actor.roles))}))")
    held.append(
        "EXISTS (SELECT 1 FROM saraban_unit_member m WHERE m.unit_id = l.owner_unit_id "
        f"AND m.user_id = {p(actor.user.id)})"
    )
    return f"({listed} OR (l.secrecy NOT IN ({classified}) AND ({' OR '.join(held)})))"


def _sqlite_search(
    tenant: Tenant, actor: Actor, wanted: Sequence[Sequence[str]], limit: int
) -> tuple[str, list]:
    p = _Params(postgres=False)
    sql = (
        "SELECT l.id AS id FROM saraban_search JOIN saraban_letter l ON l.id = saraban_search.rowid "
        f"WHERE saraban_search MATCH {p(fts5_query(wanted))} AND saraban_search.tenant_id = {p(tenant.id)} "
        f"AND l.tenant_id = {p(tenant.id)} AND l.status <> 'destroyed' AND {_access_sql(actor, p)} "
        f"ORDER BY bm25(saraban_search), l.created_at DESC, l.id DESC LIMIT {p(limit)}"
    )
    return sql, p.values


def _postgres_search(
    tenant: Tenant, actor: Actor, wanted: Sequence[Sequence[str]], number: str, limit: int
) -> tuple[str, list]:
    p = _Params(postgres=True)
    query = p(tsquery(wanted))
    matched = f"s.document @@ to_tsquery('simple', {query})"
    if number:
        matched = f"({matched} OR s.numbers LIKE {p(_like_pattern(number))})"
    sql = (
        f"SELECT l.id AS id FROM saraban_search s JOIN saraban_letter l ON l.id = s.letter_id "
        f"WHERE s.tenant_id = {p(tenant.id)} AND l.tenant_id = {p(tenant.id)} AND {matched} "
        f"AND l.status <> 'destroyed' AND {_access_sql(actor, p)} "
        f"ORDER BY ts_rank(s.document, to_tsquery('simple', {query})) DESC, l.created_at DESC, l.id DESC "
        f"LIMIT {p(limit)}"
    )
    return sql, p.values


def _as_number(text: str) -> str:
    """The query as a letter number to find inside the numbers (PostgreSQL): one token with a digit."""
    folded = normalise((text or "")[:MAX_QUERY])
    if " " in folded or not any(c.isdigit() for c in folded) or len(folded) > 80:
        return ""
    return folded


async def search(tenant: Tenant, actor: Actor, text: str, *, limit: int = 50) -> list[Letter]:
    """The letters of ``tenant`` whose words hold every word of ``text``, best match first (bm25 on
    SQLite, ts_rank on PostgreSQL), newest first among equals; only letters ``actor`` may open.

    The query is cut like the letters are: at most its first 200 characters and 20 words; a
    query with no word (empty, punctuation) finds nothing. Numbers match with Thai or ASCII digits.
    """
    from engine.services.saraban.letters import may_open

    if actor.user.tenant_id != tenant.id:
        return []
    wanted = await asyncio.to_thread(query_words, text)
    if not wanted:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql, values = _postgres_search(tenant, actor, wanted, _as_number(text), limit)
    else:
        sql, values = _sqlite_search(tenant, actor, wanted, limit)
    rows = await connection.execute_query_dict(sql, values)
    ids = [int(row["id"]) for row in rows]
    if not ids:
        return []
    by_id = {letter.id: letter for letter in await Letter.filter(tenant_id=tenant.id, id__in=ids)}
    found = []
    for letter_id in ids:
        letter = by_id.get(letter_id)
        if letter is not None and await may_open(actor, letter):
            found.append(letter)
    return found
