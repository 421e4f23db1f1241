"""Store: saves, versions, lookups, transactions, locking; checked against a model."""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinydb import Query

from fieldkit.store.database import Store, StoreError, StoreLocked
from fieldkit.store.records import first_version, next_version
from fieldkit.store.storage import JOURNAL_NAME
from fieldkit.store.versions import all_versions

AT = "2026-03-05T09:00:00+08:00"
_seq = itertools.count(1)  # one device's run of version numbers, for the whole module


def person(name: str, id_number: str, **extra) -> dict:
    data = {"name": name, "id_number": id_number, **extra}
    return first_version("person", 1, data, author="李娜", device="d1", seq=next(_seq), at=AT)


def edit(record: dict, deleted: bool = False, **changes) -> dict:
    return next_version(
        [record],
        {**record["data"], **changes},
        author="王强",
        device="d1",
        seq=next(_seq),
        deleted=deleted,
    )


def history(store: Store, record_id: str) -> list[dict]:
    """Every version of a record held in `store`, each after the versions it descends from."""
    return sorted(all_versions(store, record_id), key=lambda v: len(v["ancestors"]))


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "data") as s:
        yield s


def test_saved_records_are_current_and_survive_reopen(tmp_path):
    a, b = person("张三", "110"), person("李四", "220")
    with Store(tmp_path) as s:
        s.save([a, b])
        assert s.get(a["id"]) == a
        assert sorted(r["id"] for r in s.current("person")) == sorted([a["id"], b["id"]])
        assert s.count("person") == 2
        assert s.get("no-such-id") is None
        assert s.current("outreach") == []
    with Store(tmp_path) as s:
        assert s.get(a["id"]) == a
        assert s.get(b["id"]) == b
        assert s.forms() == ["person"]


def test_get_returns_a_copy_that_can_be_edited(store):
    a = person("张三", "110")
    store.save([a])
    got = store.get(a["id"])
    got["data"]["name"] = "改了"
    assert store.get(a["id"])["data"]["name"] == "张三"


def test_edits_keep_every_version_in_history(tmp_path):
    v1 = person("张三", "110")
    v2 = edit(v1, phone="13800000000")
    v3 = edit(v2, deleted=True)
    with Store(tmp_path) as s:
        s.save([v1])
        s.save([v2])
        s.save([v3])
        assert history(s, v1["id"]) == [v1, v2, v3]
        assert s.get(v1["id"])["deleted"] is True
        assert s.current("person") == []
        assert s.count("person") == 0
        assert s.current("person", include_deleted=True) == [v3]
    with Store(tmp_path) as s:
        assert history(s, v1["id"]) == [v1, v2, v3]


def test_records_sharing_a_version_id_keep_separate_histories(store):
    # A version id covers its record id, so two records never share one; the store keys
    # history by record and version all the same, so even a forged copy cannot mix them.
    a = person("张三", "110")
    assert person("张三", "110")["version"] != a["version"]  # same content, other record
    b = {**a, "id": "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"}
    assert a["version"] == b["version"] and a["id"] != b["id"]
    store.save([a, b])
    a2, b2 = edit(a, phone="1"), edit(b, phone="2")
    store.save([a2, b2])
    assert history(store, a["id"]) == [a, a2]
    assert history(store, b["id"]) == [b, b2]


def test_saving_the_same_version_again_writes_nothing(tmp_path):
    a = person("张三", "110")
    with Store(tmp_path) as s:
        s.save([a])
        size = (tmp_path / JOURNAL_NAME).stat().st_size
        s.save([dict(a)])
        assert (tmp_path / JOURNAL_NAME).stat().st_size == size
        assert history(s, a["id"]) == [a]


def test_lookup_follows_saves_edits_and_deletions(store):
    a, b = person("张三", "110"), person("李四", "220")
    store.save([a])
    assert store.lookup("person", "id_number", "110") == [a]  # index built here
    store.save([b])  # ...and kept up to date from now on
    assert store.lookup("person", "id_number", "220") == [b]
    a2 = edit(a, id_number="330")
    store.save([a2])
    assert store.lookup("person", "id_number", "110") == []
    assert store.lookup("person", "id_number", "330") == [a2]
    store.save([edit(b, deleted=True)])
    assert store.lookup("person", "id_number", "220") == []
    assert store.lookup("person", "name", "张三") == [a2]
    assert store.lookup("outreach", "id_number", "330") == []


def test_lookup_by_list_values(store):
    a = person("张三", "110", tags=["低保", "独居"])
    store.save([a])
    assert store.lookup("person", "tags", ["低保", "独居"]) == [a]
    assert store.lookup("person", "tags", ["独居"]) == []


