"""Search a data dir the way an auditor would: every file, byte by byte, for what was typed in,
then again inside anything compressed (gzip, zlib, zip entries) or base64-encoded in it."""

from __future__ import annotations

import binascii
import contextlib
import json
import re
import zlib
from pathlib import Path

_ZLIB_SECOND = {0x01, 0x5E, 0x9C, 0xDA}
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{40,}={0,2}")


def spellings(secret: str) -> set[bytes]:
    """The ways a text can sit in a file: UTF-8, JSON escapes, UTF-16, GBK."""
    out = {secret.encode("utf-8"), secret.encode("utf-16-le")}
    out.add(json.dumps(secret, ensure_ascii=True)[1:-1].encode("ascii"))
    with contextlib.suppress(UnicodeEncodeError):
        out.add(secret.encode("gbk"))
    return out


def _inflate(data: bytes, start: int, wbits: int) -> bytes | None:
    unzip = zlib.decompressobj(wbits)
    try:
        out = unzip.decompress(data[start:], 64 << 20)
    except zlib.error:
        return None
    return out if len(out) > 16 else None


def layers(data: bytes, depth: int = 0) -> list[bytes]:
    """`data` and everything decompressed or base64-decoded from inside it (recursively)."""
    found = [data]
    if depth > 2:
        return found
    inner = []
    for at in (m.start() for m in re.finditer(rb"\x1f\x8b", data)):
        inner.append(_inflate(data, at, 31))
    for at in (m.start() for m in re.finditer(rb"\x78", data)):
        if at + 1 < len(data) and data[at + 1] in _ZLIB_SECOND:
            inner.append(_inflate(data, at, 15))
    for m in re.finditer(rb"PK\x03\x04", data):  # zip entries (a ledger, a docx)
        at = m.start()
        if at + 30 <= len(data):
            name_len = int.from_bytes(data[at + 26 : at + 28], "little")
            extra_len = int.from_bytes(data[at + 28 : at + 30], "little")
            inner.append(_inflate(data, at + 30 + name_len + extra_len, -15))
    for m in _BASE64_RUN.finditer(data):
        try:
            inner.append(binascii.a2b_base64(m.group()))
        except binascii.Error:
            continue
    for piece in inner:
        if piece:
            found += layers(piece, depth + 1)
    return found


def leaks(root: Path, secrets: list[str]) -> list[tuple[str, str]]:
    """(file, secret) for every secret found anywhere in the data dir."""
    wanted = {s: spellings(s) for s in secrets}
    hits = []
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        for data in layers(path.read_bytes()):
            for secret, forms in wanted.items():
                if any(form in data for form in forms):
                    hits.append((str(path.relative_to(root)), secret))
    return sorted(set(hits))
