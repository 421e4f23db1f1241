"""The office merge as users meet it: counts, conflicts, reverts, rejected records, duplicates."""

from __future__ import annotations

import pytest
from sync_support import (
    MEETING,
    OTHER_PERSON,
    PERSON,
    Clock,
    dir_digest,
    hand_bundle,
    open_site,
    state,
)

from fieldkit import bundle, review, versions
from fieldkit.errors import FieldkitError
from fieldkit.export import export
from fieldkit.merge import import_files
from fieldkit.records import content_version, new_record, next_version
from fieldkit.storage import JournalStorage


@pytest.fixture
def sites(tmp_path, monkeypatch):
    """An office and two laptops; yields a dict by name, closes them afterwards."""
    Clock().install(monkeypatch)
    opened = {
        "office": open_site(tmp_path / "office", "街道管理员", "街道"),
        "a": open_site(tmp_path / "a", "李娜", "第一网格"),
        "b": open_site(tmp_path / "b", "王强", "第二网格"),
    }
    yield opened
    for ws in opened.values():
        ws.close()


def send(src, dst, tmp_path, everything=False):
    """src exports, dst imports; the import report."""
    path = export(src, tmp_path / "usb", everything=everything).path
    assert path is not None
    return import_files(dst, [path])


def counts(report):
    return report.totals.as_dict()


def c(new=0, updated=0, unchanged=0, conflicts=0, rejected=0):
    return dict(
        new=new, updated=updated, unchanged=unchanged, conflicts=conflicts, rejected=rejected
    )


