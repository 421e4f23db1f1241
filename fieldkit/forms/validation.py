"""Turn typed answers into clean record data, or say per field what is wrong (in Chinese).

Input may come from the app (strings), the command line (JSON values, choice codes or labels) or a
bundle. Output data holds choice codes, ISO dates and numbers; fields hidden by relevance are
dropped, so they are neither required nor stored.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fieldkit.errors import FieldkitError
from fieldkit.forms import idnumber
from fieldkit.forms.definitions import Condition, Field, Form

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATETIME = re.compile(r"^(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_SEPARATORS = re.compile(r"[,，、;；\s]+")

Resolver = Callable[[str, Any], "dict | None"]


@dataclass(frozen=True)
class Problem:
    field: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"「{self.label}」{self.message}"


@dataclass
class Outcome:
    data: dict[str, Any]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Context:
    """What validation needs from outside: today's date and a way to find referenced records."""

    today: date
    resolve: Resolver = lambda form_id, value: None


# The longest text any field holds (a field's max_length may be lower): what one field of a
# version may carry from one data dir to another (fieldkit.sync.bundle checks it on arrival).
MAX_TEXT_CHARS = 4000


class Invalid(ValueError):
    """One field's value is wrong; the message says why, without the label."""


_NO_DAY_LIMIT = Context(date.max)  # parses for the memo; the not_future check comes after


def validate(
    form: Form, raw: dict[str, Any], ctx: Context, *, keep_unknown: bool = False
) -> Outcome:
    """Check every field of `raw` against `form`; return clean data and the problems found.

    keep_unknown keeps fields this form version does not define (records from a newer version)
    instead of reporting them.
    """
    plan = _plan(form)
    out = Outcome({})
    data = out.data
    refs: dict[str, dict] = {}
    for f, fid, strings, lists in plan.steps:
        value = raw.get(fid)
        if value is None:
            continue
        if (
            lists is not None
            and type(value) is list
            and value
            and all(type(v) is str for v in value)
        ):
            key = tuple(value)
            codes = lists.get(key)
            if codes is None:
                try:
                    codes = _parse_choices(f, value, data)
                except Invalid as exc:
                    out.errors.append(Problem(fid, f.label, str(exc)))
                    continue
                if len(lists) >= _MEMO_LIMIT:
                    lists.clear()
                lists[key] = codes
            if codes is not None:
                data[fid] = list(codes)  # a list of its own for every record
                continue
        if strings is not None and type(value) is str:
            # The common case (a bulk check meets the same answers over and over): the clean
            # value of a text answer, or that it is blank, is remembered per field definition.
            hit = strings.get(value)
            if hit is None:
                if not value.strip():
                    strings[value] = _BLANK
                    continue
                try:
                    hit = _remember(f, value, strings, data, refs, out)
                except Invalid as exc:
                    out.errors.append(Problem(fid, f.label, str(exc)))
                    continue
            elif hit is _BLANK:
                continue
            if hit[1] is not None and f.not_future and hit[1] > ctx.today:
                out.errors.append(Problem(fid, f.label, f"不能晚于今天（{ctx.today.isoformat()}）"))
                continue
            data[fid] = hit[0]
            continue
        if value == [] or (type(value) is str and not value.strip()):
            continue  # blank (as _blank says; inline, as this loop runs for every answer)
        try:
            data[fid] = _parse(f, value, data, ctx, refs, out)
        except Invalid as exc:
            out.errors.append(Problem(fid, f.label, str(exc)))
    if plan.conditions:
        # A field shown only for some referenced records stays when the record is not known
        # here (an import: it may arrive later); it is then not required either.
        hidden = [
            fid for fid, cond in plan.conditions if not _holds(cond, data, refs, unknown=True)
        ]
        if hidden:
            _hide(out, hidden)
    if plan.required:
        _check_required_fast(plan, form, out, refs)
    if form.constraints:
        _check_constraints(form, out)
    if not plan.ids.issuperset(raw):
        unknown = [k for k in raw if not form.has(k) and not _blank(raw[k])]
        if keep_unknown:
            data.update({k: raw[k] for k in unknown})
        else:
            out.errors.extend(Problem(k, k, "不是本表单的字段") for k in unknown)
    return out


