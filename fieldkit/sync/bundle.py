"""The bundle file: how versions travel between data dirs, signed by the one that wrote it.

One file, four parts::

    FIELDKIT-BUNDLE 2\\n
    <manifest: one line of JSON>\\n
    <signature: base64 Ed25519 signature by the sender over the two lines above>\\n
    <payload: gzip'd JSON {"versions", "seals", "cards", "decisions"[, "blocks", "forms"]}, AES-256-GCM
     encrypted when the manifest has an "encryption" block>

The manifest names the sender by its device card (fieldkit.sync.devices) and says what the file
holds (format, app version, time, kind, form versions, counts, the sender's own numbers, the
payload's size and SHA-256). The signature covers the manifest, so it covers the payload too.

Reading checks everything before handing back a single version, and any failure refuses the
whole file with one Chinese reason: the sender's card and signature, the payload's size and
hash, the decryption, sizes while decompressing, the shape and size of every version, that
every version's id is the hash of its content, and that a valid seal vouches for every version
(fieldkit.sync.seals). Whether the sender and the makers are *trusted* is the importer's business.

Encryption: a fresh AES-256 key encrypts the payload; it is wrapped for each recipient with an
X25519 agreement (one ephemeral key), HKDF-SHA256 and AES-256-GCM. Only the recipients read it.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files.outfiles import safe_name
from fieldkit.forms.validation import MAX_TEXT_CHARS
from fieldkit.store.records import Record, is_record_id
from fieldkit.sync.devices import card_problem, sign_public
from fieldkit.sync.keys import DeviceKeys, b64, box_key_id, raw_public, unb64
from fieldkit.sync.seals import SealIndex, check_cards

MAGIC = b"FIELDKIT-BUNDLE"
FORMAT = 2
SUFFIX = ".fkb"
SCHEME = "X25519-HKDF-SHA256-AES-256-GCM"
HEADER = b"%s %d\n" % (MAGIC, FORMAT)

# Limits (the README states them). A file, its unpacked payload, one version and one field
# value; checked while reading, so a hostile file is refused quickly and in bounded memory.
MAX_FILE_BYTES = 256 << 20
MAX_PAYLOAD_BYTES = 256 << 20
# JSON values in a payload, counted by their separators before parsing: memory for a parsed
# value is many times its text (an empty list is 2 bytes of JSON and 56 of Python).
MAX_VALUES = 16_000_000
MAX_VERSION_BYTES = 1 << 20
MAX_FIELD_CHARS = MAX_TEXT_CHARS
MAX_LIST_ITEMS = 200
MAX_VERSIONS = 2_000_000
MAX_RUN = 1 << 31  # a device's run numbers
_MAX_MANIFEST = 64 << 10
_MAX_ANCESTORS = 15_000  # a record edited ~15,000 times (each id 66 bytes)
_CHUNK = 1000  # versions per orjson.dumps call when writing
_READ_CHUNK = 1 << 20


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
    created_at: str
    sender: dict[str, Any]  # the sender's device card
    kind: str  # "changes", "from" or "all"
    own: list[int] | None  # [first, last]: a complete run of the sender's own versions
    made: int  # how many versions the sender had made when it wrote the file
    forms: dict[str, int]
    versions: int
    records: int
    payload_bytes: int
    payload_sha256: str  # of the payload as it is in the file
    encryption: dict[str, Any] | None = None  # scheme, nonce, ephemeral, recipients
    audience: str = ""  # kind "grid": the grid the file is for

    @property
    def device(self) -> str:
        return self.sender["device"]

    @property
    def worker(self) -> str:
        return self.sender["worker"]

    @property
    def grid(self) -> str:
        return self.sender["grid"]

    @property
    def org(self) -> str:
        return self.sender["org"]

    @property
    def encrypted(self) -> bool:
        return self.encryption is not None

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Bundle:
    path: Path
    manifest: Manifest
    versions: list[Record]
    seals: SealIndex
    cards: dict[str, dict[str, Any]]  # device id -> card (the sender's included)
    signers: dict[str, set[int | None]]  # devices whose seals vouch, with the numbers vouched
    fresh: int  # versions not held here when it was read (0: every one is, a re-import)
    file_sha256: str  # of the whole file: what a held copy is named by
    decisions: list[dict[str, Any]] = field(default_factory=list)  # checked by the importer
    blocks: list[dict[str, Any]] = field(default_factory=list)  # case number blocks (importer)
    forms: dict[str, Any] | None = None  # an office's forms/ folder: {"serial", "files"}

    @property
    def digest(self) -> str:
        """The payload's hash (covered by the signature): the same payload, the same versions."""
        return self.manifest.payload_sha256


