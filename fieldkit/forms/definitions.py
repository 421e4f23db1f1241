"""Form definitions: load forms/*.toml, check them, and build typed Form and Field objects.

The definitions are data the office may edit. A mistake in them is reported as a FormError that
names the file and the field, never as a traceback.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files import textfiles
from fieldkit.forms.kinds import expect
from fieldkit.forms.rules import Rules, parse_rules

log = logging.getLogger(__name__)

FIELD_TYPES = frozenset(
    {
        "text",
        "multiline",
        "integer",
        "decimal",
        "date",
        "datetime",
        "select_one",
        "select_multiple",
        "id_number",
        "phone",
        "reference",
    }
)
CHOICE_TYPES = frozenset({"select_one", "select_multiple"})
_PARSE_KEYS: dict[tuple, int] = {}
DEFAULT_KEYWORDS = {"date": {"today"}, "datetime": {"now"}}
COMPARISONS = frozenset({">=", ">", "<=", "<"})
FORM_ORDER = ("outreach", "person", "followup", "mediation", "consultation", "meeting")


class FormError(FieldkitError):
    """A form definition is wrong; the message (Chinese) names the file and the field."""


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True)
class Condition:
    """`field` (or `ref.field` through a reference) is in / not in a set of codes."""

    field: str
    values: frozenset[str]
    negate: bool = False

    def holds(self, value: Any) -> bool:
        """True when the condition is met by the current value of its field."""
        values = value if isinstance(value, list) else [value]
        hit = any(v in self.values for v in values if v not in (None, ""))
        if self.negate:
            return value not in (None, "", []) and not hit
        return hit


@dataclass(frozen=True)
class Constraint:
    """A cross-field rule: `field op other`, e.g. closed >= accepted."""

    field: str
    op: str
    other: str
    message: str


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str
    required: bool = False
    hint: str = ""
    default: Any = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    decimals: int = 2
    not_future: bool = False
    choices: tuple[Choice, ...] = ()
    choices_by: str | None = None
    choice_sets: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    relevant: Condition | None = None
    required_when: Condition | None = None
    ref_form: str | None = None

    @cached_property
    def parse_key(self) -> int:
        """A number for what the clean value of an answer depends on, apart from the answer
        itself: fields defined alike share it (validation remembers clean values by it)."""
        rule = (self.type, self.max_length, self.min, self.max, self.decimals, self.choices)
        return _PARSE_KEYS.setdefault(rule, len(_PARSE_KEYS))

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

    def choices_for(self, data: dict[str, Any]) -> tuple[Choice, ...]:
        """The choices offered given the other answers (level depends on category)."""
        if self.choices_by:
            return self.choice_sets.get(str(data.get(self.choices_by) or ""), ())
        return self.choices

    def all_choices(self) -> tuple[Choice, ...]:
        """Every choice this field can hold, across choice sets, first label wins."""
        seen: dict[str, Choice] = {c.code: c for c in self.choices}
        for options in self.choice_sets.values():
            for c in options:
                seen.setdefault(c.code, c)
        return tuple(seen.values())

    def label_of(self, code: Any, data: dict[str, Any] | None = None) -> str:
        """The Chinese label of a stored code; an unknown code (older form) shows as itself."""
        options = self.choices_for(data) if data and self.choices_by else self.all_choices()
        for c in options:
            if c.code == code:
                return c.label
        return "" if code is None else str(code)


@dataclass(frozen=True)
class VisitFields:
    """The fields of the form that records the visits of the schedule in rules.toml
    (its [visits] table)."""

    person: str  # a reference field: whom the visit was to
    departments: str  # who went (a rule may ask for a joint visit)


@dataclass(frozen=True)
class Form:
    id: str
    label: str
    version: int
    fields: tuple[Field, ...]
    date_field: str
    title_field: str
    list_columns: tuple[str, ...]
    constraints: tuple[Constraint, ...] = ()
    unique: str | None = None
    visits: VisitFields | None = None

    def field(self, field_id: str) -> Field:
        return self._by_id[field_id]

    def has(self, field_id: str) -> bool:
        return field_id in self._by_id

    # Looked up for every record checked (a 100k-record import checks them all), so computed
    # once per form rather than scanned each time.

    @cached_property
    def _by_id(self) -> dict[str, Field]:
        return {f.id: f for f in self.fields}

    @cached_property
    def conditional_fields(self) -> tuple[Field, ...]:
        """Fields shown only under a condition (`relevant`)."""
        return tuple(f for f in self.fields if f.relevant is not None)

    @cached_property
    def maybe_required_fields(self) -> tuple[Field, ...]:
        """Fields that are required, always or under a condition (`required_when`)."""
        return tuple(f for f in self.fields if f.required or f.required_when is not None)

    @cached_property
    def field_order(self) -> dict[str, int]:
        return {f.id: i for i, f in enumerate(self.fields)}


@dataclass(frozen=True)
class FormSet:
    """All forms plus the rules, as loaded from one or more definition folders."""

    forms: dict[str, Form]
    rules: Rules
    #: the other files of the definition folders (e.g. the report template), by name
    templates: dict[str, dict[str, Any]]
    sources: dict[str, str]
    #: why override files were left out (Chinese, with file and field), see load_forms
    problems: tuple[str, ...] = ()
    #: the names (lower case) of the override files left out
    left_out: frozenset[str] = frozenset()

    def __getitem__(self, form_id: str) -> Form:
        return self.forms[form_id]

    def __iter__(self):
        return iter(self.forms.values())

    def get(self, form_id: str) -> Form | None:
        return self.forms.get(form_id)

    @cached_property
    def visit_form(self) -> Form | None:
        """The form that records the visits of the schedule (the one with [visits])."""
        return next((f for f in self.forms.values() if f.visits is not None), None)

    @cached_property
    def person_form(self) -> Form | None:
        """The form of the persons visited on the schedule (the visits' reference)."""
        visits = self.visit_form
        if visits is None or visits.visits is None:
            return None
        return self.forms[visits.field(visits.visits.person).ref_form or ""]

    def schedule_forms(self) -> tuple[Form, Form, str]:
        """The persons' form, the visits' form, and the visits' field that names the person;
        FormError if the forms have no visit schedule (no form with [visits])."""
        persons, visits = self.person_form, self.visit_form
        if persons is None or visits is None or visits.visits is None:
            raise FormError("表单定义中没有随访表（带 [visits] 的表单），无法管理特殊人群")
        return persons, visits, visits.visits.person

    def template(self, name: str) -> dict[str, Any]:
        """Another TOML file of the definition folders (e.g. the report template)."""
        return self.templates.get(name, {})


def builtin_dir() -> Path:
    """The definitions shipped with fieldkit (the repository's forms/ folder)."""
    if getattr(sys, "frozen", False):  # the one-file build unpacks them here (build_exe.py)
        return Path(sys._MEIPASS) / "fieldkit" / "formdefs"
    # Installed, forms/ is the data-only package fieldkit.formdefs (see pyproject.toml).
    spec = importlib.util.find_spec("fieldkit.formdefs")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    # An editable install or a source checkout maps no package onto forms/: read it in place.
    return Path(__file__).resolve().parents[2] / "forms"


#: (form id, field id) -> choice codes the program counts by name (the report's figures)
CodesUsed = Mapping[tuple[str, str], frozenset[str]]


def load_forms(
    override_dir: Path | None = None, *, strict: bool = False, codes_used: CodesUsed | None = None
) -> FormSet:
    """Load the shipped definitions; a file of the same name in override_dir replaces one.

    An override that cannot be used (not UTF-8, not TOML, a value of the wrong kind, a field
    that does not exist, a choice code in `codes_used` that it renamed...) is left out, the shipped file of that name (if any) used instead,
    and the reason, with the file and the field, is in ``FormSet.problems`` and logged as a
    warning: a typo in the office's folder must not stop a laptop from working. With
    ``strict`` (forms arriving from the office) the first problem raises FormError instead.
    """
    shipped: dict[str, Path] = {p.name: p for p in sorted(builtin_dir().glob("*.toml"))}
    docs = {name: _read_toml(path) for name, path in shipped.items()}
    shipped_rules = _shipped_rules(docs, shipped)
    paths = dict(shipped)
    problems: list[str] = []
    left_out: set[str] = set()
    overrides = _override_files(override_dir, problems)
    for name, path in overrides.items():
        try:
            doc = _read_toml(path)
            is_form = "fields" in docs.get(name, {})
            _check_document(name, doc, str(path), form=is_form, shipped_rules=shipped_rules)
            if "fields" in doc:
                _check_codes(_build_form(doc, str(path)), codes_used or {}, str(path))
        except FormError as exc:
            if strict:
                raise
            problems.append(_left_out(exc, name in shipped))
            left_out.add(name)
            continue
        docs[name], paths[name] = doc, path
    try:
        result = _assemble(docs, paths, shipped_rules)
    except FormError as exc:
        if strict or not overrides:
            raise
        problems.append(f"{exc}（已改用程序自带的全部表单和规则）")
        left_out.update(overrides)
        result = _assemble(
            {n: _read_toml(p) for n, p in shipped.items()}, dict(shipped), shipped_rules
        )
    for problem in problems:
        log.warning("%s", problem)
    return FormSet(
        result.forms,
        result.rules,
        result.templates,
        result.sources,
        tuple(problems),
        frozenset(left_out),
    )


def _shipped_rules(docs: dict[str, dict[str, Any]], paths: dict[str, Path]) -> Rules:
    """The shipped rules: every setting there, the defaults of an office's rules.toml."""

    def fail(msg: str) -> FormError:
        return FormError(f"表单定义错误：{paths.get('rules.toml', 'rules.toml')} {msg}")

    return parse_rules(docs.get("rules.toml", {}), fail)


def _check_codes(form: Form, codes_used: CodesUsed, src: str) -> None:
    """Every field and choice code of `form` that the program counts by name is there."""
    for (form_id, field_id), codes in codes_used.items():
        if form_id != form.id:
            continue
        where = f"表单定义错误：{src} 表单 {form.id}（{form.label}）"
        why = "统计报告按它计数"
        if not form.has(field_id):
            raise FormError(f"{where}缺少字段 {field_id}（{why}）")
        have = {c.code for c in form.field(field_id).all_choices()}
        if missing := sorted(codes - have):
            raise FormError(
                f"{where}的字段 {field_id} 缺少选项代码 {'、'.join(missing)}"
                f"（{why}：改名或删去会让有关数字变成 0）"
            )


def _override_files(folder: Path | None, problems: list[str]) -> dict[str, Path]:
    if not folder:
        return {}
    try:
        if not folder.is_dir():
            return {}
        # Windows does not tell Person.toml from person.toml: neither should the overrides.
        return {p.name.lower(): p for p in sorted(folder.glob("*.toml"))}
    except OSError as exc:
        problems.append(f"表单定义错误：无法读取 {folder}（{os_reason(exc)}）")
        return {}


def _left_out(exc: FormError, has_shipped: bool) -> str:
    instead = "已改用程序自带的同名文件" if has_shipped else "这个文件未使用"
    return f"{exc}（{instead}）"


def _assemble(
    docs: dict[str, dict[str, Any]], paths: dict[str, Path], shipped_rules: Rules
) -> FormSet:
    docs = dict(docs)
    rules_doc = docs.pop("rules.toml", {})
    forms: dict[str, Form] = {}
    sources: dict[str, str] = {}
    templates: dict[str, Any] = {}
    for name, doc in docs.items():
        if "fields" not in doc:
            templates[name.removesuffix(".toml")] = doc
            continue
        form = _build_form(doc, str(paths[name]))
        if form.id in forms:
            raise FormError(
                f"表单定义错误：{paths[name]} 与 {sources[form.id]} 的表单标识重复（{form.id}）"
            )
        forms[form.id] = form
        sources[form.id] = str(paths[name])
    _check_references(forms, sources)
    visit_forms = [sources[f.id] for f in forms.values() if f.visits is not None]
    if len(visit_forms) > 1:
        names = "、".join(visit_forms)
        raise FormError(f"表单定义错误：{names} 都写了 [visits]，只能有一个随访表单")
    ordered = {k: forms[k] for k in FORM_ORDER if k in forms}
    ordered.update({k: v for k, v in forms.items() if k not in ordered})

    def fail(msg: str) -> FormError:
        return FormError(f"表单定义错误：{paths['rules.toml']} {msg}")

    return FormSet(ordered, parse_rules(rules_doc, fail, shipped_rules), templates, sources)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = textfiles.decode(path.read_bytes(), str(path))
    except OSError as exc:
        raise FormError(f"表单定义错误：无法读取 {path}（{os_reason(exc)}）") from None
    except textfiles.NotUtf8 as exc:
        raise FormError(f"表单定义错误：{exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormError(f"表单定义错误：{path} 不是有效的 TOML（{_toml_reason(exc)}）") from None


# tomllib explains in English, e.g. "Invalid value (at line 3, column 5)".
_TOML_WORDS = {
    "Cannot overwrite a value": "同一项写了两次",
    "Cannot declare": "同一个表写了两次",
    "Invalid value": "值的写法不对（文字要加英文引号）",
    "Invalid statement": "这一行的写法不对",
    "Expected '=' after a key": "缺少等号 =",
    "Unterminated string": "引号没有成对",
    "Illegal character": "有不允许的字符",
}


def _toml_reason(exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    where = re.search(r"line (\d+), column (\d+)", text)
    what = next((w for e, w in _TOML_WORDS.items() if text.startswith(e)), "格式有误")
    return f"第 {where[1]} 行第 {where[2]} 列：{what}" if where else what


# Keys a field may have, with the kind of their value (others are checked where they are built).
_FIELD_KEYS = {
    "id": "str",
    "label": "str",
    "type": "str",
    "hint": "str",
    "required": "bool",
    "min": "number",
    "max": "number",
    "max_length": "positive int",
    "decimals": "non-negative int",
    "not_future": "bool",
    "choices": "list of tables",
    "choices_by": "str",
    "choice_sets": "table",
    "relevant": "table",
    "required_when": "table",
    "ref_form": "str",
}
_FORM_KEYS = {
    "id": "str",
    "label": "str",
    "version": "positive int",
    "date_field": "str",
    "title_field": "str",
    "fields": "list of tables",
    "list_columns": "list of str",
    "constraints": "list of tables",
    "unique": "str",
    "visits": "table",
}


def _check_document(
    name: str, doc: dict[str, Any], src: str, *, form: bool, shipped_rules: Rules
) -> None:
    """The kinds of values in one definition file (forms, rules, the list of grids); `form`
    when the shipped file of that name is a form."""

    def fail(msg: str) -> FormError:
        return FormError(f"表单定义错误：{src} {msg}")

    if name == "rules.toml":
        parse_rules(doc, fail, shipped_rules)
    elif form or "fields" in doc:
        for key, kind in _FORM_KEYS.items():
            if key in doc:
                expect(doc[key], kind, key, fail)
        if "fields" not in doc:
            raise fail("缺少 fields（[[fields]] 字段列表）")
        for raw in doc["fields"]:
            where = f"字段 {raw.get('id', '?')}"
            for key, kind in _FIELD_KEYS.items():
                if key in raw:
                    expect(raw[key], kind, f"{where}：{key}", fail)
            for key, options in raw.get("choice_sets", {}).items():
                expect(options, "list of tables", f"{where}：choice_sets.{key}", fail)
            default = raw.get("default")
            if isinstance(default, list) and not all(isinstance(v, str) for v in default):
                raise fail(f"{where}：default 的列表里只能写选项代码（文字）")
        for n, constraint in enumerate(doc.get("constraints", []), start=1):
            for key in ("field", "op", "other", "message"):
                if key in constraint:
                    expect(constraint[key], "str", f"第 {n} 条约束的 {key}", fail)
    elif name == "grids.toml" and "names" in doc:
        expect(doc["names"], "list of str", "names", fail)


def _build_form(doc: dict[str, Any], src: str) -> Form:
    def fail(msg: str) -> FormError:
        return FormError(f"表单定义错误：{src} {msg}")

    for key in ("id", "label", "version", "date_field", "title_field"):
        if key not in doc:
            raise fail(f"缺少 {key}")
    if not isinstance(doc["version"], int) or doc["version"] < 1:
        raise fail("version 应为正整数")
    if not (isinstance(doc["id"], str) and doc["id"].isidentifier() and doc["id"].isascii()):
        raise fail(f"表单标识 {doc['id']!r} 无效：应为英文字母、数字和下划线")
    fields = [_build_field(raw, fail) for raw in doc["fields"]]
    ids = [f.id for f in fields]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise fail(f"字段标识重复：{'、'.join(sorted(dupes))}")
    known = set(ids)
    for f in fields:
        for cond in (f.relevant, f.required_when):
            if cond and cond.field.split(".")[0] not in known:
                raise fail(f"字段 {f.id}：条件引用了不存在的字段 {cond.field}")
        if f.choices_by and f.choices_by not in known:
            raise fail(f"字段 {f.id}：choices_by 引用了不存在的字段 {f.choices_by}")
    for key in ("date_field", "title_field"):
        if doc[key] not in known:
            raise fail(f"{key} 引用了不存在的字段 {doc[key]}")
    columns = tuple(doc.get("list_columns", [doc["date_field"], doc["title_field"]]))
    for col in columns:
        if col not in known:
            raise fail(f"list_columns 引用了不存在的字段 {col}")
    constraints = tuple(_build_constraint(raw, known, fail) for raw in doc.get("constraints", []))
    unique = doc.get("unique")
    if unique is not None and unique not in known:
        raise fail(f"unique 引用了不存在的字段 {unique}")
    visits = _build_visit_fields(doc["visits"], fields, fail) if "visits" in doc else None
    return Form(
        id=doc["id"],
        label=doc["label"],
        version=doc["version"],
        fields=tuple(fields),
        date_field=doc["date_field"],
        title_field=doc["title_field"],
        list_columns=columns,
        constraints=constraints,
        unique=unique,
        visits=visits,
    )


def _build_visit_fields(raw: dict[str, Any], fields: list[Field], fail) -> VisitFields:
    by_id = {f.id: f for f in fields}
    keys = ("person", "departments")
    for key in keys:
        if key not in raw:
            raise fail(f"[visits] 缺少 {key}")
        expect(raw[key], "str", f"[visits] {key}", fail)
        if raw[key] not in by_id:
            raise fail(f"[visits] {key} 引用了不存在的字段 {raw[key]}")
    if by_id[raw["person"]].type != "reference":
        raise fail(f"[visits] person 应为引用字段，{raw['person']} 不是")
    return VisitFields(*(raw[key] for key in keys))


def _build_field(raw: dict[str, Any], fail) -> Field:
    fid = raw.get("id")
    if not fid or not str(fid).isidentifier() or not str(fid).isascii():
        raise fail(f"字段标识 {fid!r} 无效：应为英文字母、数字和下划线")
    where = f"字段 {fid}"
    if raw.get("type") not in FIELD_TYPES:
        raise fail(f"{where}：未知的字段类型 {raw.get('type')!r}")
    if not raw.get("label"):
        raise fail(f"{where}：缺少 label")
    choices = _build_choices(raw.get("choices", []), where, fail)
    choice_sets = {
        key: _build_choices(options, f"{where} 的选项组 {key}", fail)
        for key, options in raw.get("choice_sets", {}).items()
    }
    ftype = raw["type"]
    if ftype in CHOICE_TYPES and not (choices or choice_sets):
        raise fail(f"{where}：选择题没有选项")
    if ftype == "reference" and not raw.get("ref_form"):
        raise fail(f"{where}：引用字段缺少 ref_form")
    f = Field(
        id=fid,
        label=raw["label"],
        type=ftype,
        required=bool(raw.get("required", False)),
        hint=raw.get("hint", ""),
        default=raw.get("default"),
        min=raw.get("min"),
        max=raw.get("max"),
        max_length=raw.get("max_length"),
        decimals=raw.get("decimals", 2),
        not_future=bool(raw.get("not_future", False)),
        choices=choices,
        choices_by=raw.get("choices_by"),
        choice_sets=choice_sets,
        relevant=_build_condition(raw.get("relevant"), where, fail),
        required_when=_build_condition(raw.get("required_when"), where, fail),
        ref_form=raw.get("ref_form"),
    )
    _check_default(f, where, fail)
    return f


def _build_choices(raw: Iterable[dict[str, Any]], where: str, fail) -> tuple[Choice, ...]:
    out = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("code") or not item.get("label"):
            raise fail(f"{where}：每个选项都要有 code 和 label")
        out.append(Choice(str(item["code"]), str(item["label"])))
    codes = [c.code for c in out]
    labels = [c.label for c in out]
    if len(set(codes)) != len(codes) or len(set(labels)) != len(labels):
        raise fail(f"{where}：选项的 code 或 label 重复")
    return tuple(out)


def _build_condition(raw: Any, where: str, fail) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "field" not in raw or ("in" in raw) == ("not_in" in raw):
        raise fail(f'{where}：条件应写成 {{ field = "…", in = [...] }} 或 not_in')
    values = raw.get("in", raw.get("not_in"))
    if not isinstance(raw["field"], str) or not isinstance(values, list):
        raise fail(f'{where}：条件应写成 {{ field = "…", in = [...] }} 或 not_in')
    return Condition(raw["field"], frozenset(str(v) for v in values), negate="not_in" in raw)


def _build_constraint(raw: dict[str, Any], known: set[str], fail) -> Constraint:
    missing = [k for k in ("field", "op", "other", "message") if k not in raw]
    if missing:
        raise fail(f"约束缺少 {'、'.join(missing)}")
    if raw["op"] not in COMPARISONS:
        raise fail(f"约束 {raw['field']}：不支持的比较 {raw['op']}")
    for key in ("field", "other"):
        if raw[key] not in known:
            raise fail(f"约束引用了不存在的字段 {raw[key]}")
    return Constraint(raw["field"], raw["op"], raw["other"], raw["message"])


def _check_default(f: Field, where: str, fail) -> None:
    d = f.default
    if d is None or isinstance(d, dict):
        if isinstance(d, dict) and not ({"rule", "identity"} & d.keys()):
            raise fail(f"{where}：默认值应为常量、today、now、{{ rule = … }} 或 {{ identity = … }}")
        return
    if isinstance(d, str) and d in DEFAULT_KEYWORDS.get(f.type, ()):
        return
    if f.is_choice:
        codes = {c.code for c in f.all_choices()}
        bad = [v for v in (d if isinstance(d, list) else [d]) if v not in codes]
        if bad:
            raise fail(f"{where}：默认值 {'、'.join(map(str, bad))} 不是可选项")


def _check_references(forms: dict[str, Form], sources: dict[str, str]) -> None:
    for form in forms.values():
        for f in form.fields:
            if f.type == "reference" and f.ref_form not in forms:
                raise FormError(
                    f"表单定义错误：{sources[form.id]} 字段 {f.id}：引用的表单 {f.ref_form} 不存在"
                )
            for cond in (f.relevant, f.required_when):
                if cond and "." in cond.field:
                    ref_id, _, target = cond.field.partition(".")
                    ref = form.field(ref_id)
                    if ref.type != "reference" or not forms[ref.ref_form].has(target):
                        where = f"{sources[form.id]} 字段 {f.id}"
                        raise FormError(f"表单定义错误：{where}：条件 {cond.field} 无法解析")
