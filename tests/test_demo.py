import itertools
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest

from fieldkit.demo import generator as demo
from fieldkit.demo.names import SEED_SPACES
from fieldkit.forms import idnumber, schedule
from fieldkit.forms.definitions import builtin_dir, load_forms
from fieldkit.forms.validation import Context, validate
from fieldkit.store.changes import SEQ
from fieldkit.store.records import version_id
from fieldkit.store.versions import all_versions
from fieldkit.sync import casenumbers
from fieldkit.views.persons import PersonIndex
from fieldkit.views.records import newest_first
from fieldkit.workspace import Workspace

FORMS = load_forms()
RULES = FORMS.rules
TODAY = date(2026, 11, 24)
YEAR = 2025  # a whole year before TODAY


def make(year=YEAR, seed=1, records=3000, today=TODAY, history=False, first_seq=1):
    worker, grid = demo.demo_identity(seed)
    return demo.generate(
        year,
        seed,
        records,
        worker=worker,
        grid=grid,
        device=f"laptop{seed}",
        forms=FORMS,
        today=today,
        history=history,
        first_seq=first_seq,
    )


def by_form(records):
    out = defaultdict(list)
    for r in records:
        out[r["form"]].append(r)
    return out


def codes(field_form, field_id):
    return {c.code for c in FORMS[field_form].field(field_id).all_choices()}


@pytest.fixture(scope="module")
def year3000():
    return make()


@pytest.fixture(scope="module")
def forms3000(year3000):
    return by_form(year3000)


# -- determinism and seeds ---------------------------------------------------------------------


def test_same_arguments_give_identical_records_ids_and_timestamps_included(year3000):
    assert make() == year3000
    assert len({r["id"] for r in year3000}) == len(year3000)


def test_other_seeds_give_other_people():
    persons = {
        s: [r["data"] for r in make(seed=s, records=1500) if r["form"] == "person"]
        for s in (1, 2, 3)
    }
    ids = {s: {p["id_number"] for p in ps} for s, ps in persons.items()}
    assert ids[1].isdisjoint(ids[2]) and ids[1].isdisjoint(ids[3]) and ids[2].isdisjoint(ids[3])
    assert [p["name"] for p in persons[1]] != [p["name"] for p in persons[2]]
    assert {p["grid"] for p in persons[1]} == {"第一网格"}
    assert {p["grid"] for p in persons[3]} == {"第三网格"}


def test_seeds_never_share_an_id_number_by_construction():
    # The sequence digits carry the seed: (seq // 2) % 50 == seed % 50.
    for seed in (1, 2, 7, 49):
        for r in make(seed=seed, records=600):
            if r["form"] == "person":
                assert int(r["data"]["id_number"][14:17]) // 2 % SEED_SPACES == seed


# -- every record is valid -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "today"), [(YEAR, TODAY), (2026, TODAY), (2026, date(2026, 2, 10))]
)
def test_every_record_passes_its_form_and_is_already_clean(year, today):
    records = make(year=year, records=1500, today=today)
    cutoff = min(today, date(year, 12, 31))
    persons = {r["id"]: r for r in records if r["form"] == "person"}
    ctx = Context(today=cutoff, resolve=lambda form, value: persons.get(value))
    for r in records:
        form = FORMS[r["form"]]
        outcome = validate(form, r["data"], ctx)
        assert outcome.ok, (r["form"], r["data"], outcome.errors)
        assert not outcome.warnings, (r["data"], outcome.warnings)
        assert outcome.data == r["data"]  # stored exactly as validation would store it
        assert r["form_version"] == form.version
        day = str(r["data"][form.date_field])[:10]
        if r["form"] != "person":
            assert f"{year}-01-01" <= day <= cutoff.isoformat()
        for stamp in (r["created_at"], r["updated_at"]):
            moment = datetime.fromisoformat(stamp)
            assert moment.utcoffset() == timedelta(hours=8)
            assert moment.date() <= cutoff
        assert r["created_at"] <= r["updated_at"]


