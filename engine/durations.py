"""ISO 8601 durations (``P45D``, ``P2W``, ``PT4H``) as the definition language writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from engine.errors import ThongthinError

_PATTERN = re.compile(
    r"P(?!$)(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?(?:(?P<weeks>[0-9]+)W)?(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?=[0-9])(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+)S)?)?"
)


class InvalidDuration(ThongthinError, ValueError):
    def __init__(self, text: str):
        self.text = text
        super().__init__(f"not an ISO 8601 duration: {text!r}")


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Raises :class:`InvalidDuration` for anything but ``PnYnMnWnDTnHnMnS``."""
        match = _PATTERN.fullmatch(text)
        if match is None:
            raise InvalidDuration(text)
        return cls(**{k: int(v) for k, v in match.groupdict().items() if v})

    @property
    def day_count(self) -> int:
        """Whole days, counting a year as 365 and a month as 30 (how SLAs are written in law)."""
        return self.years * 365 + self.months * 30 + self.weeks * 7 + self.days

    @property
    def time_part(self) -> timedelta:
        return timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds)

    def approximate(self) -> timedelta:
        """The duration as calendar time, for comparing two durations."""
        return timedelta(days=self.day_count) + self.time_part
