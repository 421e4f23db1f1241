"""Seals: one signature over a run of a device's versions, instead of one per version.

Every version a device makes carries the device's id and the next number of its run (``seq``).
At export, the versions made since the last seal are sealed: the device signs the list of their
ids in run order (a *run seal*: first number, last number, ids). A version is vouched for by
the seal that lists its id at its number, and seals travel with the versions wherever they are
relayed, so anyone can check which device made a version, however it reached them.

Versions converted from the first release have no number; the device that converted them
signs one *legacy seal* listing their ids (sorted): it vouches for them as they were.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from fieldkit.store.database import Store, Transaction
from fieldkit.store.records import Record
from fieldkit.sync.devices import card_problem, sign_public, signed, verifies
from fieldkit.sync.keys import DeviceKeys

SEALS = "seals"  # seal_key(seal) -> seal
SEALED = "seals.upto"  # meta: the last number of this device's runs sealed so far
_ID = 64  # hex digits of a version id
_HEX = "0123456789abcdef"
MAX_SEAL_IDS = 2_000_000


def ids_of(seal: dict[str, Any]) -> list[str]:
    text = seal["ids"]
    return [text[i : i + _ID] for i in range(0, len(text), _ID)]


def seal_key(seal: dict[str, Any]) -> str:
    digest = hashlib.sha256(seal["ids"].encode("ascii")).hexdigest()[:16]
    return f"{seal['device']}:{digest}"


def make_run_seal(keys: DeviceKeys, first: int, ids: list[str], at: str) -> dict[str, Any]:
    body = {
        "device": keys.device,
        "first": first,
        "last": first + len(ids) - 1,
        "ids": "".join(ids),
        "at": at,
    }
    return signed(keys, "seal", body)


def make_legacy_seal(keys: DeviceKeys, ids: Iterable[str], at: str) -> dict[str, Any]:
    body = {"device": keys.device, "legacy": True, "ids": "".join(sorted(set(ids))), "at": at}
    return signed(keys, "seal", body)


def _shape_problem(seal: Any) -> str | None:
    if (
        type(seal) is not dict
        or type(seal.get("device")) is not str
        or type(seal.get("at")) is not str
    ):
        return "签名记录格式不对"
    ids = seal.get("ids")
    if type(ids) is not str or not ids or len(ids) % _ID or len(ids) > _ID * MAX_SEAL_IDS:
        return "签名记录格式不对"
    if seal.get("legacy") is True:
        return None if set(seal) == {"device", "legacy", "ids", "at", "sig"} else "签名记录格式不对"
    first, last = seal.get("first"), seal.get("last")
    if set(seal) != {"device", "first", "last", "ids", "at", "sig"}:
        return "签名记录格式不对"
    if type(first) is not int or type(last) is not int or first < 1:
        return "签名记录格式不对"
    if last - first + 1 != len(ids) // _ID:
        return "签名记录格式不对"
    return None


class SealIndex:
    """The seals that came with one bundle, checked, and which of them vouches for a version.

    Raises ValueError (with a Chinese reason) if a seal is malformed or its signature fails.
    """

    def __init__(self, seals: Iterable[Any], cards: dict[str, dict[str, Any]]):
        self.by_version: dict[str, tuple[dict[str, Any], int]] = {}
        self.seals: list[dict[str, Any]] = []
        for seal in seals:
            problem = _shape_problem(seal)
            card = cards.get(seal["device"]) if problem is None else None
            if problem is None and card is None:
                problem = "缺少签名设备的信息"
            if problem is None and not verifies("seal", seal, sign_public(card)):
                problem = "签名不对"
            if problem is not None:
                raise ValueError(problem)
            self.seals.append(seal)
            for pos, vid in enumerate(ids_of(seal)):
                self.by_version.setdefault(vid, (seal, pos))

    def vouch(self, rec: Record) -> tuple[str, int | None] | str:
        """The device whose seal vouches for `rec` and the number it gives it (None for a
        legacy seal); or, if no seal of this bundle does, why not (Chinese)."""
        found = self.by_version.get(rec["version"])
        if found is None:
            return "没有签名"
        seal, pos = found
        if "legacy" in seal:
            # A converted version names the device that made it before devices had keys; it
            # may not name a device that has keys (only that device can vouch for its own).
            device = rec.get("device")
            keyless = not (type(device) is str and len(device) == 16 and not device.strip(_HEX))
            if "legacy" in rec and "seq" not in rec and (keyless or device == seal["device"]):
                return seal["device"], None
        else:
            seq = seal["first"] + pos
            if rec.get("device") == seal["device"] and rec.get("seq") == seq:
                return seal["device"], seq
        return "签名与记录不符"


def check_cards(cards: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Cards by device id, each checked; ValueError with the reason if one is not valid.
    Where a device comes with several cards, the latest one counts."""
    out: dict[str, dict[str, Any]] = {}
    for card in cards:
        if problem := card_problem(card):
            raise ValueError(problem)
        old = out.get(card["device"])
        if old is None or (old["at"], old["sig"]) < (card["at"], card["sig"]):
            out[card["device"]] = card
    return out


# -- this device's runs ------------------------------------------------------------------


def own_versions(store: Store, device: str, after: int = 0) -> list[Record]:
    """The versions this store holds that `device` made, numbered above `after`, by number."""
    found = [
        r
        for r in store.all_documents()
        if r.get("device") == device and (r.get("seq") or 0) > after
    ]
    found.sort(key=lambda r: r["seq"])
    return found


def seal_own(store: Store, tx: Transaction, keys: DeviceKeys, at: str) -> dict[str, Any] | None:
    """Seal the versions this device made since its last seal (in `tx`); the new seal, if any."""
    upto = tx.get_meta(SEALED, 0)
    fresh = own_versions(store, keys.device, upto)
    if not fresh:
        return None
    if [r["seq"] for r in fresh] != list(range(upto + 1, upto + 1 + len(fresh))):
        raise RuntimeError("own versions are not numbered contiguously")
    seal = make_run_seal(keys, upto + 1, [r["version"] for r in fresh], at)
    tx.put(SEALS, seal_key(seal), seal)
    tx.set_meta(SEALED, seal["last"])
    return seal


def seals_covering(
    store: Store, versions: Iterable[Record]
) -> tuple[list[dict[str, Any]], list[Record]]:
    """The stored seals that vouch for `versions` (each seal once), and the versions no seal
    vouches for (made under keys this data dir lost: they cannot travel)."""
    seals = store.table_docs(SEALS)  # keyed by seal_key already
    by_id: dict[str, str] = {}
    for key, seal in seals.items():
        for vid in ids_of(seal):
            by_id.setdefault(vid, key)
    chosen: dict[str, None] = {}
    unsealed = []
    for rec in versions:
        key = by_id.get(rec["version"])
        if key is None:
            unsealed.append(rec)
        else:
            chosen[key] = None
    return [seals[k] for k in chosen], unsealed
