"""Every figure of a year (optionally one grid), computed from the records, never typed in.

The report draft, the ledgers' summary sheet and the app's dashboard all read the same
:class:`Figures`. Input is plain record dicts ({id, form, data, deleted, ...}) by form id, so the
figures can be checked against hand-made records as easily as against a store.

Which records count:

- a record belongs to the year of its form's date field (活动日期, 随访时间, 受理日期, ...);
- tombstones never count;
- with a grid, only records known to belong to it count: a person by its 所属网格, a follow-up by
  its person's grid, any other record by a ``grid`` value in its data or on the record. Records
  that carry no grid at all are left out and counted in ``Figures.ungridded`` so the caller can
  say so.

Year-end figures for persons are taken at the cutoff: 31 December, or today for the current year.

Whether the visits cover the period (``PopulationFigures.visits_cover_period``) decides if the
draft may say that nothing happened: a claim of "未发生" rests on visits recorded in every month
from January to the cutoff, and on every person under management for at least a month of the
period having been visited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from fieldkit.forms.counted import (
    ABNORMAL_DEATH,
    ADVICE_KINDS,
    COURT_SOURCE,
    DAILY_THEME,
    FAILED,
    FULFILLED,
    MEETING_KINDS,
    NO_INCIDENT,
    ONGOING,
    ORAL,
    OTHER_LAW,
    OWN_DEPARTMENT,
    REMOTE_METHODS,
    SUCCESS,
    TERMINATED,
    UCS_VENUES,
    UNFULFILLED,
    WRITTEN,
)
from fieldkit.forms.definitions import FormSet
from fieldkit.forms.schedule import managed_on, management_end

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

Records = Mapping[str, Iterable[dict[str, Any]]]
Breakdown = dict[str, int]  # Chinese label -> count, in the form's choice order


# A person under management this long within the period should have a visit on record.
MIN_MANAGED_DAYS = 31


@dataclass
class OutreachFigures:
    """普法宣传活动."""

    events: int = 0
    by_venue: Breakdown = field(default_factory=dict)
    ucs_events: int = 0  # 进单位、进社区、进小区 together
    theme_events: int = 0  # events on a theme day or period (not 日常)
    by_theme: Breakdown = field(default_factory=dict)  # 日常 left out
    participants: int = 0
    materials: int = 0
    consultations: int = 0
    by_law: Breakdown = field(default_factory=dict)  # events promoting each law
    laws_promoted: int = 0  # distinct named laws (其他 left out)
    by_activity: Breakdown = field(default_factory=dict)


@dataclass
class PopulationFigures:
    """特殊人群: persons under management and their follow-up visits."""

    in_management: int = 0  # at the cutoff
    by_category: Breakdown = field(default_factory=dict)  # at the cutoff
    new: int = 0  # 纳入管理日期 in the year
    released: int = 0  # 管理期满日期 in the year, up to the cutoff
    visits: int = 0
    persons_visited: int = 0
    joint_visits: int = 0  # another department besides the community's grid
    joint_by_department: Breakdown = field(default_factory=dict)  # joint visits each joined
    visits_by_method: Breakdown = field(default_factory=dict)
    remote_visits: int = 0  # by phone or video
    visits_by_category: Breakdown = field(default_factory=dict)
    incidents: int = 0
    by_incident: Breakdown = field(default_factory=dict)
    assisted_visits: int = 0  # visits at which help was given
    by_assistance: Breakdown = field(default_factory=dict)  # 人次 of each kind of help
    assistance_times: int = 0  # 人次 of help, all kinds (the sum of by_assistance)
    # How well the visits cover the period (January to the cutoff):
    months_in_period: int = 0
    months_without_visits: list[int] = field(default_factory=list)  # month numbers
    persons_to_visit: int = 0  # under management for at least MIN_MANAGED_DAYS of the period
    persons_not_visited: int = 0  # of those, no visit recorded in the period
    visits_cover_period: bool = False  # every month has visits and every such person has one


@dataclass
class MediationFigures:
    """矛盾纠纷调解, by 受理日期."""

    accepted: int = 0
    concluded: int = 0  # 调解成功 + 调解不成功 + 终止调解
    succeeded: int = 0
    failed: int = 0
    terminated: int = 0
    ongoing: int = 0
    success_rate: float | None = None  # succeeded / accepted
    by_type: Breakdown = field(default_factory=dict)
    by_source: Breakdown = field(default_factory=dict)
    by_kind: Breakdown = field(default_factory=dict)
    pre_litigation: int = 0  # 法院委派 (诉前调解)
    pre_litigation_succeeded: int = 0
    abnormal_death: int = 0  # 非正常死亡 cases handled
    written: int = 0  # written agreements among the successes
    oral: int = 0
    amount: float = 0.0  # 涉及金额, all accepted cases (元)
    amount_succeeded: float = 0.0
    by_fulfilment: Breakdown = field(default_factory=dict)  # among the successes
    fulfilled: int = 0  # 已履行
    unfulfilled: int = 0  # 部分履行, 未履行, 待履行
    fulfilment_rate: float | None = None  # fulfilled / succeeded
    revisits: int = 0
    parties: int = 0  # 当事人 in all accepted cases


@dataclass
class AdviserFigures:
    """法律顾问工作."""

    total: int = 0
    consultations: int = 0
    legality_reviews: int = 0
    contract_reviews: int = 0
    petitions: int = 0
    aid_referrals: int = 0
    by_kind: Breakdown = field(default_factory=dict)
    by_requester: Breakdown = field(default_factory=dict)


@dataclass
class MeetingFigures:
    """学法与会议."""

    total: int = 0
    party_committee: int = 0  # 党工委会研究法治工作
    study_group: int = 0  # 理论学习中心组学法
    relay: int = 0  # 传达学习会议精神
    lecture: int = 0  # 法治专题讲座
    enforcement_training: int = 0  # 执法培训考试
    work_meeting: int = 0  # 法治建设工作会议
    participants: int = 0
    by_kind: Breakdown = field(default_factory=dict)


@dataclass
class Figures:
    """The year's figures; `placeholders()` flattens them for the report template."""

    year: int
    grid: str | None
    cutoff: date
    outreach: OutreachFigures
    population: PopulationFigures
    mediation: MediationFigures
    adviser: AdviserFigures
    meetings: MeetingFigures
    ungridded: dict[str, int] = field(default_factory=dict)  # form id -> records left out

    AREAS = ("outreach", "population", "mediation", "adviser", "meetings")

    def placeholders(self) -> dict[str, Any]:
        """Every figure by its template name, `area_name` (e.g. ``outreach_events``)."""
        flat: dict[str, Any] = {"year": self.year, "next_year": self.year + 1}
        for area in self.AREAS:
            for name, value in asdict(getattr(self, area)).items():
                flat[f"{area}_{name}"] = value
        return flat

    @property
    def work_records(self) -> int:
        """Records of the year's work (events, visits, cases, advice, meetings): without any,
        there is nothing to report, whatever persons were under management."""
        return (
            self.outreach.events
            + self.population.visits
            + self.mediation.accepted
            + self.adviser.total
            + self.meetings.total
        )


