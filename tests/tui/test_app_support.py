"""What the app asks of the core and keeps beside it: counts, search text, change lists,
computed-default inputs, the record index and drafts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from fieldkit.errors import FieldkitError
from fieldkit.sync import devices
from fieldkit.tui.drafts import Drafts, draft_key
from fieldkit.tui.index import RecordIndex
from fieldkit.workspace import Workspace

from .conftest import PERSON_ID, TODAY


@pytest.fixture
def ws(root: Path):
    with Workspace(root, today=TODAY) as workspace:
        yield workspace


def add_event(ws: Workspace, day: str, title: str, venue: str = "community") -> dict:
    return ws.add("outreach", {"date": day, "title": title, "venue_type": venue})


def test_counts_this_month_and_year(ws: Workspace):
    add_event(ws, "2026-11-02", "甲")
    add_event(ws, "2026-11-20", "乙")
    add_event(ws, "2026-02-01", "丙")
    gone = add_event(ws, "2026-11-21", "丁")
    ws.delete(gone["id"])
    add_event(ws, "2025-11-20", "戊")
    counts = ws.counts(2026, 11)
    assert counts["outreach"] == (2, 3)
    assert counts["mediation"] == (0, 0)


def test_search_text_holds_labels_and_referenced_titles(ws: Workspace):
    person = ws.add(
        "person",
        {"category": "mental", "name": "陈静", "id_number": PERSON_ID, "level": "3"},
    )
    visit = ws.add(
        "followup",
        {
            "person": person["id"],
            "date": "2026-11-20 10:00",
            "condition": "unstable",
            "risk_level": "3",
            "departments": ["grid", "police"],
        },
    )
    form = ws.form("followup")
    with_titles = ws.search_text(form, visit["data"], ws.titles("person"))
    without = ws.search_text(form, visit["data"])
    assert with_titles == without
    for word in ("陈静", "不稳定", "3级", "派出所", "社区网格", "2026-11-20"):
        assert word in with_titles
    person_text = ws.search_text(ws.form("person"), person["data"])
    assert PERSON_ID.lower() in person_text  # found by the full number, shown masked


def test_describe_changes_masks_and_labels(ws: Workspace):
    form = ws.form("person")
    old = {"name": "陈静", "id_number": PERSON_ID, "category": "mental", "level": "1"}
    new = {**old, "level": "3", "id_number": "440524188001010014", "extra": "x"}
    assert ws.describe_changes(form, old, new) == [
        ("身份证号", "110105********002X", "440524********0014"),
        ("管理级别", "1级", "3级"),
        ("extra", "", "x"),
    ]


def test_default_inputs(ws: Workspace):
    followup, person = ws.form("followup"), ws.form("person")
    assert ws.default_inputs(followup.field("next_visit")) == ("person", "date", "risk_level")
    assert ws.default_inputs(person.field("end_date")) == ("category", "start_date")
    assert ws.default_inputs(followup.field("date")) == ()


def test_office_key_file_as_the_identity_screen_reads_it(tmp_path: Path):
    with Workspace(tmp_path / "office", today=TODAY) as office:
        ident = office.set_identity(worker="王主任", grid="街道", org="东城街道", role="office")
        card = devices.stored_card(office.store, ident.device)
    key = tmp_path / "街道公钥.fkkey"
    key.write_text(devices.office_key_text(card), encoding="utf-8")
    assert devices.read_office_key(key).device == ident.device
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(FieldkitError, match="不是 fieldkit 街道公钥文件"):
        devices.read_office_key(tmp_path / "x.txt")
    with pytest.raises(FieldkitError, match="无法读取"):
        devices.read_office_key(tmp_path / "missing.fkkey")


def test_index_order_filters_and_upsert(ws: Workspace):
    a = add_event(ws, "2026-11-02", "宪法宣传")
    add_event(ws, "2026-03-15", "消费者权益")
    add_event(ws, "2025-03-10", "宪法学习")
    index = RecordIndex.build(ws, "outreach", threading.RLock())
    assert [e.record["data"]["title"] for e in index.entries] == [
        "宪法宣传",
        "消费者权益",
        "宪法学习",
    ]
    assert [e.record["data"]["title"] for e in index.matches("宪法")] == ["宪法宣传", "宪法学习"]
    assert [e.record["data"]["title"] for e in index.matches("", 2026)] == [
        "宪法宣传",
        "消费者权益",
    ]
    assert [e.record["data"]["title"] for e in index.matches("", None, 3)] == [
        "消费者权益",
        "宪法学习",
    ]
    assert [e.record["data"]["title"] for e in index.matches("进社区 宪法")] == [
        "宪法宣传",
        "宪法学习",
    ]
    assert index.years() == [2026, 2025]
    edited = ws.edit(a["id"], {"date": "2026-01-01", "title": "宪法宣传改"})
    index.upsert(ws, edited)
    assert [e.record["data"]["title"] for e in index.entries] == [
        "消费者权益",
        "宪法宣传改",
        "宪法学习",
    ]
    index.upsert(ws, ws.delete(a["id"]))
    assert len(index) == 2


def test_index_orders_visits_of_a_day_by_time(ws: Workspace):
    person = ws.add("person", {"category": "released", "name": "张伟", "id_number": PERSON_ID})
    for at in ("2026-11-20 09:00", "2026-11-20 16:30", "2026-11-20 11:15"):
        ws.add("followup", {"person": person["id"], "date": at, "condition": "stable"})
    index = RecordIndex.build(ws, "followup", threading.RLock())
    assert [e.when for e in index.entries] == [
        "2026-11-20T16:30",
        "2026-11-20T11:15",
        "2026-11-20T09:00",
    ]


REC = "0b6f4d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b"


def test_drafts_round_trip_and_damage(tmp_path: Path):
    drafts = Drafts(tmp_path)
    assert drafts.load("outreach") is None
    drafts.save("outreach", None, {"title": "宣传", "laws": ["constitution"]})
    drafts.save("outreach", REC, {"title": "改"})
    assert drafts.load("outreach").values == {"title": "宣传", "laws": ["constitution"]}
    assert drafts.load("outreach", REC).values == {"title": "改"}
    assert drafts.forms_with_drafts(["outreach", "meeting"]) == {"outreach"}
    assert not list((tmp_path / "drafts").glob("*.tmp"))  # written by rename, nothing left over
    (tmp_path / "drafts" / f"{draft_key('outreach')}.json").write_text("{not json")
    assert drafts.load("outreach") is None  # a damaged draft is no draft, not a crash
    drafts.discard("outreach")
    drafts.discard("outreach")  # twice is fine
    assert drafts.forms_with_drafts(["outreach", "meeting"]) == set()
