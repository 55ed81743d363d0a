"""Chinese search: the pure text functions behind Account/Contact ``search_text`` and ``name_sort``.

``search_text`` is one normalised string per record, its parts wrapped in ``|`` so a query can be
matched exactly (``|q|``), as a prefix (``|q``) or as a substring (``q``) with one LIKE pattern each,
on PostgreSQL (pg_trgm) and SQLite (FTS5 trigram) alike::

    |北京华为科技有限公司|bjhwkjyxgs|华为|hw|~|beijinghuaweikejiyouxiangongsi|huawei|91110000…|13800138000|

Every part is ``normalise``-d the same way the query is (NFKC, lower case, letters and digits
only), so width, case, spaces and punctuation never decide whether something is found.

Pinyin uses pypinyin with a per-character cache (1M names in seconds, PERF-NOTES). A few hundred
characters read differently inside words (重庆 chóngqìng, 银行 yínháng, 厦门 xiàmén); for those
only, a short window of neighbouring characters goes through pypinyin's phrase dictionary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pypinyin import lazy_pinyin

SEPARATOR = "|"
# Ends the names section (names, short names and their initials). One- and two-character queries
# look only there: such a query is a Chinese word or initials (华为, hw), and matching it inside
# every pinyin spelling, phone number and credit code would find everything. No normalised query
# contains "~", so the marker itself never matches.
NAMES_END = "~"
NAME_SORT_MAX = 300  # Contact.name_sort is 300 characters, Account.name_sort 400: fit both.
_PHONEISH = re.compile(r"^[\d\s()+\-./]+$")


_NOT_WORD = re.compile(r"[\W_]+")  # keeps letters and digits of every script (str.isalnum)


def normalise(text: str | None) -> str:
    """'Ｈｕａｗｅｉ Co., Ltd.' → 'huaweicoltd'; '北京 华为（科技）' → '北京华为科技'."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text or "").casefold())
    return _NOT_WORD.sub("", folded)


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# One Han character, or a run of other letters and digits (\w minus '_' minus Han).
_HAN_CHAR = re.compile(f"[{_HAN}]")
_TOKENS = re.compile(f"([{_HAN}])|([^\\W_{_HAN}]+)")
_ALL_HAN = re.compile(f"[{_HAN}]+")
_READING: dict[str, str | None] = {}  # Han character → reading; None when it depends on context


@lru_cache(maxsize=50_000)
def _char_reading(ch: str) -> str:
    reading = lazy_pinyin(ch, errors="ignore")
    return reading[0] if reading else ""


@lru_cache(maxsize=1)
def _context_sensitive() -> frozenset[str]:
    """Characters whose reading inside some dictionary phrase differs from their reading alone."""
    from pypinyin import Style
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.style import convert

    alone: dict[str, str] = {}
    found = set()
    for phrase, readings in PHRASES_DICT.items():
        if len(phrase) != len(readings):
            continue
        for ch, options in zip(phrase, readings, strict=True):
            if ch in found:
                continue
            if ch not in alone:
                alone[ch] = _char_reading(ch)
            if convert(options[0], Style.NORMAL, strict=True) != alone[ch]:
                found.add(ch)
    return frozenset(found)


@lru_cache(maxsize=100_000)
def _phrase_readings(phrase: str) -> tuple[str, ...]:
    from pypinyin import Style
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.style import convert

    options = PHRASES_DICT.get(phrase) or []
    return tuple(convert(o[0], Style.NORMAL, strict=True) for o in options) if len(options) == len(phrase) else ()


def _reading_in_context(text: str, i: int) -> str:
    """Read text[i] as in the longest dictionary word (4, 3, then 2 characters) that covers it."""
    # Only the three characters on either side can matter: the answer is cached by that window
    # (company names repeat their neighbourhoods: 有限责任公司, 银行, 重庆 …).
    start = max(0, i - 3)
    return _reading_in_window(text[start: i + 4], i - start)


