"""The bundle file: how records travel between laptops and the office.

One file, three parts::

    FIELDKIT-BUNDLE <format> <sha256 of the manifest line, hex>\\n
    <manifest: one line of JSON>\\n
    <payload: gzip'd JSON {"records": [...]}, AES-256-GCM encrypted when "encrypted" is true>

The manifest says who made the bundle and what is in it (format version, app version, device,
worker, grid, time, form versions, record count, payload size and the SHA-256 of the gzip'd
payload). Reading checks everything before handing back a single record, so a file is accepted
whole or refused whole, with one Chinese reason.

Integrity without encryption: the two checksums catch corruption and truncation (a pulled USB
stick, a bad copy). They do not stop deliberate tampering, since anyone can recompute them.

With encryption: an ephemeral X25519 key agrees a secret with the office's public key, HKDF-SHA256
turns it into an AES-256-GCM key, and the first two lines are the associated data. Only the
office's private key opens the payload, and any change to the header, the manifest or the payload
(or the wrong key) fails authentication.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldkit import keys
from fieldkit.errors import FieldkitError

MAGIC = b"FIELDKIT-BUNDLE"
FORMAT = 1
SUFFIX = ".fkb"
SCHEME = "X25519-HKDF-SHA256-AES-256-GCM"
_HKDF_INFO = b"fieldkit bundle v1"
_MAX_HEADER = 200
_MAX_MANIFEST = 1 << 20
_CHUNK = 1000  # records per orjson.dumps call when writing


def app_version() -> str:
    try:
        return version("fieldkit")
    except PackageNotFoundError:
        return "0"


class BundleError(FieldkitError):
    """A file that cannot be imported; the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"无法导入 {path}：{reason}")


@dataclass(frozen=True)
class Manifest:
    format: int
    app: str
    device: str
    worker: str
    grid: str
    org: str
    created_at: str
    forms: dict[str, int]
    records: int
    complete: bool  # True: everything in the store; False: changes since the last export
    payload_bytes: int
    payload_sha256: str  # of the gzip'd payload, before encryption
    encryption: dict[str, str] | None = None  # scheme, key_id, ephemeral_key, nonce

    @property
    def encrypted(self) -> bool:
        return self.encryption is not None

    def to_json(self) -> dict[str, Any]:
        doc = {k: getattr(self, k) for k in self.__dataclass_fields__}
        doc["encrypted"] = self.encrypted
        return doc


@dataclass(frozen=True)
class Bundle:
    path: Path
    manifest: Manifest
    records: list[dict[str, Any]]


# -- writing -----------------------------------------------------------------------------


def bundle_name(worker: str, grid: str, when: datetime) -> str:
    """`<worker>_<grid>_<YYYYMMDD-HHMMSS>.fkb`, safe on FAT-formatted USB sticks."""

    def clean(text: str) -> str:
        return re.sub(r'[\\/:*?"<>|\s]+', "-", text.strip()).strip("-.") or "未命名"

    return f"{clean(worker)}_{clean(grid)}_{when:%Y%m%d-%H%M%S}{SUFFIX}"


def encode_payload(records: Iterable[dict[str, Any]]) -> tuple[bytes, int]:
    """The gzip'd JSON payload and how many records it holds; built in chunks, not one string."""
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip stream (zcat can read it)
    parts = [gz.compress(b'{"records":[')]
    count = 0
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        if chunk:
            body = orjson.dumps(chunk)[1:-1]
            parts.append(gz.compress((b"," if count > len(chunk) else b"") + body))
            chunk.clear()

    for rec in records:
        chunk.append(rec)
        count += 1
        if len(chunk) == _CHUNK:
            flush()
    flush()
    parts.append(gz.compress(b"]}"))
    parts.append(gz.flush())
    return b"".join(parts), count


def _derive_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_HKDF_INFO
    ).derive(shared)


