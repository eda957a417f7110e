"""Addresses as callers say them, made comparable: pure functions, no Flask, no database.

Two callers about the same fallen tree write 鳳山區光復路二段132號 and 光復路２段 132 號, or 臺 and 台,
or 132之1號, 132號之1 and 132-1號. `normalise` gives them one spelling; `distance` says how far apart
two addresses on the same street are (None: not the same street, so not a duplicate).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Beyond this many house numbers apart, two reports are about different places.
MAX_NUMBER_GAP = 40
# An address without a house number on the same street: a match, ranked after every numbered one.
NO_NUMBER_DISTANCE = float(MAX_NUMBER_GAP + 1)

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERALS = "".join(_DIGITS) + "十"
_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"[‐‑‒–—―ー−~～]")
_CHINESE_NUMBER = re.compile(rf"([{_NUMERALS}]+)(?=[段巷弄號樓])")
_NUMBER_THEN_SUB = re.compile(r"(\d+)號之(\d+)")  # 132號之1 -> 132之1號
_DASHED_SUB = re.compile(r"(\d+)-(\d+)號")  # 132-1號 -> 132之1號
# What the district field already says: the city, the district, the village (里) and neighbourhood (鄰).
_PREFIX = re.compile(
    r"^(?:台灣省)?(?:高雄[市縣])?(?:[\u4e00-\u9fff]{1,3}區(?=\D))?(?:[\u4e00-\u9fff]{1,3}里)?(?:\d+鄰)?"
)
_TRAILING = re.compile(r"[,，、.。;；:：]+$")
_STRUCTURE = re.compile(
    r"^(?P<street>\D*(?:\d+段)?)(?:(?P<lane>\d+)巷)?(?:(?P<alley>\d+)弄)?"
    r"(?:(?P<number>\d+)(?:之(?P<sub>\d+))?號)?(?P<rest>.*)$"
)


def _chinese_to_int(numeral: str) -> int | None:
    """二 -> 2, 十二 -> 12, 二十 -> 20, 二十三 -> 23 (house numbers and sections said in words)."""
    if "十" not in numeral:
        if len(numeral) == 1:
            return _DIGITS[numeral]
        return int("".join(str(_DIGITS[ch]) for ch in numeral)) if all(ch in _DIGITS for ch in numeral) else None
    tens, _, ones = numeral.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


def _arabic(match: re.Match[str]) -> str:
    value = _chinese_to_int(match.group(1))
    return match.group(0) if value is None else str(value)


def normalise(address: str) -> str:
    """One spelling for one place: half-width digits, 台 for 臺, no spaces, 132之1號, numbers in digits,
    without the city and district (the form's district field says those)."""
    text = unicodedata.normalize("NFKC", address)
    text = _SPACES.sub("", text).replace("臺", "台")
    text = _DASHES.sub("-", text)
    text = _CHINESE_NUMBER.sub(_arabic, text)
    text = _NUMBER_THEN_SUB.sub(r"\1之\2號", text)
    text = _DASHED_SUB.sub(r"\1之\2號", text)
    text = _PREFIX.sub("", text, count=1)
    # Once more: taking spaces out can join a letter and its accent, which NFKC then composes.
    return unicodedata.normalize("NFKC", _TRAILING.sub("", text))


@dataclass(frozen=True)
class Place:
    """A normalised address taken apart: the street (with its section), lane, alley, house number."""

    street: str
    lane: int | None
    alley: int | None
    number: int | None
    sub: int | None
    rest: str


def place(normalised: str) -> Place | None:
    """The parts of a normalised address, or None when it names no street (a landmark only, or nothing)."""
    match = _STRUCTURE.match(normalised)
    if match is None or not match.group("street"):
        return None

    def number(name: str) -> int | None:
        value = match.group(name) if match else None
        return int(value) if value else None

    return Place(
        street=match.group("street"),
        lane=number("lane"),
        alley=number("alley"),
        number=number("number"),
        sub=number("sub"),
        rest=match.group("rest"),
    )


_ROAD = re.compile(r"^(?P<road>\D+?(?:大道|路|街|巷|道))(?:\d+段)?")


def road(normalised: str) -> str | None:
    """The road of a normalised address without its section or numbers: 光復路2段132號 -> 光復路; None when
    the address names no road (a landmark, a park)."""
    match = _ROAD.match(normalised)
    return match.group("road") if match else None


def distance(first: str, second: str) -> float | None:
    """How far apart two normalised addresses are, in house numbers; None when not on the same street.

    0 is the same place; a different 之-number or words after the number (前, 旁) add a fraction;
    an address without a number on the same street is NO_NUMBER_DISTANCE.
    """
    if not first or not second:
        return None
    if first == second:
        return 0.0
    a, b = place(first), place(second)
    if a is None or b is None or (a.street, a.lane, a.alley) != (b.street, b.lane, b.alley):
        return None
    if a.number is None or b.number is None:
        return NO_NUMBER_DISTANCE
    gap = abs(a.number - b.number)
    if gap > MAX_NUMBER_GAP:
        return None
    return gap + (0.5 if a.sub != b.sub else 0.0) + (0.25 if a.rest != b.rest else 0.0)
