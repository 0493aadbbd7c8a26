"""Which service fits a question in plain Thai: BM25 over the catalog's own words.

Each service is a document of its titles, summary, category, legal basis, the documents it
asks for and its fees; Thai has no spaces between words, so text is cut into words with
PyThaiNLP's dictionary segmenter first. Only the catalog answers: a question whose best
match is weak gets no answer rather than a guess.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from engine.definitions import ServiceDefinition

# Below this BM25 score a match is too weak to offer (a single common word matches several
# services a little); tuned on the questions in tests/unit/test_catalog_search.py.
MIN_SCORE = 2.0
# The best match is the answer when it leads the next by this much; else the close ones are offered.
CLEAR_LEAD = 1.3
MAX_QUESTION_CHARS = 500
_WORD = re.compile(r"[\wก-๛]+")
_lock = threading.Lock()
# Words that say nothing about which service is meant.
_FILLER = frozenset(
    [
        "ขอ",
        "ต้อง",
        "ใช้",
        "อะไร",
        "บ้าง",
        "ไหม",
        "มั้ย",
        "ยังไง",
        "อย่างไร",
        "ได้",
        "ที่",
        "ไหน",
        "ครับ",
        "ค่ะ",
        "คะ",
        "จะ",
        "การ",
        "ของ",
        "และ",
        "หรือ",
        "ให้",
        "กับ",
        "ใน",
        "เป็น",
        "มี",
        "ไม่",
        "ว่า",
        "แล้ว",
        "คือ",
        "นี้",
        "นั้น",
        "ทำ",
        "อยาก",
        "ต้องการ",
        "หน่อย",
        "ด้วย",
        "เท่าไร",
        "เท่าไหร่",
        "กี่",
        "วัน",
        "i",
        "a",
        "the",
        "to",
        "how",
        "do",
    ]
)


@dataclass(frozen=True)
class Match:
    definition: ServiceDefinition
    score: float


@cache
def _segmenter() -> Any:
    from pythainlp.tokenize import Tokenizer

    return Tokenizer(engine="newmm")


def words(text: str) -> list[str]:
    """``ขอเลขที่บ้านใหม่`` -> ``["เลขที่", "บ้าน", "ใหม่"]``: lower-cased words, fillers dropped."""
    tokenizer = _segmenter()
    with _lock:  # the dictionary trie is shared
        pieces = tokenizer.word_tokenize(text.lower())
    return [p for p in pieces if _WORD.fullmatch(p) and p not in _FILLER]


def _document(definition: ServiceDefinition) -> str:
    service = definition.service
    parts: list[str] = [
        service.title.th,
        service.title.en,
        service.summary.th,
        service.summary.en,
        service.category,
    ]
    parts += list(service.keywords) * 2  # the words people use weigh like the title
    parts += [basis.title.th for basis in service.legal_basis]
    parts += [a.title.th for a in service.form_attachments()]
    parts += [fee.title.th for fee in service.fees]
    # The title counts twice: it is how people name what they want.
    return " ".join([service.title.th, *parts])


class CatalogIndex:
    """A BM25 index of one catalog's services."""

    def __init__(self, definitions: Iterable[ServiceDefinition]):
        from rank_bm25 import BM25Okapi

        self.definitions = list(definitions)
        corpus = [words(_document(d)) for d in self.definitions]
        self._bm25 = BM25Okapi(corpus) if corpus else None

    def search(self, question: str, *, among: set[str] | None = None, limit: int = 3) -> list[Match]:
        """The services that fit ``question`` best (only those in ``among`` when given), best first."""
        asked = words(question[:MAX_QUESTION_CHARS])
        if not asked or self._bm25 is None:
            return []
        scores = self._bm25.get_scores(asked)
        ranked = sorted(
            (
                Match(definition, float(score))
                for definition, score in zip(self.definitions, scores, strict=True)
                if among is None or definition.id in among
            ),
            key=lambda match: match.score,
            reverse=True,
        )
        return [match for match in ranked[:limit] if match.score >= MIN_SCORE]

    def answer(self, question: str, *, among: set[str] | None = None) -> list[Match]:
        """One service when one clearly fits, the close candidates when several do, none when unsure."""
        found = self.search(question, among=among)
        if len(found) > 1 and found[0].score >= CLEAR_LEAD * found[1].score:
            return found[:1]
        return [m for m in found if m.score * CLEAR_LEAD >= found[0].score] if found else []