def test_lookup_after_reopen(tmp_path):
    a = person("张三", "110")
    with Store(tmp_path) as s:
        s.save([a])
    with Store(tmp_path) as s:
        assert s.lookup("person", "id_number", "110") == [a]


def test_failed_transaction_writes_nothing_on_disk_or_in_memory(tmp_path):
    a, b = person("张三", "110"), person("李四", "220")
    with Store(tmp_path) as s:
        s.save([a])
        s.lookup("person", "id_number", "220")
        size = (tmp_path / JOURNAL_NAME).stat().st_size
        with pytest.raises(RuntimeError, match="boom"), s.transaction() as tx:
            tx.save_record(b)
            tx.save_record(edit(a, phone="1"))
            tx.put("conflicts", "c1", {"x": 1})
            tx.set_meta("last_import", "x")
            raise RuntimeError("boom")
        assert (tmp_path / JOURNAL_NAME).stat().st_size == size
        assert s.get(b["id"]) is None
        assert s.get(a["id"]) == a
        assert s.table_docs("conflicts") == {}
        assert s.get_meta("last_import") is None
        assert s.lookup("person", "id_number", "220") == []
        s.save([b])  # the store is still usable
    with Store(tmp_path) as s:
        assert s.count("person") == 2
        assert history(s, a["id"]) == [a]


def test_transaction_is_one_journal_line_and_sees_its_own_writes(tmp_path):
    a = person("张三", "110")
    with Store(tmp_path) as s, s.transaction() as tx:
        tx.save_record(a)
        assert tx.get(a["id"]) == a
        a2 = edit(a, phone="1")
        tx.save_record(a2)
        tx.put("conflicts", "c1", {"loser": a["version"]})
        tx.remove("conflicts", "nothing-here")
        tx.set_meta("last_import", "2026-03-05")
        assert s.get(a["id"]) is None  # not committed yet
        lines = (tmp_path / JOURNAL_NAME).read_bytes().count(b"\n")
    assert lines == 0
    with Store(tmp_path) as s:
        assert s.get(a["id"]) == a2
        assert history(s, a["id"]) == [a, a2]
        assert s.table_docs("conflicts") == {"c1": {"loser": a["version"]}}
        assert s.get_meta("last_import") == "2026-03-05"


def test_one_transaction_writes_one_line(tmp_path):
    with Store(tmp_path) as s:
        s.save([person(str(i), str(i)) for i in range(10)])
        s.set_meta("k", 1)
        assert (tmp_path / JOURNAL_NAME).read_bytes().count(b"\n") == 2


def test_meta_and_free_tables(store):
    assert store.get_meta("identity", {"worker": None}) == {"worker": None}
    store.set_meta("identity", {"worker": "李娜", "grid": "第一网格"})
    assert store.get_meta("identity") == {"worker": "李娜", "grid": "第一网格"}
    with store.transaction() as tx:
        tx.put("rejected", "r1", {"why": "签名错误"})
        tx.put("rejected", "r2", {"why": "版本过旧"})
    with store.transaction() as tx:
        tx.remove("rejected", "r1")
    assert store.table_docs("rejected") == {"r2": {"why": "版本过旧"}}


def test_tinydb_queries_see_new_saves(store):
    a = person("张三", "110")
    records = store.table("records:person")
    assert records.search(Query().data.name == "张三") == []  # now cached by TinyDB
    store.save([a])
    assert records.search(Query().data.name == "张三") == [a]
    assert records.get(doc_id=a["id"]) == a


def test_transactions_do_not_nest_and_closed_store_refuses_writes(tmp_path):
    s = Store(tmp_path)
    with pytest.raises(RuntimeError), s.transaction():
        s.save([person("张三", "110")])
    s.close()
    s.close()  # harmless
    with pytest.raises(StoreError, match="已关闭"):
        s.save([person("张三", "110")])


def test_invalid_records_are_refused(store):
    with pytest.raises(ValueError, match="version"):
        store.save([{"id": "x", "form": "person"}])
    assert store.count("person", include_deleted=True) == 0


def test_second_store_on_the_same_directory_is_locked_out(tmp_path):
    with Store(tmp_path):
        with pytest.raises(StoreLocked) as caught:
            Store(tmp_path)
        assert str(tmp_path) in str(caught.value)
        assert "正被另一个 fieldkit 程序使用" in str(caught.value)
    with Store(tmp_path):  # released on close
        pass


