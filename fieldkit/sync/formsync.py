"""Form and rule files from the office: checked, taken as a whole, and said what changed.

The office changes forms, rules, the report's wording or its list of grids with files in its
data dir's ``forms/`` folder, and every file it exports carries that folder. A laptop takes the
set from its office's newest file: it checks that the forms load, writes them into its own
``forms/`` (files the office no longer has are removed) and uses them from then on. Versions
of records made under the old forms keep opening (a record remembers its form's version).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import orjson

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files import textfiles
from fieldkit.files.locations import forms_dir
from fieldkit.files.outfiles import Target, write_new
from fieldkit.forms.definitions import FormError, FormSet, load_forms
from fieldkit.store.database import Transaction
from fieldkit.sync.bundle import form_file_name_ok

FROM = "forms.from"  # meta (laptop): {"office", "serial"} of the form files in use
SERIAL = "forms.serial"  # meta (office): {"digest", "serial"} of its forms folder as last sent


def check(files: dict[str, str]) -> FormSet:
    """The forms as they would load with `files` as the overrides; FormError if they don't
    load, or if their rules could not work."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        forms = load_forms(Path(tmp))
    if "rules.toml" in forms.left_out:  # rules that cannot work: case numbers would repeat
        raise FormError(next(p for p in forms.problems if "rules.toml" in p))
    return forms


def stamped(tx: Transaction, files: dict[str, str]) -> dict[str, Any]:
    """The office's form files with their serial number: one more each time they change (so
    laptops tell newer from older whatever the office's clock says)."""
    digest = hashlib.sha256(orjson.dumps(files, option=orjson.OPT_SORT_KEYS)).hexdigest()
    last = tx.get_meta(SERIAL, {"digest": None, "serial": 0})
    serial = last["serial"] if last["digest"] == digest else last["serial"] + 1
    if serial != last["serial"]:
        tx.set_meta(SERIAL, {"digest": digest, "serial": serial})
    return {"serial": serial, "files": files}


def is_newer(in_use: dict[str, Any] | None, office: str, serial: int) -> bool:
    """Whether an office file's forms (serial `serial`) replace the ones in use."""
    return in_use is None or in_use.get("office") != office or serial > in_use.get("serial", 0)


def skipped_note(names: list[str]) -> str:
    """What the office is told of its form files an export left out (see office_files)."""
    return (
        f"注意：forms/ 中的 {'、'.join(names)} 没有一起导出：文件有错（本机也没有用它），"
        "或文件名不合要求（只能用小写字母、数字和下划线，如 grids.toml）"
    )


def office_files(root: Path, in_use: FormSet) -> tuple[dict[str, str], list[str]]:
    """The office's form files to send (its forms/ folder), and the names left out: those it
    does not use itself (`in_use.left_out`: malformed, not UTF-8) and names a laptop does not
    take (only lower-case letters, digits, _ and .toml, never a Windows device name)."""
    folder = forms_dir(root)
    if not folder.is_dir():
        return {}, []
    sent, skipped = {}, []
    for path in sorted(folder.glob("*.toml")):
        if form_file_name_ok(path.name) and path.name not in in_use.left_out:
            sent[path.name] = textfiles.read_text(path, "表单文件")
        else:
            skipped.append(path.name)
    return sent, skipped


def changes(old: FormSet, new: FormSet) -> list[str]:
    """What a user should hear about the change (Chinese), in form order."""
    out = []
    for form in new:
        before = old.get(form.id)
        if before is None:
            out.append(f"新表单“{form.label}”（第 {form.version} 版）")
        elif before.version != form.version:
            out.append(f"“{form.label}”第 {before.version} 版 → 第 {form.version} 版")
    for name in sorted(old.templates.keys() | new.templates.keys()):
        if old.templates.get(name) != new.templates.get(name):
            out.append(_TEMPLATE_NAMES.get(name, f"{name}.toml"))
    if new.rules != old.rules:
        out.append("随访和案号规则")
    return out


_TEMPLATE_NAMES = {"grids": "网格名单", "report": "报告模板"}


def install(root: Path, files: dict[str, str]) -> None:
    """Make `files` the data dir's form overrides, exactly (each file written atomically)."""
    folder = forms_dir(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = folder / name
            if not path.exists() or path.read_bytes() != text.encode("utf-8"):
                write_new(
                    Target(path, named=True),
                    lambda temp, text=text: temp.write_text(text, "utf-8"),
                    force=True,
                )
        for path in folder.glob("*.toml"):
            if path.name not in files:
                path.unlink()
    except OSError as exc:
        raise FieldkitError(f"无法写入表单文件夹 {folder}：{os_reason(exc)}") from None


__all__ = ["FROM", "FormError", "changes", "check", "install"]
