"""Devices: each data dir's signed card, and which devices this data dir trusts.

A *card* says who a device is: its id (a hash of its signing key), its two public keys, and the
worker, grid and organisation it was set up with, signed by the device itself. Anyone can check
a card; nobody can make one for another device's id. Names are only claims: a data dir that
uses a real worker's name is still a different device, with a different fingerprint.

A *decision* says that a device is trusted, or revoked (its versions up to a number are kept,
later ones refused). It is signed by the data dir that made it. A data dir follows its own
decisions; a laptop also follows its office's (the office vouches for the devices it trusts,
and its bundles carry those decisions), unless it decided otherwise itself.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.store.database import Store, Transaction
from fieldkit.sync.keys import DeviceKeys, b64, device_id, raw_public, unb64

DEVICES = "devices"  # device id -> {"card", "first_seen", "made", "direct"}
TRUST = "trust"  # "<decider>:<device>" -> a signed decision

ROLES = ("laptop", "office")
TRUSTED, REVOKED = "trusted", "revoked"
CARD_FIELDS = ("device", "sign_key", "box_key", "worker", "grid", "org", "role", "at", "sig")
DECISION_FIELDS = ("by", "device", "sign_key", "grid", "state", "upto", "at", "sig")
OFFICE_KEY_BEGIN = "-----BEGIN FIELDKIT OFFICE KEY-----"
OFFICE_KEY_END = "-----END FIELDKIT OFFICE KEY-----"
_MAX_TEXT = 200
MAX_NAME = 40  # worker, grid and organisation on a card: one short line, shown in dialogs


# -- signatures --------------------------------------------------------------------------


def _message(kind: str, doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "sig"}
    return b"fieldkit-%s-v1\n" % kind.encode() + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def signed(keys: DeviceKeys, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` with a signature (``sig``) by this data dir over it, for documents of `kind`."""
    return {**body, "sig": b64(keys.sign.sign(_message(kind, body)))}


def verifies(kind: str, doc: dict[str, Any], sign_public: bytes) -> bool:
    """Whether `doc` carries a valid signature of kind `kind` by the holder of `sign_public`."""
    try:
        sig = unb64(doc["sig"], 64)
        Ed25519PublicKey.from_public_bytes(sign_public).verify(sig, _message(kind, doc))
    except (InvalidSignature, ValueError, TypeError, KeyError):
        return False
    return True


def fingerprint(device: str) -> str:
    """How people compare a device between two screens: 1A2B 3C4D 5E6F 7A8B."""
    return " ".join(device[i : i + 4].upper() for i in range(0, len(device), 4))


# -- cards -------------------------------------------------------------------------------


def make_card(keys: DeviceKeys, *, worker: str, grid: str, org: str, role: str) -> dict[str, Any]:
    """This device's card as of now (to the microsecond: the latest card is the one that counts)."""
    at = datetime.now().astimezone().isoformat(timespec="microseconds")
    body = {
        "device": keys.device,
        "sign_key": b64(keys.sign_public),
        "box_key": b64(keys.box_public),
        "worker": worker,
        "grid": grid,
        "org": org,
        "role": role,
        "at": at,
    }
    return signed(keys, "card", body)


def name_problem(text: str, what: str) -> str | None:
    """Why a name on a card (worker, grid, organisation) is not one line of plain text."""
    if len(text) > MAX_NAME:
        return f"{what}不能超过{MAX_NAME}个字"
    if not text.isprintable():
        return f"{what}不能包含换行、制表符等控制字符"
    return None


def card_problem(card: Any) -> str | None:
    """Why `card` is not a valid device card (Chinese), or None."""
    if type(card) is not dict or set(card) != set(CARD_FIELDS):
        return "设备信息格式不对"
    if not all(type(card[k]) is str and len(card[k]) <= _MAX_TEXT for k in CARD_FIELDS):
        return "设备信息格式不对"
    for key, what in (("worker", "网格员姓名"), ("grid", "网格"), ("org", "单位")):
        if problem := name_problem(card[key], what):
            return f"设备信息中的{problem}"
    if card["role"] not in ROLES:
        return "设备类型不对"
    try:
        sign_public = unb64(card["sign_key"], 32)
        unb64(card["box_key"], 32)
    except ValueError:
        return "设备公钥格式不对"
    if device_id(sign_public) != card["device"]:
        return "设备编号与公钥不符"
    if not verifies("card", card, sign_public):
        return "设备信息的签名不对"
    return None


def sign_public(card: dict[str, Any]) -> bytes:
    return base64.b64decode(card["sign_key"])


def box_public(card: dict[str, Any]) -> bytes:
    return base64.b64decode(card["box_key"])


