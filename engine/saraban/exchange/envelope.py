"""The ``th-saraban/1.0`` envelope: one signed JSON message between two agencies' e-saraban systems.

The fields are those of SARABAN.md §4.4: who sends to whom (``sender`` / ``recipient``), the
letter's particulars as printed (``letter``), its files (``documents``, content inline in base64
with a SHA-256 and a size each), and for the notices that answer a letter their own fields
(``accept_id``, ``accept_date``, ``acceptor``, ``reason``). Dates of letters are Buddhist Era
(``"2569-08-27"``); instants are ISO 8601 with their offset.

Everything is bounded: string lengths, at most :data:`MAX_DOCUMENTS` documents, the decoded
documents together at most ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`).

- :func:`parse` reads a received body and raises an :class:`~.faults.ExchangeFault`;
- :func:`canonical` gives the exact bytes to sign and send (UTF-8 JSON, sorted keys, no spaces).

Pure: no IO, no clock (``created_at`` is the caller's).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Collection
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    model_validator,
)

from engine.saraban.exchange.faults import (
    InvalidAddressee,
    SecrecyNotAllowed,
    SizeLimitExceeded,
    UnsupportedVersion,
    Validation,
)
from engine.saraban.vocabulary import KINDS, SECRECY_CODES

PROTOCOL: Final = "th-saraban/1.0"
MEDIA_TYPE: Final = "application/thongthin-saraban+json"
MAX_DOCUMENTS: Final = 20
DEFAULT_MAX_BYTES: Final = 25 * 1024 * 1024
# What a body may add to its documents' base64: the envelope's own fields, JSON escapes.
ENVELOPE_OVERHEAD: Final = 1024 * 1024
TOP_SECRET: Final = SECRECY_CODES["top_secret"]

MessageType = Literal[
    "Letter",
    "ReceiveNotice",
    "AcceptNotice",
    "RejectNotice",
    "InvalidNotice",
    "InvalidAcceptIdNotice",
    "Withdraw",
    "StatusRequest",
]
MESSAGE_TYPES: Final = frozenset(get_args(MessageType))
NOTICE_TYPES: Final = frozenset(
    {"ReceiveNotice", "AcceptNotice", "RejectNotice", "InvalidNotice", "InvalidAcceptIdNotice"}
)

BUDDHIST_ERA_OFFSET: Final = 543
_BE_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_PROTOCOL = re.compile(r"th-saraban/([0-9]{1,4})\.([0-9]{1,4})")
# Characters XML 1.0 cannot carry, nor UTF-8 (lone surrogates): refused in every text.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def be_date(text: str) -> date:
    """The Gregorian date of a Buddhist-Era ``YYYY-MM-DD`` text (``"2569-08-27"`` → 2026-08-27).

    Raises ValueError when the text is not such a date or its year is outside 2400–2800 BE
    (which catches a Gregorian year sent by mistake).
    """
    match = _BE_DATE.fullmatch(text)
    if not match:
        raise ValueError("expected a Buddhist-Era date YYYY-MM-DD, such as 2569-08-27")
    year, month, day = (int(part) for part in match.groups())
    if not 2400 <= year <= 2800:
        raise ValueError(f"{year} is not a plausible Buddhist-Era year (2400–2800)")
    return date(year - BUDDHIST_ERA_OFFSET, month, day)


def be_text(day: date) -> str:
    """``day`` as a Buddhist-Era ``YYYY-MM-DD`` text (2026-08-27 → ``"2569-08-27"``)."""
    return f"{day.year + BUDDHIST_ERA_OFFSET:04d}-{day.month:02d}-{day.day:02d}"


def _to_date(value: Any) -> Any:
    if isinstance(value, datetime):
        raise ValueError("expected a date, not an instant")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return be_date(value)
    raise ValueError("expected a Buddhist-Era date YYYY-MM-DD")


def _writable(value: str) -> str:
    if _UNWRITABLE.search(value):
        raise ValueError("contains control characters or unpaired surrogates")
    return value


def _filename(value: str) -> str:
    if "/" in value or "\\" in value or value.startswith(".") or value != value.strip():
        raise ValueError("a file name without folders, leading dot or surrounding spaces")
    return value


BeDate = Annotated[
    date,
    BeforeValidator(_to_date),
    PlainSerializer(be_text, return_type=str, when_used="json"),
]


# Strings that XML and UTF-8 can carry, bounded.
Id40 = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(_writable)]
OptionalId40 = Annotated[str, StringConstraints(max_length=40), AfterValidator(_writable)]
TenantSlug = Annotated[str, StringConstraints(max_length=63), AfterValidator(_writable)]
Number80 = Annotated[str, StringConstraints(min_length=1, max_length=80), AfterValidator(_writable)]
Name200 = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_writable)]
Title200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(_writable)]
Subject500 = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_writable)]
OptionalSubject500 = Annotated[str, StringConstraints(max_length=500), AfterValidator(_writable)]
Salutation300 = Annotated[str, StringConstraints(max_length=300), AfterValidator(_writable)]
Text2000 = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_writable)]
Filename255 = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(_writable),
    AfterValidator(_filename),
]

MessageId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
Code = Literal["001", "002", "003", "004"]
Mime = Annotated[
    str, StringConstraints(max_length=100, pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
]
Kind = Annotated[str, AfterValidator(lambda value: _known(value, KINDS, "kind"))]


def _known(value: str, terms: Collection[str], what: str) -> str:
    if value not in terms:
        raise ValueError(f"unknown {what} {value!r}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agency(_Model):
    """An agency at one end of the exchange. ``agency_code`` is its letter code (``ชม 52101``)."""

    agency_code: Id40
    ministry_id: OptionalId40 | None = None
    department_id: OptionalId40 | None = None
    tenant: TenantSlug | None = None


class Party(_Model):
    """A person as the letter names them: name with title, and position."""

    name: Name200
    position: Title200 = ""


class Reference(_Model):
    """A letter referred to (อ้างถึง)."""

    number: Number80
    date: BeDate
    subject: OptionalSubject500 = ""


class Letter(_Model):
    """The letter's particulars as printed; on a notice, only number, date and subject are meant."""

    number: Number80
    date: BeDate
    kind: Kind = "external"
    subject: Subject500
    salutation: Salutation300 = ""
    references: list[Reference] = Field(default_factory=list, max_length=20)
    enclosures: Text2000 = ""
    speed_code: Code = "001"
    secret_code: Code = "001"
    due_at: AwareDatetime | None = None
    sender_party: Party | None = None
    signer: Party | None = None


