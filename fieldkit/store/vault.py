"""The data dir locked at rest: a data key under a passphrase (and for the office), and sealing.

A data dir with a passphrase keeps everything that holds personal data encrypted and
authenticated with AES-256-GCM under one random 256-bit *data key*: the store (fieldkit.store.storage),
drafts, held bundle copies, this data dir's private keys, the first release's store backups and
the details of the error log. The data key itself is stored only wrapped, in ``vault.json``:

- by a key derived from the passphrase with Argon2id (scrypt where OpenSSL lacks it), tuned to
  about 0.4 s here. Changing the passphrase re-wraps the data key; no data is re-encrypted;
- when the laptop has an office key, also to the office's X25519 key (an ephemeral X25519
  agreement, HKDF-SHA256, AES-256-GCM: the scheme of fieldkit.sync.bundle, with its own labels), so
  the office, and only it, can open a data dir whose passphrase was forgotten (``recover``).

``vault.json`` (plain JSON, mode 0600) also says whether the data dir is still being converted
from plain files; every field is covered by an HMAC under the data key, so nobody without the key
can change it unnoticed. Without the file, the data dir was made before passphrases existed
(``LEGACY``); ``{"encrypted": false}`` records that the user chose to go without (``PLAIN``).

A process unlocks a data dir once (:func:`unlock`, :func:`create`, :func:`recover`); the
unlocked :class:`Vault` is then found by its data dir (:func:`unlocked`), so that the store,
``keys.load(root)``, drafts and held copies need no passphrase passed around.

Every sealed message is bound to its place by associated data: the vault's id, what the file is
and its name (or, in the store, the file's generation and the line's position), so nothing can
be moved from one file or place to another unnoticed. Sealed files are ``SEALED_MAGIC`` + nonce +
ciphertext; files are replaced atomically (fieldkit.files.durable), created with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files.durable import write_file
from fieldkit.files.locations import keys_dir, private_dirs, store_dir

VAULT_FILE = "vault.json"
FORMAT = 1
SEALED_MAGIC = b"FIELDKIT-SEALED 1\n"
MIN_LENGTH = 8

# States of a data dir (status()).
NEW = "new"  # nothing here yet: the choice is still to be made
LEGACY = "legacy"  # data from before passphrases existed, no choice made: unencrypted
PLAIN = "plain"  # the user chose to go without a passphrase: unencrypted
ENCRYPTED = "encrypted"

# The KDF for new passphrases: about 0.4 s and 128 MiB here (argon2id: t iterations, m KiB, p
# lanes). Stored with each vault, so a vault keeps opening when these change.
ARGON2 = {"name": "argon2id", "t": 3, "m": 131072, "p": 4}
SCRYPT = {"name": "scrypt", "log2n": 17, "r": 8, "p": 1}
KDF_PARAMS: dict[str, Any] | None = None  # None: ARGON2 if available, else SCRYPT (tests: cheap)

_STATES = ("ready", "converting")

# The app locks itself after this many idle minutes (a setting in the store's meta table:
# `fieldkit passwd --idle-lock N`; 0 never).
IDLE_LOCK_META = "lock.idle_minutes"
DEFAULT_IDLE_MINUTES = 10


class Locked(FieldkitError):
    """The data dir is encrypted and this process has not unlocked it."""


class WrongPassphrase(FieldkitError):
    """The passphrase does not open the vault (nothing was changed)."""


class VaultError(FieldkitError):
    """vault.json is missing, damaged or changed."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if type(text) is not str:
        raise ValueError("not text")
    return base64.b64decode(text, validate=True)


def _hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class Cipher:
    """AES-256-GCM under one key; each message gets a fresh random nonce and is bound to
    `context` (the vault's id) plus the associated data its caller gives (what and where)."""

    __slots__ = ("_aead", "context")

    def __init__(self, key: bytes, context: bytes):
        self._aead = AESGCM(key)
        self.context = context

    def seal(self, aad: bytes, data: bytes) -> bytes:
        """nonce (12 bytes) + ciphertext + tag (16 bytes)."""
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, self.context + aad)

    def open(self, aad: bytes, blob: bytes | memoryview) -> bytes | None:
        """The plaintext, or None if `blob` was changed, is from elsewhere, or is not one."""
        if len(blob) < 28:
            return None
        try:
            return self._aead.decrypt(bytes(blob[:12]), bytes(blob[12:]), self.context + aad)
        except InvalidTag:
            return None


