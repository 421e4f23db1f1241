"""The devices a data dir knows, and the office's say over them: trust one, revoke one.

Trusting a device merges the files held for it at once (no re-import). Revoking one (a lost
laptop) keeps every version of it held here and refuses its later ones: its held files are
dropped, and so is anything it numbers after what is held now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fieldkit.errors import FieldkitError
from fieldkit.store.records import now_iso
from fieldkit.sync import devices, gaps, held, intake
from fieldkit.sync.merge import FileResult, Merger, retry_held

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace


def rows(ws: Workspace) -> list[dict[str, Any]]:
    """Every known device with its standing, what is held from it and what is missing."""
    ident = ws.require_identity()
    store = ws.store
    book = devices.trust_book(store, ident)
    missing = {m["device"]: m for m in gaps.missing_changes(store, book)}
    waiting = {w["device"]: w for w in held.waiting_devices(store, book)}
    numbers = gaps.numbers_held(store)
    trusted_names: dict[str, list[str]] = {}
    for device, doc in store.table_docs(devices.DEVICES).items():
        if device != ident.device and book.standing(device).trusted and "card" in doc:
            trusted_names.setdefault(doc["card"]["worker"], []).append(device)
    out = []
    for device, doc in store.table_docs(devices.DEVICES).items():
        card = doc.get("card", {})
        standing = book.standing(device)
        have = numbers.get(device, set())
        out.append(
            {
                "device": device,
                "fingerprint": devices.fingerprint(device),
                "worker": card.get("worker", ""),
                "grid": card.get("grid", ""),
                "org": card.get("org", ""),
                "role": card.get("role", ""),
                "self": device == ident.device,
                "office": device == ident.office,
                "trusted": standing.trusted,
                # trusted for another grid than its card says now: ask again before it gets any
                "moved": standing.trusted and standing.grid not in (None, card.get("grid")),
                "trusted_grid": standing.grid,
                "revoked": standing.state == devices.REVOKED,
                "kept_upto": standing.upto,
                "by_office": standing.by_office,
                "versions": len(have),
                "last": max(doc.get("made", 0), max(have, default=0)),
                "held": waiting.get(device, {}).get("records", 0),
                "missing": missing.get(device, {}).get("missing", []),
                "first_seen": doc.get("first_seen", ""),
                # other trusted devices set up with the same worker's name: compare with care
                "namesakes": [
                    devices.fingerprint(d)
                    for d in trusted_names.get(card.get("worker", ""), [])
                    if d != device
                ],
            }
        )
    out.sort(key=lambda r: (not r["self"], not r["office"], r["grid"], r["worker"], r["device"]))
    return out


def missing(ws: Workspace) -> list[dict[str, Any]]:
    """Devices whose earlier changes have not arrived (fieldkit.sync.gaps)."""
    return gaps.missing_changes(ws.store, devices.trust_book(ws.store, ws.require_identity()))


def find(ws: Workspace, query: str) -> dict[str, Any]:
    """A known device's card by its id or a unique start of its fingerprint."""
    return devices.find_card(ws.store, query)


@dataclass(frozen=True)
class TrustResult:
    card: dict[str, Any]
    merged: list[FileResult]  # held files merged (or, if refused now, dropped) as a result
    settled: intake.Settled = field(default_factory=intake.Settled)  # the office's steps after


def trust(ws: Workspace, query: str) -> TrustResult:
    """Trust a device (after comparing its fingerprint); its held files merge now."""
    card = find(ws, query)
    _decide(ws, card, devices.TRUSTED, None)
    merged = retry_held(Merger(ws))
    return TrustResult(card, merged, intake.settle(ws) if merged else intake.Settled())


def revoke(ws: Workspace, query: str) -> TrustResult:
    """Revoke a device: what is held of it stays, its later versions and files are refused."""
    card = find(ws, query)
    upto = max(gaps.numbers_held(ws.store).get(card["device"], set()), default=0)
    _decide(ws, card, devices.REVOKED, upto)
    return TrustResult(card, retry_held(Merger(ws)))


def _decide(ws: Workspace, card: dict[str, Any], state: str, upto: int | None) -> None:
    ident = ws.require_identity()
    if card["device"] == ident.device:
        raise FieldkitError("这是本机，不需要也不能改变对本机的信任")
    decision = devices.make_decision(ws.keys, card, state, upto, now_iso())
    with ws.store.transaction() as tx:
        tx.put(devices.TRUST, devices.trust_key(ident.device, card["device"]), decision)