class Document(_Model):
    """One file of a letter, inline: ``content_b64`` is standard base64 of exactly ``size`` bytes
    whose SHA-256 is ``sha256`` (lowercase hex)."""

    role: Literal["main", "enclosure"]
    filename: Filename255
    mime: Mime
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(strict=True, ge=0)]
    content_b64: str

    @classmethod
    def of(cls, role: Literal["main", "enclosure"], filename: str, mime: str, content: bytes) -> Document:
        """A document carrying ``content``, its digest and size computed here."""
        return cls(
            role=role,
            filename=filename,
            mime=mime,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            content_b64=base64.b64encode(content).decode("ascii"),
        )

    def content(self) -> bytes:
        """The decoded content, checked against ``size`` and ``sha256``.

        Raises Validation when the base64 is malformed or the content does not match.
        """
        field = f"documents[{self.filename}]"
        try:
            data = base64.b64decode(self.content_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Validation(
                f"{self.filename}: content_b64 is not valid base64",
                th=f"เนื้อไฟล์ {self.filename} ไม่ใช่ base64 ที่ถูกต้อง",
                field=field,
            ) from exc
        if len(data) != self.size:
            raise Validation(
                f"{self.filename}: {len(data)} bytes, {self.size} declared",
                th=f"ไฟล์ {self.filename} มีขนาด {len(data)} ไบต์ ไม่ตรงกับที่แจ้ง {self.size} ไบต์",
                field=field,
            )
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise Validation(
                f"{self.filename}: SHA-256 does not match the content",
                th=f"ค่า SHA-256 ของไฟล์ {self.filename} ไม่ตรงกับเนื้อไฟล์",
                field=field,
            )
        return data

    def decoded_size_bound(self) -> int:
        """The most bytes ``content_b64`` can decode to, without decoding it."""
        return len(self.content_b64) * 3 // 4


# Which of the optional parts each type of message has: (required, allowed).
_PARTS: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "Letter": (frozenset({"letter", "documents"}), frozenset({"in_reply_to"})),
    "ReceiveNotice": (frozenset({"in_reply_to", "letter"}), frozenset({"acceptor"})),
    "AcceptNotice": (
        frozenset({"in_reply_to", "letter", "accept_id", "accept_date"}),
        frozenset({"acceptor"}),
    ),
    "RejectNotice": (frozenset({"in_reply_to", "letter"}), frozenset({"reason", "acceptor"})),
    "InvalidNotice": (frozenset({"in_reply_to", "letter"}), frozenset({"reason", "acceptor"})),
    "InvalidAcceptIdNotice": (frozenset({"in_reply_to", "letter", "accept_id"}), frozenset({"reason"})),
    "Withdraw": (frozenset({"in_reply_to", "letter"}), frozenset({"reason"})),
    "StatusRequest": (frozenset({"in_reply_to"}), frozenset({"letter"})),
}
_OPTIONAL_PARTS: Final = (
    "in_reply_to",
    "letter",
    "documents",
    "accept_id",
    "accept_date",
    "acceptor",
    "reason",
)