@dataclass(frozen=True)
class _Plan:
    """What validate needs of a form, worked out once per form (it checks every record)."""

    # (field, its id, the memo of clean values of text answers and the one of lists of text
    # answers (select_multiple), each None where the clean value depends on more)
    steps: tuple[tuple[Field, str, dict | None, dict | None], ...]
    ids: frozenset[str]
    conditions: tuple[tuple[str, Condition], ...]  # (field id, its `relevant`)
    required: tuple[Field, ...]  # fields required, always or under a condition


_plans: dict[int, tuple[Form, _Plan]] = {}
_BLANK: Any = object()  # a memo entry: the text answer is blank


def _plan(form: Form) -> _Plan:
    entry = _plans.get(id(form))
    if entry is not None and entry[0] is form:
        return entry[1]
    steps = []
    for f in form.fields:
        pure = f.type in _PURE_TYPES and not f.choices_by
        multiple = f.type == "select_multiple" and not f.choices_by
        steps.append(
            (
                f,
                f.id,
                _str_memo.setdefault(f.parse_key, {}) if pure else None,
                _list_memo.setdefault(f.parse_key, {}) if multiple else None,
            )
        )
    plan = _Plan(
        tuple(steps),
        frozenset(f.id for f in form.fields),
        tuple((f.id, f.relevant) for f in form.conditional_fields if f.relevant is not None),
        form.maybe_required_fields,
    )
    _plans[id(form)] = (form, plan)
    return plan


def _remember(
    f: Field, value: str, strings: dict, data: dict, refs: dict, out: Outcome
) -> tuple[Any, date | None]:
    """Parse a (non-blank) text answer without the not_future check, and remember it."""
    clean = _parse_in_context(f, value, data, _NO_DAY_LIMIT, refs, out)
    day = date.fromisoformat(clean[:10]) if f.type in ("date", "datetime") else None
    if len(strings) >= _MEMO_LIMIT:
        strings.clear()
    hit = strings[value] = (clean, day)
    return hit


def _check_required_fast(plan: _Plan, form: Form, out: Outcome, refs: dict[str, dict]) -> None:
    """Report the required fields (given the other answers) left blank; only unanswered
    fields are looked at."""
    data = out.data
    missing = [f for f in plan.required if f.id not in data]
    if not missing:
        return
    failed: set[str] | None = None
    for f in missing:
        if f.relevant is not None and not _holds(f.relevant, data, refs):
            continue
        if f.required_when is not None:
            if not _holds(f.required_when, data, refs):
                continue
        elif not f.required:
            continue
        if failed is None:
            failed = {p.field for p in out.errors}
        if f.id in failed:
            continue
        verb = "请选择" if f.is_choice or f.type == "reference" else "请填写"
        out.errors.append(Problem(f.id, f.label, f"为必填项，{verb}"))
    if len(out.errors) > 1:
        order = form.field_order
        out.errors.sort(key=lambda p: order.get(p.field, len(order)))


def is_relevant(f: Field, data: dict[str, Any], refs: dict[str, dict]) -> bool:
    """Whether a field applies given the other answers (and the referenced records)."""
    return f.relevant is None or _holds(f.relevant, data, refs, unknown=True)


def is_required(f: Field, data: dict[str, Any], refs: dict[str, dict]) -> bool:
    if f.required_when is not None:
        return _holds(f.required_when, data, refs)
    return f.required


UNKNOWN = "unknown"  # a resolver's record marked so stands in for one not known here
_UNKNOWN: Any = object()


def _condition_value(cond: Condition, data: dict[str, Any], refs: dict[str, dict]) -> Any:
    head, _, tail = cond.field.partition(".")
    if not tail:
        return data.get(head)
    ref = refs.get(head) or {}
    return _UNKNOWN if ref.get(UNKNOWN) else ref.get("data", {}).get(tail)


def _holds(
    cond: Condition, data: dict[str, Any], refs: dict[str, dict], *, unknown: bool = False
) -> bool:
    """cond.holds(the value of its field), with the common cases made inline; `unknown` when
    the value is in a referenced record not known here."""
    value = _condition_value(cond, data, refs)
    if value is _UNKNOWN:
        return unknown
    if value is None:
        return False  # an unanswered field meets no condition, negated or not
    if type(value) is not str:
        return cond.holds(value)
    if not value:
        return False
    return (value not in cond.values) if cond.negate else (value in cond.values)


