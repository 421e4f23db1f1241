"""The command line: parse arguments, call the core, print. No domain logic lives here."""

from __future__ import annotations

import contextlib
import errno
import getpass
import json
import logging
import os
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from fieldkit.cli.args import build_parser
from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files import locations, textfiles
from fieldkit.files.outfiles import PlainInDataDir
from fieldkit.forms import idnumber
from fieldkit.forms.schedule import Due
from fieldkit.forms.validation import ValidationFailed
from fieldkit.store import errorlog, vault
from fieldkit.store.storage import gc_paused
from fieldkit.sync import messages as words
from fieldkit.views.persons import PersonIndex, PersonRow, due_words
from fieldkit.views.records import newest_first
from fieldkit.workspace import BatchInvalid, Workspace, open_for_reading

# Piped output is for files and scripts: wide enough that no table column is cut.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 250)
err = Console(stderr=True, highlight=False, soft_wrap=True)


PASSPHRASE_ENV = "FIELDKIT_PASSPHRASE"
NEW_PASSPHRASE_ENV = "FIELDKIT_NEW_PASSPHRASE"
# Commands that deal with the passphrase themselves (the others need the data dir unlocked).
_OWN_UNLOCK = {"init", "passwd", "demo"}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `fieldkit` console script; returns the exit status."""
    if argv is None and sys.argv[1:2] == [IMPORT_CHECK_ARG]:  # the frozen build's second process
        from fieldkit.sync import import_check

        import_check.main()
        return 0
    use_utf8_streams()
    args = build_parser().parse_args(argv)
    root = locations.data_dir(args.data_dir, demo=args.demo)
    sys.unraisablehook = _quiet_unraisable(root)
    try:
        if args.command is None:
            return open_app(root, demo=args.demo)
        if args.command not in _OWN_UNLOCK:
            unlock(root)
        with _warnings_on_stderr():
            return COMMANDS[args.command](root, args)
    except PlainInDataDir as exc:
        err.print(f"错误：{exc}。用 -o 指定保存位置", markup=False)
        return 1
    except FieldkitError as exc:
        err.print(f"错误：{exc}", markup=False)
        return 1
    except KeyboardInterrupt:
        err.print("已中断。")
        return 130
    except BrokenPipeError:  # `fieldkit list ... | head`: the reader had enough
        _silence_stdout()
        return 0
    except OSError as exc:  # a data dir or file the system refuses (a file where a folder is...)
        where = exc.filename or root
        writing = "无法写入 " if exc.errno in (errno.ENOSPC, errno.EROFS) else ""
        err.print(f"错误：{writing}{where}：{os_reason(exc)}{_what_next(exc)}", markup=False)
        return 1
    except Exception as exc:  # the last line of defence: log it, tell the user in one line
        # Only the type: the message may hold what was being worked on (a name, a number).
        log = errorlog.write(root, exc)  # without personal data in clear
        err.print(f"内部错误：{type(exc).__name__}（详细信息已记录到 {log}）", markup=False)
        return 70


# -- the passphrase ------------------------------------------------------------------------


def on_terminal() -> bool:
    """Whether a person is there to type a passphrase (not a script or a pipe)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask(prompt: str) -> str:
    """Read a passphrase from the terminal without showing it."""
    try:
        return getpass.getpass(prompt, stream=sys.stderr)
    except EOFError:
        raise FieldkitError("没有读到口令") from None


def confirm(prompt: str) -> bool:
    """A visible yes/no question on the terminal: True for "y"."""
    err.print(prompt, end="", markup=False)
    return sys.stdin.readline().strip().lower() in ("y", "yes", "是")


def unlock(root: Path) -> None:
    """Unlock an encrypted data dir for this process: $FIELDKIT_PASSPHRASE, else three tries on
    a terminal; with neither, a clear refusal."""
    if vault.unlocked(root) is not None or not vault.is_encrypted(root):
        return
    given = os.environ.get(PASSPHRASE_ENV)
    if given is not None:
        try:
            vault.unlock(root, given)
        except vault.WrongPassphrase:
            raise FieldkitError(f"口令不对（环境变量 {PASSPHRASE_ENV}），数据未改变") from None
        return
    if not on_terminal():
        raise FieldkitError(
            f"数据目录 {root} 已加密，需要口令：请在终端中运行（会提示输入），"
            f"或用环境变量 {PASSPHRASE_ENV} 给出口令"
        )
    for _ in range(3):
        try:
            vault.unlock(root, ask("口令："))
            return
        except vault.WrongPassphrase:
            err.print("口令不对。")
    hint = (
        "忘记口令时，请把数据目录交给街道用 fieldkit recover 恢复"
        if vault.has_office_wrap(root)
        else ""
    )
    raise FieldkitError("口令不对，已试 3 次，数据未改变。" + hint)


