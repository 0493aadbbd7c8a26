"""Thai full-text search over letters: the words of subject, parties and numbers, normalised.

Thai has no spaces between words, and PDFs write สระอำ either as one character (U+0E33) or as
nikhahit + sara aa (U+0E4D U+0E32): both are folded to one form before words are cut, so
"ตำบล" finds either.
"""

from __future__ import annotations

import unicodedata

SARA_AM = "\u0e33"
NIKHAHIT_AA = "\u0e4d\u0e32"


def normalise(text: str) -> str:
    """NFC, lower case, สระอำ as one character, Thai digits as ASCII, runs of space as one."""
    from engine.thaidate import ascii_digits

    folded = unicodedata.normalize("NFKC", text).replace(NIKHAHIT_AA, SARA_AM).lower()
    return " ".join(ascii_digits(folded).split())


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
