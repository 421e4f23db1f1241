"""This data dir's own key pairs, made once by `init` with nothing for the user to do.

- an Ed25519 key signs what this data dir makes: its runs of versions (fieldkit.sync.seals), its
  bundles, its device card and, at the office, its trust decisions (fieldkit.sync.devices);
- an X25519 key receives bundles encrypted to this data dir (the office's, and in time the
  grid laptops').

Both live in ``<data dir>/keys/`` as PKCS#8 PEM files, created with mode 0600 and never
overwritten; in a data dir with a passphrase each file is sealed under its data key
(fieldkit.store.vault, same file names), so ``load(root)`` works once this process unlocked it. The device id is a hash of the signing public key, so no data dir can claim
another's id, whatever names it uses. An office converted from the first release also keeps
its old X25519 keys (``office-private-*.pem``), because laptops configured with the old public
key still encrypt to it.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files.locations import keys_dir
from fieldkit.store import vault

SIGN_FILE = "sign.pem"
BOX_FILE = "box.pem"
LEGACY_OFFICE_PREFIX = "office-private-"


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, size: int) -> bytes:
    """Base64 text of exactly `size` bytes; ValueError otherwise."""
    data = base64.b64decode(text, validate=True)
    if len(data) != size:
        raise ValueError("wrong length")
    return data


def device_id(sign_public: bytes) -> str:
    """A device's id: 16 hex digits of the hash of its signing public key."""
    return hashlib.sha256(b"fieldkit-device\n" + sign_public).hexdigest()[:16]


def box_key_id(box_public: bytes) -> str:
    """A short name for an encryption public key (bundles say which key they are for)."""
    return hashlib.sha256(box_public).hexdigest()[:16]


@dataclass(frozen=True)
class DeviceKeys:
    sign: Ed25519PrivateKey
    box: X25519PrivateKey

    @property
    def sign_public(self) -> bytes:
        return raw_public(self.sign.public_key())

    @property
    def box_public(self) -> bytes:
        return raw_public(self.box.public_key())

    @property
    def device(self) -> str:
        return device_id(self.sign_public)


def exists(root: Path) -> bool:
    return (keys_dir(root) / SIGN_FILE).is_file()


def load_or_create(root: Path) -> DeviceKeys:
    """This data dir's keys, made on first use."""
    kdir = keys_dir(root)
    try:
        kdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not (kdir / SIGN_FILE).exists():
            # No device yet: a box key left half-written by a crash is not anyone's key.
            (kdir / BOX_FILE).unlink(missing_ok=True)
            _write_new(root, kdir / BOX_FILE, _pem(X25519PrivateKey.generate()))
            _write_new(root, kdir / SIGN_FILE, _pem(Ed25519PrivateKey.generate()))
    except OSError as exc:
        raise FieldkitError(
            f"无法写入本机密钥 {exc.filename or kdir}（{os_reason(exc)}）"
        ) from None
    return load(root)


def load(root: Path) -> DeviceKeys:
    """This data dir's keys; FieldkitError if they are missing or unreadable."""
    kdir = keys_dir(root)
    sign = _read_private(root, kdir / SIGN_FILE, Ed25519PrivateKey)
    box = _read_private(root, kdir / BOX_FILE, X25519PrivateKey)
    return DeviceKeys(sign, box)  # type: ignore[arg-type]


def legacy_box_keys(root: Path) -> list[X25519PrivateKey]:
    """The first release's office keys kept in this data dir (laptops may still encrypt to them)."""
    kdir = keys_dir(root)
    if not kdir.is_dir():
        return []
    return [
        _read_private(root, path, X25519PrivateKey)  # type: ignore[misc]
        for path in sorted(kdir.glob(f"{LEGACY_OFFICE_PREFIX}*.pem"))
    ]


def private_key_files(root: Path) -> list[Path]:
    """Every private key file of this data dir (what a passphrase seals)."""
    kdir = keys_dir(root)
    return sorted(kdir.glob("*.pem")) if kdir.is_dir() else []


def _pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _read_private(root: Path, path: Path, kind: type) -> object:
    try:
        pem = vault.unprotect(root, "key", path.name, path.read_bytes(), path)
        key = serialization.load_pem_private_key(pem, password=None)
    except FileNotFoundError:
        raise FieldkitError(
            f"找不到本机密钥 {path}。请先运行 fieldkit init，或从备份恢复整个数据目录"
        ) from None
    except (OSError, ValueError, TypeError) as exc:
        raise FieldkitError(f"无法读取本机密钥 {path}（{exc.__class__.__name__}）") from None
    if not isinstance(key, kind):
        raise FieldkitError(f"本机密钥 {path} 类型不对，请从备份恢复数据目录")
    return key


def _write_new(root: Path, path: Path, data: bytes) -> None:
    # O_EXCL: never overwrite a key; mode 0600 from the start, so it is never readable by others.
    # Sealed before it is written when the data dir has a passphrase: never on disk in clear.
    data = vault.protect(root, "key", path.name, data)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        if os.write(fd, data) != len(data):
            raise OSError(errno.ENOSPC, "short write", str(path))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(path)  # a half-written key would make the data dir unreadable (a full disk)
        raise
    os.close(fd)