def _new_passphrase(env_names: tuple[str, ...], *, optional: bool) -> str | None:
    """A new passphrase: from the first of `env_names` that is set, else typed twice on a
    terminal (with a strength hint). None when it is `optional` and the user chose none (an
    empty answer) or nobody is there to ask."""
    for name in env_names:
        given = os.environ.get(name)
        if given is not None:
            if problem := vault.passphrase_problem(given):
                raise FieldkitError(f"{problem}（环境变量 {name}）")
            return given
    if not on_terminal():
        if optional:
            return None
        raise FieldkitError(
            f"需要新口令：请在终端中运行（会提示输入两次），或用环境变量 {env_names[0]} 给出"
        )
    prompt = "设置口令（直接回车则不加密）：" if optional else "新口令："
    for _ in range(3):
        first = ask(prompt)
        if not first and optional:
            return None
        if problem := vault.passphrase_problem(first):
            err.print(problem + "。", markup=False)
            continue
        level, hint = vault.strength(first)
        err.print(f"口令强度：{hint}", markup=False)
        if level == 0 and not confirm("仍然使用这个口令？（输入 y 确认，直接回车重新输入）"):
            continue
        if ask("再输一次：") == first:
            return first
        err.print("两次输入的不一样，请重新输入。")
    raise FieldkitError("没有设置口令")


def _say_plain(root: Path) -> None:
    err.print(
        f"注意：没有设置口令，数据目录 {root} 不加密：电脑丢失或数据目录被复制时，记录可以被读取。"
        "要加密请运行 fieldkit passwd",
        markup=False,
    )


# The hidden first argument that makes the frozen executable the import check's second process
# (fieldkit.sync.import_check.FROZEN_WORKER_ARG).
IMPORT_CHECK_ARG = "--fieldkit-import-check"


def use_utf8_streams() -> None:
    """Pipes and redirected files are UTF-8, whatever the console's code page (cp936 on a
    Chinese Windows); a real console keeps its encoding but never fails on a character it
    cannot show (𠮷 on a GBK console is shown as ?, not a crash)."""
    for stream in (sys.stdout, sys.stderr):
        if not hasattr(stream, "reconfigure"):
            continue
        try:
            if stream.isatty():
                stream.reconfigure(errors="replace")
            else:
                # (a file name Python could not decode shows as \udcxx, not as an error)
                stream.reconfigure(encoding="utf-8", errors="backslashreplace")
        except (OSError, ValueError):
            pass