# -- writing -----------------------------------------------------------------------------


def bundle_name(worker: str, grid: str, when: datetime) -> str:
    """`<worker>_<grid>_<YYYYMMDD-HHMMSS>.fkb`, safe on FAT-formatted USB sticks."""

    def clean(text: str) -> str:
        return safe_name(text, fill="-", empty="未命名")  # "_" separates the parts

    return f"{clean(worker)}_{clean(grid)}_{when:%Y%m%d-%H%M%S}{SUFFIX}"


def _chunks(items: Iterable[Any]) -> Iterator[bytes]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == _CHUNK:
            yield orjson.dumps(batch)[1:-1]
            batch.clear()
    if batch:
        yield orjson.dumps(batch)[1:-1]


def encode_payload(
    versions: Iterable[Record], sections: dict[str, list[Any]]
) -> tuple[bytes, int, int]:
    """The gzip'd JSON payload, the number of versions and of distinct records in it."""
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip stream (zcat can read it)
    parts = [gz.compress(b'{"versions":[')]
    count, ids = 0, set()

    def counted() -> Iterator[Record]:
        nonlocal count
        for rec in versions:
            count += 1
            ids.add(rec["id"])
            yield rec

    for n, chunk in enumerate(_chunks(counted())):
        parts.append(gz.compress((b"," if n else b"") + chunk))
    parts.append(gz.compress(b"]"))
    for name, items in sections.items():
        parts.append(gz.compress(b',"%s":%s' % (name.encode(), orjson.dumps(items))))
    parts.append(gz.compress(b"}"))
    parts.append(gz.flush())
    return b"".join(parts), count, len(ids)


def build(
    versions: Iterable[Record],
    *,
    keys: DeviceKeys,
    card: dict[str, Any],
    kind: str,
    own: list[int] | None,
    made: int,
    forms: dict[str, int],
    seals: list[dict[str, Any]],
    cards: list[dict[str, Any]],
    decisions: list[dict[str, Any]],
    recipients: list[bytes],
    audience: str = "",
    blocks: list[dict[str, Any]] | None = None,
    forms_files: dict[str, Any] | None = None,
    created_at: str,
) -> tuple[bytes, Manifest]:
    """The bytes of a bundle file, signed with `keys`; encrypted when there are `recipients`
    (X25519 public keys, raw)."""
    payload, count, records = encode_payload(
        versions,
        {
            "seals": seals,
            "cards": cards,
            "decisions": decisions,
            **({"blocks": blocks} if blocks else {}),
            **({"forms": forms_files} if forms_files is not None else {}),
        },
    )
    if len(payload) > MAX_FILE_BYTES:
        raise FieldkitError("导出的内容太多，超过单个文件的上限，请分网格导出")
    encryption = None
    if recipients:
        payload, encryption = _encrypt(payload, recipients, card["device"])
    manifest = Manifest(
        format=FORMAT,
        app=app_version(),
        created_at=created_at,
        sender=card,
        kind=kind,
        own=own,
        made=made,
        forms=forms,
        versions=count,
        records=records,
        payload_bytes=len(payload),
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        encryption=encryption,
        audience=audience,
    )
    manifest_line = orjson.dumps(manifest.to_json()) + b"\n"
    signature = keys.sign.sign(_signed_part(HEADER + manifest_line))
    return HEADER + manifest_line + b64(signature).encode("ascii") + b"\n" + payload, manifest