def test_history_lists_replaced_versions_before_their_successors(year3000):
    records = make(history=True)
    current = {r["id"]: r for r in records}
    assert current == {r["id"]: r for r in year3000}  # the same records, plus earlier versions
    seen: dict[str, list[str]] = defaultdict(list)
    for r in records:
        assert r["parents"] == seen[r["id"]][-1:]  # each version follows the one it replaced
        assert r["ancestors"] == sorted(seen[r["id"]])  # ...and descends from all before it
        seen[r["id"]].append(r["version"])
    assert len(records) - len(year3000) == sum(len(r["ancestors"]) for r in year3000)


def test_versions_are_a_complete_run_of_the_device_numbered_from_first_seq():
    records = make(records=600, history=True, first_seq=41)
    assert sorted(r["seq"] for r in records) == list(range(41, 41 + len(records)))
    assert {r["device"] for r in records} == {"laptop1"}
    assert all(version_id(r) == r["version"] for r in records)
    later = {r["id"]: r for r in records}
    earlier = make(records=600, history=True)
    assert [r["seq"] + 40 for r in earlier] == [r["seq"] for r in records]
    assert {r["id"]: r["data"] for r in earlier} == {k: r["data"] for k, r in later.items()}
    # without history the records keep the numbers they have in the full run
    current = make(records=600, first_seq=41)
    assert {r["version"] for r in current} == {r["version"] for r in later.values()}


def test_records_are_complete_versions(year3000):
    for r in year3000:
        assert set(r) == {
            "id", "form", "form_version", "data", "version", "parents", "ancestors", "device",
            "seq", "created_at", "created_by", "updated_at", "updated_by", "deleted",
        }  # fmt: skip
        assert type(r["seq"]) is int and r["seq"] >= 1 and version_id(r) == r["version"]
        assert r["created_by"] == "李娜" and r["device"] == "laptop1"
    edited = [r for r in year3000 if r["ancestors"]]
    assert {r["form"] for r in edited} >= {"mediation", "person", "outreach"}
    deleted = [r for r in year3000 if r["deleted"]]
    assert 1 <= len(deleted) <= 5 and {r["form"] for r in deleted} == {"outreach"}


# -- proportions and coverage ----------------------------------------------------------------------


def test_proportions_follow_the_shares(year3000, forms3000):
    assert len(year3000) == 3000
    for form, share in demo.SHARES.items():
        assert len(forms3000[form]) / 3000 == pytest.approx(share, abs=0.02), form


def test_people_cover_every_category_with_plausible_details(forms3000):
    persons = [r["data"] for r in forms3000["person"]]
    assert {p["category"] for p in persons} == codes("person", "category")
    statuses = Counter(p["status"] for p in persons)
    assert statuses["active"] > 0.7 * len(persons)
    assert statuses["discharged"] > 0 and statuses["moved"] > 0
    field = FORMS["person"].field("level")
    for p in persons:
        if p["category"] in ("released", "corrections", "cult", "mental"):
            assert p["level"] in {c.code for c in field.choices_for(p)}
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p["name"])
        assert re.fullmatch(r"(幸福社区).*\d+栋\d单元\d{3,4}", p["address"])
        assert "phone" not in p or re.fullmatch(r"1[3-9]\d{9}", p["phone"])
        if p["category"] == "mental":
            assert re.fullmatch(r".+（.+）1[3-9]\d{9}", p["guardian"])
        start = date.fromisoformat(p["start_date"])
        end = schedule.supervision_end(RULES, p["category"], start)
        if end:
            assert p["end_date"] == end.isoformat()
        if p["category"] in ("mental", "cult"):
            assert "end_date" not in p
    names = Counter(p["name"] for p in persons)
    assert names.most_common(1)[0][1] <= 3


def test_id_numbers_are_valid_and_unique(forms3000):
    persons = [r["data"] for r in forms3000["person"]]
    numbers = [p["id_number"] for p in persons]
    assert len(set(numbers)) == len(numbers)
    for value in numbers:
        assert value[17] == idnumber.check_char(value[:17])
        assert idnumber.check(value, TODAY).error is None
        assert idnumber.check(value, TODAY).warning is None
        assert 18 <= idnumber.age(value, date(YEAR, 12, 31)) <= 80


