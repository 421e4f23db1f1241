"""No file name is made from data that arrived in a file: hostile record and form ids."""

import json
import re
from pathlib import Path

import pytest

from fieldkit.sync import bundle as bundles
from fieldkit.tui.drafts import Drafts, draft_key

RECORD = "0b6f4d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b"
HOSTILE_IDS = [
    r"x\..\..\Desktop\evil",
    "../../evil",
    "/etc/passwd",
    "a:stream",
    "C:\\Windows\\evil",
    "CON",
    "0b6f4d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b/../x",
    "0B6F4D2E-3C1A-4F5E-9A7B-1C2D3E4F5A6B",  # upper case: not what fieldkit makes
    "",
]


@pytest.mark.parametrize("record_id", HOSTILE_IDS)
def test_a_hostile_record_id_names_no_draft_file(tmp_path: Path, record_id):
    drafts = Drafts(tmp_path)
    with pytest.raises(ValueError):
        draft_key("outreach", record_id)
    drafts.save("outreach", record_id, {"title": "x"})
    assert drafts.load("outreach", record_id) is None
    assert not drafts.exists("outreach", record_id)
    drafts.discard("outreach", record_id)  # harmless
    assert _all_files(tmp_path) == []


@pytest.mark.parametrize("form_id", ["../x", "a:b", "表单", "x y", r"..\x"])
def test_a_hostile_form_id_names_no_draft_file(tmp_path: Path, form_id):
    drafts = Drafts(tmp_path)
    drafts.save(form_id, None, {"title": "x"})
    drafts.save(form_id, RECORD, {"title": "x"})
    assert _all_files(tmp_path) == []


def test_draft_files_are_named_by_a_hash(tmp_path: Path):
    drafts = Drafts(tmp_path)
    drafts.save("outreach", None, {"title": "新"})
    drafts.save("outreach", RECORD, {"title": "改"})
    names = sorted(p.name for p in (tmp_path / "drafts").iterdir())
    assert all(re.fullmatch(r"(new|edit)-[0-9a-f]{32}\.json", n) for n in names), names
    assert RECORD not in "".join(names) and "outreach" not in "".join(names)
    assert drafts.load("outreach", RECORD).values == {"title": "改"}
    assert drafts.forms_with_drafts(["outreach", "meeting"]) == {"outreach"}


def test_an_earlier_release_draft_is_still_offered_and_then_replaced(tmp_path: Path):
    folder = tmp_path / "drafts"
    folder.mkdir()
    old = folder / f"outreach--{RECORD}.json"
    old.write_text(json.dumps({"form": "outreach", "record_id": RECORD, "values": {"a": 1}}))
    (folder / "meeting.json").write_text('{"form": "meeting", "values": {}}')
    drafts = Drafts(tmp_path)
    assert drafts.load("outreach", RECORD).values == {"a": 1}
    assert drafts.forms_with_drafts(["outreach", "meeting"]) == {"meeting"}
    drafts.save("outreach", RECORD, {"a": 2})
    assert not old.exists() and drafts.load("outreach", RECORD).values == {"a": 2}


def test_a_forged_draft_file_cannot_claim_another_form(tmp_path: Path):
    drafts = Drafts(tmp_path)
    drafts.save("outreach", None, {})
    path = next((tmp_path / "drafts").iterdir())
    path.write_text('{"form": "meeting", "values": {}}')  # content says another form
    assert drafts.forms_with_drafts(["outreach", "meeting"]) == set()


@pytest.mark.parametrize("name", ["../rules.toml", "con.toml", "a:b.toml", "Rules.toml", "x.txt"])
def test_an_office_forms_file_name_is_checked(name):
    assert not bundles.form_file_name_ok(name)
    assert not bundles._forms_ok({"serial": 1, "files": {name: "x = 1"}})
    assert bundles._forms_ok({"serial": 1, "files": {"rules.toml": "x = 1"}})


def _all_files(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