@lru_cache(maxsize=100_000)
def _reading_in_window(text: str, i: int) -> str:
    from pypinyin.constants import PHRASES_DICT

    for length in (4, 3, 2):
        for start in range(max(0, i - length + 1), i + 1):
            word = text[start: start + length]
            if len(word) == length and word in PHRASES_DICT:
                readings = _phrase_readings(word)
                if readings:
                    return readings[i - start]
    return _char_reading(text[i])


def _han_reading(text: str, i: int) -> str:
    """The reading of the Han character text[i]: its own, cached per character, or, for the few
    characters read differently inside words, the one its neighbours give it."""
    ch = text[i]
    if ch in _READING:
        reading = _READING[ch]
    else:
        reading = _READING[ch] = None if ch in _context_sensitive() else _char_reading(ch)
    return reading if reading is not None else _reading_in_context(text, i)


def _syllables(name: str) -> list[tuple[str, bool]]:
    """The name as (piece, is_han) pieces: one pinyin syllable per Han character, and each run of
    other letters and digits kept as one normalised piece."""
    text = unicodedata.normalize("NFKC", name or "")
    if _ALL_HAN.fullmatch(text):  # most Chinese names: no tokenising needed
        return [(reading, True) for i in range(len(text)) if (reading := _han_reading(text, i))]
    pieces: list[tuple[str, bool]] = []
    for m in _TOKENS.finditer(text):
        if m.group(1) is None:
            piece = normalise(m.group(2))
            if piece:
                pieces.append((piece, False))
        elif reading := _han_reading(text, m.start()):
            pieces.append((reading, True))
    return pieces


def _forms(name: str | None) -> tuple[str, str, str, str]:
    """(full pinyin, initials, sort key, normalised) from one pass over the name."""
    pieces = _syllables(name or "")
    readings = [p for p, _ in pieces]
    initials = "".join([p[0] if han else p for p, han in pieces])
    return "".join(readings), initials, " ".join(readings)[:NAME_SORT_MAX], normalise(name)


def pinyin_full(name: str | None) -> str:
    """'北京华为科技有限公司' → 'beijinghuaweikejiyouxiangongsi'; '重庆银行' → 'chongqingyinhang'."""
    return _forms(name)[0]


def pinyin_initials(name: str | None) -> str:
    """'北京华为科技有限公司' → 'bjhwkjyxgs'. Runs of Latin letters and digits stay whole
    ('IBM中国' → 'ibmzg'), because that is how people abbreviate such names."""
    return _forms(name)[1]


def name_sort_key(name: str | None) -> str:
    """A key that sorts names in 拼音 order under a byte-order collation (C.UTF-8, SQLite BINARY):
    one syllable per character, separated by spaces so syllables compare one by one
    ('xi an' 西安 before 'xian' 先锋); homophones are left to the caller's id tiebreak."""
    return _forms(name)[2]


def phone_digits(text: str | None) -> str:
    """Comparable digits of a phone number typed in any format.

    '+86 138-0013-8000', '0086 13800138000', '８６１３８００１３８０００' → '13800138000';
    '(010) 6552 9988', '+86 10 6552 9988' → '1065529988' (national number without the trunk 0);
    '+1 415 555 0100' → '14155550100' (other countries keep their country code).
    """
    raw = unicodedata.normalize("NFKC", text or "").strip()
    digits = "".join(filter(str.isdigit, raw))
    if not digits:
        return ""
    international = raw.startswith("+") or digits.startswith("00")
    if digits.startswith("0086"):
        digits, international = digits[4:], False
    elif raw.startswith("+"):
        if digits.startswith("86"):
            digits, international = digits[2:], False
    elif len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]  # a mobile number typed with the country code but without '+'
    if international:
        return digits.lstrip("0")
    # Chinese national numbers: the trunk prefix 0 of area codes is not part of the number.
    return digits[1:] if digits.startswith("0") and len(digits) > 1 else digits


def looks_like_phone(text: str) -> bool:
    raw = unicodedata.normalize("NFKC", text or "").strip()
    return bool(_PHONEISH.match(raw)) and sum(ch.isdigit() for ch in raw) >= 3