@dataclass
class Vault:
    """An unlocked data dir: its data key, and the sealing made with it."""

    root: Path
    doc: dict[str, Any]  # the content of vault.json
    _key: bytes = field(repr=False)
    _ciphers: dict[str, Cipher] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> bytes:
        return bytes.fromhex(self.doc["id"])

    @property
    def converting(self) -> bool:
        """Plain files from before the passphrase may still be here (being sealed)."""
        return self.doc.get("state") == "converting"

    @property
    def office_ids(self) -> list[str]:
        return [entry["key_id"] for entry in self.doc.get("office", [])]

    def cipher(self, purpose: str) -> Cipher:
        """A Cipher under a key of its own for `purpose` ("store", "files")."""
        found = self._ciphers.get(purpose)
        if found is None:
            key = _hkdf(self._key, b"fieldkit data key v1 " + purpose.encode("ascii"))
            found = self._ciphers[purpose] = Cipher(key, self.id)
        return found

    def store_cipher(self) -> Cipher:
        return self.cipher("store")

    def seal_file(self, purpose: str, name: str, data: bytes) -> bytes:
        """A sealed file's bytes: `data` bound to what it is (`purpose`) and its `name`."""
        return SEALED_MAGIC + self.cipher("files").seal(_file_aad(purpose, name), data)

    def open_file(self, purpose: str, name: str, blob: bytes) -> bytes | None:
        """The content of a sealed file, or None if it was changed or is not this one."""
        if not blob.startswith(SEALED_MAGIC):
            return None
        return self.cipher("files").open(_file_aad(purpose, name), blob[len(SEALED_MAGIC) :])

    def same_key(self, other: bytes) -> bool:
        return hmac.compare_digest(self._key, other)


def _file_aad(purpose: str, name: str) -> bytes:
    return b"fieldkit/file/1\0" + purpose.encode("ascii") + b"\0" + name.encode("utf-8")


# -- the process's unlocked vaults -------------------------------------------------------

_unlocked: dict[Path, Vault] = {}
_lock = threading.Lock()


def _where(root: Path) -> Path:
    return Path(root).absolute().resolve()


def unlocked(root: Path) -> Vault | None:
    """The vault of `root` if this process unlocked it."""
    return _unlocked.get(_where(root))


def _register(vault: Vault) -> Vault:
    with _lock:
        _unlocked[_where(vault.root)] = vault
    return vault


def forget(root: Path) -> None:
    """Drop an unlocked vault from this process (tests; a data dir handed back)."""
    with _lock:
        _unlocked.pop(_where(root), None)


# -- vault.json ------------------------------------------------------------------------


def vault_path(root: Path) -> Path:
    return Path(root) / VAULT_FILE


def _read_doc(root: Path) -> dict[str, Any] | None:
    path = vault_path(root)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise VaultError(f"无法读取口令文件 {path}（{os_reason(exc)}）") from None
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        doc = None
    # Exactly as written (_encode): a byte changed anywhere, even in the spacing, is refused.
    if type(doc) is not dict or doc.get("fieldkit_vault") != FORMAT or _encode(doc) != raw:
        raise VaultError(f"口令文件 {path} 已损坏或被改动。请从备份恢复整个数据目录")
    return doc


