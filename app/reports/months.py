"""A report month: parsed from "2023-07", its bounds in the city's time zone, its neighbours, its ROC name. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ROC_MONTH = re.compile(r"(\d{1,4})年(\d{1,2})月")
_ENGLISH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class BadMonth(ValueError):
    """The text is not a month written as YYYY-MM."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1912:
            raise BadMonth(text)
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo) -> Month:
        local = moment.astimezone(tz)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return (self.next().first_day - self.first_day).days

    def start(self, tz: ZoneInfo) -> datetime:
        """Midnight of the 1st in the city's zone: a case at 23:30 on the last day belongs to this month."""
        return datetime(self.year, self.month, 1, tzinfo=tz)

    def end(self, tz: ZoneInfo) -> datetime:
        """Midnight of the next month's 1st (exclusive)."""
        return self.next().start(tz)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def year_before(self) -> Month:
        return Month(self.year - 1, self.month)

    def trailing(self, count: int) -> list[Month]:
        """This month and the `count - 1` before it, oldest first."""
        months = [self]
        while len(months) < count:
            months.append(months[-1].previous())
        return months[::-1]

    @property
    def roc(self) -> str:
        """112年7月: how official documents date the month (ROC year = AD − 1911)."""
        return f"{self.year - 1911}年{self.month}月"

    @property
    def english(self) -> str:
        """Nov 2026 (ROC 115): the month for an English reader, with the ROC year the documents carry."""
        return f"{_ENGLISH[self.month - 1]} {self.year} (ROC {self.year - 1911})"

    def short(self, locale: str) -> str:
        """The month alone, for a chart's axis: 11月, or Nov."""
        return _ENGLISH[self.month - 1] if locale == "en" else f"{self.month}月"

    def label(self, locale: str) -> str:
        """The month as a person reads it: 115年11月 in zh-TW, Nov 2026 (ROC 115) in English."""
        return self.english if locale == "en" else self.roc

    @classmethod
    def from_roc(cls, text: str) -> Month:
        """The month of "115年11月" (the inverse of `roc`)."""
        match = _ROC_MONTH.fullmatch(text.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise BadMonth(text)
        return cls(int(match.group(1)) + 1911, int(match.group(2)))


def english_roc_months(text: str) -> str:
    """Every "115年11月" in a text (a message's parameter) written as "Nov 2026 (ROC 115)"."""
    return _ROC_MONTH.sub(lambda match: Month.from_roc(match.group(0)).english, text)