def test_visits_cover_methods_departments_help_and_a_few_incidents(forms3000):
    visits = [r["data"] for r in forms3000["followup"]]
    assert {v["method"] for v in visits} == codes("followup", "method")
    assert {v["condition"] for v in visits} == codes("followup", "condition")
    joint = sum(any(d != "grid" for d in v["departments"]) for v in visits)
    assert 0.2 < joint / len(visits) < 0.8
    assert 0.05 < sum("assistance" in v for v in visits) / len(visits) < 0.25
    incidents = Counter(v["incident"] for v in visits)
    assert 0 < len(visits) - incidents["none"] < 0.01 * len(visits)


def test_outreach_clusters_on_theme_days(forms3000):
    events = [r["data"] for r in forms3000["outreach"] if not r["deleted"]]
    themes = Counter(e["theme"] for e in events)
    assert set(themes) == codes("outreach", "theme")
    assert 0.3 < themes["daily"] / len(events) < 0.55
    days = Counter(e["date"][5:] for e in events)
    for peak in ("03-15", "04-15", "04-26", "05-12", "06-16", "06-26", "12-04"):
        assert days[peak] >= 3, peak  # many events on the day itself
    windows = {
        "consumer_0315": ("03-10", "03-20"),
        "civil_code_month": ("05-01", "05-31"),
        "safety_month": ("06-01", "06-30"),
        "constitution_week": ("12-04", "12-10"),
    }
    for e in events:
        if e["theme"] in windows:
            lo, hi = windows[e["theme"]]
            assert lo <= e["date"][5:] <= hi
        assert 20 <= e["participants"] <= 500
        assert "materials" not in e or 50 <= e["materials"] <= 2000
        assert e["title"].endswith(FORMS["outreach"].field("venue_type").label_of(e["venue_type"]))
    assert {e["venue_type"] for e in events} == codes("outreach", "venue_type")
    assert sum(bool(e.get("consultations")) for e in events) > len(events) / 3


def test_outreach_stays_in_the_months_so_far():
    events = [
        r["data"] for r in make(year=2026, today=date(2026, 5, 20)) if r["form"] == "outreach"
    ]
    assert max(e["date"] for e in events) <= "2026-05-20"
    themes = {e["theme"] for e in events}
    assert "consumer_0315" in themes and "safety_month" not in themes
    assert "constitution_week" not in themes


def test_mediations_cover_types_sources_and_results(forms3000):
    cases = [r["data"] for r in forms3000["mediation"]]
    for fid in ("dispute_type", "source", "kind", "result"):
        assert {c[fid] for c in cases} == codes("mediation", fid), fid
    results = Counter(c["result"] for c in cases)
    concluded = len(cases) - results["ongoing"]
    assert 0.85 < results["success"] / concluded < 0.97
    assert results["success"] / len(cases) > 0.8
    succeeded = [c for c in cases if c["result"] == "success"]
    assert {c["agreement"] for c in succeeded} == {"written", "oral"}
    assert {c["fulfilment"] for c in succeeded} == codes("mediation", "fulfilment")
    assert sum("revisit_date" in c for c in succeeded) > len(succeeded) / 2
    assert sum("amount" in c for c in cases) > len(cases) / 2
    for c in cases:
        if c["result"] != "ongoing":
            assert c["closed"] >= c["accepted"]
            limit = 60 if c["source"] == "court" else 30
            assert date.fromisoformat(c["closed"]) - date.fromisoformat(c["accepted"]) <= (
                timedelta(days=limit)
            )
        assert c["party_count"] >= 2


def test_case_numbers_follow_the_rule_in_order_of_acceptance(forms3000):
    cases = sorted((r["data"] for r in forms3000["mediation"]), key=lambda c: c["case_no"])
    numbers = []
    for c in cases:
        m = re.fullmatch(rf"（{YEAR}）示人调字第(\d+)号", c["case_no"])
        assert m, c["case_no"]
        numbers.append((int(m.group(1)), c["accepted"]))
    numbers.sort()
    assert [n for n, _ in numbers] == list(range(1, len(cases) + 1))
    assert [a for _, a in numbers] == sorted(a for _, a in numbers)