def _hide(out: Outcome, hidden: Iterable[str]) -> None:
    hidden = set(hidden)
    for fid in hidden:
        out.data.pop(fid, None)
    if out.errors:
        out.errors = [p for p in out.errors if p.field not in hidden]
    if out.warnings:
        out.warnings = [p for p in out.warnings if p.field not in hidden]


def _check_constraints(form: Form, out: Outcome) -> None:
    data = out.data
    failed = {p.field for p in out.errors} if out.errors else ()
    for c in form.constraints:
        a, b = data.get(c.field), data.get(c.other)
        if a is None or b is None or c.field in failed or c.other in failed:
            continue
        if not _compare(a, c.op, b):
            out.errors.append(Problem(c.field, form.field(c.field).label, c.message))


_OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def _compare(a: Any, op: str, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str) and len(a) != len(b):
        a, b = a[:10], b[:10]  # a date against a date-time: compare the days
    return _OPERATORS[op](a, b)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


# A bulk check (a 100k-record import) meets the same dates, codes and names over and over; for
# these types the clean value depends only on the field's definition and the value given, so it
# is remembered. (The not_future check depends on today and is made on every call.)
_PURE_TYPES = frozenset(
    {"text", "multiline", "integer", "decimal", "phone", "date", "datetime", "select_one"}
)
_memo: dict[tuple, tuple[Any, date | None]] = {}
# The same for text answers (most of them), by the field's parse_key and then the text.
_str_memo: dict[int, dict[str, Any]] = {}
_list_memo: dict[int, dict[tuple, list[str]]] = {}  # select_multiple: the codes of the answers
_MEMO_LIMIT = 200_000


def _parse(f: Field, value: Any, data: dict, ctx: Context, refs: dict, out: Outcome) -> Any:
    if f.type not in _PURE_TYPES or f.choices_by:
        return _parse_in_context(f, value, data, ctx, refs, out)
    try:
        key = (f.parse_key, type(value), value)
        hit = _memo.get(key)
    except TypeError:  # an unhashable value (a list given for a single value)
        return _parse_in_context(f, value, data, ctx, refs, out)
    if hit is None:
        clean = _parse_in_context(f, value, data, _NO_DAY_LIMIT, refs, out)
        # The day of a date (or date-time), for the not_future check of any field sharing the
        # key (whether a field has that check is not part of the key).
        day = date.fromisoformat(clean[:10]) if f.type in ("date", "datetime") else None
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        hit = _memo[key] = (clean, day)
    if f.not_future and hit[1] is not None:
        _check_future(f, hit[1], ctx)
    return hit[0]


def _parse_in_context(
    f: Field, value: Any, data: dict, ctx: Context, refs: dict, out: Outcome
) -> Any:
    if f.type in ("text", "multiline"):
        return _parse_text(f, value)
    if f.type == "integer":
        return _parse_integer(f, value)
    if f.type == "decimal":
        return _parse_decimal(f, value)
    if f.type == "date":
        return _check_future(f, parse_date(value), ctx).isoformat()
    if f.type == "datetime":
        moment = parse_datetime(value)
        _check_future(f, moment.date(), ctx)
        return moment.isoformat(timespec="minutes")
    if f.type == "select_one":
        return _parse_choice(f, value, data)
    if f.type == "select_multiple":
        return _parse_choices(f, value, data)
    if f.type == "id_number":
        return _parse_id_number(f, value, ctx, out)
    if f.type == "phone":
        return _parse_phone(value)
    return _parse_reference(f, value, ctx, refs)


# Characters no text field keeps: control characters (a NUL ends text in other programs) and
# halves of a surrogate pair (not a character at all: such text cannot be saved as UTF-8).
_UNSAVABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _parse_text(f: Field, value: Any) -> str:
    text = str(value).strip()
    if _UNSAVABLE.search(text):
        raise Invalid("含有不能保存的字符（控制字符或残缺的字符编码），请删去后重新输入")
    limit = f.max_length or MAX_TEXT_CHARS
    if len(text) > limit:
        raise Invalid(f"不能超过{limit}个字（现有{len(text)}个）")
    return text


