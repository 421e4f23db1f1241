"""Checking the kinds of values in a definition file (an office edits these files by hand):
the message says what was expected and what was found, in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: makes the error to raise from a message (the caller's FormError, naming its file)
Fail = Callable[[str], Exception]


def kind_name(value: Any) -> str:
    """How a value reads to the person who typed it (Chinese)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"数字 {value}"
    if isinstance(value, str):
        return f"文字 “{value}”"
    if isinstance(value, list):
        return "列表 [...]"
    if isinstance(value, dict):
        return "表 { ... }"
    return type(value).__name__


def expect(value: Any, kind: str, where: str, fail: Fail) -> None:
    """Raise fail(...) unless `value` is of `kind` (str, int, number, bool, list, table...)."""
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "positive int": isinstance(value, int) and not isinstance(value, bool) and value > 0,
        "non-negative int": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "list": isinstance(value, list),
        "table": isinstance(value, dict),
        "list of str": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "list of tables": isinstance(value, list) and all(isinstance(v, dict) for v in value),
    }[kind]
    if not ok:
        raise fail(f"{where} 应为{_KIND_WORDS[kind]}，现在是{kind_name(value)}")


_KIND_WORDS = {
    "str": "文字（加引号）",
    "int": "整数（不加引号）",
    "positive int": "正整数（不加引号）",
    "non-negative int": "0 或正整数（不加引号）",
    "number": "数字（不加引号）",
    "bool": " true 或 false",
    "list": "列表 [...]",
    "table": "表 { ... }",
    "list of str": '文字的列表，如 ["a", "b"]',
    "list of tables": "[[...]] 表的列表",
}