# -- computing --------------------------------------------------------------------------------


def compute(
    records: Records,
    forms: FormSet,
    year: int,
    *,
    grid: str | None = None,
    today: date | None = None,
) -> Figures:
    """The figures of `year` (and `grid`, when given) from current records by form id."""
    today = today or date.today()
    cutoff = min(date(year, 12, 31), today)
    picker = Selection(records, forms, year, grid)
    return Figures(
        year=year,
        grid=grid,
        cutoff=cutoff,
        outreach=_outreach(picker.of_year("outreach"), forms),
        population=_population(picker, forms, year, cutoff, today),
        mediation=_mediation(picker.of_year("mediation"), forms),
        adviser=_adviser(picker.of_year("consultation"), forms),
        meetings=_meetings(picker.of_year("meeting"), forms),
        ungridded=dict(picker.ungridded),
    )


class StoreRecords(Mapping[str, list[dict[str, Any]]]):
    """A data dir's current records by form id, fetched from the store on each access and not
    kept: a 100k-record year then holds one form's copies at a time, not all of them."""

    def __init__(self, ws: Workspace, *, include_deleted: bool = False):
        self.ws = ws
        self.include_deleted = include_deleted

    def __getitem__(self, form_id: str) -> list[dict[str, Any]]:
        if self.ws.forms.get(form_id) is None:
            raise KeyError(form_id)
        return self.ws.store.current(form_id, include_deleted=self.include_deleted)

    def __iter__(self):
        return (f.id for f in self.ws.forms)

    def __len__(self) -> int:
        return len(self.ws.forms.forms)


def workspace_records(ws: Workspace, *, include_deleted: bool = False) -> StoreRecords:
    """Current records of every form, by form id (tombstones only when asked)."""
    return StoreRecords(ws, include_deleted=include_deleted)


