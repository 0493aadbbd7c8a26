"""The answers a service's ``data_roles`` point at: who applied, how to reach them, where, since when.

Billing, issued documents, messages and tracking read applications through these functions
only, so a form can name its fields as it likes: ``service.json`` says which answer is the
applicant's phone number, and ``thongthin check`` makes sure the answer is one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine import jsonpointer

if TYPE_CHECKING:
    # Only named in annotations: the widgets (imported while engine.definitions loads) read addresses here.
    from engine.definitions import ServiceDefinition

# A title chosen as "other" is not printed before the name.
_NO_TITLE = ("", "อื่น ๆ", "อื่นๆ", "other")


def _answered(value: Any) -> bool:
    return value not in (None, "", [], {})


def value_of(definition: ServiceDefinition, data: Any, role: str) -> Any:
    """The first answered value among the role's pointers (None when none is)."""
    for pointer in getattr(definition.service.data_roles, role):
        value = jsonpointer.resolve(data, pointer, None)
        if _answered(value):
            return value
    return None


def text_of(definition: ServiceDefinition, data: Any, role: str) -> str:
    """The role's answer as text ("" when it is not answered or not text)."""
    value = value_of(definition, data, role)
    return value.strip() if isinstance(value, str) else ""


def person_name(value: Any) -> str:
    """A name answer as printed: ``นางสมพร ใจดี`` from its parts, or a business name as given."""
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, dict):
        return ""
    title = value.get("prefix", "")
    title = title if isinstance(title, str) and title not in _NO_TITLE else ""
    given = " ".join(
        str(value[part]).strip() for part in ("first_name", "middle_name", "last_name") if value.get(part)
    )
    # Thai titles are written joined to the given name (นางสมพร), as on the ID card.
    return f"{title}{given}".strip()


def name_of(definition: ServiceDefinition, data: Any, *roles: str) -> str:
    """The name of the first of ``roles`` that is answered."""
    for role in roles:
        name = person_name(value_of(definition, data, role))
        if name:
            return name
    return ""


def applicant_name(definition: ServiceDefinition, data: Any) -> str:
    return name_of(definition, data, "applicant_name")


def account_holder(definition: ServiceDefinition, data: Any) -> str:
    """Whose name a fee account is in: the declared holder, else the applicant."""
    return name_of(definition, data, "account_holder", "applicant_name")


def document_subject(definition: ServiceDefinition, data: Any) -> str:
    """Whom issued documents are made out to: the declared subject, the account holder, the applicant."""
    return name_of(definition, data, "document_subject", "account_holder", "applicant_name")


def address_parts(definition: ServiceDefinition, data: Any, *roles: str) -> dict[str, Any]:
    """The first answered address among ``roles`` (default: the premises', then the applicant's)."""
    for role in roles or ("premises_address", "address"):
        value = value_of(definition, data, role)
        if isinstance(value, dict):
            return dict(value)
    return {}


_ADDRESS_WORDS = {
    "th": {"moo": "หมู่", "soi": "ซอย", "road": "ถนน"},
    "en": {"moo": "Moo", "soi": "Soi", "road": "Road"},
}
_AREA = ("subdistrict", "district", "province")
_AREA_WORDS_TH = {"subdistrict": "ตำบล", "district": "อำเภอ", "province": "จังหวัด"}


def address_line(address: Any, language: str = "th", *, area_only: bool = False) -> str:
    """A Thai address on one line: เลขที่ หมู่ หมู่บ้าน ซอย ถนน ตำบล อำเภอ จังหวัด รหัสไปรษณีย์.

    ``area_only``: from the subdistrict up (``ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ …``), what public
    pages may show of where someone lives.
    """
    if not isinstance(address, dict):
        return ""
    words = _ADDRESS_WORDS["en" if language == "en" else "th"]
    parts: list[str] = []
    if not area_only:
        parts.append(str(address.get("house_no", "")))
        if address.get("moo"):
            parts.append(f"{words['moo']} {address['moo']}")
        if address.get("village"):
            parts.append(str(address["village"]))
        for key in ("soi", "road"):
            if address.get(key):
                parts.append(f"{words[key]} {address[key]}")
    for key in _AREA:
        if address.get(key):
            parts.append(str(address[key]) if language == "en" else f"{_AREA_WORDS_TH[key]}{address[key]}")
    parts.append(str(address.get("postcode", "")))
    return " ".join(p for p in parts if p.strip())[:500]
