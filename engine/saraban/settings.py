"""A tenant's correspondence settings, with the documented defaults.

Rules the research could not verify at their source are settings here, so a municipality
follows its own reading: how long an urgency gives, how long a reservation holds, the
retention terms, whether numbers run per unit, whether typed-name signing is allowed.
Stored in ``Tenant.settings["saraban"]``; unknown keys are ignored, wrong types refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from typing import Any

from engine.saraban.errors import InvalidLetter

PADES_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


def _default_due() -> dict[str, float]:
    # Hours an officer has for a step, per urgency: ด่วนที่สุด "ในทันที", ด่วนมาก "โดยเร็ว".
    return {"most_urgent": 4, "very_urgent": 24, "urgent": 72, "normal": 168}


def _default_retention() -> dict[str, int]:
    # Years per retention class; 0 = never destroyed (ห้ามทำลาย).
    return {"standard": 10, "permanent": 0, "routine": 1, "finance": 10}


@dataclass(frozen=True)
class SarabanSettings:
    letter_code: str = ""  # รหัสตัวพยัญชนะและเลขประจำของส่วนราชการ, e.g. "ชม 52101"
    numbers_per_unit: bool = False  # a send book per unit instead of one for the agency
    thai_numerals: bool = False
    reservation_hours: float = 24.0  # how long a reserved number (จองเลข) holds before it lapses
    typed_name_signing: bool = False  # ฉบับที่ 4: a typed name may stand for a signature
    pades_level: str = "B-T"  # B-LT embeds revocation data where the municipality wants it
    due_hours: dict[str, float] = field(default_factory=_default_due)
    retention_years: dict[str, int] = field(default_factory=_default_retention)
    survey_days: int = 60  # the survey of expired letters is due within this many days of 1 January
    min_committee_members: int = 2  # besides the chair (ฉบับที่ 3 พ.ศ. 2560)
    archives_wait_days: int = 60  # how long the National Archives may object before destruction
    ecms_url: str = ""  # the municipality's own e-CMS node, where letters for it wait to be pulled

    def due_after(self, urgency: str) -> timedelta:
        return timedelta(hours=float(self.due_hours.get(urgency, self.due_hours.get("normal", 168))))


def settings_of(tenant_settings: dict[str, Any]) -> SarabanSettings:
    """The tenant's settings over the defaults; raises InvalidLetter for a value of the wrong type."""
    stored = tenant_settings.get("saraban") or {}
    base = SarabanSettings(thai_numerals=bool(tenant_settings.get("thai_numerals", False)))
    changes: dict[str, Any] = {}
    for spec in fields(SarabanSettings):
        if spec.name not in stored:
            continue
        value = stored[spec.name]
        default = getattr(base, spec.name)
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise InvalidLetter(f"saraban.{spec.name} must be an object", field=spec.name)
            value = {**default, **value}
        elif isinstance(default, bool) and not isinstance(value, bool):
            raise InvalidLetter(f"saraban.{spec.name} must be true or false", field=spec.name)
        elif isinstance(default, int | float) and not isinstance(default, bool):
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise InvalidLetter(f"saraban.{spec.name} must be a number ≥ 0", field=spec.name)
        elif isinstance(default, str) and not isinstance(value, str):
            raise InvalidLetter(f"saraban.{spec.name} must be text", field=spec.name)
        changes[spec.name] = value
    if changes.get("pades_level", base.pades_level) not in PADES_LEVELS:
        raise InvalidLetter(
            f"saraban.pades_level must be one of {', '.join(PADES_LEVELS)}", field="pades_level"
        )
    return replace(base, **changes)
