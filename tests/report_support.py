"""A small hand-made year (2026) whose every figure is known, for figures, report and ledgers.

Records are plain dicts as the store keeps them. Besides the 2026 records there are records of
2025 and deleted records: neither may count anywhere.
"""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any

from fieldkit.forms.idnumber import check_char
from fieldkit.store.records import first_version, next_version

YEAR = 2026
TODAY = date(2026, 11, 24)
ORG = "东城街道办事处"
WORKER = "李娜"
DEVICE = "dev1"


def id_number(first17: str) -> str:
    return first17 + check_char(first17)


# Every name and ID number in the data: none may appear in the report.
PERSON_NAMES = ["王芳", "张建国", "刘洋", "陈静", "赵强", "孙丽"]
IDS = [
    id_number("11010519800101001"),
    id_number("44052419750505002"),
    id_number("42028119900707003"),
    id_number("32010219850815004"),
    id_number("11010819700303005"),
    id_number("51010719920909006"),
]
OTHER_NAMES = [
    WORKER,
    "郑晓明",  # visitor
    "王国华",  # guardian
    "钱多多",  # party
    "孙大海",  # party
    "周文斌",  # mediator
    "吴律师",  # adviser
    "冯主任",  # meeting note
]
PHONES = ["13912345678", "13800138000", "15011112222"]
ADDRESSES = ["东城区安定门街道花园社区3号楼2单元501", "和平社区幸福小区12栋1单元302"]
SECRETS = PERSON_NAMES + OTHER_NAMES + IDS + PHONES + ADDRESSES

_ids = count(1)
_seq = count(1)  # the run of version numbers of DEVICE


def rec(
    form: str, data: dict[str, Any], *, deleted: bool = False, at: str | None = None
) -> dict[str, Any]:
    """A new record's first version or, `deleted`, the tombstone made from it."""
    r = first_version(
        form,
        1,
        data,
        author=WORKER,
        device=DEVICE,
        seq=next(_seq),
        at=at,
        record_id=f"{form}-{next(_ids)}",
    )
    if deleted:
        r = next_version([r], data, author=WORKER, device=DEVICE, seq=next(_seq), deleted=True)
    return r


def edited(r: dict[str, Any], changes: dict[str, Any], *, at: str | None = None) -> dict[str, Any]:
    """The next version of `r` with `changes`, made at `at`."""
    data = {**r["data"], **changes}
    return next_version([r], data, author=WORKER, device=DEVICE, seq=next(_seq), at=at)


