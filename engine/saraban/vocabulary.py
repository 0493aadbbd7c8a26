"""The terms of ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 (as amended to ฉบับที่ 4 พ.ศ. 2564).

Each term is a stable code (stored, sent over the API) with its Thai and English names.
Interchange codes (001–004) are those of the Thai e-saraban exchange standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Term:
    code: str
    th: str
    en: str

    def text(self, language: str = "th") -> str:
        return self.en if language == "en" else self.th


def _index(*terms: Term) -> dict[str, Term]:
    return {term.code: term for term in terms}


# ชนิดของหนังสือ (ข้อ 9): six kinds; หนังสือสั่งการ and หนังสือประชาสัมพันธ์ split into their sub-kinds.
KINDS: Final = _index(
    Term("external", "หนังสือภายนอก", "External letter"),
    Term("internal", "หนังสือภายใน (บันทึกข้อความ)", "Internal memorandum"),
    Term("stamped", "หนังสือประทับตรา", "Stamped letter"),
    Term("order", "คำสั่ง", "Order"),
    Term("regulation", "ระเบียบ", "Regulation"),
    Term("bylaw", "ข้อบังคับ", "By-law"),
    Term("announcement", "ประกาศ", "Announcement"),
    Term("statement", "แถลงการณ์", "Statement"),
    Term("news", "ข่าว", "News release"),
    Term("certificate", "หนังสือรับรอง", "Certificate"),
    Term("minutes", "รายงานการประชุม", "Minutes of a meeting"),
    Term("record", "บันทึก", "Record"),
)

# ชั้นความเร็ว; in red, not smaller than 32 pt, on the letter.
URGENCIES: Final = _index(
    Term("normal", "ปกติ", "Normal"),
    Term("urgent", "ด่วน", "Urgent"),
    Term("very_urgent", "ด่วนมาก", "Very urgent"),
    Term("most_urgent", "ด่วนที่สุด", "Most urgent"),
)
URGENCY_CODES: Final = {"normal": "001", "urgent": "002", "very_urgent": "003", "most_urgent": "004"}

# ชั้นความลับ (ระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544).
SECRECIES: Final = _index(
    Term("normal", "ปกติ", "Not classified"),
    Term("secret", "ลับ", "Secret"),
    Term("confidential", "ลับมาก", "Confidential"),
    Term("top_secret", "ลับที่สุด", "Top secret"),
)
SECRECY_CODES: Final = {"normal": "001", "secret": "002", "confidential": "003", "top_secret": "004"}
CLASSIFIED: Final = frozenset({"secret", "confidential", "top_secret"})

# The books (ทะเบียน) a number is taken from. Classified letters have their own books.
BOOKS: Final = _index(
    Term("receive", "ทะเบียนหนังสือรับ", "Register of letters received"),
    Term("send", "ทะเบียนหนังสือส่ง", "Register of letters sent"),
    Term("order", "ทะเบียนคำสั่ง", "Register of orders"),
    Term("announcement", "ทะเบียนประกาศ", "Register of announcements"),
    Term("circular", "ทะเบียนหนังสือเวียน", "Register of circulars"),
    Term("secret_receive", "ทะเบียนหนังสือรับ (ลับ)", "Register of classified letters received"),
    Term("secret_send", "ทะเบียนหนังสือส่ง (ลับ)", "Register of classified letters sent"),
)

# The columns of the registers, in the regulation's order (แบบที่ 12, ข้อ 38.4; แบบที่ 14, ข้อ 42).
RECEIVE_COLUMNS: Final = (
    "ทะเบียนหนังสือรับ วันที่",
    "เลขทะเบียนรับ",
    "ที่",
    "ลงวันที่",
    "จาก",
    "ถึง",
    "เรื่อง",
    "การปฏิบัติ",
    "หมายเหตุ",
)
SEND_COLUMNS: Final = (
    "ทะเบียนหนังสือส่ง วันที่",
    "เลขทะเบียนส่ง",
    "ที่",
    "ลงวันที่",
    "จาก",
    "ถึง",
    "เรื่อง",
    "การปฏิบัติ",
    "หมายเหตุ",
)


def register_columns(book: str) -> tuple[str, ...]:
    """The official column headers of ``book`` (the receive books follow แบบที่ 12, the others แบบที่ 14)."""
    return RECEIVE_COLUMNS if book in ("receive", "secret_receive") else SEND_COLUMNS


# What an endorsement step (เกษียน / สั่งการ) asks or says.
ACTIONS: Final = _index(
    Term("present", "เสนอ", "Submit"),
    Term("for_information", "เพื่อโปรดทราบ", "For information"),
    Term("for_consideration", "เพื่อโปรดพิจารณา", "For consideration"),
    Term("acknowledge", "ทราบ", "Noted"),
    Term("assign", "มอบ … ดำเนินการ", "Assign for action"),
    Term("approve", "อนุมัติ", "Approved"),
    Term("sign", "ลงนาม", "Signed"),
    Term("return", "ส่งคืนเพื่อแก้ไข", "Returned for correction"),
)

# How long a letter is kept (ข้อ 57); the classes and their terms are tenant settings.
RETENTION_CLASSES: Final = _index(
    Term("standard", "เก็บไว้ไม่น้อยกว่า 10 ปี", "At least 10 years"),
    Term("permanent", "ห้ามทำลาย", "Never destroy"),
    Term("routine", "เรื่องธรรมดา เก็บไว้ไม่น้อยกว่า 1 ปี", "Routine: at least 1 year"),
    Term("finance", "หลักฐานการเงิน ตามที่กระทรวงการคลังกำหนด", "Financial evidence, per the Ministry of Finance"),
)

# Where a letter stands.
STATUSES: Final = _index(
    Term("draft", "ร่าง", "Draft"),
    Term("received", "ลงรับแล้ว", "Received"),
    Term("in_progress", "ระหว่างดำเนินการ", "In progress"),
    Term("signed", "ลงนามแล้ว", "Signed"),
    Term("sent", "ส่งแล้ว", "Sent"),
    Term("closed", "ปฏิบัติเสร็จแล้ว", "Done"),
    Term("destroyed", "ทำลายแล้ว", "Destroyed"),
)

# How far a letter sent to one addressee went (SARABAN.md §4.4), as the sender's letter page shows it.
DELIVERY_STATES: Final = _index(
    Term("queued", "รอส่ง", "Queued"),
    Term("sent", "ส่งถึงระบบปลายทางแล้ว", "Delivered to the addressee's system"),
    Term("received", "ปลายทางตอบรับแล้ว", "Acknowledged by the addressee"),
    Term("accepted", "ปลายทางลงรับแล้ว", "Registered by the addressee"),
    Term("rejected", "ปลายทางปฏิเสธหนังสือ", "Rejected by the addressee"),
    Term("invalid", "ปลายทางแจ้งว่าส่งผิด", "Reported as wrongly delivered"),
    Term("withdrawn", "ถอนเพื่อส่งใหม่แล้ว", "Withdrawn to be sent again"),
    Term("undeliverable", "ส่งไม่สำเร็จ", "Could not be delivered"),
)

# Where a letter that arrived from another agency stands before and after the registry acts.
INBOUND_STATES: Final = _index(
    Term("pending", "รอลงรับ", "Awaiting registration"),
    Term("accepted", "ลงรับแล้ว", "Registered"),
    Term("rejected", "ปฏิเสธแล้ว", "Rejected"),
    Term("invalid", "แจ้งว่าส่งผิดแล้ว", "Reported as wrongly delivered"),
    Term("withdrawn", "ผู้ส่งถอนคืนแล้ว", "Withdrawn by the sender"),
)

# The state of a register row: a number once issued or reserved is never reused nor skipped.
ENTRY_STATES: Final = _index(
    Term("issued", "ออกเลขแล้ว", "Issued"),
    Term("reserved", "จองเลข", "Reserved"),
    Term("cancelled", "ยกเลิก", "Cancelled"),
)