class Envelope(_Model):
    """One message. Which of ``letter``, ``documents``, ``in_reply_to`` and the notice fields it
    has depends on ``type``:

    - ``Letter``: ``letter`` and ``documents`` (exactly one ``main``); ``in_reply_to`` optional;
    - the notices: ``in_reply_to`` (the Letter's message id) and ``letter`` (number, date and
      subject identify it, as e-CMS's LetterID, CorrespondenceDate, Subject); ``AcceptNotice``
      adds ``accept_id`` (เลขรับ) and ``accept_date``, ``InvalidAcceptIdNotice`` the wrong
      ``accept_id``; Reject and Invalid may give a ``reason``;
    - ``Withdraw`` (ขอลบเพื่อส่งใหม่): ``in_reply_to`` and ``letter``;
    - ``StatusRequest``: ``in_reply_to``.
    """

    protocol: Literal["th-saraban/1.0"]
    message_id: MessageId
    type: MessageType
    in_reply_to: MessageId | None = None
    created_at: AwareDatetime
    sender: Agency
    recipient: Agency
    letter: Letter | None = None
    documents: list[Document] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    accept_id: Number80 | None = None
    accept_date: BeDate | None = None
    acceptor: Party | None = None
    reason: Text2000 | None = None

    @model_validator(mode="after")
    def _parts_of_type(self) -> Envelope:
        required, allowed = _PARTS[self.type]
        for part in _OPTIONAL_PARTS:
            present = bool(getattr(self, part)) if part == "documents" else getattr(self, part) is not None
            if part in required and not present:
                raise ValueError(f"a {self.type} needs {part}")
            if present and part not in required | allowed:
                raise ValueError(f"a {self.type} has no {part}")
        if self.type == "Letter":
            mains = [document for document in self.documents if document.role == "main"]
            if len(mains) != 1:
                raise ValueError("a Letter has exactly one main document")
            names = [document.filename for document in self.documents]
            if len(set(names)) != len(names):
                raise ValueError("document file names repeat")
        if self.in_reply_to is not None and self.in_reply_to == self.message_id:
            raise ValueError("a message does not reply to itself")
        return self

    @property
    def main_document(self) -> Document | None:
        """The letter itself (the ``main`` document), if the message carries one."""
        return next((document for document in self.documents if document.role == "main"), None)


def raw_limit(max_bytes: int) -> int:
    """The largest body accepted when the documents together may decode to ``max_bytes``."""
    return (max_bytes + 2) // 3 * 4 + ENVELOPE_OVERHEAD