def build(
    records: Iterable[dict[str, Any]],
    *,
    device: str,
    worker: str,
    grid: str,
    org: str,
    forms: dict[str, int],
    complete: bool,
    office_key: str | None,
    created_at: str,
) -> tuple[bytes, Manifest]:
    """The bytes of a bundle file, encrypted to `office_key` (PEM) when one is given."""
    payload, count = encode_payload(records)
    encryption = None
    aes = nonce = None
    if office_key:
        recipient = keys.parse_public_key(office_key, "已配置的街道公钥")
        ephemeral = X25519PrivateKey.generate()
        eph_raw = keys.public_bytes(ephemeral.public_key())
        aes = AESGCM(
            _derive_key(ephemeral.exchange(recipient), eph_raw, keys.public_bytes(recipient))
        )
        nonce = os.urandom(12)
        encryption = {
            "scheme": SCHEME,
            "key_id": keys.key_id(recipient),
            "ephemeral_key": base64.b64encode(eph_raw).decode("ascii"),
            "nonce": base64.b64encode(nonce).decode("ascii"),
        }
    manifest = Manifest(
        format=FORMAT,
        app=app_version(),
        device=device,
        worker=worker,
        grid=grid,
        org=org,
        created_at=created_at,
        forms=forms,
        records=count,
        complete=complete,
        payload_bytes=len(payload) + (16 if encryption else 0),  # GCM adds a 16-byte tag
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        encryption=encryption,
    )
    manifest_line = json.dumps(manifest.to_json(), ensure_ascii=False).encode("utf-8") + b"\n"
    header = b"%s %d %s\n" % (MAGIC, FORMAT, hashlib.sha256(manifest_line).hexdigest().encode())
    if aes is not None:
        payload = aes.encrypt(nonce, payload, header + manifest_line)
    return header + manifest_line + payload, manifest


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write a new file in `folder` so that it is either complete or absent (never half there).

    temp file, fsync, rename, fsync of the folder; a name already taken gets a -2, -3... suffix.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        stem, n = path.stem, 2
        while path.exists():
            path = folder / f"{stem}-{n}{path.suffix}"
            n += 1
        tmp = folder / f".{path.name}.tmp"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(folder)
    except OSError as exc:
        raise FieldkitError(
            f"无法写入导出文件 {exc.filename or folder}：{exc.strerror or exc}"
        ) from None
    return path


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (e.g. some USB-stick drivers) refuse fsync on a folder
    finally:
        os.close(fd)


# -- reading -----------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """Only the manifest, checked (for listing files before an import); BundleError if bad."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            header = f.readline(_MAX_HEADER)
            manifest_line = f.readline(_MAX_MANIFEST)
            f.seek(0, os.SEEK_END)
            size = f.tell()
    except OSError as exc:
        raise BundleError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    manifest = _parse_head(path, header, manifest_line)
    _check_size(path, manifest, size - len(header) - len(manifest_line))
    return manifest