def grids(records: Records) -> list[str]:
    """The grids named in the records (persons' 所属网格 and any record's grid), sorted."""
    found: set[str] = set()
    for rows in records.values():
        for r in rows:
            g = r["data"].get("grid") or r.get("grid")
            if g and not r.get("deleted"):
                found.add(str(g))
    return sorted(found)


def years(records: Records, forms: FormSet) -> list[int]:
    """The years that have records, newest first."""
    found: set[int] = set()
    for form_id, rows in records.items():
        form = forms.get(form_id)
        if form is None:
            continue
        for r in rows:
            day = str(r["data"].get(form.date_field) or "")
            if len(day) >= 4 and day[:4].isdigit() and not r.get("deleted"):
                found.add(int(day[:4]))
    return sorted(found, reverse=True)


class Selection:
    """Selects the live records of a year (and grid), remembering what had no grid."""

    def __init__(self, records: Records, forms: FormSet, year: int, grid: str | None):
        self.records = records
        self.forms = forms
        self.prefix = f"{year:04d}"
        self.grid = grid
        self.ungridded: Counter[str] = Counter()
        self.persons = {r["id"]: r for r in records.get("person", ()) if not r.get("deleted")}

    def grid_of(self, record: dict[str, Any]) -> str | None:
        data = record["data"]
        g = data.get("grid") or record.get("grid")
        if g:
            return str(g)
        if record.get("form") == "followup":
            person = self.persons.get(str(data.get("person", "")))
            if person is not None and person["data"].get("grid"):
                return str(person["data"]["grid"])
        return None

    def in_grid(self, record: dict[str, Any], form_id: str) -> bool:
        if self.grid is None:
            return True
        g = self.grid_of(record)
        if g is None:
            self.ungridded[form_id] += 1
            return False
        return g == self.grid

    def of_year(self, form_id: str) -> list[dict[str, Any]]:
        form = self.forms.get(form_id)
        if form is None:
            return []
        key, prefix = form.date_field, self.prefix
        return [
            r
            for r in self.records.get(form_id, ())
            if not r.get("deleted")
            and str(r["data"].get(key) or "").startswith(prefix)
            and self.in_grid(r, form_id)
        ]

    def all_persons(self) -> list[dict[str, Any]]:
        return [r for r in self.persons.values() if self.in_grid(r, "person")]


def _labelled(counts: Counter[str], forms: FormSet, form_id: str, field_id: str) -> Breakdown:
    """Counts by code -> by label, in choice order, zeros included; unknown codes at the end."""
    f = forms[form_id].field(field_id)
    out = {c.label: counts.get(c.code, 0) for c in f.all_choices()}
    for code, n in counts.items():
        label = f.label_of(code)
        if label not in out:
            out[label] = n
    return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _num(value: Any) -> float:
    if isinstance(value, bool):
        return 0.0
    return float(value) if isinstance(value, int | float) else 0.0


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _outreach(rows: list[dict[str, Any]], forms: FormSet) -> OutreachFigures:
    venues: Counter[str] = Counter()
    themes: Counter[str] = Counter()
    laws: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    participants = materials = consultations = 0
    for r in rows:
        d = r["data"]
        venues[d.get("venue_type")] += 1
        themes[d.get("theme") or DAILY_THEME] += 1
        laws.update(set(_as_list(d.get("laws"))))
        activities.update(set(_as_list(d.get("activities"))))
        participants += _int(d.get("participants"))
        materials += _int(d.get("materials"))
        consultations += _int(d.get("consultations"))
    by_theme = _labelled(themes, forms, "outreach", "theme")
    daily = forms["outreach"].field("theme").label_of(DAILY_THEME)
    by_theme.pop(daily, None)
    return OutreachFigures(
        events=len(rows),
        by_venue=_labelled(venues, forms, "outreach", "venue_type"),
        ucs_events=sum(venues[v] for v in UCS_VENUES),
        theme_events=len(rows) - themes[DAILY_THEME],
        by_theme=by_theme,
        participants=participants,
        materials=materials,
        consultations=consultations,
        by_law=_labelled(laws, forms, "outreach", "laws"),
        laws_promoted=sum(1 for code, n in laws.items() if n and code != OTHER_LAW),
        by_activity=_labelled(activities, forms, "outreach", "activities"),
    )