def _signed_part(head: bytes) -> bytes:
    return b"fieldkit-bundle-v2\n" + head


def _key_wrap_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> AESGCM:
    kek = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=b"fieldkit key v2"
    ).derive(shared)
    return AESGCM(kek)


def _encrypt(payload: bytes, recipients: list[bytes], sender: str) -> tuple[bytes, dict[str, Any]]:
    content_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ephemeral = X25519PrivateKey.generate()
    eph_raw = raw_public(ephemeral.public_key())
    wrapped = []
    for raw in dict.fromkeys(recipients):
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(raw))
        box = _key_wrap_key(shared, eph_raw, raw).encrypt(bytes(12), content_key, b"fieldkit")
        wrapped.append({"key_id": box_key_id(raw), "wrapped": b64(box)})
    encryption = {
        "scheme": SCHEME,
        "nonce": b64(nonce),
        "ephemeral": b64(eph_raw),
        "recipients": wrapped,
    }
    sealed = AESGCM(content_key).encrypt(nonce, payload, _aad(sender))
    return sealed, encryption


def _aad(sender: str) -> bytes:
    return b"fieldkit-bundle-v2 " + sender.encode("ascii")


# -- reading -----------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """Only the manifest, checked with its signature (for listing files before an import)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(len(HEADER) + _MAX_MANIFEST + 200)
            size = os.fstat(f.fileno()).st_size
    except OSError as exc:
        raise BundleError(path, f"无法读取文件（{os_reason(exc)}）") from None
    manifest, start = _parse_head(path, head, size)
    _check_size(path, manifest, size - start)
    return manifest


Shared = Callable[[str], Callable[[int], bool] | None]


def read(
    path: Path,
    box_keys: Iterable[X25519PrivateKey] = (),
    known: Callable[[Record], bool] | None = None,
    shared: Shared | None = None,
    raw: bytes | None = None,
) -> Bundle:
    """Open, check, decrypt and parse a whole bundle; BundleError (nothing read) if anything is
    wrong. `box_keys` are this data dir's keys for encrypted files.

    Two ways to spare work, neither skipping a check: `known(version)` says that an identical
    copy of a version is held (checked when it arrived), so its id matches its content (a
    re-import of 100k versions is the common case); `shared(payload sha256)` gives, for this
    very payload, which versions another process checked already (fieldkit.sync.import_check).
    `raw`: the file's bytes when they were read already (a held copy, unsealed by fieldkit.sync.held).
    """
    manifest, doc, file_sha256 = read_contents(path, box_keys, raw)
    return _checked(Path(path), manifest, doc, file_sha256, known, shared)


def read_contents(
    path: Path, box_keys: Iterable[X25519PrivateKey] = (), raw: bytes | None = None
) -> tuple[Manifest, dict[str, Any], str]:
    """The checked manifest, the parsed payload (its versions not checked yet) and the hash of
    the whole file. For the importer, and for the process that checks forms ahead."""
    path = Path(path)
    if raw is None:
        raw = _read_bytes(path)
    elif len(raw) > MAX_FILE_BYTES or not raw:
        raise BundleError(path, "文件太大或是空的")
    file_sha256 = hashlib.sha256(raw).hexdigest()
    manifest, start = _parse_head(path, raw, len(raw))
    payload = memoryview(raw)[start:]
    _check_size(path, manifest, len(payload))
    if hashlib.sha256(payload).hexdigest() != manifest.payload_sha256:
        raise BundleError(path, "内容校验失败：文件已损坏或被改动")
    if manifest.encryption is not None:
        payload = memoryview(_decrypt(path, manifest, payload, list(box_keys)))
    return manifest, _parse_payload(path, payload), file_sha256


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise BundleError(
                    path, f"文件太大（{size >> 20} MB，上限 {MAX_FILE_BYTES >> 20} MB）"
                )
            raw = f.read()
    except FileNotFoundError:
        raise BundleError(path, "找不到该文件") from None
    except IsADirectoryError:
        raise BundleError(path, "这是一个目录，不是导出文件") from None
    except OSError as exc:
        raise BundleError(path, f"无法读取文件（{os_reason(exc)}）") from None
    if not raw:
        raise BundleError(path, "文件是空的，可能复制时被中断，请重新复制")
    return raw


