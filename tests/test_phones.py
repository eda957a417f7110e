"""Phone numbers as Taiwanese write them."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app import phones


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("0912-345-678", "+886912345678"),
        ("0912345678", "+886912345678"),
        ("+886 912 345 678", "+886912345678"),
        ("886912345678", "+886912345678"),
        ("(07)336-8333", "+88673368333"),
        ("07-336-8333", "+88673368333"),
        ("02 2720 8889", "+886227208889"),
        ("０９１２３４５６７８", "+886912345678"),
    ],
)
def test_written_forms_normalise_to_e164(written: str, e164: str) -> None:
    assert phones.normalise(written) == e164


@pytest.mark.parametrize("short_code", ["1999", "110", "119", "112", "113", "165"])
def test_short_codes_are_recognised_and_refused(short_code: str) -> None:
    assert phones.is_short_code(short_code)
    with pytest.raises(phones.ShortCodeError):
        phones.normalise(short_code)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("0912", "phone.reason.too_short"),
        ("091234567890123", "phone.reason.too_long"),
        ("call me", "phone.reason.unparseable"),
        ("0012345678", "phone.reason.not_a_number"),
    ],
)
def test_invalid_numbers_say_what_is_wrong(written: str, reason: str) -> None:
    with pytest.raises(phones.PhoneNumberError) as refusal:
        phones.normalise(written)
    assert refusal.value.reason_code == reason


def test_mobile_and_landline_are_told_apart() -> None:
    assert phones.is_mobile("+886912345678")
    assert not phones.is_mobile("+88673368333")


def test_mask_keeps_the_first_four_and_last_three_digits() -> None:
    assert phones.mask("+886912345678") == "0912***678"
    assert phones.mask("+88673368333") == "0733***333"
    assert phones.mask(None) is None


_FULL_WIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")


def _written(digits: str, form: int) -> str:
    """A mobile number 09xxxxxxxx written the ways people write it."""
    rest = digits[1:]
    return [
        digits,
        f"{digits[:4]}-{digits[4:7]}-{digits[7:]}",
        f"{digits[:4]} {digits[4:7]} {digits[7:]}",
        f"+886{rest}",
        f"+886 {rest[:3]} {rest[3:6]} {rest[6:]}",
        f"+886-{rest}",
        digits.translate(_FULL_WIDTH),
        f"(09){digits[2:]}",
    ][form]


@given(
    number=st.from_regex(r"09[0-9]{8}", fullmatch=True),
    form=st.integers(min_value=0, max_value=7),
    before=st.sampled_from(["民眾請回電 ", "另留電話：", "", "call back on "]),
    after=st.sampled_from(["，謝謝", " 林小姐", "", "。"]),
)
def test_a_mobile_number_in_free_text_is_masked_in_every_written_form_and_the_words_kept(
    number: str, form: int, before: str, after: str
) -> None:
    written = _written(number, form)
    assume(phones.try_normalise(written) == "+886" + number[1:])  # a number phonenumbers calls valid
    masked = phones.mask_in_text(f"{before}{written}{after}")
    assert masked == f"{before}{number[:4]}***{number[-3:]}{after}"
