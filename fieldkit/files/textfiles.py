"""Text from files and pipes: UTF-8 whatever the console or the system's code page.

A byte-order mark is accepted (Notepad writes one). Text that is not UTF-8 is refused with the
encoding it looks like, never guessed: GB18030 decodes almost any bytes, so reading a file "as
GBK when it is not UTF-8" would turn a file in any other encoding into wrong characters without a
word. UTF-16 is read only with its byte-order mark, which names it for certain (Notepad's
"Unicode", PowerShell 5's `>`).
"""

from __future__ import annotations

import codecs
from pathlib import Path

from fieldkit.errors import FieldkitError, os_reason

HOW_TO_FIX = "请用记事本打开，“另存为”时编码选“UTF-8”，再试一次"
# Piped from `echo` or `type` in a Windows console, text comes in the console's code page.
STDIN_FIX = "在命令提示符中先运行 chcp 65001 再试，或把内容存为 UTF-8 文件后用 --file 指定"


class NotUtf8(FieldkitError):
    """Text that is not UTF-8; the message names the source, the line and the likely encoding."""


def decode(data: bytes, source: str, how_to_fix: str = HOW_TO_FIX) -> str:
    """The text of `data` (UTF-8, with or without a BOM; UTF-16 with a BOM).

    `source` names where the bytes came from (a file name, “标准输入”) in the message.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise NotUtf8(f"{source} 不是有效的 UTF-16 文本。{how_to_fix}") from None
    try:
        if b"\x00" in data:  # valid UTF-8, but no text has it: UTF-16 without its BOM
            raise UnicodeDecodeError("utf-8", data, data.index(b"\x00"), len(data), "NUL")
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise NotUtf8(
            f"{source} 不是 UTF-8 编码：第 {line} 行起看起来是{looks_like(data)}。{how_to_fix}"
        ) from None


def looks_like(data: bytes) -> str:
    """What a text that is not UTF-8 probably is, in words a user knows."""
    if data.count(b"\x00") > len(data) // 8:
        return "没有 BOM 的 UTF-16 编码"
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return "其他编码"
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return " GBK 编码（记事本里叫“ANSI”）"
    return "其他编码"


def read_text(path: str | Path, what: str = "") -> str:
    """A text file's contents; FieldkitError (Chinese) if it cannot be read or is not UTF-8."""
    name = f"{what} {path}" if what else str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FieldkitError(f"无法读取{name}：{os_reason(exc)}") from None
    return decode(data, name)