def test_new_then_unchanged_then_updated(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    person = a.add("person", PERSON)
    a.add("meeting", MEETING)
    path = export(a, tmp_path / "usb").path
    assert counts(import_files(office, [path])) == c(new=2)
    before = dir_digest(office.root / "store")
    assert counts(import_files(office, [path, path])) == c(unchanged=4)
    assert dir_digest(office.root / "store") == before  # a re-import writes nothing at all
    a.edit(person["id"], {"phone": "13800138000"})
    assert counts(send(a, office, tmp_path)) == c(updated=1)
    assert office.store.get(person["id"])["data"]["phone"] == "13800138000"
    assert len(office.store.history(person["id"])) == 2


def test_exporting_twice_sends_each_change_once(sites, tmp_path):
    a = sites["a"]
    a.add("meeting", MEETING)
    assert export(a, tmp_path / "usb").preview.records == 1
    assert export(a, tmp_path / "usb").path is None  # nothing changed since
    assert export(a, tmp_path / "usb", everything=True).preview.records == 1


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


def test_an_edit_back_to_earlier_content_is_not_lost(sites, tmp_path):
    """A → B → A: the version number of A comes back; the office must still take the revert."""
    a, office = sites["a"], sites["office"]
    rec = a.add("meeting", MEETING)
    a.edit(rec["id"], {"participants": 99})
    with_b = export(a, tmp_path / "usb").path
    import_files(office, [with_b])
    a.edit(rec["id"], {"participants": 30})  # back to the original content
    assert a.store.get(rec["id"])["version"] == rec["version"]
    reverted = export(a, tmp_path / "usb").path
    assert counts(import_files(office, [reverted])) == c(updated=1)
    assert office.store.get(rec["id"])["data"]["participants"] == 30
    # The other way round: the revert first, the older B late. B must not come back.
    other = open_site(tmp_path / "late", "迟到的", "街道")
    import_files(other, [reverted])
    assert counts(import_files(other, [with_b])) == c(unchanged=1)
    assert state(other) == state(office)
    other.close()


def test_an_edit_back_to_earlier_content_keeps_what_that_content_knew(sites, tmp_path):
    """A → C → A' on laptop a, B made from A on laptop b; a takes B, then edits back to A.

    The last edit has A's number again: it must still know C (which A' knew), or a stops
    exporting C while a machine that saw the earlier file holds it, and the two disagree.
    """
    a, b = sites["a"], sites["b"]
    rec = a.add("meeting", MEETING)
    first = export(a, tmp_path / "usb").path
    a.edit(rec["id"], {"participants": 0})  # C
    a.edit(rec["id"], {"participants": 30})  # A' (A's content)
    import_files(b, [first])
    b.edit(rec["id"], {"participants": 20})  # B, made from A
    middle = export(a, tmp_path / "usb").path
    send(b, a, tmp_path)
    assert a.store.get(rec["id"])["data"]["participants"] == 20
    a.edit(rec["id"], {"participants": 30})  # back to A's content once more
    last = export(a, tmp_path / "usb", everything=True).path
    known = versions.stored(a.store, a.store.get(rec["id"]))
    assert content_version("meeting", {**MEETING, "participants": 0}, False) in known
    for order in ([first, middle, last], [last, middle, first]):
        observer = open_site(tmp_path / f"observer{order[0].stat().st_ino}", "观察者", "街道")
        import_files(observer, order)
        assert state(observer) == state(a)
        observer.close()


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

    # The same files the other way round, into a fresh store: the same result.
    other = open_site(tmp_path / "office2", "街道管理员", "街道")
    import_files(other, [pb, pa, pb])
    assert state(other) == state(office)
    other.close()

    (conflict,) = review.conflicts(office)
    assert {h["version"] for h in conflict.heads} == {
        a.store.get(person["id"])["version"],
        b_rec["version"],
    }
    winner = max(conflict.heads, key=versions.order_key)
    assert office.store.get(person["id"]) == winner == conflict.heads[0]
    assert set(conflict.fields) == {"phone", "address"}


def test_a_resolved_conflict_syncs_back_and_closes_everywhere(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    person = _shared_person(sites, tmp_path)
    a.edit(person["id"], {"phone": "13800138000"})
    b.edit(person["id"], {"address": "东城区和平里1号", "phone": "13900139000"})
    pa, pb = export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path
    import_files(office, [pa, pb])
    # laptop a also got b's file (e.g. through a shared folder): it sees the conflict too.
    import_files(a, [pb])
    assert len(review.conflicts(a)) == 1

    (conflict,) = review.conflicts(office)
    from_a = next(i for i, h in enumerate(conflict.heads) if h["data"].get("address") is None)
    from_b = 1 - from_a
    resolved = review.resolve(office, person["id"], picks={"phone": from_a, "address": from_b})
    assert resolved["data"]["phone"] == "13800138000"
    assert resolved["data"]["address"] == "东城区和平里1号"
    assert not review.conflicts(office)

    back = export(office, tmp_path / "usb").path
    for laptop in (a, b):
        assert counts(import_files(laptop, [back])) == c(updated=1)
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
    assert resolved["version"] == b_rec["version"]  # the same content: the same version
    assert counts(send(office, a, tmp_path)) == c(updated=1)
    assert counts(send(office, b, tmp_path, everything=True)) == c(unchanged=1)
    assert b.store.get(person["id"])["ancestors"] == resolved["ancestors"]
    with pytest.raises(FieldkitError, match="没有待处理的冲突"):
        review.resolve(office, person["id"], whole=0)


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


def _bundle_with(tmp_path, records):
    return hand_bundle(tmp_path / "hand.fkb", records)


def test_records_failing_their_checks_are_held_with_reasons(sites, tmp_path):
    office = sites["office"]
    good = new_record("meeting", 1, MEETING, author="某人", device="dev-x")
    bad = new_record(
        "meeting",
        1,
        {**MEETING, "kind": "party", "participants": -3},
        author="某人",
        device="dev-x",
    )
    path = _bundle_with(tmp_path, [good, bad])
    assert counts(import_files(office, [path])) == c(new=1, rejected=1)
    assert office.store.get(bad["id"]) is None
    (held,) = review.rejected(office)
    assert held["record"] == bad and held["file"] == "hand.fkb"
    assert any("不是可选项" in r for r in held["reasons"])
    assert any("不能小于0" in r for r in held["reasons"])
    # Importing again reports it again but keeps one copy.
    assert counts(import_files(office, [path])) == c(unchanged=1, rejected=1)
    assert len(review.rejected(office)) == 1


def test_a_record_whose_content_does_not_match_its_version_is_held(sites, tmp_path):
    office = sites["office"]
    rec = new_record("meeting", 1, MEETING, author="某人", device="dev-x")
    rec["data"]["title"] = "改过的标题"
    assert counts(import_files(office, [_bundle_with(tmp_path, [rec])])) == c(rejected=1)
    assert "版本号不符" in review.rejected(office)[0]["reasons"][0]


def test_a_newer_form_version_keeps_the_fields_this_version_does_not_know(sites, tmp_path):
    office = sites["office"]
    data = {**MEETING, "online": "是"}
    rec = new_record("meeting", 2, data, author="某人", device="dev-x")
    assert counts(import_files(office, [_bundle_with(tmp_path, [rec])])) == c(new=1)
    stored = office.store.get(rec["id"])
    assert stored["data"]["online"] == "是" and stored["form_version"] == 2
    # ... and sends them on unchanged.
    out = bundle.read(export(office, tmp_path / "usb").path)
    assert out.records[0] == rec


def test_an_unknown_form_is_held_not_lost(sites, tmp_path):
    office = sites["office"]
    rec = new_record("survey", 1, {"q": 1}, author="某人", device="dev-x")
    assert counts(import_files(office, [_bundle_with(tmp_path, [rec])])) == c(rejected=1)
    assert "没有表单“survey”" in review.rejected(office)[0]["reasons"][0]


def test_a_follow_up_may_arrive_before_its_person(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    person = a.add("person", PERSON)
    a.add(
        "followup",
        {
            "person": person["id"],
            "date": "2026-11-20 10:00",
            "condition": "稳定",
            "risk_level": "1级",
        },
    )
    b = bundle.read(export(a, tmp_path / "usb").path)
    visit_only = _bundle_with(tmp_path, [r for r in b.records if r["form"] == "followup"])
    assert counts(import_files(office, [visit_only])) == c(new=1)


# -- dry run and atomicity ---------------------------------------------------------------


def test_a_dry_run_counts_and_changes_nothing(sites, tmp_path):
    a, office = sites["a"], sites["office"]
    a.add("meeting", MEETING)
    path = export(a, tmp_path / "usb").path
    before = dir_digest(office.root / "store")
    report = import_files(office, [path, path], dry_run=True)
    assert [f.counts.as_dict() for f in report.files] == [c(new=1), c(unchanged=1)]
    assert dir_digest(office.root / "store") == before


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
    visit = {"date": "2026-11-20 10:00", "condition": "稳定", "risk_level": "1级"}
    va = a.add("followup", {**visit, "person": pa["id"]})
    vb = b.add("followup", {**visit, "person": pb["id"], "date": "2026-11-22 09:00"})
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
    assert counts(send(office, b, tmp_path)) == c(new=3, updated=2)
    assert b.store.get(pb["id"])["deleted"]
    assert b.store.get(vb["id"])["data"]["person"] == pa["id"]
    assert not review.duplicates(b)


def test_follow_ups_made_before_a_laptop_learned_of_a_join_can_be_moved(sites, tmp_path):
    a, b, office = sites["a"], sites["b"], sites["office"]
    pa = a.add("person", PERSON)
    pb = b.add("person", PERSON)
    import_files(office, [export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path])
    review.join(office, pa["id"], pb["id"])
    late = b.add(
        "followup",
        {"person": pb["id"], "date": "2026-11-23 09:00", "condition": "稳定", "risk_level": "1级"},
    )
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


def _v(data, parents=(), at="2026-01-01T00:00:00+08:00", device="d1"):
    anc = []
    for p in parents:
        anc += [*p["ancestors"], p["version"]]
    version = content_version("meeting", data, False)
    return {
        "id": "r",
        "form": "meeting",
        "data": data,
        "version": version,
        "ancestors": [a for a in dict.fromkeys(anc) if a != version],
        "updated_at": at,
        "device": device,
        "deleted": False,
    }


def _heads(records):
    known = {}
    for r in records:
        versions.add(known, r)
    return versions.heads_among(known)


def test_heads_do_not_depend_on_the_order_versions_arrive_in():
    from itertools import permutations

    a = _v({"n": 1})
    b = _v({"n": 2}, [a], at="2026-01-02T00:00:00+08:00")
    c1 = _v({"n": 3}, [b], at="2026-01-03T00:00:00+08:00", device="d1")
    c2 = _v({"n": 4}, [b], at="2026-01-03T00:00:00+08:00", device="d2")
    d = _v({"n": 5}, [c1], at="2026-01-01T00:00:00+00:00")  # an earlier clock
    results = set()
    for order in permutations([a, b, c1, c2, d]):
        heads = _heads(order)
        results.add(tuple(h["version"] for h in heads))
    # c2 is current (the latest time); d, made from c1 on a clock behind, is its conflict.
    assert results == {(c2["version"], d["version"])}


def test_an_edit_back_to_earlier_content_is_decided_by_time():
    a = new_record("meeting", 1, {"n": 1}, author="x", device="d", at="2026-01-01T09:00:00+08:00")
    b = next_version(a, {"n": 2}, author="x", device="d", at="2026-01-01T09:01:00+08:00")
    a2 = next_version(b, {"n": 1}, author="x", device="d", at="2026-01-01T09:02:00+08:00")
    assert a2["version"] == a["version"] and b["version"] in a2["ancestors"]
    for order in ([a, b, a2], [a2, b, a], [b, a2], [b, a, a2]):
        (head,) = _heads(order)
        assert head["data"] == {"n": 1} and head["updated_at"] == a2["updated_at"]


def test_resolving_by_taking_one_side_whole_lets_later_edits_of_that_side_win():
    """The office takes B whole (a record with B's number that also knows C); the laptop that
    made B edits it further (D) before it hears of that: D replaces both, no new conflict."""
    a = _v({"n": 1})
    b = _v({"n": 2}, [a], at="2026-01-02T00:00:00+08:00", device="laptop")
    c = _v({"n": 3}, [a], at="2026-01-02T00:00:00+08:00", device="office")
    resolved = {
        **b,
        "ancestors": [a["version"], c["version"]],
        "device": "office",
        "updated_at": "2026-01-03T00:00:00+08:00",
    }
    d = _v({"n": 4}, [b], at="2026-01-04T00:00:00+08:00", device="laptop")
    for order in ([a, b, c, resolved, d], [d, resolved, c], [c, d, resolved, b]):
        assert [h["version"] for h in _heads(order)] == [d["version"]]
