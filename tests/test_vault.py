"""A data dir locked at rest: what a lost laptop or a copied data dir gives away (nothing), and
the passphrase's life: set, refused when wrong, changed, recovered through the office."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TODAY
from leak_scan import leaks

from fieldkit.cli import main as cli
from fieldkit.errors import FieldkitError
from fieldkit.files.locations import store_dir
from fieldkit.forms.idnumber import check_char
from fieldkit.store import errorlog, vault
from fieldkit.store.database import Store, StoreCorrupt
from fieldkit.sync import held, keys
from fieldkit.sync.export import export
from fieldkit.sync.merge import import_files
from fieldkit.tui.drafts import Drafts
from fieldkit.workspace import Workspace

PASSPHRASE = "春眠不觉晓 处处闻啼鸟"
OFFICE_PASSPHRASE = "夜来风雨声 花落知多少"


def id_number(body: str) -> str:
    return body + check_char(body)


PEOPLE = [  # name, ID number, phone, note
    ("欧阳振华", id_number("11010519660312003"), "13912345678", "曾因盗窃服刑，现就业于物流公司"),
    ("司马静怡", id_number("44052419880101004"), "15887654321", "精神分裂症，按时服药，由母亲监护"),
    ("诸葛明远", id_number("32010219750607005"), "18600011122", "社区戒毒第二年，尿检阴性"),
]
MEDIATION = {
    "accepted": "2026-11-02",
    "source": "当事人申请",
    "dispute_type": "邻里",
    "kind": "人民调解",
    "parties": "上官婉清、慕容建国",
    "mediators": "李娜",
    "summary": "上官婉清家漏水殃及慕容建国家吊顶",
    "result": "调解中",
}
SECRETS = [x for person in PEOPLE for x in person] + [
    "上官婉清",
    "慕容建国",
    "漏水殃及",
]


def run(root: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None):
    """The command line in this process (cheap KDF): (exit status, stdout, stderr)."""
    saved = {k: os.environ.get(k) for k in (cli.PASSPHRASE_ENV, cli.NEW_PASSPHRASE_ENV)}
    out, err = io.StringIO(), io.StringIO()
    stdin_was, stdout_was, stderr_was = sys.stdin, sys.stdout, sys.stderr
    try:
        for k in saved:
            os.environ.pop(k, None)
        os.environ.update(env or {})
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
        code = cli.main(["--data-dir", str(root), *args])
    finally:
        sys.stdin, sys.stdout, sys.stderr = stdin_was, stdout_was, stderr_was
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        vault._unlocked.clear()  # each command is a process of its own
    return code, out.getvalue(), err.getvalue()


def with_pass(passphrase: str = PASSPHRASE) -> dict[str, str]:
    return {cli.PASSPHRASE_ENV: passphrase}


def person_line(name: str, number: str, phone: str, note: str) -> str:
    return json.dumps(
        {
            "category": "严重精神障碍患者",
            "name": name,
            "id_number": number,
            "phone": phone,
            "start_date": "2026-01-05",
            "level": "1级",
            "guardian": f"{name}的母亲",
            "notes": note,
        },
        ensure_ascii=False,
    )


def day_of_work(root: Path) -> None:
    """A laptop with a passphrase after a day's work through the command line."""
    code, _, err = run(root, "init", "--worker", "李娜", "--grid", "第一网格", env=with_pass())
    assert code == 0, err
    people = "\n".join(person_line(*p) for p in PEOPLE)
    code, _, err = run(root, "add", "person", stdin=people, env=with_pass())
    assert code == 0, err
    for name, number, _, note in PEOPLE:
        visit = {
            "person": number,
            "condition": "稳定",
            "incident": "无",
            "risk_level": "1级",
            "notes": f"{name}：{note}",
        }
        code, _, err = run(
            root, "add", "followup", stdin=json.dumps(visit, ensure_ascii=False), env=with_pass()
        )
        assert code == 0, err
    code, _, err = run(
        root, "add", "mediation", stdin=json.dumps(MEDIATION, ensure_ascii=False), env=with_pass()
    )
    assert code == 0, err


