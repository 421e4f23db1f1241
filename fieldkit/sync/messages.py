"""How sync results read, in the command line and in the app alike: a file's counts, a held
file, a device waiting for trust, changes that have not arrived, a device's standing, the kinds
of steps in a record's history, numbers by form. Where the two differ is only how the user acts
next (a command to type, or a key to press), which the caller passes in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fieldkit.forms import grids

if TYPE_CHECKING:
    from fieldkit.sync.casenumbers import Renumbered
    from fieldkit.sync.merge import Counts, FileResult
    from fieldkit.workspace import Workspace

COUNT_LABELS = (
    ("new", "新增"),
    ("updated", "更新"),
    ("unchanged", "未变"),
    ("conflicts", "冲突"),
    ("rejected", "未通过检查"),
)
HISTORY_KINDS = {
    "created": "新建",
    "edited": "修改",
    "deleted": "删除",
    "restored": "恢复",
    "resolved": "处理冲突",
    "partial": "修改（此前的版本不在本机）",
}
STANDING = {
    "self": "本机",
    "office": "街道",
    "trusted": "已信任",
    "by_office": "已信任（街道信任）",
    "untrusted": "未信任",
    "revoked": "已停用",
    "moved": "网格已变，待重新信任",
}


def counts_text(counts: dict[str, int]) -> str:
    return "，".join(f"{label} {counts[key]}" for key, label in COUNT_LABELS)


def form_counts(
    counts: Mapping[str, int], labels: Mapping[str, str], *, unit: str = "", sep: str = "，"
) -> str:
    """Numbers by form id, each after its form's label: “人员 3，随访 7” (`unit` “ 条” after
    each number: “人员 3 条、随访 7 条”)."""
    return sep.join(f"{labels.get(k, k)} {n}{unit}" for k, n in counts.items())


def file_name(f: FileResult) -> str:
    return f"暂存的文件 {f.name}" if f.from_held else f.name


def file_line(f: FileResult, *, dry_run: bool = False) -> str:
    """One file of an import (or of a dry run), or a held file merged (or dropped) after a
    trust decision."""
    if f.error:
        return f"暂存的文件 {f.name} 未合并：{f.error}"
    m = f.manifest
    who = f"（{m.worker}，{m.grid}）" if m else ""
    if f.untrusted:
        held = "将暂存" if dry_run else "已暂存"
        return (
            f"{file_name(f)}{who}：来自未信任的设备，{held} {f.counts.held} 条记录，信任后自动合并"
        )
    return f"{file_name(f)}{who}：{counts_text(f.counts.as_dict())}"


def totals_line(counts: Counts) -> str:
    total = counts.as_dict()
    held = f"，暂存 {total['held']}" if total["held"] else ""
    return counts_text(total) + held


def new_device_line(d: dict[str, Any], how: str) -> str:
    """A device whose files are held; `how` says how to trust it."""
    return (
        f"新设备待信任：{d['worker']}（{d['grid']}），指纹 {d['fingerprint']}，暂存记录 "
        f"{d['records']} 条。请与该电脑“网格员信息”页上的指纹核对，一致后{how}" + namesake_note(d)
    )


def namesake_note(d: dict[str, Any]) -> str:
    """A warning when trusted devices already carry the same worker's name ('' if none)."""
    if not d.get("namesakes"):
        return ""
    others = "、".join(d["namesakes"])
    return (
        f"注意：已信任的电脑中已有同名“{d['worker']}”的电脑（指纹 {others}）。"
        "名字谁都能填，请务必逐位核对指纹。"
    )


def ranges_text(missing: list[list[int]]) -> str:
    return "、".join(f"{a}–{b}" if a != b else str(a) for a, b in missing)


def missing_line(m: dict[str, Any], how: str) -> str:
    """A device whose earlier changes have not arrived; `how` says how to send them again."""
    spans = "、".join(f"第 {a} 号" if a == b else f"第 {a}–{b} 号" for a, b in m["missing"])
    return (
        f"缺少：{m['worker']}（{m['grid']}，指纹 {m['fingerprint']}）的{spans}变更共 "
        f"{m['count']} 个尚未收到，可能有文件没有交来。请该网格员重新导出：{how}"
    )


def resend_command(m: dict[str, Any]) -> str:
    return f"fieldkit export --from {m['from']}"


def standing_text(row: dict[str, Any]) -> str:
    """A device's standing here, from a row of fieldkit.sync.roster.rows."""
    if row["self"]:
        return STANDING["self"]
    if row["revoked"]:
        return STANDING["revoked"]
    if row["trusted"]:
        if row["office"]:
            return STANDING["office"]
        if row.get("moved"):
            return STANDING["moved"]
        return STANDING["by_office" if row["by_office"] else "trusted"]
    return STANDING["untrusted"]


def arrival_lines(f: FileResult, labels: dict[str, str]) -> list[str]:
    """What a file brought besides its counts: records by form, the office's form updates, and
    forms newer than this data dir's (indented under the file's line)."""
    out = []
    if f.arrived:
        out.append(f"  收到新记录：{form_counts(f.arrived, labels, unit=' 条')}")
    if f.forms_changed:
        out.append(f"  表单已更新为街道的版本：{'；'.join(f.forms_changed)}。以后录入按新表单")
    for form_id, version in f.newer_forms.items():
        out.append(
            f"  注意：有“{labels.get(form_id, form_id)}”记录用的是第 {version} 版表单，比本机的新："
            "请更新本机 forms/ 中的表单（或升级 fieldkit）"
        )
    return out


def renumbered_line(r: Renumbered) -> str:
    parties = r.record["data"].get("parties", "")
    if r.old:
        return f"案号重复，已重新编号：{r.old}（{parties}）→ {r.new}"
    return f"已编案号：{parties} → {r.new}"


def grid_note(ws: Workspace) -> str:
    """A note when this data dir's grid is not on the office's list ('' if it is, or no list)."""
    ident = ws.identity
    if ident is None or ident.role == "office":
        return ""
    problem = grids.problem(ws.forms, ident.grid)
    return f"本机的网格{problem}。请运行 fieldkit init --grid 正确的网格名" if problem else ""


def moved_line(d: dict[str, Any], how: str) -> str:
    """A trusted laptop whose card now names another grid; `how` says how to confirm it."""
    return (
        f"{d['worker']}的电脑（指纹 {d['fingerprint']}）改成了“{d['grid']}”，原来信任的是"
        f"“{d['trusted_grid']}”：在确认之前，它收不到任何网格的记录。确认无误后{how}"
    )


def combined_line(n: int) -> str:
    return f"已自动合并 {n} 条记录：两边改的是不同的字段，合在一起（结果也会同步到各电脑）"
