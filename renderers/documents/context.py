"""What a document's template sees: tenant, payer, items, the helpers it calls, the document, the signers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from engine.definitions.model import ServiceDefinition
from engine.durations import Duration, InvalidDuration
from engine.thaidate import format_date, thai_digits
from renderers.documents.errors import DocumentError
from renderers.documents.layout import SignatureSlot
from renderers.documents.qr import qr_svg
from renderers.documents.thai_numbers import baht_text, format_number


@dataclass(frozen=True)
class DocumentTenant:
    """The issuing local administration as its documents show it."""

    name_th: str
    name_en: str
    address_th: str = ""
    logo_data_uri: str | None = None  # the emblem (ตราสัญลักษณ์), e.g. data:image/png;base64,...
    kind: str = ""  # municipality | subdistrict | provincial, as Tenant.kind

    @property
    def executive_th(self) -> str:
        """The position of the administration's executive, written out: นายกเทศมนตรีเมืองแม่เหียะ.

        A signature block states the signer's real position (Administrative Procedure Act
        B.E. 2539, s. 36): under the Building Control Act the executive of the local
        administration is its เจ้าพนักงานท้องถิ่น. Empty when neither the kind nor the name
        says which executive it is.
        """
        name = self.name_th.strip()
        if name.startswith("เทศบาล"):
            return "นายกเทศมนตรี" + name.removeprefix("เทศบาล")
        if name.startswith("องค์การบริหารส่วน"):
            return "นายก" + name
        if name.startswith(("อบต.", "อบจ.")):
            return f"นายก {name}"
        if self.kind == "municipality" and name:
            return f"นายกเทศมนตรี{name}"
        if self.kind in ("subdistrict", "provincial") and name:
            return f"นายก{name}"
        return ""


@dataclass(frozen=True)
class Payer:
    name: str
    address: str = ""
    tax_id: str | None = None


@dataclass(frozen=True)
class ReceiptItem:
    description: str
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class _Fee:
    id: str
    title: str
    amount: Decimal
    period: str


@dataclass(frozen=True)
class _SignerView:
    role: str
    position: str
    position_th: str
    position_en: str
    name: str | None
    field_name: str
    style: str
    box_style: str


@dataclass
class _Helpers:
    """Functions templates call; they follow the document's language and digit setting."""

    language: str
    thai_numerals: bool
    definition: ServiceDefinition | None = None
    _labels: dict[str, dict[Any, str]] = field(default_factory=dict)

    def n(self, value: Any) -> str:
        """Digits as the tenant writes them (Thai digits when it asked for them)."""
        text = "" if value is None else str(value)
        return thai_digits(text) if self.thai_numerals else text

    def number(self, value: Any, places: int | None = None) -> str:
        return self.n(format_number(value, places))

    def money(self, value: Any) -> str:
        return self.n(format_number(value, 2))

    def thai_date(self, value: date | str | None, short: bool = False) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, self.language, short=short, thai_numerals=self.thai_numerals)

    def person_text(self, name: Mapping[str, Any] | None) -> str:
        """``นางสาววรรณา คำแก้ว``: the title joins the first name, as Thai writes it."""
        if not name:
            return ""
        prefix = name.get("prefix", "")
        prefix = "" if prefix in ("อื่น ๆ", None) else prefix
        return f"{prefix}{name.get('first_name', '')} {name.get('last_name', '')}".strip()

    def person(self, name: Mapping[str, Any] | None) -> Markup:
        """The name as :meth:`person_text`, for the page: a line may break between the names, never inside one."""
        return self.keep_words(self.person_text(name), digits=False)

    def address_parts(self, value: Mapping[str, Any] | None, postcode: bool = True) -> list[str]:
        """A Thai address as its parts; Bangkok has แขวง and เขต instead of ตำบล and อำเภอ.

        ``postcode=False`` leaves the postcode out: a building site is placed by its land
        title and its ตำบล, อำเภอ and จังหวัด, not by where its post is delivered.
        """
        if not value:
            return []
        parts = [self.n(value.get("house_no", ""))]
        if value.get("moo"):
            parts.append(f"หมู่ที่ {self.n(value['moo'])}")
        if value.get("village"):
            parts.append(str(value["village"]))
        if value.get("soi"):
            parts.append(f"ซอย{self.n(value['soi'])}")
        if value.get("road"):
            parts.append(f"ถนน{self.n(value['road'])}")
        if value.get("province") == "กรุงเทพมหานคร":
            parts += [
                f"แขวง{value.get('subdistrict', '')}",
                f"เขต{value.get('district', '')}",
                "กรุงเทพมหานคร",
            ]
        else:
            parts += [
                f"ตำบล{value.get('subdistrict', '')}",
                f"อำเภอ{value.get('district', '')}",
                f"จังหวัด{value.get('province', '')}",
            ]
        if postcode:
            parts.append(self.n(value.get("postcode", "")))
        return [p for p in parts if p]

    def address(self, value: Mapping[str, Any] | None, postcode: bool = True) -> Markup:
        """The address on one line for the page, breaking between its parts (``ตำบลแม่เหียะ`` stays whole)."""
        return Markup(" ").join(_unbroken(part) for part in self.address_parts(value, postcode))

    def option(self, pointer: str, value: Any) -> str:
        """The label ui.json gives ``value`` of the field at ``pointer`` (the value itself if none)."""
        if self.definition is None:
            return str(value)
        if not self._labels:
            for ui_field in self.definition.ui.fields():
                self._labels[ui_field.pointer] = {
                    o.value: o.label.get(self.language) for o in ui_field.options
                }
        return self._labels.get(pointer, {}).get(value, str(value))

    def options(self, pointer: str, values: Any) -> str:
        """The labels of several ``values`` of the field at ``pointer`` as a list reads:
        "ก, ข และ ค" (Thai) or "a, b and c" (English)."""
        labels = [self.option(pointer, v) for v in (values or [])]
        if len(labels) < 2:
            return "".join(labels)
        last = " และ" if self.language == "th" else " and "
        return ", ".join(labels[:-1]) + last + labels[-1]

    def clock(self, value: Any) -> str:
        """A time of day as Thai documents write it: 07.00 (digits as the document sets them)."""
        return self.n(str(value).replace(":", "."))

    def baht_text(self, value: Any) -> str:
        return baht_text(value)

    def keep_words(self, text: Any, digits: bool = True) -> Markup:
        """``text`` breakable only at its spaces (Thai otherwise breaks inside ``อำเภอเมืองเชียงใหม่``)."""
        words = (self.n(text) if digits else str(text)).split()
        return Markup(" ").join(_unbroken(word) for word in words)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "number": self.number,
            "money": self.money,
            "thai_date": self.thai_date,
            "person": self.person,
            "person_text": self.person_text,
            "address": self.address,
            "option": self.option,
            "options": self.options,
            "clock": self.clock,
            "baht_text": self.baht_text,
            "keep_words": self.keep_words,
        }