def unlocked_workspace(root: Path, passphrase: str = PASSPHRASE) -> Workspace:
    vault.unlock(root, passphrase)
    return Workspace(root, today=TODAY)


# -- nothing in clear -------------------------------------------------------------------


def test_a_copied_data_dir_gives_away_no_name_id_number_phone_or_note(tmp_path):
    root = tmp_path / "laptop"
    day_of_work(root)
    with unlocked_workspace(root) as ws:
        # Everything else a day leaves behind: a half-typed form, a held file from a laptop
        # not trusted yet (a plain bundle: names in clear), an error with a name in its message.
        Drafts(root).save("person", None, {"name": "东方未明", "id_number": PEOPLE[0][1]})
        other = Workspace(tmp_path / "other", today=TODAY)
        other.set_identity(worker="王强", grid="第二网格")
        other.add("person", {**json.loads(person_line("东方未明", *PEOPLE[1][1:]))})
        bundle = export(other, tmp_path / "usb", everything=True).path
        other.close()
        report = import_files(ws, [bundle])
        assert report.totals.held == 1
        try:
            raise ValueError(f"无法处理 {PEOPLE[2][0]} {PEOPLE[2][1]}")
        except ValueError as exc:
            errorlog.write(root, exc)
        names_seen = ws.store.count("person")
    assert names_seen == 3
    copy = tmp_path / "copied"
    shutil.copytree(root, copy)  # what a thief gets
    assert {p.name for p in (copy / "held").iterdir()}  # the held copy is there...
    assert leaks(copy, [*SECRETS, "东方未明"]) == []  # ...and nothing can be read from any of it

    # The owner, with the passphrase, gets everything back.
    with unlocked_workspace(copy) as ws:
        assert sorted(r["data"]["name"] for r in ws.store.current("person")) == sorted(
            p[0] for p in PEOPLE
        )
        assert Drafts(copy).load("person").values["name"] == "东方未明"
        [digest] = held.entries(ws.store)
        assert b"FIELDKIT-BUNDLE" in held.read_copy(copy, digest)
        assert any(PEOPLE[2][1] in line for line in errorlog.read(copy))


def test_the_error_log_and_crash_message_hold_no_personal_data(tmp_path, monkeypatch, capsys):
    root = tmp_path / "laptop"
    day_of_work(root)

    def broken(*args, **kwargs):
        raise RuntimeError(f"处理 {PEOPLE[0][0]}（{PEOPLE[0][1]}）时出错")

    monkeypatch.setattr(cli, "cmd_list", broken)
    monkeypatch.setitem(cli.COMMANDS, "list", broken)
    code, out, err = run(root, "list", "person", env=with_pass())
    assert code == 70
    assert "内部错误：RuntimeError" in err and PEOPLE[0][0] not in err and PEOPLE[0][1] not in err
    log = (root / "fieldkit.log").read_text(encoding="utf-8")
    assert "builtins.RuntimeError" in log and PEOPLE[0][0] not in log
    code, out, _ = run(root, "log", env=with_pass())
    assert code == 0 and PEOPLE[0][1] in out  # the details, for whoever has the passphrase
    assert leaks(root, SECRETS) == []


def test_full_ledgers_are_written_only_where_asked_with_a_notice(tmp_path):
    root = tmp_path / "laptop"
    day_of_work(root)
    code, _, err = run(root, "ledger", "--year", "2026", env=with_pass())
    assert code == 1 and "-o" in err and "脱敏" in err
    assert not (root / "exports").exists()
    code, _, err = run(
        root, "ledger", "--year", "2026", "-o", str(tmp_path / "台账.xlsx"), env=with_pass()
    )
    assert code == 0, err
    assert "不加密" in err and "--mask" in err
    code, _, err = run(root, "ledger", "--year", "2026", "--mask", env=with_pass())
    assert code == 0, err  # a masked ledger may go to exports/
    assert leaks(root, [p[1] for p in PEOPLE]) == []


# -- the passphrase on the command line --------------------------------------------------


