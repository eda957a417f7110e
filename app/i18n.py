"""Messages people read, in zh-TW (the default) and English, chosen by Accept-Language.

The wording is in gettext catalogues, app/translations/<locale>/LC_MESSAGES/<domain>.po, whose message ids are the
codes ("case.not_found"); `make translations` brings them up to date with the code, `make setup` compiles them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel.messages.mofile import read_mo
from flask import g, has_request_context, request
from flask_babel import Babel

from app.errors import N_

SUPPORTED_LOCALES = ("zh_TW", "en")
DEFAULT_LOCALE = "zh_TW"
# A language the console user chose (?lang=, app/web) outranks the browser's Accept-Language.
CHOSEN_LOCALE = "hotline_locale"

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# "messages": the API's and the server's; "console": the console's words, all of which its page script receives.
DOMAINS = ("messages", "console")

babel = Babel()


def select_locale() -> str:
    """The language the console user chose, else the caller's most preferred one we speak; zh-TW when none is."""
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = g.get(CHOSEN_LOCALE)
    if chosen in SUPPORTED_LOCALES:
        return str(chosen)
    return preferred_locale(request.accept_languages)


def preferred_locale(languages: Iterable[tuple[str, float]]) -> str:
    """The first of our languages in the caller's order of preference (Accept-Language, parsed); zh-TW when none is."""
    for language, _quality in languages:
        tag = language.lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return DEFAULT_LOCALE
    return DEFAULT_LOCALE


# Marshmallow's English messages, rendered in zh-TW for the default locale.
_MARSHMALLOW_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing data for required field\.$"), "此欄位必填。"),
    (re.compile(r"^Field may not be null\.$"), "此欄位不可為 null。"),
    (re.compile(r"^Unknown field\.$"), "不認得的欄位，請移除。"),
    (re.compile(r"^Not a valid string\.$"), "必須是文字。"),
    (re.compile(r"^Not a valid integer\.$"), "必須是整數。"),
    (re.compile(r"^Not a valid number\.$"), "必須是數字。"),
    (re.compile(r"^Not a valid boolean\.$"), "必須是 true 或 false。"),
    (re.compile(r"^Not a valid datetime\.$"), "必須是 ISO 8601 日期時間，例如 2023-07-01T09:30:00+08:00。"),
    (re.compile(r"^Not a valid date\.$"), "必須是日期，例如 2023-07-01。"),
    (re.compile(r"^Invalid input type\.$"), "資料型態不正確。"),
    (re.compile(r"^Must be one of: (.*)\.$"), r"必須是以下之一：\1。"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"長度不可超過 \1 字。"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"長度至少 \1 字。"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"長度須介於 \1 與 \2 字之間。"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        r"須介於 \1 與 \2 之間。",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"須大於或等於 \1。"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"須小於或等於 \1。"),
    (re.compile(r"^String does not match expected pattern\.$"), "格式不符。"),
    (re.compile(r"^Invalid value\.$"), "值不正確。"),
    (re.compile(r"^Special numeric values \(nan or infinity\) are not permitted\.$"), "不接受 NaN 或無限大。"),
    (re.compile(r"^Must not contain the NUL character\.$"), "不可包含 NUL 字元。"),
    (re.compile(r"^Not valid Unicode text\.$"), "不是有效的 Unicode 文字。"),
    (re.compile(r"^Must be between the years (\d+) and (\d+)\.$"), r"年份須介於 \1 與 \2 之間。"),
]


def is_english() -> bool:
    return select_locale() == "en"


@functools.cache
def catalogue(domain: str, locale: str) -> Mapping[str, str]:
    """Every key of one compiled catalogue with its wording."""
    path = TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.mo"
    try:
        with path.open("rb") as file:
            compiled = read_mo(file)
    except FileNotFoundError:
        raise RuntimeError(f"{path} is missing: `make setup` compiles the translations") from None
    return MappingProxyType({str(entry.id): str(entry.string) for entry in compiled if entry.id})


def check_catalogues() -> None:
    """Fail at start-up, not at the first message, when the translations were never compiled."""
    for domain in DOMAINS:
        for locale in SUPPORTED_LOCALES:
            catalogue(domain, locale)


def translate(domain: str, key: str) -> str:
    """The wording for a key in the request's language; a key without any shows itself."""
    # Not flask_babel.gettext: that keeps the first locale it chose in `g` for the rest of the app context, which
    # several requests can share (a test sends many in one); select_locale() is cheap enough to ask every time.
    return catalogue(domain, select_locale()).get(key, key)


def message(code: str, /, **params: Any) -> str:
    """The message for a code in the request's language; unknown codes fall back to the code."""
    translated = {key: _translate_param(key, value) for key, value in params.items()}
    for key, value in params.items():
        # A parameter named like "reason_code" is itself a message: render it as "reason".
        if key.endswith("_code") and isinstance(value, str):
            translated[key.removesuffix("_code")] = message(value)
    return translate("messages", code).format(**translated)


def translate_validation_message(text: str) -> str:
    if is_english():
        return text
    for pattern, replacement in _MARSHMALLOW_ZH:
        if pattern.match(text):
            return pattern.sub(replacement, text)
    return text


# Our own words inside messages (a status, an action, a case type, a role), as "word.<value>" keys. English
# keeps the value itself, as the API's English messages always have.
_WORDS = frozenset(
    {
        # Statuses
        N_("word.new"),
        N_("word.assigned"),
        N_("word.acknowledged"),
        N_("word.reported"),
        N_("word.closed"),
        N_("word.merged"),
        N_("word.cancelled"),
        N_("word.waiting_citizen"),
        # Actions
        N_("word.assign"),
        N_("word.acknowledge"),
        N_("word.note"),
        N_("word.report"),
        N_("word.close"),
        N_("word.reopen"),
        N_("word.merge"),
        N_("word.cancel"),
        N_("word.wait"),
        N_("word.resume"),
        # Case types
        N_("word.consultation"),
        N_("word.petition"),
        N_("word.dispatch"),
        N_("word.supervision"),
        N_("word.other"),
        # Roles
        N_("word.agent"),
        N_("word.supervisor"),
        N_("word.agency"),
        N_("word.mayor_office"),
        N_("word.admin"),
    }
)


# Only these parameters hold our own vocabulary; everything else may be what a user typed.
_VOCABULARY_PARAMS = frozenset({"status", "action", "case_type", "expected", "given", "role"})


def _translate_param(key: str, value: Any) -> Any:
    if key in _VOCABULARY_PARAMS and isinstance(value, str) and f"word.{value}" in _WORDS:
        return translate("messages", f"word.{value}")
    return value