# Longer than this, a part may still break inside: a 100-letter road name must not overflow the margin.
UNBROKEN_MAX_CHARS = 32


def _unbroken(text: str) -> Markup:
    """``text`` escaped, kept on one line when it is short enough to always fit."""
    if len(text) > UNBROKEN_MAX_CHARS:
        return Markup.escape(text)
    return Markup('<span class="nobreak">{}</span>').format(text)


def valid_until(issued_on: date, validity: str | None) -> date | None:
    """The last day a document with ISO 8601 ``validity`` (e.g. ``P1Y``) issued on ``issued_on`` is valid.

    As the Civil and Commercial Code counts periods (s. 193/5): a one-year permit issued on
    15 January 2569 is valid until 14 January 2570, the day before the anniversary; when the
    last month has no such day (29 February), until that month's last day. Weeks and days
    are added after the years and months. Raises :class:`DocumentError` for a validity that
    is not a duration.
    """
    if not validity:
        return None
    try:
        duration = Duration.parse(validity)
    except InvalidDuration as error:
        raise DocumentError(f"document validity {validity!r} is not an ISO 8601 duration") from error
    end = issued_on
    months = duration.months + 12 * duration.years
    if months:
        index = issued_on.month - 1 + months
        year, month = issued_on.year + index // 12, index % 12 + 1
        try:
            end = date(year, month, issued_on.day)
        except ValueError:  # no 29, 30 or 31 in that month: its last day ends the period
            end = date(year + month // 12, month % 12 + 1, 1)  # the day after that last day
    return end + timedelta(days=7 * duration.weeks + duration.days - 1)


def _document_view(
    *,
    number: str,
    title: str,
    issued_on: date,
    verify_url: str,
    validity_end: date | None,
    helpers: _Helpers,
    document_id: str,
) -> dict[str, Any]:
    return {
        "id": document_id,
        "number": helpers.n(number),
        "title": title,
        "issued_on": issued_on,
        "issued_on_th": helpers.thai_date(issued_on),
        "valid_until": validity_end,
        "valid_until_th": helpers.thai_date(validity_end) if validity_end else "",
        "verify_url": verify_url,
        "qr_svg": qr_svg(verify_url),
    }


def _signer_views(
    slots: Sequence[SignatureSlot], language: str, names: Mapping[str, str] | None
) -> list[_SignerView]:
    return [
        _SignerView(
            role=slot.role,
            position=slot.position.get(language),
            position_th=slot.position.th,
            position_en=slot.position.en,
            name=(names or {}).get(slot.role),
            field_name=slot.field_name,
            style=slot.style,
            box_style=slot.box_style,
        )
        for slot in slots
    ]