def test_plain_exports_are_not_written_into_an_encrypted_data_dir(tmp_path):
    root = tmp_path / "laptop"
    day_of_work(root)  # no office key: exports are not encrypted
    code, _, err = run(root, "export", "--all", env=with_pass())
    assert code == 1 and "-o" in err and not (root / "exports").exists()
    code, _, err = run(root, "export", "--all", "-o", str(tmp_path / "usb"), env=with_pass())
    assert code == 0 and "未加密" in err
    assert leaks(root, SECRETS) == []


def test_the_app_path_refuses_plain_files_anywhere_in_the_data_dir(tmp_path):
    """The rule is in the core (the app's screens call it too), for any folder in the data
    dir, not only the default exports/."""
    from fieldkit.files.outfiles import PlainInDataDir
    from fieldkit.reports import ledger
    from fieldkit.sync import export

    root = tmp_path / "laptop"
    day_of_work(root)
    with unlocked_workspace(root) as ws:
        with pytest.raises(PlainInDataDir):
            export.export(ws, root / "drafts" / ".." / "somewhere", everything=True)
        with pytest.raises(PlainInDataDir):
            ledger.write_ledger(ws, 2026, output=root / "台账.xlsx")
        path, _ = ledger.write_ledger(ws, 2026, mask=True)
        assert path.parent == root / "exports"
    assert not (root / "somewhere").exists() and not (root / "台账.xlsx").exists()


def test_on_a_terminal_the_passphrase_is_asked_three_times(tmp_path, monkeypatch):
    root = tmp_path / "laptop"
    day_of_work(root)
    answers = iter(["不对的口令一", "不对的口令二", "不对的口令三"])
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    monkeypatch.setattr(cli, "ask", lambda prompt: next(answers))
    code, out, err = run(root, "list", "person")
    assert code == 1 and err.count("口令不对。") == 3 and "已试 3 次" in err and out == ""
    answers = iter(["不对的口令一", PASSPHRASE])
    code, out, err = run(root, "list", "person")
    assert code == 0 and PEOPLE[0][0] in out

    # Setting one: typed twice; a weak one is said to be weak; two different ones start over.
    answers = iter(
        [
            "12345678",
            "水落石出 山高月小",
            "水落石出 山高月",
            "水落石出 山高月小",
            "水落石出 山高月小",
        ]
    )
    monkeypatch.setattr(cli, "confirm", lambda prompt: False)
    code, out, err = run(tmp_path / "new", "init", "--worker", "李娜", "--grid", "第一网格")
    assert code == 0, err
    assert "弱" in err and "两次输入的不一样" in err and "已加密" in out
    assert vault.status(tmp_path / "new") == vault.ENCRYPTED