def remember_card(tx: Transaction, card: dict[str, Any], at: str, *, own: bool = False) -> None:
    """Keep a (checked) card: the latest one a device signed is the one shown (this data dir's
    own new card always is)."""
    doc = tx.read(DEVICES, card["device"]) or {"first_seen": at, "made": 0, "direct": False}
    old = doc.get("card")
    if own or old is None or (old["at"], old["sig"]) < (card["at"], card["sig"]):
        tx.put(DEVICES, card["device"], {**doc, "card": card})


# -- decisions ---------------------------------------------------------------------------


def make_decision(
    keys: DeviceKeys, card: dict[str, Any], state: str, upto: int | None, at: str
) -> dict[str, Any]:
    body = {
        "by": keys.device,
        "device": card["device"],
        "sign_key": card["sign_key"],
        "grid": card["grid"],  # trusted as a laptop of this grid: a card that moves needs asking
        "state": state,
        "upto": upto,
        "at": at,
    }
    return signed(keys, "trust", body)


def decision_problem(doc: Any, decider_public: bytes) -> str | None:
    """Why `doc` is not a valid decision by the holder of `decider_public`, or None."""
    if type(doc) is not dict or set(doc) != set(DECISION_FIELDS):
        return "信任记录格式不对"
    if doc["state"] not in (TRUSTED, REVOKED) or type(doc["at"]) is not str:
        return "信任记录格式不对"
    if type(doc["grid"]) is not str or len(doc["grid"]) > MAX_NAME:
        return "信任记录格式不对"
    if doc["upto"] is not None and (type(doc["upto"]) is not int or doc["upto"] < 0):
        return "信任记录格式不对"
    if not verifies("trust", doc, decider_public):
        return "信任记录的签名不对"
    return None


def trust_key(decider: str, device: str) -> str:
    return f"{decider}:{device}"


@dataclass(frozen=True)
class Standing:
    """How this data dir regards a device."""

    state: str  # "self", TRUSTED, REVOKED or "unknown"
    upto: int | None = None  # REVOKED: versions numbered up to this are kept
    by_office: bool = False  # the office decided (this data dir has no decision of its own)
    grid: str | None = None  # the grid it was trusted (or revoked) as

    @property
    def trusted(self) -> bool:
        return self.state in ("self", TRUSTED)

    def accepts(self, seq: int | None) -> bool:
        """Whether a version numbered `seq` by this device is taken (None: a legacy seal)."""
        if self.trusted:
            return True
        return (
            self.state == REVOKED and seq is not None and self.upto is not None and seq <= self.upto
        )


class TrustBook:
    """Who this data dir trusts: its own decisions, then its office's. Decisions learned from a
    bundle being imported are added with :meth:`learn` before the store has them."""

    def __init__(self, me: str, office: str | None, decisions: dict[str, dict[str, Any]]):
        self.me = me
        self.office = office
        self.decisions = dict(decisions)

    def learn(self, decision: dict[str, Any]) -> bool:
        """Take a decision (already verified); whether it is news (a later one than held)."""
        key = trust_key(decision["by"], decision["device"])
        old = self.decisions.get(key)
        if old is not None and (old["at"], old["sig"]) >= (decision["at"], decision["sig"]):
            return False
        self.decisions[key] = decision
        return True

    def follows_office(self) -> bool:
        """Whether this data dir takes its office's decisions (not once it revoked the office)."""
        if self.office is None:
            return False
        own = self.decisions.get(trust_key(self.me, self.office))
        return own is None or own["state"] != REVOKED

    def standing(self, device: str, sign_key: str | None = None) -> Standing:
        if device == self.me:
            return Standing("self")
        own = self.decisions.get(trust_key(self.me, device))
        if own is not None:
            return _standing(own, sign_key, by_office=False)
        if device != self.office and self.follows_office():
            theirs = self.decisions.get(trust_key(self.office, device))  # type: ignore[arg-type]
            if theirs is not None:
                return _standing(theirs, sign_key, by_office=True)
        return Standing("unknown")


def _standing(decision: dict[str, Any], sign_key: str | None, *, by_office: bool) -> Standing:
    if sign_key is not None and decision["sign_key"] != sign_key:
        return Standing("unknown")  # a decision about another key with the same id: not this one
    return Standing(decision["state"], decision["upto"], by_office, decision["grid"])


# -- the office's key file ---------------------------------------------------------------


def office_key_text(card: dict[str, Any]) -> str:
    """The file the office hands to its laptops (`init --office-key`): its card, signed."""
    body = base64.encodebytes(orjson.dumps(card)).decode("ascii")
    return (
        "fieldkit 街道公钥：在网格员电脑上运行 fieldkit init ... --office-key 本文件\n"
        f"{OFFICE_KEY_BEGIN}\n{body}{OFFICE_KEY_END}\n"
    )