def check(envelope: Envelope, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """The rules beyond the shape: secrecy, the documents' size together, each one's digest.

    Raises SecrecyNotAllowed for secret code 004 (ลับที่สุด), SizeLimitExceeded when the
    documents together exceed ``max_bytes``, Validation when one's content does not match its
    ``size`` and ``sha256`` or is not base64.
    """
    if envelope.letter is not None and envelope.letter.secret_code == TOP_SECRET:
        raise SecrecyNotAllowed()
    declared = sum(document.size for document in envelope.documents)
    bound = sum(document.decoded_size_bound() for document in envelope.documents)
    if declared > max_bytes or bound > max_bytes + 2 * len(envelope.documents):
        raise _too_large(max(declared, bound), max_bytes)
    for document in envelope.documents:
        document.content()


def canonical(envelope: Envelope, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The exact bytes to sign and send: UTF-8 JSON, keys sorted, no spaces, every field present.

    Raises what :func:`check` raises, so a message that would be refused is never produced.
    """
    check(envelope, max_bytes=max_bytes)
    return json.dumps(
        envelope.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def parse(
    raw: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    recipients: Collection[str] | None = None,
) -> Envelope:
    """The envelope in a received body, with every rule checked.

    ``max_bytes`` bounds the decoded documents together; ``recipients``, when given, are the
    agency codes served here.

    Raises SizeLimitExceeded (body or documents too large, more than :data:`MAX_DOCUMENTS`
    documents), Validation (not UTF-8 JSON, a repeated key, a field wrong or missing, a document
    not matching its digest), UnsupportedVersion (a protocol other than ``th-saraban/1.0``),
    SecrecyNotAllowed (ลับที่สุด), InvalidAddressee (recipient not in ``recipients``).
    """
    if len(raw) > raw_limit(max_bytes):
        raise _too_large(len(raw), raw_limit(max_bytes))
    data = _load_json(raw)
    if not isinstance(data, dict):
        raise Validation("the body is not a JSON object", th="ข้อความไม่ใช่ออบเจกต์ JSON")
    _check_protocol(data.get("protocol"))
    documents = data.get("documents")
    if isinstance(documents, list) and len(documents) > MAX_DOCUMENTS:
        raise SizeLimitExceeded(
            f"{len(documents)} documents, at most {MAX_DOCUMENTS}",
            th=f"แนบไฟล์ {len(documents)} ไฟล์ เกินกว่าที่รับได้ {MAX_DOCUMENTS} ไฟล์",
            field="documents",
        )
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError as exc:
        raise validation_fault(exc) from None
    check(envelope, max_bytes=max_bytes)
    if recipients is not None and envelope.recipient.agency_code not in recipients:
        raise InvalidAddressee(envelope.recipient.agency_code)
    return envelope


def _too_large(size: int, limit: int) -> SizeLimitExceeded:
    return SizeLimitExceeded(
        f"{size} bytes, at most {limit}",
        th=f"ข้อความมีขนาด {size} ไบต์ เกินกว่าที่รับได้ {limit} ไบต์",
    )


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} repeats")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_repeats, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Validation(f"the body is not UTF-8 JSON: {exc}", th="ข้อความไม่ใช่ JSON แบบ UTF-8") from None


def _check_protocol(value: Any) -> None:
    match = _PROTOCOL.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise Validation(
            f"protocol must be {PROTOCOL!r}",
            th=f"ไม่ระบุโพรโทคอล {PROTOCOL} หรือระบุผิดรูปแบบ",
            field="protocol",
        )
    if value != PROTOCOL:
        # A later 1.x may add fields this reader would have to drop: refused rather than half-read.
        raise UnsupportedVersion(
            f"{value} is not spoken here; this node speaks {PROTOCOL}",
            th=f"ปลายทางไม่รองรับ {value} รองรับเฉพาะ {PROTOCOL}",
            field="protocol",
        )


def validation_fault(exc: ValidationError) -> Validation:
    first = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first["loc"])
    message = f"{field}: {first['msg']}" if field else first["msg"]
    count = exc.error_count()
    if count > 1:
        message += f" (and {count - 1} more)"
    return Validation(
        message,
        th=f"ข้อความไม่ถูกต้องตามรูปแบบ {PROTOCOL}" + (f" ที่ {field}" if field else ""),
        field=field,
    )