def test_without_a_passphrase_the_command_line_refuses_clearly(tmp_path):
    root = tmp_path / "laptop"
    day_of_work(root)
    env = {k: v for k, v in os.environ.items() if k != cli.PASSPHRASE_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", "--data-dir", str(root), "list", "person"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "已加密" in proc.stderr and cli.PASSPHRASE_ENV in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_wrong_passphrase_is_refused_and_changes_nothing(tmp_path):
    root = tmp_path / "laptop"
    day_of_work(root)

    def state() -> dict[str, tuple[bytes, int]]:
        return {
            str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()
        }

    before = state()
    code, out, err = run(root, "list", "person", env=with_pass("春眠不觉晓 处处闻啼"))
    assert code == 1 and "口令不对" in err and "数据未改变" in err and out == ""
    code, _, err = run(
        root,
        "add",
        "person",
        stdin=person_line("某某", *PEOPLE[0][1:]),
        env=with_pass("错的口令12"),
    )
    assert code == 1
    with pytest.raises(vault.WrongPassphrase):
        vault.unlock(root, "wrong passphrase")
    with pytest.raises(vault.Locked):
        Workspace(root)
    assert state() == before


def test_init_without_a_passphrase_makes_a_plain_data_dir_and_says_so(tmp_path):
    root = tmp_path / "laptop"
    code, _, err = run(root, "init", "--worker", "李娜", "--grid", "第一网格")
    assert code == 0, err
    assert "没有设置口令" in err and "不加密" in err and "fieldkit passwd" in err
    assert vault.status(root) == vault.PLAIN
    code, _, err = run(root, "list", "person")  # no passphrase asked for
    assert code == 0, err


def test_demo_into_a_new_data_dir_honours_the_passphrase(tmp_path):
    root = tmp_path / "demo"
    code, _, err = run(root, "demo", "--records", "40", env=with_pass())
    assert code == 0, err
    assert vault.status(root) == vault.ENCRYPTED
    assert b'"name"' not in (store_dir(root) / "snapshot.json").read_bytes()
    code, _, err = run(root, "list", "person")
    assert code == 1 and "已加密" in err
    code, _, _ = run(root, "list", "person", env=with_pass())
    assert code == 0


def test_the_passphrase_can_be_changed_and_only_the_key_is_rewrapped(tmp_path):
    root = tmp_path / "laptop"
    day_of_work(root)
    store_files = {p.name: p.read_bytes() for p in store_dir(root).iterdir()}
    key_files = {p.name: p.read_bytes() for p in (root / "keys").iterdir()}
    new = "新的口令 很长很长"
    code, out, err = run(root, "passwd", env={**with_pass(), cli.NEW_PASSPHRASE_ENV: new})
    assert code == 0, err
    assert "已更改口令" in out
    # No data was re-encrypted (the store was closed clean, so nothing was compacted either).
    assert {p.name: p.read_bytes() for p in store_dir(root).iterdir()} == store_files
    assert {p.name: p.read_bytes() for p in (root / "keys").iterdir()} == key_files
    code, _, err = run(root, "list", "person", env=with_pass())
    assert code == 1 and "口令不对" in err
    code, out, _ = run(root, "list", "person", env=with_pass(new))
    assert code == 0 and PEOPLE[0][0] in out
    code, _, err = run(root, "passwd", env={**with_pass(new), cli.NEW_PASSPHRASE_ENV: "短"})
    assert code == 1 and "至少" in err


def test_passwd_encrypts_a_data_dir_that_had_no_passphrase(tmp_path):
    root = tmp_path / "old"
    with Workspace(root, today=TODAY) as ws:  # from before passphrases (no vault.json)
        ws.set_identity(worker="李娜", grid="第一网格")
        for p in PEOPLE:
            ws.add("person", json.loads(person_line(*p)))
    Drafts(root).save("mediation", None, {"parties": "上官婉清、慕容建国"})
    (root / "fieldkit.log").write_text(f"Traceback ...\nValueError: {PEOPLE[0][1]}\n")
    backup = root / "store-backup-format1-20250101-080000"
    backup.mkdir()
    (backup / "snapshot.json").write_text(json.dumps({"n": PEOPLE[1][0]}, ensure_ascii=False))
    os.chmod(root, 0o755)
    assert leaks(root, SECRETS)  # all of it in clear, before

    code, out, err = run(root, "passwd", env={cli.NEW_PASSPHRASE_ENV: PASSPHRASE})
    assert code == 0, err
    assert "已加密" in out
    assert leaks(root, SECRETS) == []
    if os.name != "nt":
        assert (root.stat().st_mode & 0o777) == 0o700
    with unlocked_workspace(root) as ws:
        assert ws.store.count("person") == 3
        assert not ws.vault.converting
    assert Drafts(root).load("mediation").values["parties"] == "上官婉清、慕容建国"
    assert any(PEOPLE[0][1] in line for line in errorlog.read(root))


def test_encrypting_stopped_half_way_is_finished_by_the_next_opening(tmp_path, monkeypatch):
    root = tmp_path / "old"
    with Workspace(root, today=TODAY) as ws:
        ws.set_identity(worker="李娜", grid="第一网格")
        ws.add("person", json.loads(person_line(*PEOPLE[0])))
    Drafts(root).save("person", None, {"name": PEOPLE[1][0]})

    def power_cut(self):
        raise OSError("power cut")

    ws = Workspace(root, today=TODAY)
    monkeypatch.setattr(Workspace, "_seal_plain_files", power_cut)
    with pytest.raises(OSError):
        ws.encrypt(PASSPHRASE)  # the store is encrypted, the draft and keys are not yet
    ws.store._storage._close_journal()
    ws.store._file_lock.release()
    monkeypatch.undo()
    vault._unlocked.clear()
    assert vault.status(root) == vault.ENCRYPTED
    with unlocked_workspace(root) as ws:  # finishes: seals the rest, then refuses plain files
        assert ws.store.count("person") == 1
        assert not ws.vault.converting
    assert leaks(root, [PEOPLE[0][0], PEOPLE[1][0], PEOPLE[0][1]]) == []


def test_files_are_private_to_this_account(tmp_path):
    if os.name == "nt":
        pytest.skip("POSIX modes")
    root = tmp_path / "laptop"
    day_of_work(root)
    with unlocked_workspace(root):
        Drafts(root).save("person", None, {"name": "x"})
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


# -- a changed byte ------------------------------------------------------------------------


def _flip(path: Path, at: int, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(data))


def _detected(root: Path, relative: str, digest: str) -> bool:
    """Whether what reads the file refuses it (or, for a draft, ignores it)."""
    try:
        opened = vault.unlock(root, PASSPHRASE)
    except FieldkitError:
        return relative == "vault.json"
    try:
        if relative.startswith("store/"):
            try:
                Store(store_dir(root), cipher=opened.store_cipher()).close()
            except StoreCorrupt:
                return True
            return False
        if relative.startswith("keys/"):
            keys.load(root)
        elif relative.startswith("drafts/"):
            return Drafts(root).load("person") is None
        elif relative.startswith("held/"):
            held.read_copy(root, digest)
        elif relative == "fieldkit.log":
            return any("已损坏或被改动" in line for line in errorlog.read(root))
        return False
    except FieldkitError:
        return True
    finally:
        vault._unlocked.clear()


def test_a_flipped_byte_in_any_data_file_is_detected(tmp_path):
    root = tmp_path / "laptop"
    day_of_work(root)
    with unlocked_workspace(root) as ws:
        Drafts(root).save("person", None, {"name": PEOPLE[0][0]})
        other = Workspace(tmp_path / "other", today=TODAY)
        other.set_identity(worker="王强", grid="第二网格")
        bundle = export(other, tmp_path / "usb", everything=True).path
        other.close()
        import_files(ws, [bundle])
        [digest] = held.entries(ws.store)
        try:
            raise ValueError("x")
        except ValueError as exc:
            errorlog.write(root, exc)
        # Three more saves, so the journal has lines before its last one.
        for p in PEOPLE:
            ws.edit(ws.store.current("person")[0]["id"], {"notes": p[3] + "。"})
        ws.store._storage._close_journal()  # as if the program stopped: no compaction
        ws.store._file_lock.release()
    vault._unlocked.clear()
    files = sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != "lock"
    )
    assert {"store/snapshot.json", "store/journal.log", "vault.json", "fieldkit.log"} <= set(files)
    rng = random.Random(11)
    trials = 0
    for relative in files:
        size = (root / relative).stat().st_size
        positions = {0, size - 1, size - 5, *(rng.randrange(size) for _ in range(25))}
        if relative == "fieldkit.log":  # only the entry of this version: time, types, detail
            positions = {rng.randrange(size) for _ in range(25)}
        for at in sorted(positions):
            trial = tmp_path / f"trial-{trials}"
            shutil.copytree(root, trial)
            _flip(trial / relative, at, rng)
            assert _detected(trial, relative, digest), f"{relative} byte {at} changed unnoticed"
            shutil.rmtree(trial)
            trials += 1
    assert trials > 150

    # What a crash during a save leaves: the last line cut short, or (a power cut) zeros where
    # its data was never written. That save was never acknowledged: it is dropped, and the
    # program says so. A complete last line that does not open was changed: refused above.
    journal_bytes = (root / "store/journal.log").read_bytes()
    last = journal_bytes.splitlines(keepends=True)[-1]
    torn = journal_bytes[:-5]
    zeroed = journal_bytes[: -len(last)] + last[:9] + b"\x00" * (len(last) - 9)
    for n, damaged in enumerate((torn, zeroed)):
        trial = tmp_path / f"trial-tail-{n}"
        shutil.copytree(root, trial)
        (trial / "store/journal.log").write_bytes(damaged)
        with unlocked_workspace(trial) as ws:
            assert ws.dropped_tail > 0
            assert ws.store.current("person")[0]["data"]["notes"] == PEOPLE[1][3] + "。"


