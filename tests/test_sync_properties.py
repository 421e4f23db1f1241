"""Sync as a whole, under random histories: three laptops and an office adding, editing back
and forth, deleting, registering the same person twice and joining, resolving conflicts and
passing bundles around in any order, directly between laptops too.

The office trusts the laptops; each laptop trusts the office (its key file) and, through the
office's files, the laptops the office vouches for. A laptop's files are encrypted to the office,
so changes reach other laptops through the office's files. After the run every site exports
everything and imports the last bundles it can read. Then:
- all sites hold exactly the same store (current versions and conflicts);
- two copies of the office as it was before anything happened, fed every bundle ever written in
  two different random orders (with repeats), hold that same store too: the merge does not
  depend on order or repetition;
- every version made anywhere is held by every site (history is complete): nothing was lost;
- every version in a bundle a site imported is held there;
- the heads of every record are exactly the versions nothing was made from.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from conftest import TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sync_support import MEETING, PERSON, Clock, introduce, open_office, open_site, state

from fieldkit.store import records
from fieldkit.store.versions import all_versions, heads_of
from fieldkit.sync import bundle, review
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files
from fieldkit.workspace import Workspace

LAPTOPS, SITES = 3, 4  # site 3 is the office
# An operation: (kind, site, a number, a flag, another number); each kind reads what it needs.
# Repeats weight the mix towards what makes histories interesting: edits and exchanges.
KINDS = (
    ["add"] + ["edit"] * 3 + ["contend", "delete", "export", "register", "join"]
    + ["import", "spread", "sync", "resolve"] * 2
)  # fmt: skip
OP = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, SITES - 1),
    st.integers(0, 5),
    st.booleans(),
    st.integers(0, 30),
)
ops = st.lists(OP, min_size=15, max_size=45)


class World:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        office = open_office(tmp / "office")
        laptops = [
            open_site(tmp / f"site{i}", f"网格员{i}", f"第{i}网格", office) for i in range(LAPTOPS)
        ]
        introduce(office, *laptops)
        office.store.compact()
        shutil.copytree(
            tmp / "office", tmp / "office-before", ignore=shutil.ignore_patterns("lock")
        )
        self.sites = [*laptops, office]
        self.ids: list[str] = []
        self.bundles: list[Path] = []
        self.made: dict[str, dict] = {}  # version -> the version, for every version made anywhere
        self.imported: list[tuple[int, Path]] = []  # (site, bundle) for every import

    def close(self):
        for ws in self.sites:
            ws.close()

    def keep(self, rec) -> None:
        self.made[rec["version"]] = rec
        if rec["id"] not in self.ids:
            self.ids.append(rec["id"])

    def live(self, ws, index):
        if not self.ids:
            return None
        rec = ws.store.get(self.ids[index % len(self.ids)])
        return rec if rec and not rec["deleted"] else None

    def run(self, op) -> None:
        kind, n, number, flag, other = op
        site = self.sites[n]
        if kind == "add" or not self.ids:
            # Few values, so edits go back and forth (A -> B -> A).
            self.keep(site.add("meeting", {**MEETING, "participants": 10 * (number % 3)}))
        elif kind in ("edit", "delete"):
            old = self.live(site, number)
            if old is None:
                return
            if kind == "edit":
                new = site.edit(old["id"], self.changed(old, other))
            else:
                new = site.delete(old["id"])
            if new["version"] != old["version"]:
                assert old["version"] in new["parents"]
                self.keep(new)
        elif kind == "contend":  # two sites change the same record before they sync
            for m in (n, (n + 1) % SITES):
                self.run(("edit", m, number, flag, other + m))
        elif kind == "register":  # two laptops register the same person (a likely duplicate)
            for m in (n % LAPTOPS, (n + 1) % LAPTOPS):
                ws = self.sites[m]
                if not ws.store.lookup("person", "id_number", PERSON["id_number"]):
                    self.keep(ws.add("person", {**PERSON, "grid": ws.identity.grid}))
        elif kind == "join":
            found = review.duplicates(site) or review.duplicates(self.sites[-1])
            site = site if review.duplicates(site) else self.sites[-1]
            if found:
                keep, drop = found[0].records[:2]
                result = review.join(site, keep["id"], drop["id"])
                for rec in (result.kept, result.dropped):
                    self.keep(site.store.stored_version(rec["id"], rec["version"]))
        elif kind in ("export", "spread"):
            # (the office always says whom a file is for: here, everyone)
            path = export(site, self.tmp / "usb", everything=flag or n == SITES - 1).path
            if path is None:
                return
            self.bundles.append((n, path))
            for m in range(SITES) if kind == "spread" else []:
                if m != n and self.readable(n, m):
                    self.load(m, [path])
        elif kind == "sync":  # a day's round: a site's file to the office, the office's to all
            self.run(("spread", n, number, flag, other))
            self.run(("spread", SITES - 1, number, True, other))
        elif kind == "import":
            mine = [p for m, p in self.bundles if self.readable(m, n)]
            if mine:
                self.load(n, [mine[other % len(mine)]])
        elif kind == "resolve":
            if not review.conflicts(site):
                site = self.sites[-1]  # where conflicts meet
            found = review.conflicts(site)
            if not found:
                return
            conflict = found[number % len(found)]
            choice = other % len(conflict.heads)
            if conflict.form != "meeting" or flag:
                new = review.resolve(site, conflict.record_id, whole=choice)
            else:
                new = review.resolve(site, conflict.record_id, picks={"participants": choice})
            assert set(new["parents"]) == {h["version"] for h in conflict.heads}
            self.keep(new)

    @staticmethod
    def changed(old, other):
        if old["form"] == "meeting":
            return {"participants": 10 * (other % 3)}
        return {"phone": "13800138000" if other % 2 else "13900139000"}

    @staticmethod
    def readable(sender: int, receiver: int) -> bool:
        """Laptops write for the office, the office for its laptops."""
        office = SITES - 1
        return sender == receiver or office in (sender, receiver)

    def load(self, site: int, paths: list[Path]) -> None:
        report = import_files(self.sites[site], paths)
        assert not report.refused, [f.error for f in report.refused]
        assert report.totals.rejected == 0
        self.imported.extend((site, p) for p in paths)

    def exchange_everything(self) -> None:
        """Laptops send everything to the office, then the office to every laptop."""
        office = SITES - 1
        final = [
            (n, export(ws, self.tmp / "final", everything=True).path)
            for n, ws in enumerate(self.sites)
        ]
        self.bundles.extend(final)
        self.load(office, [p for n, p in final if n != office])
        last = export(self.sites[office], self.tmp / "final", everything=True).path
        self.bundles.append((office, last))
        for n in range(LAPTOPS):
            self.load(n, [last])


def expected_heads(made: dict[str, dict], rid: str) -> set[str]:
    mine = [v for v in made.values() if v["id"] == rid]
    superseded = {a for v in mine for a in v["parents"]}
    return {v["version"] for v in mine if v["version"] not in superseded}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ops=ops, orders=st.randoms(use_true_random=False))
def test_sites_converge_and_every_version_made_reaches_every_site(ops, orders):
    with tempfile.TemporaryDirectory() as tmp:
        saved = records.now_iso
        records.now_iso = Clock()
        world = World(Path(tmp))
        try:
            for op in ops:
                world.run(op)
            world.exchange_everything()

            converged = state(world.sites[0])
            for ws in world.sites[1:]:
                assert state(ws) == converged

            for ws in world.sites:
                for rid in world.ids:
                    held = {v["version"] for v in all_versions(ws.store, rid)}
                    made = {v for v, rec in world.made.items() if rec["id"] == rid}
                    assert held == made  # history complete, nothing lost, nothing invented
                    got = {h["version"] for h in heads_of(ws.store, rid)}
                    assert got == expected_heads(world.made, rid)

            for site, path in world.imported:
                store = world.sites[site].store
                for rec in bundle.read(path, [world.sites[site].keys.box]).versions:
                    assert store.stored_version(rec["id"], rec["version"]) is not None

            paths = [p for _, p in world.bundles]
            for n in range(2):
                files = paths + orders.sample(paths, len(paths) // 2)
                orders.shuffle(files)
                root = Path(tmp) / f"observer{n}"
                shutil.copytree(Path(tmp) / "office-before", root)
                observer = Workspace(root, today=TODAY)
                try:
                    report = import_files(observer, files)
                    assert not report.refused, [f.error for f in report.refused]
                    assert state(observer) == converged
                finally:
                    observer.close()
        finally:
            world.close()
            records.now_iso = saved


def test_a_status_toggled_back_and_forth_reaches_the_office_exactly(tmp_path, monkeypatch):
    """在管 -> 收监 -> 在管 -> 收监 on a laptop, exported after each change: the office ends at
    收监 with all four versions (the first release kept 在管)."""
    Clock().install(monkeypatch)
    office = open_office(tmp_path / "office")
    laptop = open_site(tmp_path / "laptop", "李娜", "第一网格", office)
    introduce(office, laptop)
    person = laptop.add("person", PERSON)
    for status in ("imprisoned", "active", "imprisoned"):
        laptop.edit(person["id"], {"status": status})
        path = export(laptop, tmp_path / "usb").path
        assert path is not None  # every change is exported, whatever earlier versions held
        assert not import_files(office, [path]).refused
    assert office.store.get(person["id"])["data"]["status"] == "imprisoned"
    assert len(all_versions(office.store, person["id"])) == 4
