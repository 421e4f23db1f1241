"""What the app asks of the core and keeps beside it: counts, change lists, computed-default
inputs and drafts (the record index and search text: tests/test_views.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.errors import FieldkitError
from fieldkit.sync import devices
from fieldkit.tui.drafts import Drafts, draft_key
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
