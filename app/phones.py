"""Taiwan phone numbers: normalise to E.164, refuse short codes, mask for agencies."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, shortnumberinfo

from app.errors import N_, InvalidInput

REGION = "TW"

_PARSE_REASONS = {
    NumberParseException.TOO_SHORT_NSN: N_("phone.reason.too_short"),
    NumberParseException.TOO_SHORT_AFTER_IDD: N_("phone.reason.too_short"),
    NumberParseException.TOO_LONG: N_("phone.reason.too_long"),
}
_SHORT_CODE_DIGITS = 6


def _parse(raw: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(raw, REGION)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, N_("phone.reason.unparseable"))
        raise PhoneNumberError(raw, reason) from exc


class PhoneNumberError(InvalidInput):
    def __init__(self, raw: str, reason_code: str) -> None:
        super().__init__(N_("phone.invalid"), raw=raw, reason_code=reason_code)
        self.reason_code = reason_code


class ShortCodeError(InvalidInput):
    def __init__(self, raw: str) -> None:
        super().__init__(N_("phone.short_code"), raw=raw)


def is_short_code(raw: str) -> bool:
    """1999, 110, 119 and the like: service numbers, never a person's phone."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not digits or len(digits) > _SHORT_CODE_DIGITS or raw.strip().startswith("+"):
        return False
    try:
        number = phonenumbers.parse(digits, REGION)
    except NumberParseException:
        return False
    return bool(
        shortnumberinfo.is_valid_short_number_for_region(number, REGION)
        or shortnumberinfo.is_emergency_number(digits, REGION)
    )


def normalise(raw: str) -> str:
    """Any way a Taiwanese writes a phone number -> E.164 (+886...), or a clear refusal."""
    raw = raw.strip()
    if is_short_code(raw):
        raise ShortCodeError(raw)
    number = _parse(raw)
    if not phonenumbers.is_valid_number(number):
        possible = phonenumbers.is_possible_number_with_reason(number)
        reason = {
            phonenumbers.ValidationResult.TOO_SHORT: N_("phone.reason.too_short"),
            phonenumbers.ValidationResult.TOO_LONG: N_("phone.reason.too_long"),
        }.get(possible, N_("phone.reason.not_a_number"))
        raise PhoneNumberError(raw, reason)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalise(raw: str) -> str | None:
    """E.164 if the text is a valid phone number, else None (for search)."""
    try:
        return normalise(raw)
    except InvalidInput:
        return None


def try_taiwanese(raw: str) -> str | None:
    """E.164 if the text is a valid Taiwanese number (+886; no short code), else None: what a duty phone
    typed by an administrator must be."""
    normalised = try_normalise(raw)
    return normalised if normalised is not None and normalised.startswith("+886") else None


@functools.lru_cache(maxsize=4096)  # an intake asks twice (the receipt, the SMS reply), a dispatch for each duty phone
def is_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


_VISIBLE_END = 3  # the last digits shown, for a responder to recognise a caller
_HIDDEN_AT_LEAST = 3  # as many as a mobile's 0912***678 hides: a landline is no easier to guess


@functools.lru_cache(maxsize=4096)  # a list of 50 cases masks 50 numbers, often the same callers: parsing is the cost
def mask(e164: str | None) -> str | None:
    """0912***678 (a mobile's prefix), 07***333 (a landline's area code): recognisable, not callable."""
    if not e164:
        return e164
    number = phonenumbers.parse(e164, None)
    if number.country_code == 886:
        national = "0" + str(number.national_number)
        area = phonenumbers.length_of_geographical_area_code(number)
        # A landline shows its area code only (a mobile, with none, its 09xx): showing 4 digits of a
        # 9-digit landline would leave 2 hidden, 100 guesses.
        prefix = 1 + area if area else 4
    else:
        national = "+" + str(number.country_code) + str(number.national_number)
        prefix = 4
    if len(national) <= 7:
        return national[:2] + "***"
    prefix = min(prefix, len(national) - _VISIBLE_END - _HIDDEN_AT_LEAST)
    return f"{national[:prefix]}***{national[-_VISIBLE_END:]}"


# Values that are a timestamp, a date or a case number and nothing else: never a phone number, and
# common in event payloads, where the matcher would spend about a millisecond on each.
_NOT_FREE_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{7}-\d{4}"
)


def mask_in_text(text: str) -> str:
    """Every phone number written in free text (any form: +886…, 0921-363-979, full-width) masked, the words kept."""
    if sum(map(str.isdigit, text)) < 7 or _NOT_FREE_TEXT.fullmatch(text):
        return text  # too few digits for a number, or a timestamp: skip the matcher's cost
    pieces, last = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, "TW"):
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        pieces += [text[last : match.start], mask(number) or ""]
        last = match.end
    return "".join([*pieces, text[last:]]) if pieces else text