def read(path: Path, private_keys: dict[str, X25519PrivateKey] | None = None) -> Bundle:
    """Open, check, decrypt and parse a whole bundle; BundleError (nothing read) if anything
    is wrong. `private_keys` maps key ids to the office's private keys."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BundleError(path, "找不到该文件") from None
    except IsADirectoryError:
        raise BundleError(path, "这是一个目录，不是导出文件") from None
    except OSError as exc:
        raise BundleError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    if not raw:
        raise BundleError(path, "文件是空的，可能复制时被中断，请重新复制")
    # A missing newline leaves a part without its "\n", which _parse_head reports.
    header_end = raw.find(b"\n", 0, _MAX_HEADER) + 1 or min(len(raw), _MAX_HEADER)
    manifest_end = raw.find(b"\n", header_end, header_end + _MAX_MANIFEST) + 1 or header_end
    header, manifest_line = raw[:header_end], raw[header_end:manifest_end]
    manifest = _parse_head(path, header, manifest_line)
    payload = memoryview(raw)[manifest_end:]
    _check_size(path, manifest, len(payload))
    if manifest.encryption is not None:
        payload = _decrypt(path, manifest, payload, header + manifest_line, private_keys or {})
    if hashlib.sha256(payload).hexdigest() != manifest.payload_sha256:
        raise BundleError(path, "内容校验失败：文件已损坏或被改动")
    records = _parse_payload(path, payload)
    if len(records) != manifest.records:
        raise BundleError(
            path, f"记录数与文件头不符（文件头 {manifest.records} 条，实有 {len(records)} 条）"
        )
    for n, rec in enumerate(records, start=1):
        problem = record_problem(rec)
        if problem:
            raise BundleError(path, f"第 {n} 条记录格式不正确：{problem}")
    return Bundle(path, manifest, records)


def _parse_head(path: Path, header: bytes, manifest_line: bytes) -> Manifest:
    if not header.startswith(MAGIC + b" "):
        if (MAGIC + b" ").startswith(header):
            raise BundleError(path, "文件头已损坏或文件不完整")
        raise BundleError(path, "不是 fieldkit 导出文件")
    parts = header.split()
    if len(parts) < 2 or not parts[1].isdigit():
        raise BundleError(path, "文件头已损坏")
    fmt = int(parts[1])
    if fmt != FORMAT:
        raise BundleError(
            path, f"文件格式版本为 {fmt}，本程序只能读取版本 {FORMAT}，请升级 fieldkit 后再导入"
        )
    if not header.endswith(b"\n") or len(parts) != 3 or not manifest_line.endswith(b"\n"):
        raise BundleError(path, "文件头已损坏或文件不完整")
    if hashlib.sha256(manifest_line).hexdigest().encode() != parts[2]:
        raise BundleError(path, "文件头校验失败：文件已损坏或被改动")
    try:
        doc = json.loads(manifest_line)
        return _manifest_from(doc)
    except (ValueError, TypeError, KeyError):
        raise BundleError(path, "文件头内容无效") from None


def _manifest_from(doc: dict[str, Any]) -> Manifest:
    enc = doc.get("encryption")
    m = Manifest(
        format=int(doc["format"]),
        app=str(doc["app"]),
        device=str(doc["device"]),
        worker=str(doc["worker"]),
        grid=str(doc["grid"]),
        org=str(doc.get("org", "")),
        created_at=str(doc["created_at"]),
        forms={str(k): int(v) for k, v in doc["forms"].items()},
        records=int(doc["records"]),
        complete=bool(doc["complete"]),
        payload_bytes=int(doc["payload_bytes"]),
        payload_sha256=str(doc["payload_sha256"]),
        encryption=None if enc is None else {k: str(enc[k]) for k in _ENC_KEYS},
    )
    if bool(doc.get("encrypted")) != m.encrypted:
        raise ValueError("encrypted flag and encryption block disagree")
    return m


_ENC_KEYS = ("scheme", "key_id", "ephemeral_key", "nonce")


def _check_size(path: Path, manifest: Manifest, actual: int) -> None:
    if actual < manifest.payload_bytes:
        raise BundleError(
            path,
            f"文件不完整（内容应有 {manifest.payload_bytes} 字节，只有 {actual} 字节），"
            "可能复制时被中断，请重新复制",
        )
    if actual > manifest.payload_bytes:
        raise BundleError(path, "文件末尾有多余内容：文件已损坏或被改动")


def _decrypt(
    path: Path,
    manifest: Manifest,
    payload: memoryview,
    associated: bytes,
    private_keys: dict[str, X25519PrivateKey],
) -> bytes:
    enc = manifest.encryption or {}
    if enc.get("scheme") != SCHEME:
        raise BundleError(path, f"不支持的加密方式 {enc.get('scheme')}，请升级 fieldkit")
    if not private_keys:
        raise BundleError(path, "文件已加密，本机没有街道私钥，只能在街道的电脑上导入")
    private = private_keys.get(enc["key_id"])
    if private is None:
        raise BundleError(
            path,
            f"文件加密所用的街道密钥（编号 {enc['key_id']}）不在本机，"
            "请在持有该密钥的电脑上导入，或请网格员配置当前公钥后重新导出",
        )
    try:
        eph_raw = base64.b64decode(enc["ephemeral_key"], validate=True)
        nonce = base64.b64decode(enc["nonce"], validate=True)
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_raw))
        aes = AESGCM(_derive_key(shared, eph_raw, keys.public_bytes(private.public_key())))
        return aes.decrypt(nonce, bytes(payload), associated)
    except (InvalidTag, ValueError):
        raise BundleError(path, "解密失败：文件已被改动或损坏") from None


def _parse_payload(path: Path, payload: bytes) -> list[dict[str, Any]]:
    try:
        doc = orjson.loads(zlib.decompress(payload, 31))
        records = doc["records"]
        if not isinstance(records, list):
            raise TypeError
    except (zlib.error, orjson.JSONDecodeError, TypeError, KeyError):
        raise BundleError(path, "内容无法解析：文件已损坏") from None
    return records


# -- the shape of a record in a bundle ---------------------------------------------------

_STR_FIELDS = ("id", "form", "version", "updated_at", "device")


def record_problem(rec: Any) -> str | None:
    """Why `rec` is not a well-formed record (in Chinese), or None.

    Only the shape: content is checked against the form when the record is merged.
    """
    if type(rec) is not dict:
        return "不是 JSON 对象"
    get = rec.get
    for key in _STR_FIELDS:
        value = get(key)
        if type(value) is not str or not value:
            return f"缺少 {key}"
    if type(get("data")) is not dict:
        return "缺少 data"
    if type(get("form_version")) is not int:
        return "缺少 form_version"
    if type(get("deleted")) is not bool:
        return "缺少 deleted"
    for key, default in (("ancestors", None), ("replaces", [])):
        versions = get(key, default)
        if type(versions) is not list or any(type(v) is not str for v in versions):
            return f"{key} 应为版本号列表"
    try:
        datetime.fromisoformat(rec["updated_at"])
    except ValueError:
        return f"updated_at 不是有效时间（{rec['updated_at']}）"
    return None
