"""The office merge as users meet it: counts, edits back and forth, conflicts, rejected records,
duplicates; and the heads of a record as a function of its versions."""

from __future__ import annotations

from itertools import permutations

import pytest
from sync_support import (
    MEETING,
    OTHER_PERSON,
    PERSON,
    Clock,
    dir_digest,
    introduce,
    open_office,
    open_site,
    state,
)

from fieldkit.errors import FieldkitError
from fieldkit.store import versions
from fieldkit.store.records import first_version, next_version
from fieldkit.store.storage import JournalStorage
from fieldkit.sync import bundle, review
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files

VISIT = {"date": "2026-11-20 10:00", "method": "入户面访", "condition": "稳定", "risk_level": "1级", "incident": "无"}  # fmt: skip


@pytest.fixture
def sites(tmp_path, monkeypatch):
    """An office and two of its laptops, trusted; yields a dict by name, closes them after."""
    Clock().install(monkeypatch)
    office = open_office(tmp_path / "office")
    opened = {
        "office": office,
        "a": open_site(tmp_path / "a", "李娜", "第一网格", office),
        "b": open_site(tmp_path / "b", "王强", "第二网格", office),
    }
    introduce(office, opened["a"], opened["b"])
    yield opened
    for ws in opened.values():
        ws.close()


def send(src, dst, tmp_path, everything=False, since=None):
    """src exports, dst imports; the import report."""
    path = export(src, tmp_path / "usb", everything=everything, since=since).path
    assert path is not None
    report = import_files(dst, [path])
    assert not report.refused, [f.error for f in report.refused]
    return report


def counts(report):
    out = report.totals.as_dict()
    out.pop("held")
    return out


def c(new=0, updated=0, unchanged=0, conflicts=0, rejected=0):
    return dict(
        new=new, updated=updated, unchanged=unchanged, conflicts=conflicts, rejected=rejected
    )


def all_of(ws, rid):
    return versions.all_versions(ws.store, rid)


