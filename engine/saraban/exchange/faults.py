"""The faults of the interchange between agencies, one class per transport answer.

The codes follow DHX's (Validation, UnsupportedVersion, SizeLimitExceeded, Duplicate,
InvalidAddressee) plus BadSignature and SecrecyNotAllowed. Each fault carries its code
(``fault``), a suggested HTTP status, and its text in Thai and English; ``as_json`` is the
transport answer ``{"fault": …, "detail": …, "detail_th": …}``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar


class ExchangeFault(Exception):
    """A message this node refuses; nothing was stored. Subclasses name the fault."""

    fault: ClassVar[str] = "Validation"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, th: str = "", field: str = ""):
        self.message = message
        self.message_th = th or message
        self.field = field
        super().__init__(message)

    def text(self, language: str = "th") -> str:
        """The refusal in ``language`` (``th`` or ``en``)."""
        return self.message if language == "en" else self.message_th

    def as_dict(self) -> dict[str, Any]:
        """The transport answer as a mapping."""
        answer: dict[str, Any] = {"fault": self.fault, "detail": self.message, "detail_th": self.message_th}
        if self.field:
            answer["field"] = self.field
        return answer

    def as_json(self) -> bytes:
        """The transport answer: UTF-8 JSON ``{"fault": …, "detail": …, "detail_th": …}``."""
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")


class Validation(ExchangeFault):
    """The message is not well-formed or breaks a rule of the format (``field`` names where)."""

    fault = "Validation"
    http_status = 400


class UnsupportedVersion(ExchangeFault):
    """The message speaks a protocol version this node does not."""

    fault = "UnsupportedVersion"
    http_status = 400


class SizeLimitExceeded(ExchangeFault):
    """The message, or its documents together, are larger than this node accepts."""

    fault = "SizeLimitExceeded"
    http_status = 413


class SecrecyNotAllowed(ExchangeFault):
    """ลับที่สุด (secret code 004) may not travel electronically."""

    fault = "SecrecyNotAllowed"
    http_status = 422

    def __init__(self) -> None:
        super().__init__(
            "a top-secret (ลับที่สุด, code 004) letter may not be sent electronically; send it on paper",
            th=(
                "หนังสือชั้นลับที่สุดส่งทางระบบสารบรรณอิเล็กทรอนิกส์ไม่ได้ ตามระเบียบสำนักนายกรัฐมนตรี"
                "ว่าด้วยงานสารบรรณ (ฉบับที่ 4) พ.ศ. 2564 ต้องส่งเป็นหนังสือตามวิธีการของ"
                "ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544"
            ),
            field="letter.secret_code",
        )


class BadSignature(ExchangeFault):
    """The signature is missing, malformed, by an unknown key, or does not match the body."""

    fault = "BadSignature"
    http_status = 401


class Duplicate(ExchangeFault):
    """The message id was seen before; ``receipt_id`` is the receipt given the first time."""

    fault = "Duplicate"
    http_status = 409

    def __init__(self, message_id: str, *, receipt_id: str = ""):
        self.message_id = message_id
        self.receipt_id = receipt_id
        super().__init__(
            f"message {message_id} was received before",
            th=f"ได้รับข้อความ {message_id} ไปแล้ว",
            field="message_id",
        )

    def as_dict(self) -> dict[str, Any]:
        answer = super().as_dict()
        if self.receipt_id:
            answer["receipt_id"] = self.receipt_id
        return answer


class InvalidAddressee(ExchangeFault):
    """The message is addressed to an agency this node does not serve."""

    fault = "InvalidAddressee"
    http_status = 422

    def __init__(self, agency_code: str):
        self.agency_code = agency_code
        super().__init__(
            f"no agency {agency_code!r} is served here",
            th=f"ไม่มีหน่วยงาน {agency_code} ที่ปลายทางนี้",
            field="recipient.agency_code",
        )


FAULTS: dict[str, type[ExchangeFault]] = {
    cls.fault: cls
    for cls in (
        Validation,
        UnsupportedVersion,
        SizeLimitExceeded,
        SecrecyNotAllowed,
        BadSignature,
        Duplicate,
        InvalidAddressee,
    )
}


def from_answer(answer: Any) -> ExchangeFault:
    """The fault a node answered with (``{"fault": …, "detail": …, "detail_th": …}``), as raised here.

    An answer that names no known fault is a Validation fault carrying what it said.
    """
    data = answer if isinstance(answer, dict) else {}
    code = data.get("fault")
    detail = str(data.get("detail") or "the far side refused the message")[:500]
    detail_th = str(data.get("detail_th") or detail)[:500]
    field = str(data.get("field") or "")[:200]
    if code == "Duplicate":
        return Duplicate(str(data.get("message_id") or ""), receipt_id=str(data.get("receipt_id") or "")[:80])
    if code == "SecrecyNotAllowed":
        return SecrecyNotAllowed()
    if code == "InvalidAddressee":
        fault: ExchangeFault = InvalidAddressee("")
        fault.message, fault.message_th = detail, detail_th
        return fault
    kind = FAULTS.get(code, Validation) if isinstance(code, str) else Validation
    return kind(detail, th=detail_th, field=field)


def as_json(fault: ExchangeFault) -> bytes:
    """The transport answer for ``fault``."""
    return fault.as_json()