def test_store_is_locked_against_another_process(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        from fieldkit.store.database import Store, StoreLocked
        try:
            Store({str(tmp_path)!r})
        except StoreLocked as exc:
            print("locked:", exc)
            sys.exit(3)
        """
    )
    root = Path(__file__).resolve().parent.parent
    with Store(tmp_path):
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 3, done.stderr
    assert "locked:" in done.stdout


def test_corrupt_store_does_not_stay_locked(tmp_path):
    with Store(tmp_path) as s:
        s.save([person("张三", "110")])
        s.save([person("李四", "220")])
        s.save([person("王五", "330")])
        (tmp_path / JOURNAL_NAME).write_bytes(
            (tmp_path / JOURNAL_NAME).read_bytes().replace(b"\xe5\xbc\xa0", b"\xe5\xbc\xa1")
        )
        s._storage._failed = "测试"  # don't let close() compact the damaged state away
    for _ in range(2):
        with pytest.raises(StoreError, match="第 1 行"):
            Store(tmp_path)


# Model-based: random saves, failed transactions, reopens and compactions --------------

ids = st.sampled_from(["r1", "r2", "r3", "r4"])
steps = st.lists(
    st.one_of(
        st.tuples(st.just("save"), st.lists(st.tuples(ids, st.integers(0, 3)), max_size=3)),
        st.tuples(st.just("delete"), ids),
        st.tuples(st.just("fail"), ids),
        st.tuples(st.just("meta"), st.integers(0, 5)),
        st.tuples(st.just("reopen")),
        st.tuples(st.just("compact")),
    ),
    max_size=25,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_store_matches_a_model_through_any_sequence(steps):
    model: dict[str, dict] = {}  # record id -> current version
    past: dict[str, list[dict]] = {}  # record id -> superseded versions, oldest first
    meta = None
    seq = itertools.count(1)

    def saved(rec: dict) -> None:
        old = model.get(rec["id"])
        if old is not None:
            assert old["version"] != rec["version"]  # every save is a new version
            past.setdefault(rec["id"], []).append(old)
        model[rec["id"]] = rec

    def successor(rid: str, value: int, deleted: bool = False) -> dict:
        old = model.get(rid)
        if old is None:
            return first_version(
                "visit", 1, {"v": value}, author="a", device="d", seq=next(seq), at=AT,
                record_id=rid,
            )  # fmt: skip
        return next_version(
            [old], {"v": value}, author="b", device="d", seq=next(seq), deleted=deleted
        )

    with tempfile.TemporaryDirectory() as tmp:
        s = Store(Path(tmp))
        try:
            for step in steps:
                kind = step[0]
                if kind == "save":
                    batch: dict[str, dict] = {}
                    for rid, value in step[1]:
                        batch[rid] = successor(rid, value)  # the last for a record wins
                    s.save(list(batch.values()))
                    for rec in batch.values():
                        saved(rec)
                elif kind == "delete":
                    rec = model.get(step[1]) and successor(step[1], -1, deleted=True)
                    if rec:
                        s.save([rec])
                        saved(rec)
                elif kind == "fail":
                    rec = successor(step[1], 99)
                    with pytest.raises(KeyError), s.transaction() as tx:
                        tx.save_record(rec)
                        tx.set_meta("m", "never")
                        raise KeyError
                elif kind == "meta":
                    s.set_meta("m", step[1])
                    meta = step[1]
                elif kind == "reopen":
                    s._db.storage._close_journal()  # as if killed: no final compaction
                    s._file_lock.release()
                    s = Store(Path(tmp))
                elif kind == "compact":
                    s.compact()

                for rid, rec in model.items():
                    assert s.get(rid) == rec
                    assert history(s, rid) == [*past.get(rid, []), rec]
                live = {rid: r for rid, r in model.items() if not r["deleted"]}
                assert {r["id"]: r for r in s.current("visit")} == live
                assert s.count("visit") == len(live)
                for value in (0, 1):
                    expected = sorted(rid for rid, r in live.items() if r["data"]["v"] == value)
                    assert [r["id"] for r in s.lookup("visit", "v", value)] == expected
                assert s.get_meta("m") == meta
        finally:
            s.close()


def test_a_store_opened_in_one_thread_can_be_closed_in_another(tmp_path):
    import threading

    opened: list[Store] = []
    worker = threading.Thread(target=lambda: opened.append(Store(tmp_path / "s")))
    worker.start()
    worker.join()
    opened[0].close()
    with Store(tmp_path / "s"):
        pass  # the lock was released, so a new writer gets in