def test_pieces_cannot_be_moved_between_places_or_files(tmp_path):
    cipher = vault.Cipher(os.urandom(32), os.urandom(16))
    directory = tmp_path / "store"
    with Store(directory, cipher=cipher) as s:
        s.set_meta("a", 1)
    older = (directory / "journal.log").read_bytes()  # the journal that followed that snapshot
    with Store(directory, cipher=cipher) as s:
        for n in range(3):
            s.set_meta(f"k{n}", n)
        s._storage._close_journal()
        s._file_lock.release()
    journal = directory / "journal.log"
    lines = journal.read_bytes().splitlines(keepends=True)
    # Two lines swapped: refused, naming the file and the line.
    journal.write_bytes(b"".join([lines[0], lines[2], lines[1], lines[3]]))
    with pytest.raises(StoreCorrupt, match="第 2 行"):
        Store(directory, cipher=cipher)
    journal.write_bytes(b"".join(lines))
    # An older journal next to a newer snapshot (or another data dir's): refused. (The one just
    # before it replays, as after a crash between the two replaces: that is the snapshot's own
    # content again, no more than cutting the journal's last lines, which nothing can tell.)
    with Store(directory, cipher=cipher) as s:
        s.set_meta("b", 2)  # compacts on closing: a new snapshot and journal generation
    snapshot = (directory / "snapshot.json").read_bytes()
    with Store(directory, cipher=cipher) as s:
        s.set_meta("c", 3)
    journal.write_bytes(older)
    with pytest.raises(StoreCorrupt, match="不配套"):
        Store(directory, cipher=cipher)
    (directory / "snapshot.json").write_bytes(snapshot)
    journal.unlink()
    with pytest.raises(StoreCorrupt, match="不见了"):
        Store(directory, cipher=cipher)
    # A plain file put in an encrypted store: refused, not read.
    journal.write_bytes(b"")
    (directory / "snapshot.json").write_text('{"meta": {"a": {"value": 2}}}')
    with pytest.raises(StoreCorrupt, match="不是加密的"):
        Store(directory, cipher=cipher)
    # Under another key: refused at the first header.
    (directory / "snapshot.json").write_bytes(snapshot)
    journal.write_bytes(older)
    with pytest.raises(StoreCorrupt, match="文件头"):
        Store(directory, cipher=vault.Cipher(os.urandom(32), cipher.context))


