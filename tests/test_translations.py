"""The catalogues hold exactly the keys the code uses, each with its wording in both languages."""

from __future__ import annotations

import io
import string
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask

from app.i18n import DOMAINS, SUPPORTED_LOCALES, TRANSLATIONS, message
from app.i18n_extract import extract_python
from app.vocabulary import EventType
from app.web.labels import label

ROOT = Path(__file__).resolve().parents[1]


def _used_keys(domain: str) -> dict[str, list[str]]:
    """Every key the code uses in a domain, with where, found as `make translations` finds them."""
    with (TRANSLATIONS / f"{domain}.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    used: dict[str, list[str]] = defaultdict(list)
    # The keywords are in the .cfg, section by section.
    for filename, lineno, key, _comments, _context in extract_from_dir(ROOT, method_map, options_map, keywords={}):
        used[str(key)].append(f"{filename}:{lineno}")
    return used


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _keys(catalog: Catalog) -> set[str]:
    return {str(entry.id) for entry in catalog if entry.id}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_key_the_code_uses_is_in_the_catalogue(domain: str) -> None:
    known = _keys(_read(TRANSLATIONS / f"{domain}.pot"))
    missing = {key: where for key, where in _used_keys(domain).items() if key not in known}
    assert not missing, (
        f"keys used in the code but not in app/translations/{domain}.pot: "
        + ", ".join(f"{key} ({where[0]})" for key, where in sorted(missing.items()))
        + f". Run `make translations`, then write their wording in app/translations/*/LC_MESSAGES/{domain}.po"
        " (a key built at run time, like `event.${type}`, is listed in app/web/labels.py or app/i18n.py instead)."
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalogue_holds_no_key_the_code_no_longer_uses(domain: str) -> None:
    unused = _keys(_read(TRANSLATIONS / f"{domain}.pot")) - set(_used_keys(domain))
    assert not unused, f"app/translations/{domain}.pot has keys no code uses: {sorted(unused)}: run make translations"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_key_has_its_wording(domain: str, locale: str) -> None:
    path = TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po"
    catalog = _read(path)
    assert _keys(catalog) == _keys(_read(TRANSLATIONS / f"{domain}.pot")), f"{path} is behind: run `make translations`"
    # An empty or fuzzy entry is left out of the compiled catalogue: the user would see the key.
    unfinished = sorted(str(entry.id) for entry in catalog if entry.id and (not entry.string or entry.fuzzy))
    assert not unfinished, f"{path}: no wording (or only a fuzzy one) for {unfinished}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_both_languages_have_the_same_placeholders(domain: str) -> None:
    zh, en = (_read(TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po") for locale in SUPPORTED_LOCALES)
    english = {str(entry.id): str(entry.string) for entry in en if entry.id}
    differing = {
        str(entry.id): (_fields(str(entry.string)), _fields(english.get(str(entry.id), "")))
        for entry in zh
        if entry.id and _fields(str(entry.string)) != _fields(english.get(str(entry.id), ""))
    }
    assert not differing, f"{domain}: the placeholders differ between zh-TW and en: {differing}"


def _fields(text: str) -> set[str]:
    """The str.format fields of a wording ({case_no}); a malformed one raises."""
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_event_type_has_its_words_in_both_languages(event_type: EventType) -> None:
    app = Flask(__name__)
    words = []
    for language in ("zh-TW", "en"):
        with app.test_request_context(headers={"Accept-Language": language}):
            words.append(label(f"event.{event_type.value}"))
    assert f"event.{event_type.value}" not in words
    assert words[0] != words[1]


def test_messages_come_from_the_compiled_catalogue_in_the_callers_language() -> None:
    app = Flask(__name__)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert message("case.not_found", case_no="1151123-0001") == "Case 1151123-0001 was not found."
        assert message("auth.forbidden", role="mayor_office") == "Your role (mayor_office) may not do this."
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        assert message("auth.forbidden", role="mayor_office") == "您的角色（市長室）不能執行此操作。"
        assert message("no.such_code") == "no.such_code"


def test_the_extraction_finds_nested_keys_and_ignores_subscripts() -> None:
    source = b"""
raise InvalidInput("validation.failed", fields={"day": [N_("field.bad_date")]})
message["late"] = True
# TRANSLATORS: shown on the login page.
label("login.title"), label(key), label(f"x.{y}")
"""
    keywords = {"InvalidInput", "N_", "message", "label"}
    found = [
        (key, comments)
        for _line, _keyword, key, comments in extract_python(io.BytesIO(source), keywords, ["TRANSLATORS:"], {})
    ]
    assert sorted(found) == [
        ("field.bad_date", []),
        ("login.title", ["TRANSLATORS: shown on the login page."]),
        ("validation.failed", []),
    ]
