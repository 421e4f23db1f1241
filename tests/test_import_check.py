"""Checking ahead in a second process gives exactly what checking here gives."""

from __future__ import annotations

import pytest
from sync_support import (
    MEETING,
    PERSON,
    Clock,
    card_of,
    open_office,
    open_site,
    parts,
    rebuild,
    state,
)

from fieldkit.sync import bundle, devices, import_check, review, roster
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files

CARDS: list[dict] = []  # the laptops' cards, for the offices that trust them
KEYS: list = []  # and their keys, to sign a tampered file as the laptop would


@pytest.fixture
def files(tmp_path, monkeypatch):
    """Two laptops' bundles, a bundle with a version failing its form, a damaged file."""
    Clock().install(monkeypatch)
    CARDS.clear()
    KEYS.clear()
    paths = []
    for n in range(3):
        ws = open_site(tmp_path / f"laptop{n}", f"网格员{n}", f"第{n}网格")
        CARDS.append(card_of(ws))
        KEYS.append(ws.keys)
        if n < 2:
            ws.add("person", {**PERSON, "name": f"人员{n}"} if n else PERSON)
            for k in range(30):
                ws.add("meeting", {**MEETING, "participants": k})
        else:  # a version its form refuses, saved without the form's checks
            with ws.changes() as c:
                c.add("meeting", 1, {**MEETING, "kind": "party"})
        paths.append(export(ws, tmp_path / "usb").path)
        ws.close()
    damaged = tmp_path / "usb" / "damaged.fkb"
    damaged.write_bytes(paths[0].read_bytes()[:-40])
    tampered = tmp_path / "usb" / "tampered.fkb"
    tampered.write_bytes(paths[1].read_bytes())
    manifest, _, payload = parts(tampered)
    payload["versions"][4]["data"]["participants"] = 999  # an even index: checked there first
    rebuild(tampered, manifest, payload, signer=KEYS[1])
    return [*paths, damaged, tampered]


def always_check_ahead(monkeypatch):
    """Imports check ahead in a second process whatever their size and however many cores
    this machine has (the decision is fieldkit.sync.import_check.worth_checking_ahead's)."""
    monkeypatch.setattr(import_check, "AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(import_check.os, "cpu_count", lambda: 2)


def office_of(root):
    office = open_office(root)
    with office.store.transaction() as tx:
        for card in CARDS:
            devices.remember_card(tx, card, "2026-11-20T08:00:00+08:00")
    for card in CARDS:
        roster.trust(office, card["device"])
    return office


def imported(tmp_path, name, files):
    office = office_of(tmp_path / name)
    report = import_files(office, files)
    held = [(d["record"], d["reasons"]) for d in review.rejected(office)]
    result = state(office), held, [f.counts.as_dict() for f in report.files], report.refused
    office.close()
    return result


def test_checking_ahead_gives_the_same_store_as_checking_here(tmp_path, files, monkeypatch):
    here = imported(tmp_path, "here", files)
    used = []
    original = import_check.CheckAhead.result

    def spy(self, n, sha):
        got = original(self, n, sha)
        used.append((n, got is not None))
        return got

    always_check_ahead(monkeypatch)
    monkeypatch.setattr(import_check.CheckAhead, "result", spy)
    ahead = imported(tmp_path, "ahead", files)
    # Every readable file was checked there (the damaged one is refused before any check);
    # the tampered one too, but its bad version is found here as well.
    assert {n for n, got in used if got} == {0, 1, 2, 4}
    state_here, held_here, counts_here, refused_here = here
    state_ahead, held_ahead, counts_ahead, refused_ahead = ahead
    assert state_ahead == state_here
    assert held_ahead == held_here and len(held_here) == 1
    assert counts_ahead == counts_here
    assert [f.error for f in refused_ahead] == [f.error for f in refused_here]


def test_when_the_checking_process_fails_the_checks_are_made_here(tmp_path, files, monkeypatch):
    here = imported(tmp_path, "here", files)
    always_check_ahead(monkeypatch)
    monkeypatch.setattr(import_check, "WORKER_ARGS", ["-c", "raise SystemExit(3)"])
    failed = imported(tmp_path, "failed", files)
    assert failed[0] == here[0] and failed[1] == here[1] and failed[2] == here[2]


def test_when_no_checking_process_can_start_the_checks_are_made_here(tmp_path, files, monkeypatch):
    here = imported(tmp_path, "here", files)
    always_check_ahead(monkeypatch)
    monkeypatch.setattr(import_check.sys, "executable", str(tmp_path / "no-such-python"))
    failed = imported(tmp_path, "failed", files)
    assert failed[0] == here[0] and failed[1] == here[1] and failed[2] == here[2]


def test_verdicts_are_used_only_for_the_file_they_were_made_for(tmp_path, files):
    office = office_of(tmp_path / "office")
    check = import_check.ImportCheck(office.forms, office.today())
    with import_check.CheckAhead([files[2]], check, office.root) as ahead:
        other = bundle.read(files[0])  # as if the file had changed since the other process read it
        assert ahead.result(0, other.digest) is None
    with import_check.CheckAhead([files[2]], check, office.root) as ahead:
        found = ahead.result(0, bundle.read(files[2]).digest)
        (reasons,) = found.verdicts.values()
        assert any("不是可选项" in r for r in reasons)
        assert found.checked(0) and not found.checked(1)
    office.close()


def test_a_version_not_matching_its_id_is_refused_whoever_checks_it(tmp_path, files, monkeypatch):
    here = imported(tmp_path, "here", files)
    always_check_ahead(monkeypatch)
    ahead = imported(tmp_path, "ahead", files)
    assert "内容与版本号不符" in here[3][-1].error
    assert [f.error for f in ahead[3]] == [f.error for f in here[3]]


def test_small_imports_and_single_cores_check_here(files, monkeypatch):
    monkeypatch.setattr(import_check.os, "cpu_count", lambda: 2)
    assert not import_check.worth_checking_ahead(files)  # a few KB
    monkeypatch.setattr(import_check, "AHEAD_MIN_BYTES", 0)
    assert import_check.worth_checking_ahead(files)
    for cores in (1, None):  # os.cpu_count() is None when it cannot tell
        monkeypatch.setattr(import_check.os, "cpu_count", lambda cores=cores: cores)
        assert not import_check.worth_checking_ahead(files)


def test_a_fieldkit_folder_where_the_import_runs_is_never_run(tmp_path, files, monkeypatch):
    """`fieldkit import .` on a USB stick that carries its own fieldkit/ folder: the checking
    process still runs this fieldkit, never the stick's."""
    stick = tmp_path / "stick"
    (stick / "fieldkit" / "sync").mkdir(parents=True)
    (stick / "fieldkit" / "__init__.py").write_text("")
    (stick / "fieldkit" / "sync" / "__init__.py").write_text("")
    marker = tmp_path / "ran"
    module = stick / "fieldkit" / "sync" / "import_check.py"
    module.write_text(f"open({str(marker)!r}, 'w').write('x')")
    monkeypatch.chdir(stick)
    always_check_ahead(monkeypatch)
    found = []
    original = import_check.CheckAhead.result
    monkeypatch.setattr(
        import_check.CheckAhead,
        "result",
        lambda self, n, sha: found.append(original(self, n, sha)) or found[-1],
    )
    imported(tmp_path, "office", files)
    assert not marker.exists()
    assert any(found)  # the checking process did run