def _population(
    picker: Selection, forms: FormSet, year: int, cutoff: date, today: date
) -> PopulationFigures:
    start_of_year = date(year, 1, 1)
    categories: Counter[str] = Counter()
    new = released = 0
    to_visit: set[str] = set()
    for p in picker.all_persons():
        d = p["data"]
        start, end = _day(d.get("start_date")), _day(d.get("end_date"))
        if start is None:
            continue
        if start.year == year:
            new += 1
        if end is not None and start_of_year <= end <= cutoff:
            released += 1
        if managed_on(p, cutoff, today):
            categories[d.get("category")] += 1
        if start > cutoff:
            continue
        left = management_end(p)
        first, last = max(start, start_of_year), min(left or cutoff, cutoff)
        if (last - first).days + 1 >= MIN_MANAGED_DAYS:
            to_visit.add(p["id"])

    visits = picker.of_year("followup")
    methods: Counter[str] = Counter()
    visit_categories: Counter[str] = Counter()
    incidents: Counter[str] = Counter()
    assistance: Counter[str] = Counter()
    departments: Counter[str] = Counter()
    visited: set[str] = set()
    months: set[str] = set()  # "01".."12"
    department_sets: Counter[tuple[Any, ...]] = Counter()
    help_sets: Counter[tuple[Any, ...]] = Counter()
    joint = assisted = 0
    for v in visits:
        d = v["data"]
        methods[d.get("method")] += 1
        person_id = str(d.get("person", ""))
        person = picker.persons.get(person_id)
        if person is not None:
            visit_categories[person["data"].get("category")] += 1
        visited.add(person_id)
        months.add(str(d.get("date"))[5:7])
        # Few distinct combinations of departments and of help: count those, expand after.
        deps = d.get("departments")
        if deps:
            department_sets[tuple(deps) if type(deps) is list else (deps,)] += 1
        if d.get("incident") not in (None, "", NO_INCIDENT):
            incidents[d["incident"]] += 1
        helps = d.get("assistance")
        if helps:
            help_sets[tuple(helps) if type(helps) is list else (helps,)] += 1
    for combo, n in department_sets.items():
        others = set(combo) - {OWN_DEPARTMENT}
        if others:
            joint += n
            for dep in others:
                departments[dep] += n
    for combo, n in help_sets.items():
        assisted += n
        for kind in set(combo):
            assistance[kind] += n
    by_incident = _labelled(incidents, forms, "followup", "incident")
    by_incident.pop(forms["followup"].field("incident").label_of(NO_INCIDENT), None)
    joint_by_department = _labelled(departments, forms, "followup", "departments")
    joint_by_department.pop(forms["followup"].field("departments").label_of(OWN_DEPARTMENT), None)
    months_in_period = cutoff.month if cutoff >= start_of_year else 0
    without = [m for m in range(1, months_in_period + 1) if f"{m:02d}" not in months]
    not_visited = len(to_visit - visited)
    return PopulationFigures(
        in_management=sum(categories.values()),
        by_category=_labelled(categories, forms, "person", "category"),
        new=new,
        released=released,
        visits=len(visits),
        persons_visited=len(visited),
        joint_visits=joint,
        joint_by_department=joint_by_department,
        visits_by_method=_labelled(methods, forms, "followup", "method"),
        remote_visits=sum(methods[m] for m in REMOTE_METHODS),
        visits_by_category=_labelled(visit_categories, forms, "person", "category"),
        incidents=sum(incidents.values()),
        by_incident=by_incident,
        assisted_visits=assisted,
        by_assistance=_labelled(assistance, forms, "followup", "assistance"),
        assistance_times=sum(assistance.values()),
        months_in_period=months_in_period,
        months_without_visits=without,
        persons_to_visit=len(to_visit),
        persons_not_visited=not_visited,
        visits_cover_period=bool(visits)
        and months_in_period > 0
        and not without
        and not not_visited,
    )


