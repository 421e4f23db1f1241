"""Form and rule files from the office: checked, taken as a whole, and said what changed.

The office changes forms, rules, the report's wording or its list of grids with files in its
data dir's ``forms/`` folder, and every file it exports carries that folder. A laptop takes the
set from its office's newest file: it checks that the forms load, writes them into its own
``forms/`` (files the office no longer has are removed) and uses them from then on. Versions
of records made under the old forms keep opening (a record remembers its form's version).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.forms import FormError, FormSet, load_forms
from fieldkit.locations import forms_dir
from fieldkit.outfiles import write_atomically

FROM = "forms.from"  # meta: created_at of the office file whose forms are in use


def check(files: dict[str, str]) -> FormSet:
    """The forms as they would load with `files` as the overrides; FormError if they don't."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        return load_forms(Path(tmp))


def changes(old: FormSet, new: FormSet) -> list[str]:
    """What a user should hear about the change (Chinese), in form order."""
    out = []
    for form in new:
        before = old.get(form.id)
        if before is None:
            out.append(f"新表单“{form.label}”（第 {form.version} 版）")
        elif before.version != form.version:
            out.append(f"“{form.label}”第 {before.version} 版 → 第 {form.version} 版")
    old_templates = old.rules.get("_templates", {})
    new_templates = new.rules.get("_templates", {})
    for name in sorted(old_templates.keys() | new_templates.keys()):
        if old_templates.get(name) != new_templates.get(name):
            out.append(_TEMPLATE_NAMES.get(name, f"{name}.toml"))
    rules = {k: v for k, v in new.rules.items() if k != "_templates"}
    if rules != {k: v for k, v in old.rules.items() if k != "_templates"}:
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
                write_atomically(path, lambda temp, text=text: temp.write_text(text, "utf-8"))
        for path in folder.glob("*.toml"):
            if path.name not in files:
                path.unlink()
    except OSError as exc:
        raise FieldkitError(f"无法写入表单文件夹 {folder}：{os_reason(exc)}") from None


__all__ = ["FROM", "FormError", "changes", "check", "install"]
