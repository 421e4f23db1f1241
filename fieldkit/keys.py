"""The office's key pair: made once at the office, the public half configured on every laptop.

Laptops encrypt their bundles to the office's public key; only the private key, which never leaves
the office's data dir (``<data dir>/keys/``, file mode 0600), opens them. Keys are X25519 in PEM
files. A key's id is a short hash of its public bytes: bundles name the key they were encrypted
to, so the office can keep several keys (an old one for laptops not yet reconfigured) and pick the
right one.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from fieldkit.errors import FieldkitError
from fieldkit.locations import keys_dir

PRIVATE_PREFIX = "office-private-"
PUBLIC_PREFIX = "office-public-"


@dataclass(frozen=True)
class KeyPair:
    key_id: str
    private_path: Path  # in the office's data dir
    public_path: Path  # the copy for the laptops


def public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: X25519PublicKey) -> str:
    """A short, stable name for a public key (16 hex digits)."""
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def public_pem(key: X25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def parse_public_key(pem: str, source: str = "公钥") -> X25519PublicKey:
    """The office public key from PEM text; FieldkitError if it isn't one."""
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError, UnicodeError):
        key = None
    if not isinstance(key, X25519PublicKey):
        raise FieldkitError(
            f"{source} 不是 fieldkit 街道公钥（应为 fieldkit keygen 生成的 .pem 文件）"
        )
    return key


def read_public_key_file(path: Path) -> str:
    """The PEM text of a public key file, checked; for `fieldkit init --office-key`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FieldkitError(f"无法读取公钥文件 {path}：{exc.__class__.__name__}") from None
    if "PRIVATE KEY" in text:
        raise FieldkitError(
            f"{path} 是私钥文件，不能配置到笔记本电脑上。请使用 keygen 生成的公钥文件"
        )
    parse_public_key(text, str(path))
    return text


def generate(root: Path, out_dir: Path) -> KeyPair:
    """Make a new office key pair: the private key into root/keys, the public key into out_dir.

    Existing keys are kept, so bundles encrypted to an older key still open.
    """
    private = X25519PrivateKey.generate()
    public = private.public_key()
    kid = key_id(public)
    kdir = keys_dir(root)
    private_path = kdir / f"{PRIVATE_PREFIX}{kid}.pem"
    public_path = Path(out_dir) / f"{PUBLIC_PREFIX}{kid}.pem"
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        kdir.mkdir(parents=True, exist_ok=True)
        _write_new(private_path, private_pem, 0o600)
        # A copy of the public half next to the private key, so the office can find it again.
        _write_new(kdir / public_path.name, public_pem(public).encode("ascii"), 0o644)
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        if public_path.resolve() != (kdir / public_path.name).resolve():
            _write_new(public_path, public_pem(public).encode("ascii"), 0o644)
    except OSError as exc:
        raise FieldkitError(f"无法写入密钥文件：{exc.filename or kdir}（{exc.strerror}）") from None
    return KeyPair(kid, private_path, public_path)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: never overwrite a key; the mode is set at creation, so the private key is never
    # readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def private_keys(root: Path) -> dict[str, X25519PrivateKey]:
    """The office private keys in root/keys by key id (empty on a laptop)."""
    found: dict[str, X25519PrivateKey] = {}
    kdir = keys_dir(root)
    if not kdir.is_dir():
        return found
    for path in sorted(kdir.glob(f"{PRIVATE_PREFIX}*.pem")):
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise FieldkitError(f"无法读取私钥文件 {path}：{exc.__class__.__name__}") from None
        if isinstance(key, X25519PrivateKey):
            found[key_id(key.public_key())] = key
    return found