def _parse_head(path: Path, raw: bytes, size: int) -> tuple[Manifest, int]:
    """The checked manifest and where the payload starts."""
    if not raw.startswith(MAGIC + b" "):
        if (MAGIC + b" ").startswith(raw[: len(MAGIC) + 1]):
            raise BundleError(path, "文件头已损坏或文件不完整")
        raise BundleError(path, "不是 fieldkit 导出文件")
    first_end = raw.find(b"\n", 0, 100)
    fmt = raw[len(MAGIC) + 1 : first_end if first_end > 0 else 100].split(b" ")[0]
    if fmt.isdigit() and int(fmt) != FORMAT:
        if int(fmt) < FORMAT:
            raise BundleError(
                path,
                f"这是旧版 fieldkit 导出的文件（格式 {int(fmt)}），请在导出它的电脑上升级 fieldkit "
                "后重新导出（fieldkit export --all）",
            )
        raise BundleError(path, f"文件格式版本为 {int(fmt)}，请升级 fieldkit 后再导入")
    manifest_end = raw.find(b"\n", len(HEADER), len(HEADER) + _MAX_MANIFEST)
    sig_end = raw.find(b"\n", manifest_end + 1, manifest_end + 200) if manifest_end > 0 else -1
    if not raw.startswith(HEADER) or manifest_end < 0 or sig_end < 0:
        raise BundleError(path, "文件头已损坏或文件不完整")
    head = raw[: manifest_end + 1]
    try:
        manifest = _manifest_from(orjson.loads(raw[len(HEADER) : manifest_end]))
    except (ValueError, TypeError, KeyError, AttributeError):
        raise BundleError(path, "文件头内容无效") from None
    if problem := card_problem(manifest.sender):
        raise BundleError(path, f"发送设备的信息无效（{problem}）：文件已被改动")
    signature = raw[manifest_end + 1 : sig_end].decode("ascii", "replace")
    if not _head_verifies(head, signature, sign_public(manifest.sender)):
        raise BundleError(path, "签名不对：文件已被改动，或不是它所写的设备导出的")
    return manifest, sig_end + 1


