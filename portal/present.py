"""What the portal's pages say about a service, in words: time limits, fees, privacy, documents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.definitions import ServiceDefinition
from engine.definitions.model import AttachmentSpec, Fee, UiField
from engine.durations import Duration, InvalidDuration
from engine.payments import FeeError, compute_fees, with_local_rates
from engine.services.definition_documents import lawful_basis_title
from renderers.forms import attachment_rules

_UNITS = {
    "th": {"years": "ปี", "months": "เดือน", "weeks": "สัปดาห์", "days": "วัน", "hours": "ชั่วโมง"},
    "en": {"years": "year", "months": "month", "weeks": "week", "days": "day", "hours": "hour"},
}
_PERIODS = {
    "th": {"once": "", "monthly": " ต่อเดือน", "yearly": " ต่อปี"},
    "en": {"once": "", "monthly": " a month", "yearly": " a year"},
}


def duration_text(text: str, language: str = "th", *, working_days: bool = False) -> str:
    """``P7D`` -> ``7 วันทำการ`` / ``7 working days``; ``P10Y`` -> ``10 ปี``."""
    try:
        duration = Duration.parse(text)
    except InvalidDuration:
        return text
    words = _UNITS["en" if language == "en" else "th"]
    pieces = []
    for unit in ("years", "months", "weeks", "days", "hours"):
        count = getattr(duration, unit)
        if not count:
            continue
        if language == "en":
            noun = ("working " if unit == "days" and working_days else "") + words[unit]
            pieces.append(f"{count} {noun}{'s' if count != 1 else ''}")
        else:
            pieces.append(f"{count} {words[unit]}{'ทำการ' if unit == 'days' and working_days else ''}")
    return " ".join(pieces) or text


def money(amount: Decimal | float | int) -> str:
    """``1234.5`` -> ``1,234.50``; whole amounts without satang."""
    value = Decimal(str(amount))
    return f"{value:,.0f}" if value == value.to_integral() else f"{value:,.2f}"


def baht(amount: Decimal | float | int, language: str) -> str:
    return f"{money(amount)} {'baht' if language == 'en' else 'บาท'}"


@dataclass(frozen=True)
class FeeText:
    """A fee as the service page states it: its title, the amount or the rule, and details."""

    title: str
    summary: str
    details: tuple[str, ...] = field(default_factory=tuple)


def _ui_field(definition: ServiceDefinition, pointer: str | None) -> UiField | None:
    return next((f for f in definition.ui.fields() if f.pointer == pointer), None)


def _unit(definition: ServiceDefinition, fee: Fee, language: str) -> str:
    ui_field = _ui_field(definition, fee.field)
    if ui_field is None:
        return ""
    if ui_field.suffix:
        return ui_field.suffix.get(language)
    return ui_field.label.get(language)


def _merged(fee: Fee, local: Mapping[str, Any]) -> Fee:
    return with_local_rates(fee, local) if fee.local else fee


def fee_texts(
    definition: ServiceDefinition, parameters: Mapping[str, Any] | None, language: str = "th"
) -> list[FeeText]:
    """Every fee of the service in words, with the municipality's local rates where it set them.

    Fixed fees that always apply are computed with :func:`engine.payments.compute_fees`;
    the others depend on the answers, so their rule is described instead.
    """
    local = dict((parameters or {}).get("fees") or {})
    en = language == "en"
    texts = []
    for original in definition.service.fees:
        fee = _merged(original, local)
        period = _PERIODS["en" if en else "th"][fee.period]
        unit = _unit(definition, fee, language)
        summary = ""
        details: list[str] = []
        if fee.kind == "fixed":
            amount: Decimal | float = fee.amount or 0
            if fee.when is None:
                try:
                    [line] = compute_fees(definition.service, {}, local_rates=local, only=[fee.id])
                    amount = line.amount
                except (FeeError, ValueError):
                    pass
            summary = baht(amount, language) + period
            if fee.when is not None:
                summary += (
                    " (in some cases, depending on your answers)" if en else " (เฉพาะบางกรณี ตามข้อมูลที่ยื่น)"
                )
        elif fee.kind == "per_unit":
            per = (
                f"{baht(fee.rate or 0, language)} per {unit}"
                if en
                else f"{baht(fee.rate or 0, language)} ต่อ{unit}"
            )
            summary = per + period
            if fee.base:
                details.append(
                    f"plus a base of {baht(fee.base, language)}"
                    if en
                    else f"บวกค่าพื้นฐาน {baht(fee.base, language)}"
                )
            if fee.minimum is not None:
                details.append(
                    f"at least {baht(fee.minimum, language)}" if en else f"ขั้นต่ำ {baht(fee.minimum, language)}"
                )
            if fee.maximum is not None:
                details.append(
                    f"at most {baht(fee.maximum, language)}" if en else f"สูงสุด {baht(fee.maximum, language)}"
                )
            if fee.when is not None:
                details.append("in some cases, depending on your answers" if en else "เฉพาะบางกรณี ตามข้อมูลที่ยื่น")
        elif fee.kind == "tiered":
            summary = ("depends on " + unit.lower()) if en else f"ตาม{unit}"
            previous: float | None = None
            for tier in fee.tiers:
                if tier.up_to is not None:
                    limit = money(tier.up_to)
                    details.append(
                        f"up to {limit} {unit}: {baht(tier.amount, language)}{period}"
                        if en
                        else f"ไม่เกิน {limit} {unit}: {baht(tier.amount, language)}{period}"
                    )
                    previous = tier.up_to
                else:
                    over = money(previous or 0)
                    details.append(
                        f"over {over} {unit}: {baht(tier.amount, language)}{period}"
                        if en
                        else f"เกิน {over} {unit}: {baht(tier.amount, language)}{period}"
                    )
        else:  # rate_class
            ui_field = _ui_field(definition, fee.field)
            labels = {str(o.value): o.label.get(language) for o in (ui_field.options if ui_field else ())}
            summary = "depends on the kind of " + unit.lower() if en else f"ตาม{unit}"
            details = [f"{labels.get(k, k)}: {baht(v, language)}{period}" for k, v in fee.rates.items()]
        texts.append(FeeText(fee.title.get(language), summary, tuple(details)))
    return texts


def fees_due(
    definition: ServiceDefinition, parameters: Mapping[str, Any] | None, data: Any, language: str = "th"
) -> list[str]:
    """The fees these answers would owe, as lines ``title: amount``; empty when none or unknown."""
    local = dict((parameters or {}).get("fees") or {})
    try:
        lines = compute_fees(definition.service, data, local_rates=local)
    except FeeError:
        return []
    period = _PERIODS["en" if language == "en" else "th"]
    return [
        f"{line.title.get(language)}: {baht(line.amount, language)}{period[line.period]}" for line in lines
    ]


@dataclass(frozen=True)
class AttachmentText:
    title: str
    rules: str
    mark_optional: bool  # an optional document whose title does not already say so


def attachment_texts(definition: ServiceDefinition, language: str = "th") -> list[AttachmentText]:
    return [_attachment(a, language) for a in definition.service.form_attachments()]


def _attachment(spec: AttachmentSpec, language: str) -> AttachmentText:
    title = spec.title.get(language)
    # Titles of optional documents often say so already ("(ถ้ามี)"); say it once.
    says_optional = any(word in title.lower() for word in ("ถ้ามี", "if any", "optional"))
    return AttachmentText(title, attachment_rules(spec, language), not spec.required and not says_optional)


def lawful_basis_text(basis: str, language: str = "th") -> str:
    return lawful_basis_title(basis).get(language)