def test_adviser_log_and_meetings_cover_every_kind(forms3000):
    logs = [r["data"] for r in forms3000["consultation"]]
    assert {c["kind"] for c in logs} == codes("consultation", "kind")
    assert {c["requester"] for c in logs} == codes("consultation", "requester")
    meetings = [r["data"] for r in forms3000["meeting"]]
    kinds = Counter(m["kind"] for m in meetings)
    assert set(kinds) == codes("meeting", "kind")
    assert 15 <= kinds["party_committee"] <= 25  # 20余次 a year at the default size
    months = {m["date"][:7] for m in meetings if m["kind"] == "party_committee"}
    assert len(months) == 12  # spread over the year, not bunched


# -- the visit schedule ----------------------------------------------------------------------------


def test_visits_follow_the_rules(forms3000):
    persons = {r["id"]: r for r in forms3000["person"]}
    visits = defaultdict(list)
    for r in forms3000["followup"]:
        visits[r["data"]["person"]].append(r["data"])
    late = pairs = 0
    for pid, vs in visits.items():
        person = persons[pid]["data"]
        vs.sort(key=lambda v: v["date"])
        start = max(date.fromisoformat(person["start_date"]), date(YEAR, 1, 1))
        assert date.fromisoformat(vs[0]["date"][:10]) >= start
        for v in vs:
            level = v.get("risk_level", person.get("level"))
            rule = RULES.visit_rule(person["category"], level)
            day = date.fromisoformat(v["date"][:10])
            assert v["next_visit"] == schedule.add_period(day, rule.every).isoformat()
            if rule.joint:  # 3级 and above: jointly with 卫健精防 and 派出所
                assert set(rule.joint) <= set(v["departments"]) and v["method"] == "home"
        for a, b in itertools.pairwise(vs):
            pairs += 1
            late += b["date"][:10] > a["next_visit"]
            assert b["date"][:10] > a["date"][:10]
    assert pairs and late / pairs < 0.06
    # Everyone under management is visited; nobody after supervision ended.
    for pid, p in persons.items():
        if p["data"]["status"] == "active":
            assert visits[pid], p["data"]
        if p["data"]["status"] == "discharged":
            assert all(v["date"][:10] <= p["data"]["end_date"] for v in visits[pid])


def test_visit_frequency_matches_the_category(forms3000):
    persons = {r["id"]: r["data"] for r in forms3000["person"]}
    per_year = defaultdict(list)
    counts = Counter(r["data"]["person"] for r in forms3000["followup"])
    for pid, p in persons.items():
        if p["status"] == "active" and p["start_date"] < f"{YEAR}-01-01":
            per_year[(p["category"], p.get("level"))].append(counts[pid])
    mean = {k: sum(v) / len(v) for k, v in per_year.items()}
    assert mean[("released", "general")] < mean[("released", "key")]
    assert mean[("released", "key")] >= 10
    assert 4 <= mean[("released", "general")] <= 8


def test_some_people_are_overdue_at_the_end_of_the_year(forms3000):
    visits = defaultdict(list)
    for r in forms3000["followup"]:
        visits[r["data"]["person"]].append(r)
    day = date(YEAR, 12, 31)
    dues = [schedule.schedule(RULES, p, visits[p["id"]], day) for p in forms3000["person"]]
    overdue = [d for d in dues if d and d.overdue]
    active = [r for r in forms3000["person"] if r["data"]["status"] == "active"]
    assert 0 < len(overdue) < 0.15 * len(active)


# -- scale -----------------------------------------------------------------------------------------


def test_a_city_sized_year_generates():
    records = make(records=100_000)
    assert abs(len(records) - 100_000) <= 10_000
    counts = Counter(r["form"] for r in records)
    assert counts["followup"] / len(records) == pytest.approx(0.6, abs=0.03)
    ids = [r["data"]["id_number"] for r in records if r["form"] == "person"]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("size", [0, 1, 7, 60, 250])
def test_small_sizes_work(size):
    records = make(records=size)
    assert (len(records) == 0) == (size == 0)
    assert all(r["data"] for r in records)


# -- fill ------------------------------------------------------------------------------------------