@dataclass(frozen=True)
class OfficeKey:
    """What a laptop knows of its office: its card, or only an encryption key from the first
    release's key file (then bundles can be encrypted to it, but its files not checked)."""

    card: dict[str, Any] | None
    box_key: bytes

    @property
    def device(self) -> str | None:
        return self.card["device"] if self.card else None


def read_office_key(path: Path) -> OfficeKey:
    """The office key from a file given to `init --office-key` (or chosen in the app)."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FieldkitError(f"无法读取街道公钥文件 {path}（{os_reason(exc)}）") from None
    except UnicodeDecodeError:
        raise FieldkitError(f"无法读取街道公钥文件 {path}（不是文本文件）") from None
    return parse_office_key(text, str(path))


def parse_office_key(text: str, source: str) -> OfficeKey:
    if "PRIVATE KEY" in text:
        raise FieldkitError(f"{source} 是私钥文件，不能配置到网格员电脑上，请使用街道公钥文件")
    if OFFICE_KEY_BEGIN in text and OFFICE_KEY_END in text:
        body = text.split(OFFICE_KEY_BEGIN, 1)[1].split(OFFICE_KEY_END, 1)[0]
        try:
            card = orjson.loads(base64.b64decode("".join(body.split()), validate=True))
        except ValueError:
            card = None
        if card_problem(card) is None and card["role"] == "office":
            return OfficeKey(card, box_public(card))
        raise FieldkitError(f"{source} 已损坏或被改动，请向街道重新索取公钥文件")
    try:
        key = serialization.load_pem_public_key(text.encode("utf-8"))
    except (ValueError, TypeError, UnicodeError):
        key = None
    if isinstance(key, X25519PublicKey):  # the first release's office key: encryption only
        return OfficeKey(None, raw_public(key))
    raise FieldkitError(
        f"{source} 不是 fieldkit 街道公钥文件（应为街道用 fieldkit keygen 生成的文件）"
    )


# -- in the store ------------------------------------------------------------------------


def trust_book(store: Store, ident: Any) -> TrustBook:
    """Who this data dir trusts, from its stored decisions (`ident`: its Identity)."""
    return TrustBook(ident.device, ident.office, store.table_docs(TRUST))


def find_card(store: Store, query: str) -> dict[str, Any]:
    """A known device's card by its id or a unique start of its fingerprint (at least 4)."""
    key = re.sub(r"[\s\-]", "", query).lower()
    if len(key) < 4:
        raise FieldkitError("请写设备编号或指纹，至少前 4 位")
    cards = {d: doc["card"] for d, doc in store.table_docs(DEVICES).items() if "card" in doc}
    if key in cards:
        return cards[key]
    hits = [c for d, c in cards.items() if d.startswith(key)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise FieldkitError(f"没有指纹以 {query} 开头的设备。运行 fieldkit devices 查看已知设备")
    names = "、".join(f"{c['worker']}（{fingerprint(c['device'])}）" for c in hits)
    raise FieldkitError(f"指纹以 {query} 开头的设备不止一台：{names}。请多写几位")


def stored_card(store: Store, device: str) -> dict[str, Any] | None:
    doc = store.doc(DEVICES, device)
    return None if doc is None else doc.get("card")


def moved(store: Store, book: TrustBook) -> list[dict[str, Any]]:
    """Trusted devices whose card names another grid than the one they were trusted for: a
    laptop moved to another grid (or one pretending to), asked about before it gets any grid's
    records."""
    out = []
    for device, doc in store.table_docs(DEVICES).items():
        card = doc.get("card")
        standing = book.standing(device)
        if (
            card
            and device != book.me
            and standing.trusted
            and standing.grid not in (None, card["grid"])
        ):
            out.append(
                {
                    "device": device,
                    "fingerprint": fingerprint(device),
                    "worker": card["worker"],
                    "grid": card["grid"],
                    "trusted_grid": standing.grid,
                }
            )
    return out


def note_sender(tx: Transaction, manifest: Any) -> None:
    """After a sender's file merged: how far its numbers go, and whether it sends its own runs
    here (then numbers missing below that are changes that have not arrived)."""
    doc = tx.read(DEVICES, manifest.device)
    if doc is None:
        return
    made = max(doc.get("made", 0), manifest.made)
    direct = doc.get("direct", False) or manifest.own is not None
    if (made, direct) != (doc.get("made"), doc.get("direct")):
        tx.put(DEVICES, manifest.device, {**doc, "made": made, "direct": direct})