def _head_verifies(head: bytes, sig_text: str, public: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(unb64(sig_text, 64), _signed_part(head))
    except (InvalidSignature, ValueError):
        return False
    return True


_KINDS = ("changes", "from", "all", "grid")


def _count(value: Any, top: int) -> int:
    """A whole number 0..top from a manifest (ValueError otherwise)."""
    if type(value) is not int or not 0 <= value <= top:
        raise ValueError("count")
    return value


def _text(value: Any, most: int = 200) -> str:
    if type(value) is not str or len(value) > most:
        raise ValueError("text")
    return value


def _manifest_from(doc: Any) -> Manifest:
    """The manifest from its JSON, every field checked for type and range (ValueError)."""
    if type(doc) is not dict:
        raise ValueError("manifest")
    own = doc["own"]
    if own is not None:
        if type(own) is not list or len(own) != 2:
            raise ValueError("own")
        own = [_count(n, MAX_RUN) for n in own]
    forms = doc["forms"]
    if type(forms) is not dict or len(forms) > 100:
        raise ValueError("forms")
    m = Manifest(
        format=_count(doc["format"], 1000),
        app=_text(doc["app"]),
        created_at=_text(doc["created_at"]),
        sender=doc["sender"],
        kind=_text(doc["kind"]),
        own=own,
        made=_count(doc["made"], MAX_RUN),
        forms={_text(k, 40): _count(v, 1000) for k, v in forms.items()},
        versions=_count(doc["versions"], MAX_VERSIONS),
        records=_count(doc["records"], MAX_VERSIONS),
        payload_bytes=_count(doc["payload_bytes"], MAX_FILE_BYTES),
        payload_sha256=_text(doc["payload_sha256"], 64),
        encryption=_encryption_from(doc.get("encryption")),
        audience=_text(doc.get("audience", ""), 40),
    )
    if m.kind not in _KINDS:
        raise ValueError("kind")
    return m


def _encryption_from(enc: Any) -> dict[str, Any] | None:
    if enc is None:
        return None
    if type(enc) is not dict or type(enc.get("recipients")) is not list:
        raise ValueError("encryption")
    for key in ("scheme", "nonce", "ephemeral"):
        _text(enc.get(key))
    if len(enc["recipients"]) > 1000:
        raise ValueError("recipients")
    for entry in enc["recipients"]:
        if type(entry) is not dict:
            raise ValueError("recipient")
        _text(entry.get("key_id"), 16)
        _text(entry.get("wrapped"))
    return enc


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
    path: Path, manifest: Manifest, payload: memoryview, box_keys: list[X25519PrivateKey]
) -> bytes:
    enc = manifest.encryption or {}
    if enc.get("scheme") != SCHEME:
        raise BundleError(path, f"不支持的加密方式 {enc.get('scheme')}，请升级 fieldkit")
    mine = {box_key_id(raw_public(k.public_key())): k for k in box_keys}
    entry = next(
        (r for r in enc["recipients"] if type(r) is dict and r.get("key_id") in mine), None
    )
    if entry is None:
        raise BundleError(
            path, "文件已加密，不是发给本机的：只有它的接收方（街道或本网格的电脑）能打开"
        )
    private = mine[entry["key_id"]]
    try:
        eph_raw = unb64(enc["ephemeral"], 32)
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_raw))
        unwrap = _key_wrap_key(shared, eph_raw, raw_public(private.public_key()))
        content_key = unwrap.decrypt(bytes(12), unb64(str(entry.get("wrapped")), 48), b"fieldkit")
        return AESGCM(content_key).decrypt(
            unb64(enc["nonce"], 12), bytes(payload), _aad(manifest.device)
        )
    except (InvalidTag, ValueError):
        raise BundleError(path, "解密失败：文件已被改动或损坏") from None


def _parse_payload(path: Path, payload: memoryview) -> dict[str, Any]:
    """Unzip within MAX_PAYLOAD_BYTES (a bomb stops there) and parse."""
    unzip = zlib.decompressobj(31)
    parts, total = [], 0
    try:
        data = bytes(payload)
        while data:
            part = unzip.decompress(data, _READ_CHUNK)
            total += len(part)
            if total > MAX_PAYLOAD_BYTES:
                raise BundleError(path, f"内容解压后超过上限 {MAX_PAYLOAD_BYTES >> 20} MB，拒收")
            parts.append(part)
            data = unzip.unconsumed_tail
        if not unzip.eof or unzip.unused_data:
            raise zlib.error
        text = b"".join(parts)
        del parts
        if text.count(b",") > MAX_VALUES:
            raise BundleError(path, f"内容条目超过上限（{MAX_VALUES} 个），拒收")
        doc = orjson.loads(text)
    except (zlib.error, orjson.JSONDecodeError):
        raise BundleError(path, "内容无法解析：文件已损坏") from None
    if type(doc) is not dict or not _SECTIONS <= doc.keys() <= _SECTIONS | _OPTIONAL_SECTIONS:
        raise BundleError(path, "内容格式不对")
    doc.setdefault("blocks", [])
    forms = doc.setdefault("forms", None)
    if not all(type(doc[k]) is list for k in (*_SECTIONS, "blocks")) or not (
        forms is None or _forms_ok(forms)
    ):
        raise BundleError(path, "内容格式不对")
    return doc


