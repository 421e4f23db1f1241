"""Files held aside: bundles from a device this data dir does not trust yet.

A held file is kept whole, as it arrived, in ``<data dir>/held/<sha256 of the file>.fkb`` (named
by its hash, never by anything the file says) and listed in the ``held`` table with its sender's
card details. It merges, with no re-import, once what it waits for is trusted
(fieldkit.sync.merge.retry_held, which reads it back with :func:`read_copy`). In a data dir with a
passphrase the copy is sealed under the data key (fieldkit.store.vault): an unencrypted bundle holds
names and ID numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files import durable
from fieldkit.files.locations import held_dir
from fieldkit.store import vault
from fieldkit.store.database import Store
from fieldkit.sync import bundle as bundles
from fieldkit.sync import devices

HELD = "held"  # file sha256 -> {"file", "device", "worker", "grid", "records", "untrusted", ...}


def held_path(root: Path, digest: str) -> Path:
    return held_dir(root) / f"{digest}{bundles.SUFFIX}"


def keep_copy(root: Path, b: bundles.Bundle) -> None:
    """Keep the held file's bytes (once), sealed when the data dir has a passphrase."""
    path = held_path(root, b.file_sha256)
    if not path.exists():
        data = vault.protect(root, "held", b.file_sha256, b.path.read_bytes())
        try:
            durable.write_file(path, data)
        except OSError as exc:
            raise FieldkitError(f"无法保存暂存的文件 {path}（{os_reason(exc)}）") from None


def read_copy(root: Path, digest: str) -> bytes | None:
    """The bytes of a held file as it arrived; None if the copy is gone. FieldkitError if the
    copy was changed (a sealed copy is checked)."""
    path = held_path(root, digest)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return None
    return vault.unprotect(root, "held", digest, blob, path)


def entries(store: Store) -> dict[str, dict[str, Any]]:
    """The held files by digest."""
    return store.table_docs(HELD)


def waiting_devices(store: Store, book: devices.TrustBook) -> list[dict[str, Any]]:
    """The devices that held files wait for (not trusted here), with how many records wait."""
    waiting: dict[str, dict[str, Any]] = {}
    trusted_names: dict[str, list[str]] = {}
    for device, doc in store.table_docs(devices.DEVICES).items():
        if device != book.me and book.standing(device).trusted and "card" in doc:
            trusted_names.setdefault(doc["card"]["worker"], []).append(devices.fingerprint(device))
    for entry in entries(store).values():
        for device in entry["untrusted"]:
            if book.standing(device).trusted:
                continue
            card = devices.stored_card(store, device) or {}
            row = waiting.setdefault(
                device,
                {
                    "device": device,
                    "fingerprint": devices.fingerprint(device),
                    "worker": card.get("worker", ""),
                    "grid": card.get("grid", ""),
                    "records": 0,
                    "files": 0,
                    "namesakes": trusted_names.get(card.get("worker", ""), []),
                },
            )
            row["records"] += entry["records"]
            row["files"] += 1
    return sorted(waiting.values(), key=lambda r: (r["grid"], r["worker"], r["device"]))
