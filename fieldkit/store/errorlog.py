"""The error log of a data dir (``fieldkit.log``): what went wrong, without personal data.

An exception's message, and the source lines of a traceback, can hold whatever the program was
working on: a name, an ID number, a note. So each entry is written in two parts:

- in clear, only what cannot hold personal data: the time, the exception types and where they
  were raised (module file name, line, function);
- the whole traceback, messages included, sealed under the data key when the data dir has a
  passphrase (fieldkit.store.vault), bound to the clear part (a changed byte there is found too); a
  data dir without one keeps only the first part.

``fieldkit log`` shows the entries, with their details once the data dir is unlocked.
"""

from __future__ import annotations

import binascii
import os
import traceback
from datetime import datetime
from pathlib import Path

from fieldkit.errors import FieldkitError
from fieldkit.files import durable
from fieldkit.files.locations import log_file
from fieldkit.store import vault

_DETAIL = "  详细信息（已加密）："
_ENTRY = "程序出错"
_OLD_LOG = "设置口令前的日志（已加密保存）"
_DAMAGED = "  （这一条无法解密：已损坏或被改动）"


def summary(error: BaseException) -> list[str]:
    """The clear part of an entry: exception types and where they were raised, no messages."""
    lines = []
    seen: set[int] = set()
    chain: BaseException | None = error
    while chain is not None and id(chain) not in seen:
        seen.add(id(chain))
        lines.append(f"  {type(chain).__module__}.{type(chain).__qualname__}")
        for frame in traceback.extract_tb(chain.__traceback__):
            lines.append(f"    {Path(frame.filename).name}:{frame.lineno} {frame.name}")
        chain = chain.__cause__ or chain.__context__
    return lines


def write(root: Path, error: BaseException) -> Path:
    """Append an entry for `error` to the data dir's log; returns the log's path. Never raises
    for a log that cannot be written (the caller is already handling an error)."""
    path = log_file(Path(root))
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    lines = [f"{at} {_ENTRY}", *summary(error)]
    try:
        unlocked = vault.unlocked(root)
        if unlocked is not None:
            detail = "".join(traceback.format_exception(error)).encode("utf-8")
            sealed = unlocked.seal_file("log", "\n".join(lines), detail)
            lines.append(_DETAIL + binascii.b2a_base64(sealed, newline=False).decode("ascii"))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o600)
        try:
            os.write(fd, ("\n".join(lines) + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    except (OSError, FieldkitError):
        pass
    return path


def read(root: Path) -> list[str]:
    """The log's lines, with each sealed detail opened when this process unlocked the data dir.
    There, an entry whose clear part or detail was changed (or lost) is marked as such."""
    path = log_file(Path(root))
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    unlocked = vault.unlocked(root)
    entries: list[list[str]] = []
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        if not entries or (line[:1].isdigit() and " " in line):
            entries.append([])
        entries[-1].append(line)
    out: list[str] = []
    for entry in entries:
        if unlocked is None:
            out.extend(entry)
            continue
        *clear, last = entry
        detail = None
        if last.startswith(_DETAIL):
            try:
                blob = binascii.a2b_base64(last[len(_DETAIL) :], strict_mode=True)
            except (binascii.Error, ValueError):  # not base64, or not even ASCII
                blob = b""
            detail = unlocked.open_file("log", "\n".join(clear), blob)
        if detail is None:
            out.extend(entry)
            out.append(_DAMAGED)
            continue
        out.extend(clear)
        out.append("  详细信息：")
        out.extend("    " + d for d in detail.decode("utf-8", "replace").split("\n"))
    return out


def seal_plain_log(root: Path) -> None:
    """A log written before the data dir had a passphrase may hold messages in clear: keep it as
    one sealed entry, drop the clear text (while a data dir is being encrypted)."""
    path = log_file(Path(root))
    unlocked = vault.unlocked(root)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    if unlocked is None or not text:
        return
    clear = [ln for ln in text.splitlines() if _is_clear_of_data(ln)]
    if len(clear) == len(text.splitlines()):
        return
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    head = f"{at} {_OLD_LOG}"
    sealed = unlocked.seal_file("log", head, text.encode("utf-8"))
    entry = [head, _DETAIL + binascii.b2a_base64(sealed, newline=False).decode("ascii")]
    durable.write_file(path, ("\n".join(entry) + "\n").encode("utf-8"))


def _is_clear_of_data(line: str) -> bool:
    """Whether a line is one this module writes in clear (a time, a type, a place, a sealed
    detail): anything else came from an older version and may hold personal data."""
    if line.startswith(_DETAIL):
        return True
    if line.startswith("    ") and ":" in line and " " in line.strip():
        name = line.strip().partition(":")[0]
        return name.endswith(".py") or name.startswith("<")
    if line.startswith("  ") and not line.startswith("   "):
        return all(part.isidentifier() for part in line.strip().split("."))
    head = line.split(" ", 1)
    return len(head) == 2 and head[0][:4].isdigit() and head[1] in (_ENTRY, _OLD_LOG)