def query_terms(q: str) -> list[str]:
    """The normalised forms a query is searched as: itself, and its phone digits if it looks like
    a phone number typed with a trunk 0 or country code."""
    terms = []
    term = normalise(q)
    if term:
        terms.append(term)
    if looks_like_phone(q):
        digits = phone_digits(q)
        if digits and digits not in terms:
            terms.append(digits)
    return terms


def _document(
    name: str | None, short_name: str | None, credit_code: str | None,
    phones: Iterable[str | None], emails: Iterable[str | None], extra: Iterable[str | None],
) -> tuple[str, str]:
    names: list[str] = []
    parts: list[str] = []
    sort_key = ""
    for i, text in enumerate((name, short_name)):
        if text:
            full, initials, key, plain = _forms(text)
            names += [plain, initials]
            parts.append(full)
            sort_key = key if i == 0 else sort_key
    parts.append(normalise(credit_code))
    parts += [phone_digits(p) for p in phones if p]
    parts += [normalise(e) for e in emails if e]
    parts += [normalise(e) for e in extra if e]
    unique_names = list(dict.fromkeys(p for p in names if p))
    rest = [p for p in dict.fromkeys(p for p in parts if p) if p not in unique_names]
    if not unique_names and not rest:
        return "", sort_key
    return SEPARATOR + SEPARATOR.join([*unique_names, NAMES_END, *rest]) + SEPARATOR, sort_key


def search_document(
    *,
    name: str | None,
    short_name: str | None = "",
    credit_code: str | None = "",
    phones: Iterable[str | None] = (),
    emails: Iterable[str | None] = (),
    extra: Iterable[str | None] = (),
) -> str:
    """The normalised text stored in ``search_text``: name, short name, their pinyin and initials,
    credit code, phone digits, e-mail addresses and ``extra`` (WeChat id …), each part once."""
    return _document(name, short_name, credit_code, phones, emails, extra)[0]


def search_fields_for(obj: Any) -> tuple[str, str]:
    """(search_text, name_sort) for an Account or a Contact (duck-typed: no ORM import here)."""
    phones = [getattr(obj, "phone", "") or getattr(obj, "mobile", ""), *(getattr(obj, "other_phones", None) or [])]
    return _document(
        obj.name, getattr(obj, "short_name", ""), getattr(obj, "credit_code", "") or "", phones,
        [getattr(obj, "email", "")], [getattr(obj, "wechat", "")],
    )


def refresh_search_fields(obj: Any) -> Any:
    """Recompute ``search_text`` and ``name_sort`` from the record's own fields. Services call it
    right before saving; it never touches the database."""
    obj.search_text, obj.name_sort = search_fields_for(obj)
    return obj


SEARCH_FIELDS = ("search_text", "name_sort")
SOURCE_FIELDS = {
    "account": ("id", "name", "short_name", "credit_code", "phone", "other_phones"),
    "contact": ("id", "name", "mobile", "other_phones", "email", "wechat"),
}


def backfill_search_fields(queryset: Any, *, batch_size: int = 2000, only_missing: bool = False) -> int:
    """Recompute search fields for every row of ``queryset`` (imports, seeding, migrations), in
    primary-key batches written with ``bulk_update``. Returns the number of rows written."""
    model = queryset.model
    source = SOURCE_FIELDS["contact" if hasattr(model, "mobile") else "account"]
    qs = queryset.order_by("pk")
    if only_missing:
        qs = qs.filter(search_text="")
    written, last = 0, None
    while True:
        batch_qs = qs if last is None else qs.filter(pk__gt=last)
        batch = list(batch_qs.only(*source, *SEARCH_FIELDS)[:batch_size])
        if not batch:
            return written
        changed = []
        for obj in batch:
            before = (obj.search_text, obj.name_sort)
            refresh_search_fields(obj)
            if (obj.search_text, obj.name_sort) != before:
                changed.append(obj)
        if changed:
            model._base_manager.db_manager(queryset.db).bulk_update(changed, SEARCH_FIELDS, batch_size=batch_size)
        written += len(changed)
        last = batch[-1].pk
