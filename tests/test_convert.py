"""A data dir written by the first release opens in this one, converted once, with a backup;
no record or version is lost, and converted data dirs sync with each other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import TODAY
from sync_support import dir_digest

from fieldkit.store.versions import all_versions, heads_of
from fieldkit.sync import devices, review, roster
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files
from fieldkit.workspace import Workspace

FORMAT1 = Path(__file__).parent / "data" / "format1"


def old_versions(root: Path) -> tuple[dict[str, dict[str, dict]], dict[str, dict]]:
    """From a first-release snapshot: per record id its stored versions (by old version id),
    and its current version."""
    tables = json.loads((root / "store" / "snapshot.json").read_text(encoding="utf-8"))
    versions: dict[str, dict[str, dict]] = {}
    current = {}
    for name, table in tables.items():
        if name.startswith("records:"):
            for doc in table.values():
                versions.setdefault(doc["id"], {})[doc["version"]] = doc
                current[doc["id"]] = doc
    for doc in tables.get("conflicts", {}).values():
        for head in doc["heads"]:
            versions[head["id"]][head["version"]] = head
    for doc in tables.get("history", {}).values():
        versions.setdefault(doc["id"], {})[doc["version"]] = doc
    return versions, current


@pytest.fixture
def copies(tmp_path):
    for name in ("office", "laptop"):
        shutil.copytree(FORMAT1 / name, tmp_path / name)
    return tmp_path


def test_every_record_and_every_version_is_kept(copies):
    root = copies / "office"
    original = (root / "store" / "snapshot.json").read_bytes()
    versions, current = old_versions(root)
    ws = Workspace(root, today=TODAY)
    try:
        assert ws.converted_from is not None
        assert (ws.converted_from / "snapshot.json").read_bytes() == original
        for rid, old in versions.items():
            new = all_versions(ws.store, rid)
            assert sorted(v["legacy"] for v in new) == sorted(old)  # every version, once
            for v in new:
                was = old[v["legacy"]]
                assert (v["data"], v["deleted"], v["updated_at"]) == (
                    was["data"],
                    was["deleted"],
                    was["updated_at"],
                )
            heads = heads_of(ws.store, rid)
            if len(heads) == 1:
                assert heads[0]["legacy"] == current[rid]["version"]
        assert len(review.conflicts(ws)) == 1
        assert len(review.rejected(ws)) == 1
        ident = ws.identity
        assert ident.role == "office"  # it held the first release's office key
        assert devices.stored_card(ws.store, ident.device)["worker"] == "街道管理员"
    finally:
        ws.close()
    before = dir_digest(root / "store")
    again = Workspace(root, today=TODAY)
    assert again.converted_from is None  # converted once
    again.close()
    assert dir_digest(root / "store") == before


def test_a_revert_in_the_first_release_converts_to_what_it_showed(copies):
    """30 -> 31 -> 30 -> 31 left two versions in the first release, which showed 30 (the last
    edit was the bug that made this release). Conversion keeps both, as a chain, and the record
    as the first release showed it: an edit lost then cannot be recovered now."""
    ws = Workspace(copies / "laptop", today=TODAY)
    try:
        (meeting,) = [m for m in ws.store.current("meeting") if m["data"]["title"] == "宪法讲座"]
        chain = sorted(all_versions(ws.store, meeting["id"]), key=lambda v: len(v["ancestors"]))
        assert [v["data"]["participants"] for v in chain] == [31, 30]
        assert chain[1]["parents"] == [chain[0]["version"]]
        assert meeting["data"]["participants"] == 30
    finally:
        ws.close()


def test_converted_data_dirs_sync_and_agree(copies):
    laptop = Workspace(copies / "laptop", today=TODAY)
    office = Workspace(copies / "office", today=TODAY)
    try:
        path = export(laptop, copies / "usb").path  # after conversion: everything, sealed
        assert path is not None
        with office.store.transaction() as tx:
            devices.remember_card(
                tx, devices.stored_card(laptop.store, laptop.identity.device), "x"
            )
        roster.trust(office, laptop.identity.device)
        report = import_files(office, [path])
        assert not report.refused and report.totals.rejected == 0
        for rec in laptop.store.current("meeting"):
            mine = {v["legacy"] for v in all_versions(laptop.store, rec["id"])}
            theirs = {v["legacy"] for v in all_versions(office.store, rec["id"])}
            assert mine <= theirs
            assert office.store.get(rec["id"])["data"] == rec["data"]
        edited = laptop.edit(laptop.store.current("meeting")[0]["id"], {"participants": 77})
        report = import_files(office, [export(laptop, copies / "usb").path])
        assert report.totals.updated == 1
        assert office.store.get(edited["id"])["version"] == edited["version"]
    finally:
        laptop.close()
        office.close()