def _encode(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


def _has_data(root: Path) -> bool:
    store = store_dir(root)
    return (
        any((store / name).exists() for name in ("snapshot.json", "journal.log"))
        or (keys_dir(root) / "sign.pem").exists()
    )


def status(root: Path) -> str:
    """NEW, LEGACY, PLAIN or ENCRYPTED (see the constants)."""
    doc = _read_doc(root)
    if doc is None:
        return LEGACY if _has_data(root) else NEW
    return ENCRYPTED if doc.get("encrypted") else PLAIN


def is_encrypted(root: Path) -> bool:
    return status(root) == ENCRYPTED


def has_office_wrap(root: Path) -> bool:
    """Whether the office can recover this data dir (its data key is wrapped to the office)."""
    doc = _read_doc(root)
    return bool(doc and doc.get("encrypted") and doc.get("office"))


def _mac(key: bytes, doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "mac"}
    mac_key = _hkdf(key, b"fieldkit vault mac v1")
    return _b64(hmac.digest(mac_key, orjson.dumps(body, option=orjson.OPT_SORT_KEYS), "sha256"))


def _write_doc(root: Path, doc: dict[str, Any], key: bytes | None) -> None:
    if key is not None:
        doc["mac"] = _mac(key, doc)
    write_file(vault_path(root), _encode(doc))


def _checked(root: Path, doc: dict[str, Any], key: bytes) -> Vault:
    try:
        ok = hmac.compare_digest(_mac(key, doc), str(doc.get("mac", "")))
        bytes.fromhex(doc["id"])
    except (KeyError, ValueError, TypeError):
        ok = False
    if not ok or doc.get("state") not in _STATES:
        raise VaultError(f"口令文件 {vault_path(root)} 已被改动。请从备份恢复整个数据目录")
    return Vault(Path(root), doc, key)


# -- the passphrase ---------------------------------------------------------------------


@cache
def _argon2_available() -> bool:
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        Argon2id(salt=bytes(16), length=32, iterations=1, lanes=1, memory_cost=8).derive(b"x")
    except (ImportError, UnsupportedAlgorithm):
        return False
    return True


def default_kdf() -> dict[str, Any]:
    if KDF_PARAMS is not None:
        return dict(KDF_PARAMS)
    return dict(ARGON2 if _argon2_available() else SCRYPT)


def _int(params: dict[str, Any], name: str, low: int, high: int) -> int:
    value = params.get(name)
    if type(value) is not int or not low <= value <= high:
        raise ValueError(name)
    return value


def derive(passphrase: str, kdf: dict[str, Any]) -> bytes:
    """The key-encryption key from a passphrase (NFC-normalised, UTF-8) and the KDF settings.
    The settings come from a file: bounded, so a changed file cannot ask for 100 GB."""
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    salt = _unb64(kdf.get("salt"))
    if kdf.get("name") == "argon2id":
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        lanes = _int(kdf, "p", 1, 16)
        return Argon2id(
            salt=salt,
            length=32,
            iterations=_int(kdf, "t", 1, 64),
            lanes=lanes,
            memory_cost=_int(kdf, "m", 8 * lanes, 4 << 20),
        ).derive(secret)
    if kdf.get("name") == "scrypt":
        return Scrypt(
            salt=salt,
            length=32,
            n=1 << _int(kdf, "log2n", 1, 22),
            r=_int(kdf, "r", 1, 32),
            p=_int(kdf, "p", 1, 16),
        ).derive(secret)
    raise ValueError("kdf")


def _passphrase_aad(vault_id: str) -> bytes:
    return b"fieldkit/vault/passphrase/1\0" + vault_id.encode("ascii")


def _wrap_for_passphrase(doc: dict[str, Any], key: bytes, passphrase: str) -> None:
    kdf = {**default_kdf(), "salt": _b64(os.urandom(16))}
    nonce = os.urandom(12)
    wrapped = AESGCM(derive(passphrase, kdf)).encrypt(nonce, key, _passphrase_aad(doc["id"]))
    doc["kdf"] = kdf
    doc["passphrase"] = _b64(nonce + wrapped)


def _unwrap_with_passphrase(doc: dict[str, Any], passphrase: str, root: Path) -> bytes:
    try:
        blob = _unb64(doc.get("passphrase"))
        kek = derive(passphrase, doc["kdf"])
    except (KeyError, ValueError, TypeError):
        raise VaultError(f"口令文件 {vault_path(root)} 已损坏或被改动") from None
    try:
        return AESGCM(kek).decrypt(blob[:12], blob[12:], _passphrase_aad(doc["id"]))
    except (InvalidTag, ValueError):
        raise WrongPassphrase("口令不对") from None


def passphrase_problem(passphrase: str) -> str | None:
    """Why a new passphrase cannot be used (Chinese), or None."""
    if len(passphrase) < MIN_LENGTH:
        return f"口令至少要 {MIN_LENGTH} 个字符"
    if not passphrase.strip():
        return "口令不能全是空格"
    if any(ch < " " or ch == "\x7f" for ch in passphrase):
        return "口令不能含换行符、制表符等控制字符（解锁时无法输入）"
    return None


_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_COMMON = ("password", "passw0rd", "fieldkit", "admin", "123456", "111111", "abc123", "woaini")


def strength(passphrase: str) -> tuple[int, str]:
    """0 weak, 1 fair, 2 strong, with a hint in Chinese: a rough estimate of how long guessing
    would take, for the first-run screen and the command line."""
    p = unicodedata.normalize("NFC", passphrase)
    if not p:
        return 0, "请输入口令"
    pool = 0
    if re.search(r"\d", p):
        pool += 10
    if re.search(r"[a-z]", p):
        pool += 26
    if re.search(r"[A-Z]", p):
        pool += 26
    if re.search(r"[^\w\s]|_|\s", p, re.ASCII):
        pool += 33
    if re.search(r"[^\x00-\x7f]", p):
        pool += 2000  # Chinese characters: a few thousand in common use
    distinct = len(set(p))
    bits = min(len(p), distinct * 2) * math.log2(max(pool, 2))
    lower = p.lower()
    if any(word in lower for word in _COMMON) or distinct <= 2:
        bits = min(bits, 20)
    for seq in _SEQUENCES:
        if len(p) >= 4 and (lower in seq or lower in seq[::-1]):
            bits = min(bits, 20)
    if p.isdigit():
        bits = min(bits, len(p) * 3.3)
        if re.fullmatch(r"(19|20)\d{6}|1[3-9]\d{9}|\d{17}[\dxX]", p):
            bits = min(bits, 20)  # a date, a phone or an ID number: guessed first
    if bits < 40:
        return 0, "弱，容易被猜中。建议用 10 个以上字符，混合字母、数字和符号，或用几个词组成一句话"
    if bits < 60:
        return 1, "中，可以再长一些，几个不相关的词连起来更好"
    return 2, "强"


# -- making, opening and changing a vault -------------------------------------------------


def create(root: Path, passphrase: str, *, converting: bool = False) -> Vault:
    """Put `root` under a new passphrase with a fresh data key (unlocked in this process).

    `converting`: plain files already in the data dir are sealed by the next opening of its
    workspace (fieldkit.workspace), which then marks the vault ready."""
    if problem := passphrase_problem(passphrase):
        raise FieldkitError(problem)
    doc = _read_doc(root)
    if doc is not None and doc.get("encrypted"):
        raise FieldkitError(f"数据目录 {root} 已经设置了口令。要更改口令请运行 fieldkit passwd")
    key = os.urandom(32)
    doc = {
        "fieldkit_vault": FORMAT,
        "encrypted": True,
        "id": os.urandom(16).hex(),
        "state": "converting" if converting else "ready",
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "office": [],
    }
    _wrap_for_passphrase(doc, key, passphrase)
    Path(root).mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_doc(root, doc, key)
    return _register(Vault(Path(root), doc, key))


def choose_plain(root: Path) -> None:
    """Record that this data dir goes without a passphrase (an explicit choice)."""
    if _read_doc(root) is not None:
        return
    Path(root).mkdir(parents=True, exist_ok=True, mode=0o700)
    doc = {
        "fieldkit_vault": FORMAT,
        "encrypted": False,
        "chosen_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    _write_doc(root, doc, None)


def _encrypted_doc(root: Path) -> dict[str, Any]:
    doc = _read_doc(root)
    if doc is None or not doc.get("encrypted"):
        raise FieldkitError(f"数据目录 {root} 没有设置口令，不需要解锁")
    return doc


def unlock(root: Path, passphrase: str) -> Vault:
    """Open the vault with the passphrase (about 0.4 s, the KDF); WrongPassphrase if it is not
    the one. Nothing on disk changes either way."""
    doc = _encrypted_doc(root)
    key = _unwrap_with_passphrase(doc, passphrase, Path(root))
    return _register(_checked(Path(root), doc, key))


def check_passphrase(vault: Vault, passphrase: str) -> bool:
    """Whether `passphrase` opens this (unlocked) vault: for unlocking a locked screen."""
    try:
        key = _unwrap_with_passphrase(vault.doc, passphrase, vault.root)
    except WrongPassphrase:
        return False
    return vault.same_key(key)


def change_passphrase(vault: Vault, new: str) -> None:
    """Wrap the data key under a new passphrase (and current KDF settings); no data changes."""
    if problem := passphrase_problem(new):
        raise FieldkitError(problem)
    doc = dict(vault.doc)
    _wrap_for_passphrase(doc, vault._key, new)
    _write_doc(vault.root, doc, vault._key)
    vault.doc = doc


def mark_ready(vault: Vault) -> None:
    """Every plain file of the data dir is sealed now: plain ones are refused from here on."""
    if vault.converting:
        doc = {**vault.doc, "state": "ready"}
        _write_doc(vault.root, doc, vault._key)
        vault.doc = doc


# -- recovery through the office --------------------------------------------------------


def key_id(box_public: bytes) -> str:
    """The name of an X25519 public key (as fieldkit.sync.keys.box_key_id)."""
    return hashlib.sha256(box_public).hexdigest()[:16]


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _recovery_kek(shared: bytes, ephemeral: bytes, recipient: bytes, vault_id: str) -> AESGCM:
    kek = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=ephemeral + recipient,
        info=b"fieldkit vault recovery v1 " + vault_id.encode("ascii"),
    ).derive(shared)
    return AESGCM(kek)


def set_office(vault: Vault, box_public: bytes | None) -> None:
    """Wrap the data key to the office's encryption key (only that office; None: to nobody)."""
    if box_public is None:
        entries: list[dict[str, str]] = []
    else:
        if vault.office_ids == [key_id(box_public)]:
            return
        ephemeral = X25519PrivateKey.generate()
        eph_raw = _raw(ephemeral.public_key())
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(box_public))
        kek = _recovery_kek(shared, eph_raw, box_public, vault.doc["id"])
        wrapped = kek.encrypt(bytes(12), vault._key, b"fieldkit/vault/office/1")
        entries = [
            {"key_id": key_id(box_public), "ephemeral": _b64(eph_raw), "wrapped": _b64(wrapped)}
        ]
    if entries == vault.doc.get("office", []):
        return
    doc = {**vault.doc, "office": entries}
    _write_doc(vault.root, doc, vault._key)
    vault.doc = doc


