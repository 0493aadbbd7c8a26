"""What a municipality says about itself: its names, office address and phone, letter code, seal.

Its administrator keeps these in the console; documents, bills, the portal's pages and the LINE
answers read them. Every change is checked whole: nothing is stored when one answer is wrong.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.blobs.sniff import UploadRejected, check_upload
from engine.forms.formats import is_thai_phone
from engine.services.errors import ServiceError
from engine.store.models import Tenant

LOGO_TYPES = ("image/png", "image/jpeg")
MAX_LOGO_BYTES = 512 * 1024
# A government agency's letter code: Thai initials of its province, then digits (ชม 52101).
LETTER_CODE = re.compile(r"^[ก-ฮ]{2,3}\s?[0-9๐-๙]{4,6}(\.[0-9๐-๙]{1,3})?$")


@dataclass(frozen=True)
class DetailProblem:
    field: str
    message_th: str
    message_en: str


class DetailsInvalid(ServiceError):
    """Some answers are wrong (every problem listed); nothing was stored."""

    code = "invalid_details"
    http_status = 422

    def __init__(self, problems: list[DetailProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message_en}" for p in problems))


@dataclass(frozen=True)
class Details:
    name_th: str
    name_en: str
    address_th: str
    phone: str
    letter_code: str
    thai_numerals: bool


# How much of each answer is read at most; the checks then say what is too long.
READ_AT_MOST = {"name_th": 300, "name_en": 300, "address_th": 1200, "phone": 40, "letter_code": 40}


def details_given(answers: Mapping[str, str], *, thai_numerals: bool) -> Details:
    """The details as answered (a missing answer is empty), each cut at :data:`READ_AT_MOST`."""
    cut = {name: answers.get(name, "")[:limit] for name, limit in READ_AT_MOST.items()}
    return Details(thai_numerals=thai_numerals, **cut)


def details_of(tenant: Tenant) -> Details:
    settings = tenant.settings or {}
    return Details(
        tenant.name_th,
        tenant.name_en,
        tenant.address_th,
        str(settings.get("phone", "")),
        str(settings.get("letter_code", "")),
        bool(settings.get("thai_numerals", False)),
    )


def _problems(details: Details) -> list[DetailProblem]:
    found = []
    if not details.name_th.strip():
        found.append(DetailProblem("name_th", "กรุณากรอกชื่อหน่วยงาน", "Enter the name of the municipality"))
    if len(details.name_th) > 200 or len(details.name_en) > 200:
        found.append(
            DetailProblem("name_th", "ชื่อหน่วยงานต้องยาวไม่เกิน 200 ตัวอักษร", "Names are at most 200 characters")
        )
    if len(details.address_th) > 1000:
        found.append(
            DetailProblem(
                "address_th", "ที่อยู่ต้องยาวไม่เกิน 1,000 ตัวอักษร", "The address is at most 1,000 characters"
            )
        )
    phone = "".join(c for c in details.phone if c.isdigit())
    if details.phone.strip() and not is_thai_phone(phone):
        found.append(
            DetailProblem(
                "phone", "หมายเลขโทรศัพท์ไม่ถูกต้อง เช่น 053 123 456", "Enter a Thai phone number, like 053 123 456"
            )
        )
    if details.letter_code.strip() and not LETTER_CODE.match(details.letter_code.strip()):
        found.append(
            DetailProblem(
                "letter_code",
                "รหัสหนังสือราชการต้องเป็นอักษรย่อจังหวัดตามด้วยตัวเลข เช่น ชม 52101",
                "The letter code is the province's initials and digits, like ชม 52101",
            )
        )
    return found


async def update_details(tenant: Tenant, details: Details) -> Tenant:
    """Store the municipality's details; raises :class:`DetailsInvalid` (nothing stored)."""
    problems = _problems(details)
    if problems:
        raise DetailsInvalid(problems)
    settings: dict[str, Any] = {
        **(tenant.settings or {}),
        "phone": details.phone.strip(),
        "letter_code": details.letter_code.strip(),
        "thai_numerals": details.thai_numerals,
    }
    tenant.name_th = details.name_th.strip()
    tenant.name_en = details.name_en.strip()
    tenant.address_th = details.address_th.strip()
    tenant.settings = settings
    await tenant.save(update_fields=["name_th", "name_en", "address_th", "settings"])
    return tenant


async def set_logo(tenant: Tenant, content: bytes, filename: str, blobs: Any) -> str:
    """Keep the municipality's seal (PNG or JPEG, judged by content) for its documents and bills.

    Raises :class:`engine.blobs.UploadRejected` with a message for the administrator.
    """
    content_type = check_upload(content, filename, LOGO_TYPES, MAX_LOGO_BYTES)
    key = f"tenant/{tenant.id}/seal" + (".png" if content_type == "image/png" else ".jpg")
    await asyncio.to_thread(blobs.put, key, content, content_type)
    tenant.logo_blob = key
    await tenant.save(update_fields=["logo_blob"])
    return key


__all__ = [
    "Details",
    "DetailsInvalid",
    "UploadRejected",
    "details_given",
    "details_of",
    "set_logo",
    "update_details",
]
