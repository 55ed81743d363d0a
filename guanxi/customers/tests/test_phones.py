"""Phone normalisation: the fast path for plain Chinese numbers gives exactly what phonenumbers
gives, for valid and invalid numbers alike, in the formats people type."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.customers.phones import _fast_cn, normalise_phone


def _reference(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _ours(text: str) -> str | None:
    try:
        return normalise_phone(text)
    except ValueError:
        return None


@pytest.mark.parametrize(("typed", "stored"), [
    ("138-0013-8000", "+8613800138000"),
    ("+86 138 0013 8000", "+8613800138000"),
    ("0086 13800138000", "+8613800138000"),
    ("(010) 6552 9988", "+861065529988"),
    ("021-62345678", "+862162345678"),
    ("0755 8888 6666", "+8675588886666"),
])
def test_typed_chinese_numbers_are_stored_in_e164(typed, stored):
    assert normalise_phone(typed) == stored
    assert _fast_cn(typed) == stored  # these common forms take the fast path


@pytest.mark.parametrize("typed", ["12345", "+86 123 4567 8901", "1380013800", "10086", "abc"])
def test_invalid_numbers_are_refused(typed):
    with pytest.raises(ValueError):
        normalise_phone(typed)


_prefix = st.sampled_from(["", "+86", "+86 ", "0086", "0", "86", "+1 ", "+852 "])
_body = st.text(alphabet="0123456789", min_size=5, max_size=13)
_separator = st.sampled_from(["", " ", "-", "."])


@settings(max_examples=3000, deadline=None)
@given(prefix=_prefix, body=_body, sep=_separator, cut=st.integers(min_value=0, max_value=12))
def test_fast_path_agrees_with_phonenumbers(prefix, body, sep, cut):
    text = prefix + (body[:cut] + sep + body[cut:] if cut < len(body) else body)
    assert _ours(text) == _reference(text)


@settings(max_examples=2000, deadline=None)
@given(head=st.sampled_from(["13", "14", "15", "16", "17", "18", "19", "10", "20", "21", "75", "57", "85", "43", "95", "40"]),
       tail=st.text(alphabet="0123456789", min_size=5, max_size=10), prefix=_prefix)
def test_fast_path_agrees_with_phonenumbers_on_likely_chinese_numbers(head, tail, prefix):
    text = prefix + head + tail
    assert _ours(text) == _reference(text)
