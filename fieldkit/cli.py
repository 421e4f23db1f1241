"""The command line: parse arguments, call the core, print. No domain logic lives here."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fieldkit import idnumber, locations
from fieldkit import sync_messages as words
from fieldkit.cliargs import build_parser
from fieldkit.errors import FieldkitError, os_reason
from fieldkit.schedule import effective_level
from fieldkit.workspace import BatchInvalid, ValidationFailed, Workspace

# Piped output is for files and scripts: wide enough that no table column is cut.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 250)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `fieldkit` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    root = locations.data_dir(args.data_dir, demo=args.demo)
    try:
        if args.command is None:
            return open_app(root, demo=args.demo)
        return COMMANDS[args.command](root, args)
    except FieldkitError as exc:
        err.print(f"错误：{exc}", markup=False)
        return 1
    except KeyboardInterrupt:
        err.print("已中断。")
        return 130
    except OSError as exc:  # a data dir or file the system refuses (a file where a folder is...)
        where = exc.filename or root
        err.print(f"错误：{where}：{os_reason(exc)}", markup=False)
        return 1
    except Exception as exc:  # the last line of defence: log it, tell the user in one line
        log = locations.log_file(root)
        _log_crash(log)
        err.print(f"内部错误：{type(exc).__name__}: {exc}（详细信息已记录到 {log}）", markup=False)
        return 70


def _log_crash(log: Path) -> None:
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=log, encoding="utf-8", level=logging.ERROR)
        logging.getLogger("fieldkit").error("unexpected error\n%s", traceback.format_exc())
    except OSError:
        pass


def open_app(root: Path, *, demo: bool) -> int:
    from fieldkit.tui.app import run  # Textual loads only when the app is opened

    if demo:
        with Workspace(root) as ws:
            if not any(ws.store.count(f.id) for f in ws.forms):
                err.print("正在生成演示数据……")
                _fill_demo(ws, year=date.today().year, seed=1, records=3000)
    return run(root, demo=demo)


def cmd_init(root: Path, args) -> int:
    from fieldkit import devices

    office = devices.read_office_key(Path(args.office_key)) if args.office_key else None
    with Workspace(root) as ws:
        before = ws.identity
        ident = ws.set_identity(
            worker=args.worker, grid=args.grid, org=args.org, abbr=args.abbr, office_key=office
        )
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
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FieldkitError(f"无法读取 {name}：{exc}") from None
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
    with Workspace(root) as ws:
        form = ws.form(args.form)
        rows = ws.records(form.id, year=args.year)
        if args.json:
            for r in rows:
                obj = {"id": r["id"], "form": r["form"], "version": r["version"], "data": r["data"]}
                out.print(json.dumps(obj, ensure_ascii=False), markup=False)
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
    with Workspace(root) as ws:
        person_form = ws.form("person")
        dues = ws.due(grid=args.grid, within_days=args.within)
        if args.json:
            for d in dues:
                out.print(json.dumps(_due_json(d), ensure_ascii=False), markup=False)
            return 0
        if not dues:
            when = f"{args.within} 天内到期" if args.within else "今天到期"
            err.print(f"{args.grid or ''}没有逾期或{when}的随访。", markup=False)
            return 0
        table = Table(
            "姓名", "身份证号", "类别", "级别", "上次随访", "应随访日期", "状态", box=None
        )
        for d in dues:
            data = d.person["data"]
            last = d.last_visit["data"]["date"][:10] if d.last_visit else "未随访"
            table.add_row(
                data.get("name", ""),
                idnumber.mask(data.get("id_number", "")),
                ws.display(person_form, person_form.field("category"), data),
                person_form.field("level").label_of(effective_level(d.person, d.last_visit), data),
                last,
                d.next_due.isoformat(),
                _due_status(d.days_overdue),
            )
        out.print(table)
        err.print(f"共 {len(dues)} 人到期或逾期。")
    return 0


def _due_status(days_overdue: int) -> str:
    if days_overdue > 0:
        return f"逾期{days_overdue}天"
    return "今天到期" if days_overdue == 0 else f"{-days_overdue}天后到期"


def _due_json(d) -> dict[str, Any]:
    data = d.person["data"]
    return {
        "person": d.person["id"],
        "name": data.get("name"),
        "category": data.get("category"),
        "level": effective_level(d.person, d.last_visit),
        "grid": data.get("grid"),
        "last_visit": d.last_visit["data"]["date"] if d.last_visit else None,
        "next_due": d.next_due.isoformat(),
        "days_overdue": d.days_overdue,
        "joint": list(d.rule.joint) if d.rule else [],
    }


def cmd_demo(root: Path, args) -> int:
    with Workspace(root) as ws:
        if any(ws.store.count(f.id) for f in ws.forms):
            hint = "演示数据只能写入空的数据目录，请用 --data-dir 指定新目录。"
            raise FieldkitError(f"数据目录 {root} 已有记录。{hint}")
        counts = _fill_demo(
            ws, year=args.year or date.today().year, seed=args.seed, records=args.records
        )
    total = sum(counts.values())
    detail = "，".join(f"{ws.forms[k].label} {v}" for k, v in counts.items())
    out.print(f"已生成演示数据 {total} 条：{detail}。", markup=False)
    return 0


def _fill_demo(ws: Workspace, *, year: int, seed: int, records: int) -> dict[str, int]:
    from fieldkit import demo

    return demo.fill(ws, year=year, seed=seed, records=records)


def _check_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise FieldkitError(f"年份 {year} 不合理，请写四位年份，如 --year {date.today().year}")
    return year


def _note_ungridded(ws: Workspace, figs) -> None:
    if figs.grid and figs.ungridded:
        left_out = "、".join(f"{ws.forms[k].label} {n} 条" for k, n in figs.ungridded.items())
        err.print(f"注意：以下记录没有网格信息，未计入“{figs.grid}”：{left_out}。", markup=False)


def cmd_report(root: Path, args) -> int:
    from fieldkit import report  # python-docx loads only when a draft is made

    year = _check_year(args.year)
    with Workspace(root) as ws:
        path, figs = report.write_report(
            ws, year, grid=args.grid, output=args.output, exact=args.exact
        )
        _note_ungridded(ws, figs)
    if not figs.total_records:
        err.print(f"注意：{year} 年没有任何记录，草稿中的数字都需要人工补写。")
    out.print(str(path), markup=False)
    err.print(
        f"已生成 {year} 年法治政府建设年度报告草稿。黄色底纹的【待补充】处需要人工补写，"
        "数字来自记录，请核对。",
        markup=False,
    )
    return 0


def cmd_ledger(root: Path, args) -> int:
    from fieldkit import ledger

    year = _check_year(args.year)
    with Workspace(root) as ws:
        path, counts = ledger.write_ledger(
            ws, year, output=args.output, mask=args.mask, grid=args.grid
        )
    out.print(str(path), markup=False)
    detail = "，".join(f"{name} {n} 条" for name, n in counts.items())
    masked = "身份证号已脱敏" if args.mask else "身份证号为完整号码，请妥善保管"
    err.print(f"已生成 {year} 年台账：{detail}（{masked}）。", markup=False)
    return 0


def cmd_export(root: Path, args) -> int:
    from fieldkit import export, outfiles

    folder = Path(args.output).expanduser() if args.output else outfiles.exports_dir(root)
    with Workspace(root) as ws:
        result = export.export(ws, folder, everything=args.all, since=args.since)
        labels = {f.id: f.label for f in ws.forms}
    info = result.preview
    if result.path is None:
        err.print("自上次导出以来本机没有新的变化，未生成文件。要导出全部记录，请加 --all。")
        return 0
    out.print(str(result.path), markup=False)
    detail = "，".join(f"{labels.get(k, k)} {n}" for k, n in info.by_form.items())
    what = {"all": "全部记录", "from": f"第 {args.since} 号起本机的变更", "changes": "本机新的变化"}
    err.print(
        f"已导出{what[info.kind]}：记录 {info.records} 条（{info.versions} 个版本）{('：' + detail) if detail else ''}。",
        markup=False,
    )
    if result.manifest and result.manifest.encrypted:
        err.print("文件已加密，只有接收方的电脑能打开。")
    else:
        err.print(
            "注意：文件未加密（本机未配置街道公钥），请妥善保管 U 盘。"
            "配置方法：fieldkit init ... --office-key 街道公钥文件"
        )
    return 0


def cmd_import(root: Path, args) -> int:
    from fieldkit import merge, review

    with Workspace(root) as ws:
        report = merge.import_files(
            ws, [Path(b).expanduser() for b in args.bundles], dry_run=args.dry_run
        )
        if not report.files:
            raise FieldkitError("没有找到要导入的 .fkb 文件")
        open_items = {
            "conflicts": len(review.conflicts(ws)),
            "duplicates": len(review.duplicates(ws)),
            "rejected": len(review.rejected(ws)),
        }
    for f in report.refused:
        err.print(f"错误：无法导入 {f.path}：{f.error}", markup=False)
    if args.json:
        out.print(json.dumps(report.as_json(), ensure_ascii=False), markup=False)
        return 1 if report.refused else 0
    for f in report.files:
        if f.error is None:
            out.print(words.file_line(f, dry_run=args.dry_run), markup=False)
    ok = len(report.files) - len(report.refused)
    head = "试导入（未修改数据）" if args.dry_run else "已导入"
    if ok:
        out.print(f"{head} {ok} 个文件，合计：{words.totals_line(report.totals)}", markup=False)
    for d in report.new_devices:
        how = f"运行：fieldkit devices trust {d['device'][:8]}"
        err.print(words.new_device_line(d, how), markup=False)
    _print_missing(report.missing)
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
    from fieldkit import bundle, devices, outfiles

    folder = Path(args.output).expanduser() if args.output else outfiles.exports_dir(root)
    with Workspace(root) as ws:
        ident = ws.require_identity()
        ident = ws.set_identity(
            worker=ident.worker, grid=ident.grid, org=ident.org, abbr=ident.abbr, role="office"
        )
        card = devices.stored_card(ws.store, ident.device)
    name = f"街道公钥-{ident.device[:8].upper()}.fkkey"
    path = bundle.write_atomically(folder, name, devices.office_key_text(card).encode("utf-8"))
    out.print(str(path), markup=False)
    err.print(
        f"本机已设为街道电脑（指纹 {devices.fingerprint(ident.device)}）。私钥只在本机数据目录 keys/ 中，"
        "备份数据目录时一并备份。\n"
        f"把公钥文件复制到每台网格员电脑，运行 fieldkit init --worker 姓名 --grid 网格 --office-key {path.name}",
        markup=False,
    )
    return 0


def cmd_history(root: Path, args) -> int:
    from fieldkit.history import as_json, record_history

    with Workspace(root) as ws:
        record = _find(ws, args.id)
        steps = record_history(ws, record["id"])
        form = ws.form(record["form"])
        if args.json:
            _print_json_lines(as_json(s) for s in steps)
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
    from fieldkit import devices, roster

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
            _print_missing(roster.missing(ws))
            return 0
        rows = roster.rows(ws)
    if args.json:
        _print_json_lines(rows)
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


def _print_json_lines(objects) -> None:
    for obj in objects:
        out.print(json.dumps(obj, ensure_ascii=False), markup=False)


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
}

if __name__ == "__main__":
    sys.exit(main())