def test_an_encrypted_journal_keeps_the_crash_guarantees(tmp_path):
    cipher = vault.Cipher(os.urandom(32), os.urandom(16))
    directory = tmp_path / "store"
    s = Store(directory, cipher=cipher)
    s.set_meta("a", 1)
    s.compact()
    s.set_meta("b", 2)
    s._storage._close_journal()
    s._file_lock.release()
    journal = directory / "journal.log"
    good = journal.read_bytes()
    with open(journal, "ab") as f:  # a save torn by a crash
        f.write(good.splitlines(keepends=True)[-1][:30])
    with Store(directory, cipher=cipher) as s:
        assert (s.get_meta("a"), s.get_meta("b")) == (1, 2) and s.dropped_tail == 30
        assert journal.read_bytes() == good  # cut off
        # A crash between the new snapshot and the new journal: the old journal replays.
        real_replace = os.replace

        def replace(src, dst):
            if Path(dst).name == "journal.log":
                raise OSError("power cut")
            real_replace(src, dst)

        s.set_meta("c", 3)
        os.replace = replace
        try:
            with pytest.raises(OSError):
                s.compact()
        finally:
            os.replace = real_replace
        s._storage._close_journal()
        s._file_lock.release()
    with Store(directory, cipher=cipher) as s:
        assert [s.get_meta(k) for k in "abc"] == [1, 2, 3]
        s.set_meta("d", 4)
    with Store(directory, cipher=cipher) as s:
        assert [s.get_meta(k) for k in "abcd"] == [1, 2, 3, 4]