_SECTIONS = {"versions", "seals", "cards", "decisions"}
_OPTIONAL_SECTIONS = {"blocks", "forms"}  # from the office: case number blocks, form files
# A plain lower-case name, never one of Windows' device names (con.toml is the console there).
_FORM_FILE = re.compile(r"(?!(?:con|prn|aux|nul|com\d|lpt\d)\.)[a-z][a-z0-9_]{0,40}\.toml")


def form_file_name_ok(name: str) -> bool:
    """Whether an office may send a forms file of this name (and a laptop write it)."""
    return _FORM_FILE.fullmatch(name) is not None


def _forms_ok(forms: Any) -> bool:
    """An office's form files: {"serial": n, "files": {name.toml: text}}, few and bounded."""
    if type(forms) is not dict or set(forms) != {"serial", "files"}:
        return False
    files = forms["files"]
    return (
        type(forms["serial"]) is int
        and 1 <= forms["serial"] <= MAX_RUN
        and type(files) is dict
        and len(files) <= 50
        and all(
            type(k) is str and form_file_name_ok(k) and type(v) is str and len(v) <= 1 << 20
            for k, v in files.items()
        )
    )


def _checked(
    path: Path,
    manifest: Manifest,
    doc: dict[str, Any],
    file_sha256: str,
    known: Callable[[Record], bool] | None,
    shared: Shared | None,
) -> Bundle:
    versions = doc["versions"]
    if len(versions) != manifest.versions:
        raise BundleError(
            path,
            f"记录数与文件头不符（文件头 {manifest.versions} 个版本，实有 {len(versions)} 个）",
        )
    try:
        cards = check_cards([manifest.sender, *doc["cards"]])
        seals = SealIndex(doc["seals"], cards)
    except ValueError as exc:
        raise BundleError(path, f"{exc}：文件已被改动") from None
    fresh = [i for i, rec in enumerate(versions) if known is None or not known(rec)]
    checked_there = shared(manifest.payload_sha256) if fresh and shared is not None else None
    for i in fresh:
        problem = None if checked_there and checked_there(i) else version_problem(versions[i])
        if problem:
            raise BundleError(path, f"第 {i + 1} 个版本{problem}：文件已被改动")
    signers: dict[str, set[int | None]] = {}
    for n, rec in enumerate(versions, start=1):
        vouched = seals.vouch(rec)
        if type(vouched) is str:
            raise BundleError(path, f"第 {n} 个版本{vouched}：文件已被改动")
        device, seq = vouched
        seqs = signers.get(device)
        if seqs is None:
            seqs = signers[device] = set()
        seqs.add(seq)
    return Bundle(
        path,
        manifest,
        versions,
        seals,
        cards,
        signers,
        len(fresh),
        file_sha256,
        doc["decisions"],
        doc["blocks"],
        doc["forms"],
    )


# -- the shape of a version --------------------------------------------------------------

_REQUIRED = {
    "id", "form", "form_version", "data", "deleted", "parents", "ancestors", "device",
    "created_at", "created_by", "updated_at", "updated_by", "version",
}  # fmt: skip
_OPTIONAL = {"seq", "merged_into", "legacy"}
_ALLOWED = frozenset(_REQUIRED | _OPTIONAL)
_HEX = "0123456789abcdef"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
_LEGACY_VERSION = re.compile(r"[0-9a-f]{32}")
_names_seen: set[str] = set()  # form names and device ids met before (a handful per import)


def _is_count(value: Any, top: int, low: int = 0) -> bool:
    return type(value) is int and low <= value <= top


def _is_name(value: Any) -> bool:
    if type(value) is not str:
        return False
    if value in _names_seen:
        return True
    if not _NAME.fullmatch(value):
        return False
    if len(_names_seen) > 10_000:
        _names_seen.clear()
    _names_seen.add(value)
    return True


