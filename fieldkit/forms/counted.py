"""The choice codes the report's figures count by name (fieldkit.reports.figures).

Each must be a choice of its field in forms/: an office's form that renamed or dropped one would
zero a figure without a word, so loading the forms checks them (CODES_USED, passed to
load_forms by the Workspace) and leaves such a file out with a problem naming the code.
"""

from __future__ import annotations

from fieldkit.forms.schedule import ACTIVE

UCS_VENUES = frozenset({"unit", "community", "estate"})  # counted together: 进单位、进社区、进小区
DAILY_THEME = "daily"  # 日常: not a theme day
OTHER_LAW = "other"  # 其他: not a named law
REMOTE_METHODS = ("phone", "video")
NO_INCIDENT = "none"
OWN_DEPARTMENT = "grid"  # the community's grid worker: any other department makes a visit joint
ONGOING, SUCCESS, FAILED, TERMINATED = "ongoing", "success", "failed", "terminated"
COURT_SOURCE = "court"  # 法院委派: 诉前调解
ABNORMAL_DEATH = "abnormal_death"
WRITTEN, ORAL = "written", "oral"
FULFILLED = "done"
UNFULFILLED = ("partial", "not_done", "pending")
# AdviserFigures and MeetingFigures counts by the kind (code) they count.
ADVICE_KINDS = {
    "consultations": "consultation",
    "legality_reviews": "legality_review",
    "contract_reviews": "contract_review",
    "petitions": "petition",
    "aid_referrals": "legal_aid_referral",
}
MEETING_KINDS = {
    "party_committee": "party_committee",
    "study_group": "study_group",
    "relay": "relay",
    "lecture": "lecture",
    "enforcement_training": "enforcement_training",
    "work_meeting": "work_meeting",
}
#: (form id, field id) -> the codes of that field the figures count by name
CODES_USED: dict[tuple[str, str], frozenset[str]] = {
    ("outreach", "venue_type"): UCS_VENUES,
    ("outreach", "theme"): frozenset({DAILY_THEME}),
    ("outreach", "laws"): frozenset({OTHER_LAW}),
    ("person", "status"): frozenset({ACTIVE}),
    ("followup", "method"): frozenset(REMOTE_METHODS),
    ("followup", "incident"): frozenset({NO_INCIDENT}),
    ("followup", "departments"): frozenset({OWN_DEPARTMENT}),
    ("mediation", "result"): frozenset({ONGOING, SUCCESS, FAILED, TERMINATED}),
    ("mediation", "source"): frozenset({COURT_SOURCE}),
    ("mediation", "dispute_type"): frozenset({ABNORMAL_DEATH}),
    ("mediation", "agreement"): frozenset({WRITTEN, ORAL}),
    ("mediation", "fulfilment"): frozenset({FULFILLED, *UNFULFILLED}),
    ("consultation", "kind"): frozenset(ADVICE_KINDS.values()),
    ("meeting", "kind"): frozenset(MEETING_KINDS.values()),
}
