"""Turning validator errors into sentences a citizen understands, in Thai and in English.

Messages follow the GOV.UK Design System's advice: say what to do ("Enter ..."), name the
field, give an example of the right format. A definition can replace any keyword's message
with ``x-messages`` on the field's schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine import thaidate
from engine.forms.keywords import age_reference_day, today

# (Thai, English) per situation; {label} is the field's label, {limit} the keyword's value.
TEMPLATES: dict[str, tuple[str, str]] = {
    "required": ("กรุณากรอก{label}", "Enter {label_lower}"),
    "required.choice": ("กรุณาเลือก{label}", "Select {label_lower}"),
    "required.file": ("กรุณาแนบ{label}", "Upload {label_lower}"),
    "required.confirm": ("กรุณายืนยัน{label}", "Confirm {label_lower}"),
    # A map pin's label says what to do ("ปักหมุดตำแหน่งบนแผนที่"): the message is a sentence of its own.
    "required.map": (
        "กรุณาปักหมุดตำแหน่งบนแผนที่ หรือกรอกละติจูดและลองจิจูด",
        "Drop a pin on the map, or enter the latitude and longitude",
    ),
    "type.number": ("{label}ต้องเป็นตัวเลข", "{label} must be a number"),
    "type.integer": ("{label}ต้องเป็นจำนวนเต็ม", "{label} must be a whole number"),
    "type": ("{label}ไม่ถูกต้อง", "{label} is not valid"),
    "minimum": ("{label}ต้องไม่น้อยกว่า {limit}", "{label} must be {limit} or more"),
    "exclusiveMinimum": ("{label}ต้องมากกว่า {limit}", "{label} must be more than {limit}"),
    "maximum": ("{label}ต้องไม่เกิน {limit}", "{label} must be {limit} or less"),
    "exclusiveMaximum": ("{label}ต้องน้อยกว่า {limit}", "{label} must be less than {limit}"),
    "multipleOf": ("{label}ต้องเป็นทวีคูณของ {limit}", "{label} must be a multiple of {limit}"),
    "minLength": ("{label}ต้องมีอย่างน้อย {limit} ตัวอักษร", "{label} must be {limit} characters or more"),
    "maxLength": ("{label}ต้องไม่เกิน {limit} ตัวอักษร", "{label} must be {limit} characters or fewer"),
    "pattern": ("{label}มีรูปแบบไม่ถูกต้อง", "{label} is not in the right format"),
    "enum": ("กรุณาเลือก{label}จากตัวเลือกที่มีให้", "Select {label_lower} from the list"),
    "const": ("{label}ไม่เป็นไปตามเงื่อนไขของบริการนี้", "{label} does not meet this service's conditions"),
    "const.true": ("กรุณายืนยัน{label}", "Confirm {label_lower}"),
    "minItems": ("กรุณาเพิ่ม{label}อย่างน้อย {limit} รายการ", "Add at least {limit} {label_lower}"),
    "minItems.file": ("กรุณาแนบ{label}", "Upload {label_lower}"),
    "maxItems": ("{label}ต้องไม่เกิน {limit} รายการ", "{label}: add no more than {limit}"),
    "uniqueItems": ("{label}มีรายการซ้ำกัน", "{label} has the same item more than once"),
    "additionalProperties": (
        "แบบฟอร์มนี้ไม่มีช่อง “{name}”",
        "This form has no field called '{name}'",
    ),
    "format.thai-national-id.length": (
        "{label}ต้องเป็นตัวเลข 13 หลัก ตามบัตรประจำตัวประชาชน",
        "{label} must be the 13 digits on the ID card",
    ),
    "format.thai-national-id": (
        "{label}ไม่ถูกต้อง กรุณาตรวจสอบตัวเลขอีกครั้ง",
        "{label} is not a valid ID number – check the digits and try again",
    ),
    "format.thai-phone": (
        "{label}ไม่ถูกต้อง ให้กรอกเฉพาะตัวเลข เช่น 0812345678 หรือ 053123456",
        "Enter {label_lower} as digits only, like 0812345678 or 053123456",
    ),
    "format.thai-postcode": ("{label}ต้องเป็นตัวเลข 5 หลัก เช่น 50100", "{label} must be 5 digits, like 50100"),
    "format.email": (
        "กรุณากรอก{label}ในรูปแบบที่ถูกต้อง เช่น name@example.com",
        "Enter {label_lower} in the correct format, like name@example.com",
    ),
    "format.date": ("{label}ต้องเป็นวันที่ที่มีอยู่จริง", "{label} must be a real date"),
    "format": ("{label}มีรูปแบบไม่ถูกต้อง", "{label} is not in the right format"),
    "x-min-age": (
        "ผู้ยื่นต้องมีอายุครบ {limit} ปีบริบูรณ์ ภายในวันที่ {on_th}",
        "The applicant must be {limit} years old by {on_en}",
    ),
    "x-not-future": ("{label}ต้องไม่เป็นวันในอนาคต", "{label} must be today or in the past"),
    "invalid": ("{label}ไม่ถูกต้อง", "{label} is not valid"),
}

DEFAULT_LABEL = ("ข้อมูลนี้", "This answer")


def _is_thai(char: str) -> bool:
    return "\u0e00" <= char <= "\u0e7f"


def thai_with_label(template: str, label: str) -> str:
    """Put ``label`` into a Thai template, with a space where Thai meets Latin or punctuation.

    Thai runs words together, so ``กรุณากรอก`` + ``อีเมล`` needs no space, but
    ``กรุณากรอก`` + ``LINE ID`` or ``(ถ้ามี)`` + ``มีรายการซ้ำ`` read better apart.
    """
    pieces = template.split("{label}")
    text = pieces[0]
    for rest in pieces[1:]:
        if text and label and _is_thai(text[-1]) and not _is_thai(label[0]):
            text += " "
        text += label
        if rest and label and _is_thai(rest[0]) and not _is_thai(label[-1]):
            text += " "
        text += rest
    return text


def number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def lower_first(text: str) -> str:
    """``National ID number`` -> ``national ID number``; acronyms such as ``LINE ID`` stay."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def template_key(
    keyword: str, value: Any, widget_keys: Mapping[str, str], instance: Any, schema: dict[str, Any]
) -> str:
    """Which of :data:`TEMPLATES` fits this failure; ``widget_keys`` are the field's widget's own
    wordings (a choice left out asks to select, a missing file to upload)."""
    if keyword == "required":
        return widget_keys.get("required", "required")
    if keyword == "type":
        declared = value if isinstance(value, str) else None
        return f"type.{declared}" if declared in ("number", "integer") else "type"
    if keyword == "minLength" and value == 1:
        return "required"
    if keyword == "minItems":
        return widget_keys.get("minItems", "minItems")
    if keyword == "const" and value is True:
        return "const.true"
    if keyword == "format":
        if value == "thai-national-id" and not (isinstance(instance, str) and len(instance) == 13):
            return "format.thai-national-id.length"
        return f"format.{value}" if f"format.{value}" in TEMPLATES else "format"
    return keyword if keyword in TEMPLATES else "invalid"


def render(
    keyword: str,
    value: Any,
    *,
    label: tuple[str, str] | None,
    widget_keys: Mapping[str, str] | None = None,
    instance: Any,
    schema: dict[str, Any],
    override: dict[str, str] | None = None,
    name: str = "",
) -> tuple[str, str]:
    """The (Thai, English) message for one failed keyword."""
    if override:
        return override["th"], override["en"]
    label_th, label_en = label or DEFAULT_LABEL
    fields = {
        "label_lower": lower_first(label_en),
        "limit": number_text(value.get("years") if isinstance(value, dict) else value),
        "name": name,
    }
    if keyword == "x-min-age":
        on_day = age_reference_day(value.get("on", "today"), today())
        fields["on_th"] = thaidate.format_date(on_day)
        fields["on_en"] = thaidate.format_date(on_day, "en")
    th, en = TEMPLATES[template_key(keyword, value, widget_keys or {}, instance, schema)]
    return thai_with_label(th, label_th).format(**fields), en.format(label=label_en, **fields)