def dataset() -> dict[str, list[dict[str, Any]]]:
    """The records by form id (fresh dicts each call)."""
    p1 = rec(
        "person",
        {
            "category": "mental",
            "name": "王芳",
            "id_number": IDS[0],
            "phone": "13912345678",
            "address": "东城区安定门街道花园社区3号楼2单元501",
            "grid": "第一网格",
            "start_date": "2024-05-01",
            "level": "3",
            "guardian": "王国华（父亲）13800138000",
            "status": "active",
            "notes": "曾住院治疗，王国华照看",
        },
    )
    p2 = rec(
        "person",
        {
            "category": "released",
            "name": "张建国",
            "id_number": IDS[1],
            "phone": "15011112222",
            "address": "和平社区幸福小区12栋1单元302",
            "grid": "第一网格",
            "start_date": "2026-02-10",
            "end_date": "2031-02-10",
            "level": "key",
            "status": "active",
        },
    )
    p3 = rec(
        "person",
        {
            "category": "corrections",
            "name": "刘洋",
            "id_number": IDS[2],
            "grid": "第二网格",
            "start_date": "2025-06-01",
            "end_date": "2026-06-01",
            "level": "strict",
            "status": "discharged",
        },
    )
    p4 = rec(
        "person",
        {
            "category": "drug_rehab",
            "name": "陈静",
            "id_number": IDS[3],
            "grid": "第二网格",
            "start_date": "2026-03-01",
            "end_date": "2029-03-01",
            "status": "active",
        },
    )
    p5 = rec(
        "person",
        {
            "category": "cult",
            "name": "赵强",
            "id_number": IDS[4],
            "grid": "第一网格",
            "start_date": "2023-01-01",
            "level": "general",
            "status": "active",
        },
        at="2023-01-01T09:00:00+08:00",
    )
    p5 = edited(p5, {"status": "moved"}, at="2026-03-01T10:00:00+08:00")  # moved away in March
    p6 = rec(
        "person",
        {
            "category": "rehab",
            "name": "孙丽",
            "id_number": IDS[5],
            "grid": "第一网格",
            "start_date": "2026-01-15",
            "status": "active",
        },
        deleted=True,
    )

    def visit(person, day, method, departments, condition, **more):
        data = {
            "person": person["id"],
            "date": day,
            "method": method,
            "departments": departments,
            "visitors": "郑晓明",
            "condition": condition,
            "incident": "none",
            **more,
        }
        return data

    followups = [
        rec(
            "followup",
            visit(
                p1,
                "2026-01-10T09:30",
                "home",
                ["grid", "health", "police"],
                "stable",
                risk_level="3",
                medication="regular",
                assistance=["counselling", "medical"],
            ),
        ),
        rec("followup", visit(p1, "2026-01-24T15:00", "home", ["grid"], "mostly_stable")),
        rec(
            "followup",
            visit(p2, "2026-03-05T10:00", "phone", ["grid"], "stable", assistance=["employment"]),
        ),
        rec(
            "followup",
            visit(
                p4,
                "2026-04-02T14:00",
                "interview",
                ["grid", "justice"],
                "unstable",
                incident="crime",
                incident_note="涉嫌违法，已移交派出所",
            ),
        ),
        rec("followup", visit(p3, "2026-05-20T16:20", "video", ["grid"], "stable")),
        rec("followup", visit(p1, "2025-12-20T10:00", "home", ["grid"], "stable")),
        rec("followup", visit(p2, "2026-06-01T10:00", "home", ["grid"], "stable"), deleted=True),
    ]

    def event(day, venue, theme, laws, activities, participants, materials, consultations):
        return {
            "date": day,
            "title": "普法宣传活动",
            "venue_type": venue,
            "location": "社区广场",
            "theme": theme,
            "laws": laws,
            "activities": activities,
            "partners": "司法所",
            "participants": participants,
            "materials": materials,
            "consultations": consultations,
            "notes": "冯主任出席",
        }

    outreach = [
        rec(
            "outreach",
            event(
                "2026-03-15",
                "community",
                "consumer_0315",
                ["consumer", "constitution"],
                ["materials", "consulting"],
                300,
                12000,
                45,
            ),
        ),
        rec(
            "outreach",
            event(
                "2026-06-26", "estate", "drugs_0626", ["drug_control"], ["lecture"], 150, 5000, 20
            ),
        ),
        rec(
            "outreach",
            event("2026-09-10", "school", "daily", ["minors"], ["exhibition"], 80, 1200, 0),
        ),
        rec(
            "outreach",
            event("2025-12-04", "community", "constitution_week", ["constitution"], [], 99, 99, 9),
        ),
        rec(
            "outreach",
            event("2026-07-01", "community", "daily", ["constitution"], [], 1000, 1000, 10),
            deleted=True,
        ),
    ]

    def case(day, source, dispute, kind, result, amount, parties=2, **more):
        return {
            "case_no": f"({day[:4]})东人调字第{next(_ids)}号",
            "accepted": day,
            "source": source,
            "dispute_type": dispute,
            "kind": kind,
            "parties": "钱多多、孙大海",
            "party_count": parties,
            "mediators": "周文斌",
            "summary": "钱多多与孙大海因漏水发生纠纷",
            "result": result,
            "amount": amount,
            **more,
        }

    mediation = [
        rec(
            "mediation",
            case(
                "2026-02-01",
                "court",
                "neighbour",
                "people",
                "success",
                20000.0,
                agreement="written",
                closed="2026-02-20",
                fulfilment="done",
                revisit_date="2026-03-01",
            ),
        ),
        rec(
            "mediation",
            case(
                "2026-03-10",
                "application",
                "marriage",
                "people",
                "success",
                5000.0,
                agreement="oral",
                closed="2026-03-12",
                fulfilment="partial",
            ),
        ),
        rec(
            "mediation",
            case(
                "2026-04-05",
                "police",
                "abnormal_death",
                "joint",
                "success",
                300000.0,
                parties=5,
                agreement="written",
                closed="2026-04-30",
                fulfilment="done",
            ),
        ),
        rec(
            "mediation",
            case("2026-05-06", "court", "labour", "people", "failed", 8000.0, closed="2026-06-01"),
        ),
        rec("mediation", case("2026-10-01", "initiative", "neighbour", "people", "ongoing", None)),
        rec("mediation", case("2025-11-01", "court", "neighbour", "people", "success", 1.0)),
    ]

    def work(day, kind):
        return {
            "date": day,
            "kind": kind,
            "requester": "public",
            "topic": "房屋租赁合同咨询",
            "advisor": "吴律师",
        }

    consultation = [
        rec("consultation", work("2026-01-05", "consultation")),
        rec("consultation", work("2026-02-05", "consultation")),
        rec("consultation", {**work("2026-03-05", "legality_review"), "requester": "department"}),
        rec("consultation", {**work("2026-04-05", "contract_review"), "requester": "department"}),
        rec("consultation", work("2025-04-05", "consultation")),
    ]

    def meeting(day, kind, participants):
        return {"date": day, "kind": kind, "title": "学习会", "participants": participants}

    meetings = [
        rec("meeting", meeting("2026-01-09", "party_committee", 9)),
        rec("meeting", meeting("2026-06-09", "party_committee", 9)),
        rec("meeting", meeting("2026-02-15", "study_group", 30)),
        rec("meeting", meeting("2026-03-20", "lecture", 60)),
        rec("meeting", meeting("2026-08-20", "enforcement_training", 25)),
        rec("meeting", meeting("2025-08-20", "lecture", 40)),
    ]
    return {
        "outreach": outreach,
        "person": [p1, p2, p3, p4, p5, p6],
        "followup": followups,
        "mediation": mediation,
        "consultation": consultation,
        "meeting": meetings,
    }


def load_into(ws) -> dict[str, list[dict[str, Any]]]:
    """Save the data set into a workspace's store (as merged records arrive: no re-validation)."""
    data = dataset()
    ws.store.save([r for rows in data.values() for r in rows])
    return data