def _parse_integer(f: Field, value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid("应为整数")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        text = str(value).strip().replace(",", "")
        if not re.fullmatch(r"-?\d+", text):
            raise Invalid(f"应为整数，“{value}”不是整数")
        value = int(text)
    _check_range(f, value)
    return value


def _parse_decimal(f: Field, value: Any) -> float:
    if isinstance(value, bool):
        raise Invalid("应为数字")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise Invalid(f"应为数字，“{value}”不是数字") from None
    if not number.is_finite():
        raise Invalid("应为数字")
    _check_range(f, number)
    return float(round(number, f.decimals))


def _check_range(f: Field, value: int | Decimal) -> None:
    if f.min is not None and value < f.min:
        raise Invalid(f"不能小于{_num(f.min)}")
    if f.max is not None and value > f.max:
        raise Invalid(f"不能大于{_num(f.max)}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def parse_date(value: Any) -> date:
    """A date from ISO text, 2026/3/5, 20260305, 2026年3月5日 or a date object."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:  # stored data is ISO already: the fast way (it matters on a 100k-record import)
            return date.fromisoformat(value)
        except ValueError:
            pass  # the general way below says what is wrong
    text = str(value).strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        raise Invalid(f"“{text}”不是有效日期，请按 2026-03-05 的格式填写")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise Invalid(f"“{text}”不是有效日期") from None


def parse_datetime(value: Any) -> datetime:
    """A date and time (to the minute); a bare date means midnight."""
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if type(value) is str and len(value) == 16 and value[10] == "T" and value[13] == ":":
        try:  # as stored: 2026-03-05T09:30
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    text = str(value).strip()
    match = _DATETIME.match(text)
    if not match:
        return datetime.combine(parse_date(text), datetime.min.time())
    day = parse_date(match.group(1))
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise Invalid(f"“{text}”的时间无效")
    return datetime(day.year, day.month, day.day, hour, minute)


def _check_future(f: Field, day: date, ctx: Context) -> date:
    if f.not_future and day > ctx.today:
        raise Invalid(f"不能晚于今天（{ctx.today.isoformat()}）")
    return day


def _parse_choice(f: Field, value: Any, data: dict) -> str:
    options = f.choices_for(data)
    if not options:
        raise Invalid("请先选择它所依据的上一项（如人员类别）")
    text = str(value).strip()
    for c in options:
        if text in (c.code, c.label):
            return c.code
    labels = "、".join(c.label for c in options)
    raise Invalid(f"“{text}”不是可选项（可选：{labels}）")


def _parse_choices(f: Field, value: Any, data: dict) -> list[str]:
    items = value if isinstance(value, list | tuple) else _SEPARATORS.split(str(value))
    codes = {_parse_choice(f, item, data) for item in items if str(item).strip()}
    return [c.code for c in f.choices_for(data) if c.code in codes]


def _parse_id_number(f: Field, value: Any, ctx: Context, out: Outcome) -> str:
    result = idnumber.check(str(value), ctx.today)
    if result.error:
        raise Invalid(result.error)
    if result.warning:
        out.warnings.append(Problem(f.id, f.label, result.warning))
    return result.value


def _parse_phone(value: Any) -> str:
    text = re.sub(r"[\s()（）]", "", str(value))
    if _MOBILE.match(text) or _LANDLINE.match(text):
        return text
    raise Invalid(f"“{value}”不是有效的电话号码（手机号为1开头的11位数字）")


def _parse_reference(f: Field, value: Any, ctx: Context, refs: dict) -> str:
    target = ctx.resolve(f.ref_form or "", value)
    if target is None:
        raise Invalid(f"找不到“{value}”对应的记录，请输入记录编号或身份证号")
    if target.get("deleted"):
        raise Invalid("引用的记录已被删除")
    refs[f.id] = target
    return target["id"]


class ValidationFailed(FieldkitError):
    """A record did not pass its form's checks; `outcome` has every problem by field."""

    def __init__(self, form: Form, outcome: Outcome):
        self.form = form
        self.outcome = outcome
        super().__init__("；".join(str(p) for p in outcome.errors))
