"""Personal data written into free text (a case's content, a supplement, a reason), found and masked.

The text is searched in NFKC form with dashes unified, so full-width digits (１３５７９１３０００７), a full-width @,
spaced or hyphenated numbers (135 7913 0005, 135-7913-0005), a +86 / 0086 prefix and a landline in brackets
((0731) 5568 1234) are all found; the masks replace the matched span of the original text, which is otherwise
left as written (its full-width commas stay full-width). What is masked:

- mainland mobiles: 135****0005; landlines with an area code: 073****1234;
- resident ID numbers (18 digits, the last maybe X, or the old 15): 430382********1234;
- e-mail addresses: s***@example.com;
- the names the caller knows belong to the people concerned (the reporter, the household's contact): 王*英,
  also the given name alone when the full name has three or more characters (秀英 → 秀*).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .crypto import mask_name

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u30fc"), "-")
_SEP = r"[ \-.]?"  # one space, hyphen or dot between digit groups
_NO_DIGIT_BEFORE = r"(?<![0-9A-Za-z+])"
_NO_DIGIT_AFTER = r"(?![0-9A-Za-z])"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ID_NUMBER = re.compile(_NO_DIGIT_BEFORE + r"(?:\d{6}" + _SEP + r"\d{8}" + _SEP + r"\d{3}[0-9Xx]|\d{15})"
                        + r"(?![0-9A-Za-z])")
_MOBILE = re.compile(_NO_DIGIT_BEFORE + r"(?:(?:\+|00)?86" + _SEP + r")?1[3-9]\d(?:" + _SEP + r"\d){8}"
                     + _NO_DIGIT_AFTER)
_LANDLINE = re.compile(_NO_DIGIT_BEFORE + r"(?:\+?86" + _SEP + r")?(?:\(0\d{2,3}\)|0\d{2,3})" + _SEP
                       + r"\d{3,4}" + _SEP + r"\d{4}" + _NO_DIGIT_AFTER)
_MAYBE = re.compile(r"[\d@\uff20]")  # any decimal digit (full-width ones too) or an at sign


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text in NFKC with dashes unified, and for each of its characters the index it came from."""
    if text.isascii():
        return text.translate(_DASHES), list(range(len(text)))
    chars, origin = [], []
    for index, char in enumerate(text):
        for out in unicodedata.normalize("NFKC", char).translate(_DASHES):
            chars.append(out)
            origin.append(index)
    return "".join(chars), origin


def _digits(found: str) -> str:
    return "".join(c for c in found if c.isdigit() or c in "Xx")


def _mask_number(found: str) -> str:
    digits = _digits(found)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    return digits[:3] + "****" + digits[-4:]


def _mask_id(found: str) -> str:
    digits = _digits(found)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _mask_email(found: str) -> str:
    local, _, domain = found.partition("@")
    return local[:1] + "***@" + domain


def _name_patterns(names: Iterable[str | None]) -> list[tuple[re.Pattern, str]]:
    patterns, seen = [], set()
    for name in names:
        if not name:
            continue
        name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
        # the given name alone (秀英 of 王秀英) for a Chinese name of three characters or more
        variants = [name] + ([name[1:]] if len(name) >= 3 and not name.isascii() else [])
        for variant in variants:
            if len(variant) >= 2 and variant not in seen:
                seen.add(variant)
                # written with spaces between the characters too (王 秀 英); a Latin name only as a whole word
                spaced = r"\s?".join(re.escape(c) for c in variant)
                bounded = spaced if not variant.isascii() else rf"(?<![A-Za-z]){spaced}(?![A-Za-z])"
                patterns.append((re.compile(bounded, re.IGNORECASE), mask_name(variant)))
    return patterns  # the full name before its given name


def _spans(norm: str, names) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, mask: str) -> None:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            return  # inside something already masked (digits of an e-mail address, a name in a name)
        taken.append((start, end))
        found.append((start, end, mask))

    if "@" in norm:
        for m in _EMAIL.finditer(norm):
            add(m.start(), m.end(), _mask_email(m.group()))
    if _MAYBE.search(norm):
        for m in _ID_NUMBER.finditer(norm):
            add(m.start(), m.end(), _mask_id(m.group()))
        for pattern in (_MOBILE, _LANDLINE):
            for m in pattern.finditer(norm):
                add(m.start(), m.end(), _mask_number(m.group()))
    for pattern, mask in names:
        for m in pattern.finditer(norm):
            add(m.start(), m.end(), mask)
    return sorted(found)


def find(text: str | None, names: Iterable[str | None] = ()) -> list[tuple[int, int, str]]:
    """(start, end, mask) of every piece of personal data in `text`, as indexes into the original text."""
    if not text:
        return []
    name_patterns = _name_patterns(names)
    if not name_patterns and not _MAYBE.search(text):
        return []  # no digit, no at sign, no name to look for: nothing to find (the common case, cheaply)
    norm, origin = _normalised(text)
    return [(origin[start], origin[end - 1] + 1, mask) for start, end, mask in _spans(norm, name_patterns)]


def contains_personal(text: str | None, names: Iterable[str | None] = ()) -> bool:
    return bool(find(text, names))


def redact(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """The text with every phone number, ID number, e-mail address and given name masked."""
    spans = find(text, names)
    if not spans:
        return text
    out, position = [], 0
    for start, end, mask in spans:
        out.append(text[position:start])
        out.append(mask)
        position = end
    out.append(text[position:])
    return "".join(out)
