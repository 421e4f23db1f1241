"""Numbers and dates written out in Chinese, as the demo's texts need them."""

from __future__ import annotations

from datetime import date

_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (十一, 二十三); larger numbers stay Arabic."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[ones] if ones else "")


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def months_text(months: int) -> str:
    """A term in years and months (两年六个月)."""
    years, rest = divmod(months, 12)
    text = (
        f"{chinese_number(years).replace('二', '两') if years == 2 else chinese_number(years)}年"
        if years
        else ""
    )
    return text + (f"{chinese_number(rest)}个月" if rest else "")