def recover(root: Path, box_keys: list[X25519PrivateKey]) -> Vault:
    """Open a laptop's vault with the office's private keys (unlocked in this process)."""
    doc = _encrypted_doc(root)
    mine = {key_id(_raw(k.public_key())): k for k in box_keys}
    entries = [e for e in doc.get("office", []) if type(e) is dict and e.get("key_id") in mine]
    if not entries:
        if not doc.get("office"):
            raise FieldkitError(
                f"数据目录 {root} 没有交给街道恢复的密钥（设置口令时这台电脑没有配置街道公钥），"
                "无法恢复"
            )
        raise FieldkitError(f"数据目录 {root} 的恢复密钥不是给本街道的，本机无法恢复")
    entry = entries[0]
    private = mine[entry["key_id"]]
    try:
        eph_raw = _unb64(entry["ephemeral"])
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_raw))
        kek = _recovery_kek(shared, eph_raw, _raw(private.public_key()), doc["id"])
        key = kek.decrypt(bytes(12), _unb64(entry["wrapped"]), b"fieldkit/vault/office/1")
    except (InvalidTag, ValueError, KeyError, TypeError):
        raise VaultError(f"口令文件 {vault_path(root)} 已被改动，无法恢复") from None
    return _register(_checked(Path(root), doc, key))