def _mediation(rows: list[dict[str, Any]], forms: FormSet) -> MediationFigures:
    results: Counter[str] = Counter()
    types: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    fulfilment: Counter[str] = Counter()
    pre = pre_ok = written = oral = revisits = parties = 0
    amount = amount_ok = 0.0
    for r in rows:
        d = r["data"]
        result = d.get("result") or ONGOING
        ok = result == SUCCESS
        results[result] += 1
        types[d.get("dispute_type")] += 1
        sources[d.get("source")] += 1
        kinds[d.get("kind")] += 1
        money = _num(d.get("amount"))
        amount += money
        parties += _int(d.get("party_count"))
        if d.get("source") == COURT_SOURCE:
            pre += 1
            pre_ok += ok
        if ok:
            amount_ok += money
            written += d.get("agreement") == WRITTEN
            oral += d.get("agreement") == ORAL
            if d.get("fulfilment"):
                fulfilment[d["fulfilment"]] += 1
            revisits += bool(d.get("revisit_date"))
    accepted = len(rows)
    succeeded = results[SUCCESS]
    return MediationFigures(
        accepted=accepted,
        concluded=succeeded + results[FAILED] + results[TERMINATED],
        succeeded=succeeded,
        failed=results[FAILED],
        terminated=results[TERMINATED],
        ongoing=results[ONGOING],
        success_rate=succeeded / accepted if accepted else None,
        by_type=_labelled(types, forms, "mediation", "dispute_type"),
        by_source=_labelled(sources, forms, "mediation", "source"),
        by_kind=_labelled(kinds, forms, "mediation", "kind"),
        pre_litigation=pre,
        pre_litigation_succeeded=pre_ok,
        abnormal_death=types[ABNORMAL_DEATH],
        written=written,
        oral=oral,
        amount=round(amount, 2),
        amount_succeeded=round(amount_ok, 2),
        by_fulfilment=_labelled(fulfilment, forms, "mediation", "fulfilment"),
        fulfilled=fulfilment[FULFILLED],
        unfulfilled=sum(fulfilment[code] for code in UNFULFILLED),
        fulfilment_rate=fulfilment[FULFILLED] / succeeded if succeeded else None,
        revisits=revisits,
        parties=parties,
    )


def _adviser(rows: list[dict[str, Any]], forms: FormSet) -> AdviserFigures:
    kinds: Counter[str] = Counter(r["data"].get("kind") for r in rows)
    requesters: Counter[str] = Counter(r["data"].get("requester") for r in rows)
    return AdviserFigures(
        total=len(rows),
        **{name: kinds[code] for name, code in ADVICE_KINDS.items()},
        by_kind=_labelled(kinds, forms, "consultation", "kind"),
        by_requester=_labelled(requesters, forms, "consultation", "requester"),
    )


def _meetings(rows: list[dict[str, Any]], forms: FormSet) -> MeetingFigures:
    kinds: Counter[str] = Counter(r["data"].get("kind") for r in rows)
    return MeetingFigures(
        total=len(rows),
        **{name: kinds[code] for name, code in MEETING_KINDS.items()},
        participants=sum(_int(r["data"].get("participants")) for r in rows),
        by_kind=_labelled(kinds, forms, "meeting", "kind"),
    )


# -- month by month, for the dashboard ----------------------------------------------------------

MONTHLY_SERIES = {
    "outreach_events": "普法活动（场次）",
    "outreach_participants": "参与（人次）",
    "outreach_materials": "发放资料（份）",
    "visits": "随访（次）",
    "joint_visits": "联合随访（次）",
    "incidents": "异常情况（起）",
    "mediations": "受理纠纷（件）",
    "mediations_succeeded": "调解成功（件）",
    "consultations": "法律顾问服务（次）",
    "meetings": "学法与会议（次）",
}


def monthly(
    records: Records, forms: FormSet, year: int, *, grid: str | None = None
) -> dict[str, list[int]]:
    """Twelve monthly values (January first) for each series in MONTHLY_SERIES."""
    picker = Selection(records, forms, year, grid)

    def month(r: dict[str, Any], key: str) -> int:
        text = str(r["data"][key])[5:7]
        return int(text) - 1 if text.isdigit() and 1 <= int(text) <= 12 else -1

    # A malformed month lands in a thirteenth slot that is dropped at the end.
    series = {name: [0] * 13 for name in MONTHLY_SERIES}
    for r in picker.of_year("outreach"):
        m = month(r, "date")
        series["outreach_events"][m] += 1
        series["outreach_participants"][m] += _int(r["data"].get("participants"))
        series["outreach_materials"][m] += _int(r["data"].get("materials"))
    for r in picker.of_year("followup"):
        m = month(r, "date")
        d = r["data"]
        series["visits"][m] += 1
        departments = _as_list(d.get("departments"))
        series["joint_visits"][m] += any(x != OWN_DEPARTMENT for x in departments)
        series["incidents"][m] += d.get("incident") not in (None, "", NO_INCIDENT)
    for r in picker.of_year("mediation"):
        m = month(r, "accepted")
        series["mediations"][m] += 1
        series["mediations_succeeded"][m] += r["data"].get("result") == SUCCESS
    for r in picker.of_year("consultation"):
        series["consultations"][month(r, "date")] += 1
    for r in picker.of_year("meeting"):
        series["meetings"][month(r, "date")] += 1
    return {name: values[:12] for name, values in series.items()}
