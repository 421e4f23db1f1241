"""Mediation case numbers are unique across the street: blocks handed out by the office, the
office's own numbers above them, and numbers given (or given again) when the office merges."""

from __future__ import annotations

import pytest
from sync_support import Clock, introduce, open_office, open_site, send

from fieldkit.sync import casenumbers, intake
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files

MEDIATION = {"dispute_type": "邻里", "parties": "甲、乙", "summary": "噪音纠纷"}


@pytest.fixture
def street(tmp_path, monkeypatch):
    """An office and three laptops sharing one 简称 (东), trusted, each given its grid's file."""
    Clock().install(monkeypatch)
    office = open_office(tmp_path / "office")
    laptops = [open_site(tmp_path / f"l{n}", f"网格员{n}", f"第{n}网格", office) for n in (1, 2, 3)]
    for laptop in laptops:
        import_files(office, [export(laptop, tmp_path / "usb").path])  # enrolment files
    introduce(office, *laptops)
    for laptop in laptops:
        send(office, laptop, tmp_path / "usb", grid=laptop.identity.grid)
    yield office, laptops, tmp_path / "usb"
    for ws in (office, *laptops):
        ws.close()


def test_a_laptop_without_a_block_leaves_the_number_to_the_office(tmp_path):
    ws = open_site(tmp_path / "lone", "李娜", "第一网格")
    assert "case_no" not in ws.add("mediation", MEDIATION)["data"]
    ws.close()


def test_the_office_numbers_its_own_cases_in_order(tmp_path):
    office = open_office(tmp_path / "office")
    first = office.add("mediation", MEDIATION)["data"]["case_no"]
    second = office.add("mediation", MEDIATION)["data"]["case_no"]
    assert (first, second) == ("（2026）东人调字第1号", "（2026）东人调字第2号")
    office.close()


def test_three_laptops_sharing_an_abbreviation_never_give_the_same_number(street):
    office, laptops, usb = street
    numbers = []
    for laptop in laptops:
        for _ in range(3):
            numbers.append(laptop.add("mediation", MEDIATION)["data"]["case_no"])
    assert len(set(numbers)) == 9
    assert all(n.startswith("（2026）东人调字第") for n in numbers)
    blocks = [casenumbers.own_block(ws, "2026") for ws in laptops]
    assert [(b["first"], b["last"]) for b in blocks] == [(1, 200), (201, 400), (401, 600)]
    reports = [send(laptop, office, usb) for laptop in laptops]
    assert not any(r.renumbered for r in reports)
    merged = [r["data"]["case_no"] for r in office.store.current("mediation")]
    assert sorted(merged) == sorted(numbers)
    own = office.add("mediation", MEDIATION)["data"]["case_no"]
    assert own == "（2026）东人调字第601号"  # above every block


def test_cases_without_a_number_or_with_a_number_twice_are_numbered_at_the_office(tmp_path):
    office = open_office(tmp_path / "office")
    a = open_site(tmp_path / "a", "李娜", "第一网格", office)
    b = open_site(tmp_path / "b", "王强", "第二网格", office)
    introduce(office, a, b)
    blank = a.add("mediation", MEDIATION)  # no block yet
    typed = {**MEDIATION, "case_no": "（2026）东人调字第7号"}
    first = a.add("mediation", {**typed, "accepted": "2026-11-01"})
    again = b.add("mediation", {**typed, "accepted": "2026-11-02"})  # the same number by hand
    files = [export(a, tmp_path / "usb").path, export(b, tmp_path / "usb").path]
    report = intake.import_files(office, files)
    renumbered = {r.record["id"]: (r.old, r.new) for r in report.renumbered}
    assert set(renumbered) == {blank["id"], again["id"]}
    assert renumbered[again["id"]][0] == "（2026）东人调字第7号"
    numbers = [r["data"]["case_no"] for r in office.store.current("mediation")]
    assert len(set(numbers)) == 3
    assert office.store.get(first["id"])["data"]["case_no"] == "（2026）东人调字第7号"
    # The new numbers travel back: the laptop that made the case sees it, with no conflict.
    send(office, b, tmp_path / "usb", grid="第二网格")
    send(office, a, tmp_path / "usb", everything=True)
    assert a.store.get(blank["id"])["data"]["case_no"] == renumbered[blank["id"]][1]
    for ws in (office, a, b):
        ws.close()