def _what_next(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "。请腾出磁盘空间后重试，已保存的数据不受影响"
    if exc.errno == errno.EROFS:
        return "。这个位置只能读取，不能写入"
    return ""


def _silence_stdout() -> None:
    # Python flushes stdout at exit, which would fail again on the closed pipe.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class _StderrNotes(logging.Handler):
    """fieldkit's warnings (a forms file left out, a compaction put off) as one-line notes."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a note must never become an error of its own
            err.print(f"注意：{record.getMessage()}", markup=False)


class _warnings_on_stderr:
    def __enter__(self) -> None:
        self.handler = _StderrNotes(logging.WARNING)
        logging.getLogger("fieldkit").addHandler(self.handler)

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("fieldkit").removeHandler(self.handler)


def _quiet_unraisable(root: Path):
    """Errors Python cannot raise (a library's file closed by the garbage collector after a
    failed write: "Exception ignored in ZipFile.__del__") go to the log, not to the user, who
    was already told what failed."""

    def hook(unraisable) -> None:
        if unraisable.exc_value is not None:
            errorlog.write(root, unraisable.exc_value)

    return hook


def open_app(root: Path, *, demo: bool) -> int:
    from fieldkit.tui.app import run  # Textual loads only when the app is opened

    if demo and not vault.is_encrypted(root):  # invented data: no passphrase needed
        vault.choose_plain(root)
        with Workspace(root) as ws:
            if not any(ws.store.count(f.id) for f in ws.forms):
                err.print("正在生成演示数据……")
                _fill_demo(ws, year=date.today().year, seed=1, records=3000)
    return run(root, demo=demo)


def cmd_init(root: Path, args) -> int:
    from fieldkit.sync import devices

    office = devices.read_office_key(Path(args.office_key)) if args.office_key else None
    state = vault.status(root)
    passphrase = None
    if state == vault.ENCRYPTED:
        unlock(root)
    elif state in (vault.NEW, vault.LEGACY):
        passphrase = _new_passphrase((PASSPHRASE_ENV,), optional=True)
        if passphrase is None:
            vault.choose_plain(root)
        elif state == vault.NEW:
            vault.create(root, passphrase)
    with Workspace(root) as ws:
        if passphrase is not None and not ws.encrypted:  # data from before: encrypted now
            ws.encrypt(passphrase)
        before = ws.identity
        ident = ws.set_identity(
            worker=args.worker, grid=args.grid, org=args.org, abbr=args.abbr, office_key=office
        )
        encrypted = ws.encrypted
    if before is not None and before.device != ident.device:
        err.print(
            "注意：本机密钥已不在（keys/ 被删除或数据目录是不完整的副本），已生成新的密钥，"
            "本机成了一台新电脑：街道需要核对下面的新指纹后重新信任本机。没有导出过的修改已用新密钥"
            "重新记下，下次导出时一并交出。",
            markup=False,
        )
    out.print(
        f"已设置：网格员 {ident.worker}，网格 {ident.grid}，单位 {ident.org or '（未填）'}",
        markup=False,
    )
    out.print(f"数据目录：{root}", markup=False)
    out.print(f"本机指纹：{devices.fingerprint(ident.device)}（街道信任本机时核对）", markup=False)
    if office is not None and office.card is not None:
        out.print(
            f"已配置街道公钥（{office.card['org'] or office.card['worker']}，"
            f"指纹 {devices.fingerprint(office.card['device'])}）：导出文件将加密，"
            "街道发来的文件可以核对。",
            markup=False,
        )
    elif office is not None:
        out.print(
            "已配置旧版街道公钥：导出文件将加密；请向街道索取新的公钥文件，才能导入街道发来的文件。"
        )
    elif not ident.encrypts and ident.role != "office":
        out.print("未配置街道公钥：导出文件不加密。")
    if encrypted:
        how = "；忘记口令时街道可以恢复" if vault.has_office_wrap(root) else ""
        out.print(f"数据目录已加密，打开时需要口令{how}。", markup=False)
    else:
        _say_plain(root)
    return 0


def cmd_passwd(root: Path, args) -> int:
    state = vault.status(root)
    if state == vault.NEW:
        raise FieldkitError(f"数据目录 {root} 还没有数据。请先运行 fieldkit init")
    if args.idle_lock is not None:
        if not 0 <= args.idle_lock <= 24 * 60:
            raise FieldkitError("自动锁定时间应在 0 到 1440 分钟之间（0 表示不自动锁定）")
        unlock(root)
        with Workspace(root) as ws:
            ws.store.set_meta(vault.IDLE_LOCK_META, args.idle_lock)
        if args.idle_lock:
            out.print(f"程序界面无操作 {args.idle_lock} 分钟后自动锁定。")
        else:
            out.print("程序界面不再自动锁定（离开电脑时请退出程序）。")
        return 0
    if state == vault.ENCRYPTED:
        unlock(root)  # the current passphrase
        new = _new_passphrase((NEW_PASSPHRASE_ENV,), optional=False)
        assert new is not None
        with Workspace(root) as ws:  # holds the data dir: no program has it open meanwhile
            assert ws.vault is not None
            vault.change_passphrase(ws.vault, new)
        out.print(
            "已更改口令：本数据目录从现在起只认新口令。数据不用重新加密，所以更改前备份的"
            " vault.json 仍可用旧口令打开数据；若担心旧口令已泄露，请同时删除旧的备份。",
            markup=False,
        )
        return 0
    new = _new_passphrase((NEW_PASSPHRASE_ENV, PASSPHRASE_ENV), optional=False)
    assert new is not None
    with Workspace(root) as ws:
        left = ws.encrypt(new)
    out.print("已设置口令：数据目录已加密，打开时需要口令。", markup=False)
    if left:
        err.print(
            f"注意：数据目录的 exports/ 中有 {len(left)} 个生成的文件（导出文件、台账等），"
            "它们不在加密范围内；不再需要时请删除。",
            markup=False,
        )
    return 0


def cmd_recover(root: Path, args) -> int:
    from fieldkit.sync import keys

    laptop = Path(args.laptop).expanduser()
    if laptop.resolve() == root.resolve():
        raise FieldkitError(
            "请在街道电脑上运行：--data-dir 是街道的数据目录，参数是笔记本的数据目录"
        )
    if not vault.is_encrypted(laptop):
        raise FieldkitError(f"{laptop} 不是设置了口令的 fieldkit 数据目录，不需要恢复")
    box_keys = [keys.load(root).box, *keys.legacy_box_keys(root)]
    opened = vault.recover(laptop, box_keys)
    new = _new_passphrase((NEW_PASSPHRASE_ENV,), optional=False)
    assert new is not None
    with Workspace(laptop) as ws:  # it opens: every file checks under the recovered key
        ident = ws.identity
        records = sum(ws.store.count(f.id) for f in ws.forms)
        vault.change_passphrase(opened, new)
    who = f"{ident.worker}（{ident.grid}）的" if ident else ""
    out.print(
        f"已恢复{who}数据目录 {laptop}：共 {records} 条记录，新口令已设置。"
        "请把新口令当面告诉网格员，并请他尽快用 fieldkit passwd 改成自己的口令。",
        markup=False,
    )
    return 0


def cmd_log(root: Path, args) -> int:
    lines = errorlog.read(root)
    if not lines:
        err.print("没有出错记录。")
    for line in lines:
        out.print(line, markup=False)
    return 0


def cmd_forms(root: Path, args) -> int:
    with Workspace(root) as ws:
        for form in ws.forms:
            out.print(f"[bold]{form.id}[/]  {form.label}  版本 {form.version}")
            for f in form.fields:
                mark = "必填" if f.required and not f.relevant else ""
                cond = "（条件显示）" if f.relevant else ""
                out.print(f"  {f.id:<16}{f.label}  [dim]{TYPE_LABELS[f.type]}[/] {mark}{cond}")
    return 0


TYPE_LABELS = {
    "text": "文本",
    "multiline": "多行文本",
    "integer": "整数",
    "decimal": "数值",
    "date": "日期",
    "datetime": "日期时间",
    "select_one": "单选",
    "select_multiple": "多选",
    "id_number": "身份证号",
    "phone": "电话",
    "reference": "引用",
}


def cmd_add(root: Path, args) -> int:
    with Workspace(root) as ws:
        form = ws.form(args.form)
        items, lines = _read_json_lines(args.file)
        if not items:
            raise FieldkitError("没有读到任何记录（每行一个 JSON 对象）")
        try:
            saved = ws.add_many(form.id, items)
        except BatchInvalid as exc:
            for index, problems in exc.failures:
                for p in problems:
                    err.print(f"第{lines[index]}行：{p}", markup=False)
            raise FieldkitError(f"{len(exc.failures)} 行有错误，未保存任何记录") from None
    for rec in saved:
        out.print(rec["id"])
    err.print(f"已保存 {len(saved)} 条「{form.label}」记录。")
    return 0


def _read_json_lines(name: str) -> tuple[list[dict[str, Any]], list[int]]:
    text = read_input(name)
    items, lines, bad = [], [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(f"第{number}行：不是有效的 JSON（第{exc.colno}列）")
            continue
        if not isinstance(obj, dict):
            bad.append(f"第{number}行：应为 JSON 对象 {{…}}")
            continue
        items.append(obj)
        lines.append(number)
    if bad:
        for line in bad:
            err.print(line, markup=False)
        raise FieldkitError(f"{len(bad)} 行无法读取，未保存任何记录")
    return items, lines


def read_input(name: str) -> str:
    """The text of a file, or of standard input for "-": UTF-8 (see fieldkit.files.textfiles)."""
    if name != "-":
        return textfiles.read_text(Path(name).expanduser(), "文件")
    if sys.stdin is None:
        raise FieldkitError("没有标准输入，请用 --file 指定文件")
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None or sys.stdin.isatty():  # already text, or typed at the console
        return sys.stdin.read()
    try:
        data = raw.read()
    except OSError as exc:
        raise FieldkitError(f"无法读取标准输入：{os_reason(exc)}") from None
    return textfiles.decode(data, "标准输入", textfiles.STDIN_FIX)


def cmd_edit(root: Path, args) -> int:
    changes = {}
    for item in args.changes:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise FieldkitError(f"“{item}”应写成 字段=值")
        changes[key.strip()] = value if value != "" else None
    with Workspace(root) as ws:
        record = _find(ws, args.id)
        try:
            rec = ws.edit(record["id"], changes)
        except ValidationFailed as exc:
            for p in exc.outcome.errors:
                err.print(str(p), markup=False)
            raise FieldkitError("修改未保存") from None
    same = rec["version"] == record["version"]
    out.print("没有值改变，未生成新版本。" if same else f"已保存新版本 {rec['version'][:8]}。")
    return 0


def cmd_delete(root: Path, args) -> int:
    with Workspace(root) as ws:
        record = _find(ws, args.id)
        ws.delete(record["id"])
    out.print(f"已删除记录 {record['id']}（历史版本保留）。", markup=False)
    return 0


def _find(ws: Workspace, key: str) -> dict[str, Any]:
    rec = ws.store.get(key)
    if rec is not None:
        return rec
    if len(key) < 6:
        raise FieldkitError(f"找不到记录 {key}（编号至少写前6位）")
    hits = [
        r
        for f in ws.forms
        for r in ws.store.current(f.id, include_deleted=True)
        if r["id"].startswith(key)
    ]
    if len(hits) != 1:
        raise FieldkitError(
            f"找不到记录 {key}" if not hits else f"编号 {key} 对应多条记录，请写完整"
        )
    return hits[0]


def cmd_list(root: Path, args) -> int:
    with open_for_reading(root) as ws:  # beside the app, if it is open
        form = ws.form(args.form)
        with gc_paused():  # the store just loaded is millions of objects: don't walk them
            rows = newest_first(ws, form.id, year=args.year)
        if args.json:
            print_json_lines(
                {"id": r["id"], "form": r["form"], "version": r["version"], "data": r["data"]}
                for r in rows
            )
            return 0
        table = Table("编号", *(form.field(c).label for c in form.list_columns), box=None)
        for r in rows:
            table.add_row(
                r["id"][:8],
                *(ws.display(form, form.field(c), r["data"]) for c in form.list_columns),
            )
        out.print(table)
        err.print(f"共 {len(rows)} 条「{form.label}」记录。")
    return 0


def cmd_due(root: Path, args) -> int:
    with open_for_reading(root) as ws:  # beside the app, if it is open
        person_form = ws.forms.schedule_forms()[0]
        with gc_paused():
            rows = PersonIndex.build(ws).due(args.grid, args.within)
        if args.json:
            print_json_lines(_due_json(row) for row in rows)
            return 0
        if not rows:
            when = f"{args.within} 天内到期" if args.within else "今天到期"
            err.print(f"{args.grid or ''}没有逾期或{when}的随访。", markup=False)
            return 0
        table = Table(
            "姓名", "身份证号", "类别", "级别", "上次随访", "应随访日期", "状态", box=None
        )
        for row in rows:
            data, due = row.record["data"], _scheduled(row)
            table.add_row(
                row.name,
                idnumber.mask(data.get("id_number", "")),
                ws.display(person_form, person_form.field("category"), data),
                person_form.field("level").label_of(row.level, data),
                row.last_visit or "未随访",
                due.next_due.isoformat(),
                due_words(due.days_overdue),
            )
        out.print(table)
        err.print(f"共 {len(rows)} 人到期或逾期。")
    return 0


def _scheduled(row: PersonRow) -> Due:
    assert row.due is not None  # the due list holds only persons on the schedule
    return row.due


def _due_json(row: PersonRow) -> dict[str, Any]:
    data, due = row.record["data"], _scheduled(row)
    return {
        "person": row.id,
        "name": data.get("name"),
        "category": data.get("category"),
        "level": row.level,
        "grid": data.get("grid"),
        "last_visit": due.last_visit["data"]["date"] if due.last_visit else None,
        "next_due": due.next_due.isoformat(),
        "days_overdue": due.days_overdue,
        "joint": list(due.rule.joint) if due.rule else [],
    }


def cmd_demo(root: Path, args) -> int:
    state = vault.status(root)
    if state == vault.ENCRYPTED:
        unlock(root)
    elif state == vault.NEW:  # a new data dir: encrypted when FIELDKIT_PASSPHRASE is set
        given = os.environ.get(PASSPHRASE_ENV)
        if given:
            vault.create(root, given)
        else:
            vault.choose_plain(root)
    with Workspace(root) as ws:
        if any(ws.store.count(f.id) for f in ws.forms):
            hint = "演示数据只能写入空的数据目录，请用 --data-dir 指定新目录。"
            raise FieldkitError(f"数据目录 {root} 已有记录。{hint}")
        counts = _fill_demo(
            ws, year=args.year or date.today().year, seed=args.seed, records=args.records
        )
    total = sum(counts.values())
    detail = words.form_counts(counts, {f.id: f.label for f in ws.forms})
    out.print(f"已生成演示数据 {total} 条：{detail}。", markup=False)
    return 0


def _fill_demo(ws: Workspace, *, year: int, seed: int, records: int) -> dict[str, int]:
    from fieldkit.demo import generator as demo

    return demo.fill(ws, year=year, seed=seed, records=records)


def _check_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise FieldkitError(f"年份 {year} 不合理，请写四位年份，如 --year {date.today().year}")
    return year


def _note_ungridded(ws: Workspace, figs) -> None:
    if figs.grid and figs.ungridded:
        labels = {f.id: f.label for f in ws.forms}
        left_out = words.form_counts(figs.ungridded, labels, unit=" 条", sep="、")
        err.print(f"注意：以下记录没有网格信息，未计入“{figs.grid}”：{left_out}。", markup=False)


def cmd_report(root: Path, args) -> int:
    from fieldkit.reports import annual as report

    year = _check_year(args.year)
    with open_for_reading(root) as ws:  # beside the app, if it is open
        path, figs = report.write_report(
            ws,
            year,
            grid=args.grid,
            output=args.output,
            exact=args.exact,
            seal=args.seal,
            force=args.force,
        )
        _note_ungridded(ws, figs)
        _note_renamed(report.draft_target(ws, year, args.grid, args.output).path, path, "草稿")
    out.print(str(path), markup=False)
    err.print(
        f"已生成 {year} 年法治政府建设年度报告草稿。黄色底纹的【待补充】处需要人工补写，"
        "数字来自记录，请核对。",
        markup=False,
    )
    return 0


def _note_renamed(intended: Path, path: Path, what: str) -> None:
    """Say so when the default name was taken and the file became a new copy."""
    if path != intended:
        err.print(
            f"注意：{intended.name} 已存在（可能已修改过），没有覆盖它；新的{what}另存为 {path.name}。",
            markup=False,
        )


def cmd_ledger(root: Path, args) -> int:
    from fieldkit.reports import ledger

    year = _check_year(args.year)
    with open_for_reading(root) as ws:  # beside the app, if it is open
        path, counts = ledger.write_ledger(
            ws, year, output=args.output, mask=args.mask, grid=args.grid, force=args.force
        )
        intended = ledger.ledger_target(ws, year, args.grid, args.output, mask=args.mask).path
    _note_renamed(intended, path, "台账")
    out.print(str(path), markup=False)
    detail = "，".join(f"{name} {n} 条" for name, n in counts.items())
    masked = (
        "已脱敏，可对外报送"
        if args.mask
        else "含完整的姓名、身份证号和电话，仅供内部使用，请妥善保管"
    )
    err.print(f"已生成 {year} 年台账：{detail}（{masked}）。", markup=False)
    if not args.mask:
        err.print(
            "注意：台账文件本身不加密。只放在有权限的人能看到的地方，不要用 U 盘随身带，"
            "用完删除；对外报送请用 --mask。",
            markup=False,
        )
    return 0


def cmd_export(root: Path, args) -> int:
    from fieldkit.sync import export, formsync

    folder = Path(args.output).expanduser() if args.output else locations.exports_dir(root)
    with Workspace(root) as ws:
        result = export.export(
            ws,
            folder,
            everything=args.all,
            since=args.since,
            grid=args.grid,
            for_device=args.for_device,
        )
        labels = {f.id: f.label for f in ws.forms}
    info = result.preview
    if result.path is None:
        err.print("自上次导出以来本机没有新的变化，未生成文件。要导出全部记录，请加 --all。")
        return 0
    out.print(str(result.path), markup=False)
    detail = words.form_counts(info.by_form, labels)
    what = {
        "all": "全部记录",
        "from": f"第 {args.since} 号起本机的变更",
        "changes": "本机新的变化",
        "grid": f"“{result.manifest.audience if result.manifest else ''}”的人员和随访",
    }
    err.print(
        f"已导出{what[info.kind]}：记录 {info.records} 条（{info.versions} 个版本）{('：' + detail) if detail else ''}。",
        markup=False,
    )
    if result.skipped_forms:
        err.print(formsync.skipped_note(result.skipped_forms), markup=False)
    if result.manifest and result.manifest.encrypted:
        who = f"：{info.audience}" if info.audience else ""
        err.print(f"文件已加密，只有接收方的电脑能打开{who}。", markup=False)
    else:
        err.print(
            "注意：文件未加密（本机未配置街道公钥），请妥善保管 U 盘。"
            "配置方法：fieldkit init ... --office-key 街道公钥文件"
        )
    return 0


def cmd_import(root: Path, args) -> int:
    from fieldkit.sync import intake, review

    with Workspace(root) as ws:
        report = intake.import_files(
            ws, [Path(b).expanduser() for b in args.bundles], dry_run=args.dry_run
        )
        if not report.files:
            raise FieldkitError("没有找到要导入的 .fkb 文件")
        open_items = {
            "conflicts": len(review.conflicts(ws)),
            "duplicates": len(review.duplicates(ws)),
            "rejected": len(review.rejected(ws)),
        }
        labels = {f.id: f.label for f in ws.forms}
        grid_note = words.grid_note(ws)
    for f in report.refused:
        err.print(f"错误：无法导入 {f.path}：{f.error}", markup=False)
    if args.json:
        print_json_lines([report.as_json()])
        return 1 if report.refused else 0
    for f in report.files:
        if f.error is None:
            out.print(words.file_line(f, dry_run=args.dry_run), markup=False)
            for line in words.arrival_lines(f, labels):
                out.print(line, markup=False)
    ok = len(report.files) - len(report.refused)
    head = "试导入（未修改数据）" if args.dry_run else "已导入"
    if ok:
        out.print(f"{head} {ok} 个文件，合计：{words.totals_line(report.totals)}", markup=False)
    for d in report.new_devices:
        how = f"运行：fieldkit devices trust {d['device'][:8]}"
        err.print(words.new_device_line(d, how), markup=False)
    _print_missing(report.missing)
    for d in report.moved:
        how = f"运行：fieldkit devices trust {d['device'][:8]}"
        err.print(words.moved_line(d, how), markup=False)
    if report.combined:
        err.print(words.combined_line(len(report.combined)), markup=False)
    for r in report.renumbered:
        err.print(words.renumbered_line(r), markup=False)
    if grid_note:
        err.print(grid_note, markup=False)
    notes = []
    if open_items["conflicts"]:
        notes.append(f"{open_items['conflicts']} 条记录有冲突待处理")
    if open_items["duplicates"]:
        notes.append(f"{open_items['duplicates']} 组疑似重复人员待合并")
    if open_items["rejected"]:
        notes.append(f"{open_items['rejected']} 条记录未通过检查（已保留，未合并）")
    if notes and not args.dry_run:
        err.print("；".join(notes) + "。请在程序的“同步”页查看处理。", markup=False)
    return 1 if report.refused else 0


def cmd_keygen(root: Path, args) -> int:
    from fieldkit.files import outfiles
    from fieldkit.sync import devices

    folder = Path(args.output).expanduser() if args.output else locations.exports_dir(root)
    with Workspace(root) as ws:
        ident = ws.require_identity()
        ident = ws.set_identity(
            worker=ident.worker, grid=ident.grid, org=ident.org, abbr=ident.abbr, role="office"
        )
        card = devices.stored_card(ws.store, ident.device)
    name = f"街道公钥-{ident.device[:8].upper()}.fkkey"
    key_file = devices.office_key_text(card).encode("utf-8")
    path = outfiles.write_bytes(outfiles.Target(folder / name), key_file)
    out.print(str(path), markup=False)
    err.print(
        f"本机已设为街道电脑（指纹 {devices.fingerprint(ident.device)}）。私钥只在本机数据目录 keys/ 中，"
        "备份数据目录时一并备份。\n"
        f"把公钥文件复制到每台网格员电脑，运行 fieldkit init --worker 姓名 --grid 网格 --office-key {path.name}",
        markup=False,
    )
    return 0


def cmd_history(root: Path, args) -> int:
    from fieldkit.views.history import as_json, record_history

    with open_for_reading(root) as ws:  # beside the app, if it is open
        record = _find(ws, args.id)
        steps = record_history(ws, record["id"])
        form = ws.form(record["form"])
        if args.json:
            print_json_lines(as_json(s) for s in steps)
            return 0
        out.print(f"{form.label} {record['id']}：共 {len(steps)} 个版本", markup=False)
        for n, step in enumerate(steps, start=1):
            v = step.version
            mark = "（当前）" if step.current else "（冲突中的版本）" if step.head else ""
            out.print(
                f"{n}. {v['updated_at'].replace('T', ' ')[:16]}  {v['updated_by']}  {step.device}"
                f"  {words.HISTORY_KINDS[step.kind]}{mark}",
                markup=False,
            )
            for label, before, after in step.changes:
                out.print(f"     {label}：{before or '（空）'} → {after or '（空）'}", markup=False)
    return 0


def cmd_devices(root: Path, args) -> int:
    from fieldkit.sync import devices, roster

    with Workspace(root) as ws:
        if args.action in ("trust", "revoke"):
            act = roster.trust if args.action == "trust" else roster.revoke
            result = act(ws, args.device)
            who = f"{result.card['worker']}（{result.card['grid']}，指纹 {devices.fingerprint(result.card['device'])}）"
            if args.action == "trust":
                out.print(f"已信任 {who}。", markup=False)
            else:
                out.print(f"已停用 {who}：它已有的记录保留，此后的文件不再接收。", markup=False)
            for f in result.merged:
                out.print(words.file_line(f), markup=False)
            if result.settled.combined:
                err.print(words.combined_line(len(result.settled.combined)), markup=False)
            for r in result.settled.renumbered:
                err.print(words.renumbered_line(r), markup=False)
            _print_missing(roster.missing(ws))
            return 0
        rows = roster.rows(ws)
    if args.json:
        print_json_lines(rows)
        return 0
    # At 80 columns the fingerprint and the standing stay whole; long names are shortened.
    table = Table(box=None)
    table.add_column("指纹", no_wrap=True)
    table.add_column("网格员", overflow="ellipsis", no_wrap=True, max_width=10)
    table.add_column("网格", overflow="ellipsis", no_wrap=True, max_width=10)
    table.add_column("状态", no_wrap=True)
    for name in ("已收变更", "暂存记录", "缺少"):
        table.add_column(name, justify="right" if name != "缺少" else "left")
    for r in rows:
        table.add_row(
            r["fingerprint"],
            r["worker"],
            r["grid"],
            words.standing_text(r),
            str(r["versions"]),
            str(r["held"] or ""),
            words.ranges_text(r["missing"]),
        )
    out.print(table)
    return 0


def _print_missing(missing: list[dict[str, Any]]) -> None:
    for m in missing:
        err.print(words.missing_line(m, words.resend_command(m)), markup=False)


def print_json_lines(objects: Iterable[Any]) -> None:
    """One JSON object a line, UTF-8, straight to standard output (rich would lay out every
    line: 9 s for 60k records)."""
    sys.stdout.flush()
    sink = getattr(sys.stdout, "buffer", None)
    option = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
    batch: list[bytes] = []
    with gc_paused():  # short-lived objects only: no need to walk the loaded store again
        for obj in objects:
            batch.append(orjson.dumps(obj, option=option))
            if len(batch) == 2000:
                _write(sink, batch)
                batch = []
        _write(sink, batch)


def _write(sink, lines: list[bytes]) -> None:
    data = b"".join(lines)
    if sink is not None:
        sink.write(data)
        sink.flush()
    else:  # a stream with no bytes underneath (tests replacing sys.stdout)
        sys.stdout.write(data.decode("utf-8"))


COMMANDS = {
    "init": cmd_init,
    "forms": cmd_forms,
    "add": cmd_add,
    "edit": cmd_edit,
    "delete": cmd_delete,
    "list": cmd_list,
    "due": cmd_due,
    "demo": cmd_demo,
    "report": cmd_report,
    "ledger": cmd_ledger,
    "export": cmd_export,
    "import": cmd_import,
    "keygen": cmd_keygen,
    "history": cmd_history,
    "devices": cmd_devices,
    "passwd": cmd_passwd,
    "recover": cmd_recover,
    "log": cmd_log,
}

if __name__ == "__main__":
    sys.exit(main())