def test_fill_saves_a_demo_year_in_one_transaction(tmp_path):
    with Workspace(tmp_path / "demo", today=TODAY) as ws:
        counts = demo.fill(ws, YEAR, seed=2, records=1200)
        ident = ws.identity
        assert (ident.worker, ident.grid, ident.org, ident.abbr) == (
            "王强", "第二网格", "示例街道办事处", "示",
        )  # fmt: skip
        assert set(counts) == {f.id for f in ws.forms}
        for form_id, n in counts.items():
            assert len(ws.store.current(form_id)) == n
        assert sum(counts.values()) >= 1195
        assert newest_first(ws, "mediation", year=YEAR)
        # A laptop numbers new cases only from a block its office handed out: none yet.
        assert casenumbers.next_number(ws, f"{YEAR}-12-31") == ""
        person = ws.store.current("person")[0]
        assert ws.resolve("person", person["data"]["id_number"])["id"] == person["id"]
        assert any(row.due and row.due.overdue for row in PersonIndex.build(ws).due())
        edited = [r for r in ws.store.current("mediation") if len(r["ancestors"]) == 2]
        assert edited
        versions = sorted(  # earlier versions are readable
            all_versions(ws.store, edited[0]["id"]), key=lambda v: len(v["ancestors"])
        )
        assert versions[0]["data"]["result"] == "ongoing"
        assert sorted(v["version"] for v in versions[:2]) == edited[0]["ancestors"]
        assert [v["parents"] for v in versions] == [
            [],
            [versions[0]["version"]],
            [versions[1]["version"]],
        ]
        assert versions[2] == edited[0]
        assert versions[0]["updated_at"] < versions[1]["updated_at"] < versions[2]["updated_at"]
        held = [v for f in ws.forms for r in ws.store.current(f.id, include_deleted=True)
                for v in all_versions(ws.store, r["id"])]  # fmt: skip
        assert sorted(v["seq"] for v in held) == list(range(1, len(held) + 1))
        assert ws.store.get_meta(SEQ) == len(held)  # the next save here goes on from there
    with Workspace(tmp_path / "demo", today=TODAY) as ws:  # durable
        assert sum(len(ws.store.current(f.id)) for f in ws.forms) == sum(counts.values())


def test_fill_keeps_an_existing_identity(ws):
    first = ws.add("meeting", {"kind": "理论学习中心组学法", "title": "学习宪法"})
    counts = demo.fill(ws, YEAR, seed=3, records=300)
    person = ws.store.current("person")[0]
    assert person["data"]["grid"] == "第一网格" and person["created_by"] == "李娜"
    assert person["device"] == ws.identity.device
    case = ws.store.current("mediation")[0]
    assert case["data"]["case_no"].startswith(f"（{YEAR}）东人调字第")
    assert counts["person"] == 18
    # the demo versions go on with this device's run, and the next save after them
    versions = [r for f in ws.forms for r in ws.store.current(f.id, include_deleted=True)]
    assert first["seq"] == 1 and min(r["seq"] for r in versions if r["id"] != first["id"]) > 1
    last = ws.store.get_meta(SEQ)
    assert last == max(r["seq"] for r in versions)
    assert (
        ws.add("meeting", {"kind": "理论学习中心组学法", "title": "学习民法典"})["seq"] == last + 1
    )


def test_the_demo_draws_only_the_codes_the_forms_have(tmp_path):
    shipped = (builtin_dir() / "outreach.toml").read_text("utf-8")
    (tmp_path / "outreach.toml").write_text(
        shipped.replace('  { code = "village", label = "进乡村" },\n', ""), "utf-8"
    )
    forms = load_forms(tmp_path)
    codes = {c.code for c in forms["outreach"].field("venue_type").choices}
    assert forms.problems == () and "village" not in codes
    worker, grid = demo.demo_identity(1)
    records = demo.generate(
        YEAR, 1, 3000, worker=worker, grid=grid, device="laptop1", forms=forms, today=TODAY
    )
    venues = {r["data"]["venue_type"] for r in records if r["form"] == "outreach"}
    assert "village" not in venues and {"community", "estate", "school"} <= venues
