"""The named formats a form may use; each is enforced, not just annotated."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

from jsonschema import FormatChecker

_DIGITS_13 = re.compile(r"[0-9]{13}")
_MOBILE = re.compile(r"0[689][0-9]{8}")
_LANDLINE = re.compile(r"0[2-7][0-9]{7}")
_POSTCODE = re.compile(r"(1[0-9]|[2-8][0-9]|9[0-6])[0-9]{3}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def national_id_check_digit(first_twelve: str) -> int:
    """The mod-11 check digit of a Thai national (or juristic) ID from its first 12 digits."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first_twelve))
    return (11 - total % 11) % 10


def is_thai_national_id(value: object) -> bool:
    """13 ASCII digits whose last is the mod-11 check digit of the first twelve."""
    if not isinstance(value, str) or not _DIGITS_13.fullmatch(value):
        return False
    return national_id_check_digit(value[:12]) == int(value[12])


def is_thai_phone(value: object) -> bool:
    """A Thai mobile (10 digits, 06/08/09) or landline (9 digits, 02–07) number, digits only."""
    return isinstance(value, str) and bool(_MOBILE.fullmatch(value) or _LANDLINE.fullmatch(value))


def is_thai_postcode(value: object) -> bool:
    """Five digits whose first two are a province prefix (10–96)."""
    return isinstance(value, str) and bool(_POSTCODE.fullmatch(value))


def is_email(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 254 and bool(_EMAIL.fullmatch(value))


def is_date(value: object) -> bool:
    """An existing calendar day written ``YYYY-MM-DD`` (Gregorian; screens show the Buddhist Era)."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_date_time(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path))


CHECKS = {
    "thai-national-id": is_thai_national_id,
    "thai-phone": is_thai_phone,
    "thai-postcode": is_thai_postcode,
    "email": is_email,
    "date": is_date,
    "date-time": is_date_time,
    "uri": is_uri,
}


def format_checker() -> FormatChecker:
    """A checker that knows exactly the formats of the definition language."""
    checker = FormatChecker(formats=())
    for name, check in CHECKS.items():
        checker.checks(name)(check)
    return checker


FORMAT_CHECKER = format_checker()