def version_problem(rec: Any) -> str | None:
    """Why `rec` is not a well-formed version within the limits (Chinese), or None.

    Only the shape and the id: content is checked against its form when it is merged.
    """
    if type(rec) is not dict:
        return "不是 JSON 对象"
    keys = rec.keys()
    if not (keys >= _REQUIRED and keys <= _ALLOWED):
        return "的字段不对"
    if not is_record_id(rec["id"]):
        return "的记录编号无效"
    if not _is_name(rec["form"]):
        return "的表单名无效"
    if not _is_name(rec["device"]):
        return "的设备编号无效"
    if type(rec["deleted"]) is not bool or not _is_count(rec["form_version"], 1000, 1):
        return "的字段类型不对"
    if "seq" in rec:
        if not _is_count(rec["seq"], MAX_RUN, 1) or "legacy" in rec:
            return "的编号无效"
    elif not (type(rec.get("legacy")) is str and _LEGACY_VERSION.fullmatch(rec["legacy"])):
        return "缺少编号"
    if "merged_into" in rec and not is_record_id(rec["merged_into"]):
        return "的合并去向无效"
    if problem := _lineage_problem(rec["parents"], rec["ancestors"]):
        return problem
    for key in _TEXTS:
        value = rec[key]
        if type(value) is not str or len(value) > 100:
            return f"的 {key} 无效"
    try:
        datetime.fromisoformat(rec["updated_at"])
        datetime.fromisoformat(rec["created_at"])
    except ValueError:
        return "的时间无效"
    version = rec.pop("version")  # hashed without it; put back (at the end) below
    try:
        body = orjson.dumps(rec, option=orjson.OPT_SORT_KEYS)
    finally:
        rec["version"] = version
    if len(body) > MAX_VERSION_BYTES:
        return f"超过单条记录的上限（{MAX_VERSION_BYTES >> 20} MB）"
    # Within MAX_FIELD_CHARS bytes in all, no single value can be longer: only types to check.
    if problem := data_problem(rec["data"], lengths=len(body) > MAX_FIELD_CHARS):
        return problem
    if hashlib.sha256(body).hexdigest() != version:
        return "的内容与版本号不符"
    return None


def _lineage_problem(parents: Any, ancestors: Any) -> str | None:
    if type(parents) is not list or type(ancestors) is not list or len(ancestors) > _MAX_ANCESTORS:
        return "的来源版本无效"
    for v in ancestors:  # plain string tests: a regex per id costs more than the rest
        if type(v) is not str or len(v) != 64 or v.strip(_HEX):
            return "的来源版本无效"
    if not set(parents) <= set(ancestors):
        return "的来源版本无效"
    return None


_TEXTS = ("created_at", "updated_at", "created_by", "updated_by")
_SCALARS = frozenset({str, int, float, bool, type(None)})
_SCALARS_AND_LISTS = _SCALARS | {list}
_STRS = frozenset({str})


def data_problem(data: Any, *, lengths: bool = True) -> str | None:
    """Why a version's data is not a flat object of bounded JSON values, or None. Without
    `lengths`, only the types are checked (the caller knows every value is short)."""
    if type(data) is not dict or len(data) > MAX_LIST_ITEMS:
        return "的内容格式不对"
    if not lengths:
        kinds = set(map(type, data.values()))
        if kinds <= _SCALARS:
            return None
        if kinds <= _SCALARS_AND_LISTS:
            for value in data.values():
                if type(value) is list and not set(map(type, value)) <= _STRS:
                    break
            else:
                return None
    for key, value in data.items():
        if len(key) > 64:
            return "的字段名太长"
        kind = type(value)
        if kind is str:
            if len(value) > MAX_FIELD_CHARS:
                return f"的字段“{key}”超过上限（{MAX_FIELD_CHARS} 字）"
        elif kind is list:
            if len(value) > MAX_LIST_ITEMS or any(
                type(v) is not str or len(v) > MAX_FIELD_CHARS for v in value
            ):
                return f"的字段“{key}”格式不对"
        elif kind not in (int, float, bool) and value is not None:
            return f"的字段“{key}”格式不对"
    return None
