"""Resident ID numbers (居民身份证号码, GB 11643-1999): checksum, birth date, gender, masking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")

# Province-level prefixes of GB/T 2260 region codes. Finer codes change over time, so only the
# province is checked, and an unknown one is a warning, never an error.
_PROVINCES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "91",
    }
)


@dataclass(frozen=True)
class IdCheck:
    """The outcome of checking one ID number: a normalised value, an error, or warnings."""

    value: str
    error: str | None = None
    warning: str | None = None


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    """Strip blanks and upper-case a trailing x, the usual typing variations."""
    return "".join(str(raw).split()).upper()


def check(raw: str, today: date | None = None) -> IdCheck:
    """Check an ID number: shape, birth date, checksum; warn on an unknown region."""
    value = normalise(raw)
    if len(value) != 18:
        return IdCheck(value, f"应为18位，现为{len(value)}位")
    if not _SHAPE.match(value):
        return IdCheck(value, "前17位应为数字，最后一位为数字或X")
    born = birth_date(value)
    if born is None:
        return IdCheck(value, f"出生日期 {value[6:14]} 不是有效日期")
    if born > (today or date.today()) or born.year < 1880:
        return IdCheck(value, f"出生日期 {born.isoformat()} 不合理")
    expected = check_char(value[:17])
    if value[17] != expected:
        return IdCheck(value, f"校验位不正确（按前17位应为 {expected}），请核对是否输错")
    if value[:2] not in _PROVINCES:
        return IdCheck(value, warning=f"地区码 {value[:6]} 不在已知省份范围内，请核对")
    return IdCheck(value)


def birth_date(value: str) -> date | None:
    """The birth date encoded in an 18-character ID number, or None if it is not a date."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def gender(value: str) -> str:
    """男 or 女, from the parity of the sequence number."""
    return "男" if int(value[16]) % 2 else "女"


def age(value: str, on: date) -> int | None:
    """Age in whole years on a given day."""
    born = birth_date(value)
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def mask(value: str) -> str:
    """Mask for lists and screens: 420281********123X (region and last four stay)."""
    value = normalise(value)
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