def test_new_then_unchanged_then_updated(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    person = a.add("person", PERSON)
    a.add("meeting", MEETING)
    path = export(a, tmp_path / "usb").path
    assert counts(import_files(office, [path])) == c(new=2)
    before = dir_digest(office.root / "store")
    assert counts(import_files(office, [path, path])) == c(unchanged=2)  # one file, named twice
    assert dir_digest(office.root / "store") == before  # a re-import writes nothing at all
    a.edit(person["id"], {"phone": "13800138000"})
    assert counts(send(a, office, tmp_path)) == c(updated=1)
    assert office.store.get(person["id"])["data"]["phone"] == "13800138000"
    assert len(all_of(office, person["id"])) == 2


def test_a_laptop_exports_what_it_changed_not_what_it_received(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    a.add("meeting", MEETING)
    assert export(a, tmp_path / "usb").preview.records == 1
    assert export(a, tmp_path / "usb").path is None  # nothing changed since
    all_of_a = export(a, tmp_path / "usb", everything=True)
    assert all_of_a.preview.records == 1
    import_files(office, [all_of_a.path])
    send(office, b, tmp_path, everything=True)
    assert len(b.store.current("meeting")) == 1
    first = export(b, tmp_path / "usb")  # b's first export: an enrolment, nothing of a's
    assert first.path is not None and first.preview.records == 0
    assert export(b, tmp_path / "usb").path is None


def test_an_older_version_does_not_replace_a_newer_one(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    rec = a.add("meeting", MEETING)
    old_bundle = export(a, tmp_path / "usb").path
    a.edit(rec["id"], {"participants": 40})
    send(a, office, tmp_path)
    assert counts(import_files(office, [old_bundle])) == c(unchanged=1)  # keep ours
    assert office.store.get(rec["id"])["data"]["participants"] == 40


def test_deletions_travel(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    rec = a.add("meeting", MEETING)
    send(a, office, tmp_path)
    a.delete(rec["id"])
    assert counts(send(a, office, tmp_path)) == c(updated=1)
    assert office.store.get(rec["id"])["deleted"] and not office.store.current("meeting")


def test_an_edit_back_to_earlier_content_is_a_new_version_and_reaches_the_office(sites, tmp_path):
    """A → B → A: three versions; the office takes the revert whichever file comes first."""
    a, office = sites["a"], sites["office"]
    rec = a.add("meeting", MEETING)
    b = a.edit(rec["id"], {"participants": 99})
    with_b = export(a, tmp_path / "usb").path
    import_files(office, [with_b])
    back = a.edit(rec["id"], {"participants": 30})
    assert back["version"] not in (rec["version"], b["version"])
    assert back["parents"] == [b["version"]]
    reverted = export(a, tmp_path / "usb").path
    assert counts(import_files(office, [reverted])) == c(updated=1)
    assert office.store.get(rec["id"])["data"]["participants"] == 30
    assert len(all_of(office, rec["id"])) == 3


def test_the_revert_first_and_the_older_file_late_gives_the_same(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    rec = a.add("meeting", MEETING)
    first = export(a, tmp_path / "usb").path
    a.edit(rec["id"], {"participants": 99})
    middle = export(a, tmp_path / "usb").path
    a.edit(rec["id"], {"participants": 30})
    last = export(a, tmp_path / "usb").path
    import_files(office, [last, middle, first])  # the lost files turn up last
    assert office.store.get(rec["id"]) == a.store.get(rec["id"])
    assert {v["version"] for v in all_of(office, rec["id"])} == {
        v["version"] for v in all_of(a, rec["id"])
    }


def _shared_person(sites, tmp_path):
    """A person registered on laptop a and sent to b through the office."""
    a, b, office = sites["a"], sites["b"], sites["office"]
    person = a.add("person", PERSON)
    send(a, office, tmp_path)
    send(office, b, tmp_path, everything=True)
    return person


def test_concurrent_edits_become_a_conflict_with_a_deterministic_winner(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    person = _shared_person(sites, tmp_path)
    a.edit(person["id"], {"phone": "13800138000"})
    b_rec = b.edit(person["id"], {"address": "东城区和平里1号", "phone": "13900139000"})
    pa = export(a, tmp_path / "usb").path
    pb = export(b, tmp_path / "usb").path
    assert counts(import_files(office, [pa])) == c(updated=1)
    assert counts(import_files(office, [pb])) == c(conflicts=1)

    (conflict,) = review.conflicts(office)
    assert {h["version"] for h in conflict.heads} == {
        a.store.get(person["id"])["version"],
        b_rec["version"],
    }
    winner = max(conflict.heads, key=versions.order_key)
    assert office.store.get(person["id"]) == winner == conflict.heads[0]
    assert set(conflict.fields) == {"phone", "address"}


def test_two_laptops_making_the_same_change_is_no_conflict(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    person = _shared_person(sites, tmp_path)
    a.edit(person["id"], {"phone": "13800138000"})
    b.edit(person["id"], {"phone": "13800138000"})
    import_files(office, [export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path])
    assert len(versions.heads_of(office.store, person["id"])) == 2
    assert not review.conflicts(office)
    edited = office.edit(person["id"], {"phone": "13700137000"})
    assert len(edited["parents"]) == 2  # the next edit joins both copies
    assert len(versions.heads_of(office.store, person["id"])) == 1


def test_a_resolved_conflict_syncs_back_and_closes_everywhere(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    person = _shared_person(sites, tmp_path)
    a.edit(person["id"], {"phone": "13800138000"})
    b.edit(person["id"], {"address": "东城区和平里1号", "phone": "13900139000"})
    pa, pb = export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path
    import_files(office, [pa, pb])

    (conflict,) = review.conflicts(office)
    from_a = next(i for i, h in enumerate(conflict.heads) if h["data"].get("address") is None)
    from_b = 1 - from_a
    resolved = review.resolve(office, person["id"], picks={"phone": from_a, "address": from_b})
    assert resolved["data"]["phone"] == "13800138000"
    assert resolved["data"]["address"] == "东城区和平里1号"
    assert sorted(resolved["parents"]) == sorted(h["version"] for h in conflict.heads)
    assert not review.conflicts(office)

    back = export(office, tmp_path / "usb", everything=True).path
    for laptop in (a, b):
        import_files(laptop, [back])
        assert laptop.store.get(person["id"])["version"] == resolved["version"]
        assert not review.conflicts(laptop)
    # The laptops' old edits arriving again change nothing.
    assert counts(import_files(office, [pa, pb])) == c(unchanged=2)


def test_resolving_by_taking_one_version_whole(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    person = _shared_person(sites, tmp_path)
    a.edit(person["id"], {"phone": "13800138000"})
    b_rec = b.edit(person["id"], {"phone": "13900139000"})
    import_files(office, [export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path])
    (conflict,) = review.conflicts(office)
    index = next(i for i, h in enumerate(conflict.heads) if h["version"] == b_rec["version"])
    resolved = review.resolve(office, person["id"], whole=index)
    assert resolved["data"] == b_rec["data"] and resolved["version"] != b_rec["version"]
    with pytest.raises(FieldkitError, match="没有待处理的冲突"):
        review.resolve(office, person["id"], whole=0)
    # b edits its own side further before it hears of the resolution: a new conflict, as it
    # should be (the office chose, then b changed the record again).
    b.edit(person["id"], {"phone": "13600136000"})
    send(b, office, tmp_path)
    assert len(review.conflicts(office)) == 1


def test_an_edit_against_a_deletion_is_a_conflict_and_nothing_is_lost(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    person = _shared_person(sites, tmp_path)
    a.delete(person["id"])
    b.edit(person["id"], {"phone": "13900139000"})
    import_files(office, [export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path])
    (conflict,) = review.conflicts(office)
    assert review.DELETED in conflict.fields
    assert sorted(h["deleted"] for h in conflict.heads) == [False, True]


# -- rejected records --------------------------------------------------------------------


def _made_by_hand(ws, form, data, form_version=1):
    """A version saved without its form's checks (as a hand-made data dir would)."""
    with ws.changes() as c:
        return c.add(form, form_version, data)


def test_records_failing_their_checks_are_rejected_with_reasons(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    a.add("meeting", MEETING)
    bad = _made_by_hand(a, "meeting", {**MEETING, "kind": "party", "participants": -3})
    path = export(a, tmp_path / "usb").path
    assert counts(import_files(office, [path])) == c(new=1, rejected=1)
    assert office.store.get(bad["id"]) is None
    (held,) = review.rejected(office)
    assert held["record"] == bad and held["file"] == path.name
    assert any("不是可选项" in r for r in held["reasons"])
    assert any("不能小于0" in r for r in held["reasons"])
    # Importing again reports it again but keeps one copy.
    assert counts(import_files(office, [path])) == c(unchanged=1, rejected=1)
    assert len(review.rejected(office)) == 1


def test_a_newer_form_version_keeps_the_fields_this_version_does_not_know(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    rec = _made_by_hand(a, "meeting", {**MEETING, "online": "是"}, form_version=2)
    assert counts(send(a, office, tmp_path)) == c(new=1)
    stored = office.store.get(rec["id"])
    assert stored == rec  # ... and it is sent on unchanged (the same version)


def test_an_unknown_form_is_rejected_not_lost(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    _made_by_hand(a, "survey", {"q": 1})
    assert counts(send(a, office, tmp_path)) == c(rejected=1)
    assert "没有表单“survey”" in review.rejected(office)[0]["reasons"][0]


def test_a_follow_up_may_arrive_before_its_person(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    person = a.add("person", PERSON)
    export(a, tmp_path / "lost")  # the person's file never arrives
    a.add("followup", {**VISIT, "person": person["id"]})
    report = send(a, office, tmp_path)
    assert counts(report) == c(new=1)
    assert report.missing and report.missing[0]["missing"] == [[1, 1]]


# -- dry run and atomicity ---------------------------------------------------------------


def test_a_dry_run_counts_and_changes_nothing(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    a.add("meeting", MEETING)
    path = export(a, tmp_path / "usb").path
    copy = tmp_path / "copy.fkb"
    copy.write_bytes(path.read_bytes())
    before = dir_digest(office.root)
    report = import_files(office, [path, copy], dry_run=True)
    assert [f.counts.as_dict() for f in report.files] == [
        {**c(new=1), "held": 0},
        {**c(unchanged=1), "held": 0},
    ]
    assert dir_digest(office.root) == before


def test_a_failure_while_writing_leaves_the_store_as_it_was(sites, tmp_path, monkeypatch):
    a, office = sites["a"], sites["office"]
    a.add("meeting", MEETING)
    a.add("person", PERSON)
    path = export(a, tmp_path / "usb").path
    before = dir_digest(office.root / "store")

    def disk_full(self, ops, adopt=False):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(JournalStorage, "commit", disk_full)
    with pytest.raises(FieldkitError, match="数据未改变"):
        import_files(office, [path])
    monkeypatch.undo()
    assert dir_digest(office.root / "store") == before
    assert office.store.count("meeting") == 0
    assert counts(import_files(office, [path])) == c(new=2)


# -- duplicate persons -------------------------------------------------------------------


def test_the_same_person_registered_on_two_laptops_is_listed_and_joined(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    pa = a.add("person", PERSON)
    pb = b.add("person", {**PERSON, "name": "王芳", "phone": "13900139000"})
    va = a.add("followup", {**VISIT, "person": pa["id"]})
    vb = b.add("followup", {**VISIT, "person": pb["id"], "date": "2026-11-22 09:00"})
    a.add("person", OTHER_PERSON)
    import_files(office, [export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path])

    (dup,) = review.duplicates(office)
    assert dup.value == "11010519491231002X"
    assert {r["id"] for r in dup.records} == {pa["id"], pb["id"]}
    assert dup.references == {pa["id"]: 1, pb["id"]: 1}

    result = review.join(office, pa["id"], pb["id"])
    assert result.repointed == 1 and result.dropped["merged_into"] == pa["id"]
    assert result.kept["data"]["phone"] == "13900139000"  # an empty field filled in
    assert not review.duplicates(office)
    visits = {v["id"]: v for v in office.store.current("followup")}
    assert visits[vb["id"]]["data"]["person"] == pa["id"]
    assert visits[va["id"]]["data"]["person"] == pa["id"]

    # The join is ordinary versions: laptop b imports it and sees the same.
    assert counts(send(office, b, tmp_path, everything=True)) == c(new=3, updated=2)
    assert b.store.get(pb["id"])["deleted"]
    assert b.store.get(vb["id"])["data"]["person"] == pa["id"]
    assert not review.duplicates(b)


def test_follow_ups_made_before_a_laptop_learned_of_a_join_can_be_moved(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    pa = a.add("person", PERSON)
    pb = b.add("person", PERSON)
    import_files(office, [export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path])
    review.join(office, pa["id"], pb["id"])
    late = b.add("followup", {**VISIT, "person": pb["id"], "date": "2026-11-23 09:00"})
    send(b, office, tmp_path)
    assert [r["id"] for r in review.stale_references(office)] == [late["id"]]
    assert review.follow_joins(office) == 1
    assert office.store.get(late["id"])["data"]["person"] == pa["id"]
    assert not review.stale_references(office)


def test_join_refuses_nonsense(sites):
    office = sites["office"]
    p = office.add("person", PERSON)
    m = office.add("meeting", MEETING)
    with pytest.raises(FieldkitError):
        review.join(office, p["id"], p["id"])
    with pytest.raises(FieldkitError):
        review.join(office, p["id"], m["id"])


# -- the building blocks -----------------------------------------------------------------


def _first(n, at="2026-01-01T00:00:00+08:00", device="d1"):
    return first_version(
        "meeting", 1, {"n": n}, author="x", device=device, seq=1, at=at,
        record_id="00000000-0000-4000-8000-000000000001",
    )  # fmt: skip


def _next(parents, n, at, device="d1", seq=2):
    return next_version(parents, {"n": n}, author="x", device=device, seq=seq, at=at)


def test_heads_do_not_depend_on_the_order_versions_arrive_in():
    a = _first(1)
    b = _next([a], 2, "2026-01-02T00:00:00+08:00")
    c1 = _next([b], 3, "2026-01-03T00:00:00+08:00", device="d1", seq=3)
    c2 = _next([b], 4, "2026-01-03T00:00:00+08:00", device="d2", seq=1)
    d = _next([c1], 5, "2026-01-01T00:00:00+00:00", seq=4)  # an earlier clock
    results = set()
    for order in permutations([a, b, c1, c2, d]):
        results.add(tuple(h["version"] for h in versions.heads_among(order)))
        heads: list = []
        for rec in order:
            heads = (versions.join(heads, rec) if heads else [rec]) or heads
        assert [h["version"] for h in heads] == [h["version"] for h in versions.heads_among(order)]
    # c2 is current (the latest time); d, made from c1 on a clock behind, is its conflict.
    assert results == {(c2["version"], d["version"])}


def test_an_edit_back_to_earlier_content_is_its_own_version():
    a = _first(1, at="2026-01-01T09:00:00+08:00")
    b = _next([a], 2, "2026-01-01T09:01:00+08:00")
    a2 = _next([b], 1, "2026-01-01T09:02:00+08:00", seq=3)
    assert a2["version"] != a["version"] and a2["ancestors"] == sorted([a["version"], b["version"]])
    for order in ([a, b, a2], [a2, b, a], [b, a2], [b, a, a2]):
        (head,) = versions.heads_among(order)
        assert head is a2


def test_the_same_content_from_two_devices_is_two_heads_but_no_conflict():
    a = _first(1)
    b1 = _next([a], 2, "2026-01-02T00:00:00+08:00", device="d1")
    b2 = _next([a], 2, "2026-01-02T00:01:00+08:00", device="d2", seq=1)
    heads = versions.heads_among([a, b1, b2])
    assert len(heads) == 2 and not versions.in_conflict(heads)
    assert versions.equivalents(heads) == heads


def test_a_sample_of_every_file_reads_back(sites, tmp_path):
    a = sites["a"]
    a.add("meeting", MEETING)
    path = export(a, tmp_path / "usb").path
    read = bundle.read(path, [sites["office"].keys.box])
    assert read.manifest.worker == "李娜" and read.manifest.versions == 1
    assert state(a)  # the laptop's own store is untouched by exporting