# -- recovery through the office --------------------------------------------------------


def office_with_key(tmp_path: Path, passphrase: str = OFFICE_PASSPHRASE) -> tuple[Path, Path]:
    office = tmp_path / "office"
    code, _, err = run(
        office, "init", "--worker", "王主任", "--grid", "街道", env=with_pass(passphrase)
    )
    assert code == 0, err
    code, out, err = run(office, "keygen", "-o", str(tmp_path / "keys"), env=with_pass(passphrase))
    assert code == 0, err
    return office, Path(out.strip())


def test_the_office_recovers_a_laptop_whose_passphrase_was_forgotten(tmp_path):
    office, key_file = office_with_key(tmp_path)
    laptop = tmp_path / "laptop"
    day_of_work(laptop)  # a passphrase, no office key yet: nobody could recover it...
    assert not vault.has_office_wrap(laptop)
    code, out, err = run(
        laptop,
        "init",
        "--worker",
        "李娜",
        "--grid",
        "第一网格",
        "--office-key",
        str(key_file),
        env=with_pass(),
    )
    assert code == 0, err
    assert "街道可以恢复" in out
    assert vault.has_office_wrap(laptop)  # ...now the office can

    # The passphrase is forgotten; the laptop comes to the office.
    new = "新口令 当面告诉网格员"
    code, out, err = run(
        office,
        "recover",
        str(laptop),
        env={**with_pass(OFFICE_PASSPHRASE), cli.NEW_PASSPHRASE_ENV: new},
    )
    assert code == 0, err
    assert "已恢复李娜（第一网格）的数据目录" in out and "共 " in out
    code, out, _ = run(laptop, "list", "person", env=with_pass(new))
    assert code == 0 and PEOPLE[0][0] in out
    code, _, err = run(laptop, "list", "person", env=with_pass())
    assert code == 1 and "口令不对" in err

    # Nobody else can: another office, a wrong office passphrase, a laptop itself.
    other_office, _ = office_with_key(tmp_path / "elsewhere", "别的街道的口令 很长")
    code, _, err = run(
        other_office,
        "recover",
        str(laptop),
        env={**with_pass("别的街道的口令 很长"), cli.NEW_PASSPHRASE_ENV: "x" * 10},
    )
    assert code == 1 and "不是给本街道的" in err
    code, _, err = run(
        office,
        "recover",
        str(laptop),
        env={**with_pass("猜的口令 12345"), cli.NEW_PASSPHRASE_ENV: "x" * 10},
    )
    assert code == 1 and "口令不对" in err
    code, out, _ = run(laptop, "list", "person", env=with_pass(new))
    assert code == 0 and PEOPLE[0][0] in out  # both failures changed nothing


def test_the_office_private_keys_are_under_its_passphrase(tmp_path):
    office, _ = office_with_key(tmp_path)
    for path in (office / "keys").iterdir():
        assert b"PRIVATE KEY" not in path.read_bytes()
    with pytest.raises(vault.Locked):
        keys.load(office)
    vault.unlock(office, OFFICE_PASSPHRASE)
    assert keys.load(office).device


def test_idle_lock_time_is_set_from_the_command_line(tmp_path):
    root = tmp_path / "laptop"
    day_of_work(root)
    code, out, err = run(root, "passwd", "--idle-lock", "3", env=with_pass())
    assert code == 0 and "3 分钟" in out, err
    with unlocked_workspace(root) as ws:
        assert ws.store.get_meta(vault.IDLE_LOCK_META) == 3


def test_strength_hints_and_rules():
    assert vault.passphrase_problem("1234567") is not None
    assert "控制字符" in vault.passphrase_problem("line\nbreak12345")  # cannot be typed to unlock
    assert vault.strength("12345678")[0] == 0
    assert vault.strength(PEOPLE[0][1])[0] == 0  # an ID number is guessed first
    assert vault.strength("password123")[0] == 0
    assert vault.strength("Tr0ub4dor&3")[0] >= 1
    assert vault.strength(PASSPHRASE)[0] == 2
    assert vault.strength("correct horse battery staple")[0] == 2