# -- sealed files ------------------------------------------------------------------------


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(SEALED_MAGIC)


def protect(root: Path, purpose: str, name: str, data: bytes) -> bytes:
    """What to write for `data`: sealed in an encrypted data dir, as it is otherwise."""
    vault = unlocked(root)
    if vault is not None:
        return vault.seal_file(purpose, name, data)
    if status(root) == ENCRYPTED:
        raise Locked("数据目录已加密，请先输入口令")
    return data


def unprotect(root: Path, purpose: str, name: str, blob: bytes, where: Path) -> bytes:
    """The content of a file written by :func:`protect`; FieldkitError if it was changed, or if
    it is plain in an encrypted data dir (a file put there by someone else)."""
    vault = unlocked(root)
    if is_sealed(blob):
        if vault is None:
            raise Locked("数据目录已加密，请先输入口令")
        data = vault.open_file(purpose, name, blob)
        if data is None:
            raise FieldkitError(f"文件 {where} 已损坏或被改动，请从备份恢复")
        return data
    if (vault is not None and not vault.converting) or (
        vault is None and status(root) == ENCRYPTED
    ):
        raise FieldkitError(f"文件 {where} 不是加密的，可能被替换过，不能使用")
    return blob


def secure_permissions(root: Path) -> None:
    """On POSIX, make the data dir this account's only: folders 0700, files 0600 (fieldkit's own
    entries; an older version left them 0755/0644). Windows: see the README."""
    if os.name == "nt":
        return
    root = Path(root)
    folders = [root, *private_dirs(root), *root.glob("store-backup-*")]
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        _chmod(folder, 0o700)
        if folder != root:
            for path in folder.rglob("*"):
                if not path.is_symlink():
                    _chmod(path, 0o700 if path.is_dir() else 0o600)
    for name in (VAULT_FILE, "fieldkit.log"):
        if (root / name).is_file():
            _chmod(root / name, 0o600)


def _chmod(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except OSError:
        pass  # not ours, or a file system without modes (a FAT USB stick)
