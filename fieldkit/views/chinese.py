"""Finding and ordering Chinese text the way a grid worker expects.

- Type-ahead by pinyin initials: "xmsf" finds 刑满释放人员, "wjg" finds 王建国. Initials come from
  pypinyin's table of single characters with every reading (曾 is c or z, 单 is d, c or s), so a
  surname read either way is found; the phrase dictionary is not loaded (it is large and only
  picks one reading of a word, which type-ahead does not need).
- Natural order of names with numbers in them, Chinese numerals included: 第二网格 before
  第十网格, 3号楼 before 12号楼.

Plain Python (no UI): the read model's search text and the app's type-ahead both use it.
"""

from __future__ import annotations

import itertools
import os
import re
import unicodedata
from functools import lru_cache

# pypinyin reads these when it is first imported: the single-character table only, not copied.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

from pypinyin import Style, pinyin

VARIANTS = 8  # at most this many spellings of a text's initials (polyphonic characters)


@lru_cache(maxsize=20000)
def letters(char: str) -> str:
    """The letters a character may be typed as: a Chinese character's pinyin initials (most
    common reading first), a letter or digit itself (lower case, full-width folded), '' for
    anything else (punctuation, spaces)."""
    char = unicodedata.normalize("NFKC", char)
    if not char:
        return ""
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    readings = pinyin(char, style=Style.FIRST_LETTER, heteronym=True, errors=lambda _: [""])
    found = dict.fromkeys(r.lower() for r in readings[0] if r.isascii() and r.isalpha())
    return "".join(found)


def letter_sets(text: str) -> list[str]:
    """Per typeable character of `text`, the letters it may be typed as."""
    return [found for ch in text if (found := letters(ch))]


@lru_cache(maxsize=50000)
def initials(text: str) -> tuple[str, ...]:
    """The ways `text` may be typed as initials ('王建国' -> ('wjg', 'yjg')); several when
    characters have several readings, the most likely first, at most VARIANTS."""
    sets = letter_sets(text)
    if not sets:
        return ()
    return tuple("".join(p) for p in itertools.islice(itertools.product(*sets), VARIANTS))


def initials_at(query: str, text: str) -> int | None:
    """Where the letters typed in `query` spell the initials of a run of `text`'s characters
    (0: from the start), or None."""
    query = "".join(ch for ch in query.lower() if ch.isascii() and ch.isalnum())
    if not query:
        return None
    sets = letter_sets(text)
    for start in range(len(sets) - len(query) + 1):
        if all(q in sets[start + i] for i, q in enumerate(query)):
            return start
    return None


def rank(query: str, label: str) -> int | None:
    """How well a typed `query` picks `label` (lower is better), None if it does not:
    the label's start, its initials' start, anywhere in the label, anywhere in its initials."""
    q = query.strip().lower()
    if not q:
        return None
    text = label.lower()
    if text.startswith(q):
        return 0
    at = initials_at(q, label) if q.isascii() else None
    if at == 0:
        return 1
    if q in text:
        return 2
    if at is not None:
        return 3
    return None


def best(query: str, labels: list[str]) -> int | None:
    """The index of the label `query` picks best (the first of equals), or None."""
    found = [(r, i) for i, label in enumerate(labels) if (r := rank(query, label)) is not None]
    return min(found)[1] if found else None


# -- natural order ---------------------------------------------------------------------------

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS.update({"七": 7, "八": 8, "九": 9})
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMBER = re.compile(r"\d+|[〇零一二两三四五六七八九十百千万]+")


def chinese_number(text: str) -> int:
    """'十二' -> 12, '一百零五' -> 105, '二〇二六' -> 2026 (digit by digit when no units)."""
    if not any(ch in _UNITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = section = digit = 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch == "万":
            total += (section + digit) * 10000
            section = digit = 0
        else:
            section += (digit or 1) * _UNITS[ch]
            digit = 0
    return total + section + digit


def natural_key(text: str) -> tuple:
    """A sort key that orders numbers by value, in Arabic or Chinese numerals: 第二网格 <
    第十网格 < 第十一网格; 2号楼 < 10号楼."""
    key: list[tuple[int, int | str]] = []
    pos = 0
    for m in _NUMBER.finditer(text):
        if m.start() > pos:
            key.append((1, text[pos : m.start()]))
        number = m.group()
        key.append((0, int(number) if number.isdigit() else chinese_number(number)))
        pos = m.end()
    if pos < len(text):
        key.append((1, text[pos:]))
    return tuple(key)
