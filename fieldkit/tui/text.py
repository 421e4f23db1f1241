"""Every word the app shows a user, in Chinese, in one place.

Code and comments stay English; anything on screen comes from here (or from the form
definitions), so wording is reviewed and changed without touching the screens.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldkit.views.persons import DueCounts

APP_TITLE = "fieldkit 基层法治工作台"
DEMO_SUFFIX = "（演示数据）"

WEEKDAYS = "一二三四五六日"


def long_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS[day.weekday()]}"


def short_time(iso: str) -> str:
    """'2026-11-24T14:30:05+08:00' -> '2026-11-24 14:30'."""
    return iso[:16].replace("T", " ") if iso else ""


# -- keys (footer, help) --------------------------------------------------------------------
KEY_QUIT = "退出"
KEY_QUIT_TIP = "关闭程序（已保存的记录和草稿都在）"
KEY_HELP = "帮助"
KEY_HELP_TIP = "按键说明和使用指南"
KEY_PALETTE = "命令"
KEY_PALETTE_TIP = "搜索并执行命令"
KEY_BACK = "返回"
KEY_BACK_TIP = "回到上一个界面"
KEY_NEW = "新建"
KEY_NEW_TIP = "新建一条记录"
KEY_RECORDS = "记录"
KEY_RECORDS_TIP = "查看、查找这张表的记录"
KEY_SAVE = "保存"
KEY_SAVE_TIP = "检查并保存这条记录"
KEY_OPEN = "打开"
KEY_OPEN_TIP = "查看这条记录的全部内容"
KEY_EDIT = "修改"
KEY_EDIT_TIP = "修改这条记录（保存为新版本）"
KEY_DELETE = "删除"
KEY_DELETE_TIP = "删除这条记录（需确认，历史保留）"
KEY_HISTORY = "历史"
KEY_HISTORY_TIP = "查看这条记录的修改历史"
KEY_SEARCH = "搜索"
KEY_SEARCH_TIP = "输入文字筛选记录"
KEY_TODAY = "今天"
KEY_NOW = "现在"
KEY_TODAY_TIP = "填入今天（日期时间填入现在）"
KEY_DAY_UP = "后一天"
KEY_DAY_DOWN = "前一天"
KEY_MONTH_UP = "后一月"
KEY_MONTH_DOWN = "前一月"
KEY_MULTI_MOVE = "在选项之间移动"
KEY_TOGGLE = "勾选"
KEY_TOGGLE_TIP = "勾选或取消高亮的选项"
KEY_CTRL_C = "按 Ctrl+Q 退出程序"
KEY_LEAVE_TIP = "离开这张表（未保存的内容会先询问）"
KEY_CLOSE = "关闭"
KEY_CLOSE_TIP = "关闭对话框"
KEY_PREV_BUTTON = "上一个按钮"
KEY_NEXT_BUTTON = "下一个按钮"

# -- loading and errors ---------------------------------------------------------------------
OPENING = "正在打开数据目录……"
OPEN_FAILED = "无法打开数据目录：{error}"
LOADING = "正在加载……"
INTERNAL_ERROR = "程序出错：{error}。屏幕上的内容没有丢失；详细信息已记录到 {log}"
ERROR_TITLE = "出错了"
FATAL_ERROR = "程序出错，已退出：{error}。已保存的记录和草稿都在；详细信息已记录到 {log}"
OS_ERROR = "无法完成：{reason}{where}"
NOT_READY = "数据还在加载，请稍候再试"

# -- identity -------------------------------------------------------------------------------
IDENTITY_TITLE = "设置网格员信息"
IDENTITY_INTRO = (
    "第一次使用，请先填写您的信息。记录会标明是谁录入的；导出给街道的文件也会带上这些信息。"
)
IDENTITY_EDIT_INTRO = "修改网格员信息。已有记录的录入人不会改变。"
ID_WORKER = "网格员姓名"
ID_GRID = "所属网格"
ID_ORG = "所属街道（单位）"
ID_ABBR = "单位简称"
ID_ABBR_HINT = "用于调解案件编号，如“东”；不填取单位名称第一个字"
ID_KEY = "街道公钥文件"
ID_KEY_HINT = "可不填；填写后导出的数据文件会加密，只有街道能打开"
ID_KEY_KEEP = "已配置街道公钥；不填则保持不变，填写则换成新的"
ID_FINGERPRINT = "本机指纹："
ID_FINGERPRINT_NOTE = (
    "街道在它的电脑上信任本机时，会与这里的指纹核对（街道电脑上显示的指纹应与此一致）。"
)
ID_FINGERPRINT_NOTE_OFFICE = "网格员电脑配置街道公钥后，其“网格员信息”页显示的街道指纹应与此一致。"
ID_FINGERPRINT_LATER = "保存后生成本机密钥并显示本机指纹；街道信任本机时要核对这个指纹。"
# Line breaks before a fingerprint's line: Textual wraps at its spaces otherwise.
ID_OFFICE = "已配置街道公钥：{name}，指纹 {fp}。\n导出文件将加密，街道发来的文件可以核对。"
ID_OFFICE_LEGACY = (
    "已配置旧版街道公钥：导出文件将加密；请向街道索取新的公钥文件，才能导入街道发来的文件。"
)
ID_OFFICE_NONE = "未配置街道公钥：导出文件不加密。"
ID_IS_OFFICE = "本机是街道电脑：导出文件加密给已信任的网格员电脑。"
ID_PLACEHOLDER_WORKER = "如：李娜"
ID_PLACEHOLDER_GRID = "如：第一网格"
ID_PLACEHOLDER_ORG = "如：东城街道办事处"
ID_PLACEHOLDER_KEY = "如：/media/u盘/街道公钥-1A2B3C4D.fkkey"
ID_SAVE = "保存并开始"
ID_SAVE_EDIT = "保存"
ID_SAVE_TIP = "保存网格员信息"
ID_SAVED_FP = "已保存网格员信息。\n本机指纹：{fp}\n（街道信任本机时核对）"
ID_REQUIRED = "必填"

# -- home -----------------------------------------------------------------------------------
HOME_WHO = "{worker} · {grid}{org}"
HOME_FORMS = "录入与查询"
HOME_MORE = "其他功能"
COL_FORM = "表单"
COL_MONTH = "本月"
COL_YEAR = "本年"
COL_DRAFT = "草稿"
DRAFT_MARK = "有草稿"
HOME_HINT = "数字键或 Enter 新建，R 查看记录"
BTN_NEW = "新建记录"
BTN_RECORDS = "查看记录"
SYNC_LABEL = "同步：导出导入"
REPORT_LABEL = "年度报告和台账"
CMD_NEW = "新建：{form}"
CMD_NEW_HELP = "录入一条新的「{form}」记录"
CMD_RECORDS = "记录：{form}"
CMD_RECORDS_HELP = "查看、查找、修改、删除{form}"
CMD_HOME = "回到首页"
CMD_HOME_HELP = "回到首页"
CMD_IDENTITY = "网格员信息"
CMD_IDENTITY_HELP = "查看本机指纹；修改网格员姓名、网格、单位和街道公钥"
CMD_HELP = "帮助"
CMD_HELP_HELP = "按键说明和使用指南"
CMD_THEME = "切换配色"
CMD_THEME_HELP = "在深色和浅色界面之间切换"
CMD_QUIT = "退出"
CMD_QUIT_HELP = "关闭程序"
PALETTE_NO_MATCH = "没有找到这个命令"
PALETTE_PLACEHOLDER = "输入命令，如：新建、记录、帮助……"

# -- form entry -----------------------------------------------------------------------------
FORM_NEW = "新建 · {form}"
FORM_EDIT = "修改 · {form}"
REQUIRED_MARK = " *"
PROMPT_SELECT = "请选择"
PLACEHOLDER_DATE = "如 2026-03-05"
PLACEHOLDER_DATETIME = "如 2026-03-05 14:30"
PLACEHOLDER_INTEGER = "整数"
PLACEHOLDER_DECIMAL = "数字，可带小数"
PLACEHOLDER_ID = "18位身份证号"
PLACEHOLDER_PHONE = "手机或座机号"
HELP_DATE = "日期：可输入 2026-03-05、2026/3/5 或 20260305；↑↓ 加减一天，PgUp/PgDn 加减一月，T 今天"
HELP_DATETIME = "日期时间：如 2026-03-05 14:30；↑↓ 加减一天，T 现在"
HELP_SELECT = "单选：直接打字选择（开头的字或拼音首字母），或 Enter 展开后 ↑↓ 选择"
HELP_MULTI = "多选：←→ 移动，空格勾选或取消，可选多项"
HELP_MULTILINE = "多行文字：Enter 换行，Tab 到下一项"
HELP_REFERENCE = "Enter 打开查找，Backspace 清除"
HELP_TEXT = "Enter 或 Tab 到下一项"
CONCERN_TITLE = "保存前请确认"
CONCERN_BACK = "返回修改"
CONCERN_SAVE = "仍然保存"
REF_NONE = "（未选择）按 Enter 查找"
NUMBER_WITH_LABEL = "{label} {value}"
ID_INFO = "{gender}，{birth} 出生"
PROBLEMS = "有 {n} 处需要修改："
SAVED = "已保存"
SAVED_EDIT = "已保存修改"
SAVED_TITLE = "已保存「{form}」记录"
SAVED_AGAIN = "再录一条"
SAVED_DONE = "完成"
NO_CHANGE = "内容没有变化，未生成新版本"
LEAVE_TITLE = "这张表还没有保存"
LEAVE_BODY = "已填写的内容会保留为草稿，下次打开时可以继续填写。"
LEAVE_KEEP = "保留草稿并离开"
LEAVE_DISCARD = "放弃已填内容"
LEAVE_STAY = "继续填写"
DRAFT_TITLE = "有上次没填完的草稿"
DRAFT_BODY = "「{form}」的草稿保存于 {at}。"
DRAFT_RESUME = "继续填写草稿"
DRAFT_DISCARD = "丢弃草稿，重新填写"
DRAFT_RESTORED = "已恢复草稿"

# -- picking a referenced record -------------------------------------------------------------
PICK_TITLE = "选择{form}"
PICK_PLACEHOLDER = "输入姓名或身份证号"
PICK_CHOOSE = "选定"
PICK_CHOOSE_TIP = "选定高亮的一条"
PICK_CANCEL_TIP = "不选择，返回"
PICK_MOVE_TIP = "上下移动"
PICK_NONE = "没有找到。可换个写法，或先在「特殊人群」中登记此人"
PICK_COUNT = "找到 {total} 条"
PICK_MANY = "找到 {total} 条，显示前 {shown} 条；多输入几个字可缩小范围"

# -- records --------------------------------------------------------------------------------
RECORDS_TITLE = "记录 · {form}"
SEARCH_PLACEHOLDER = "搜索：名称、姓名、身份证号……"
ALL_YEARS = "全部年份"
ALL_MONTHS = "全部月份"
YEAR = "{y}年"
MONTH = "{m}月"
COUNT = "共 {total} 条"
COUNT_WINDOW = "共 {total} 条，已显示 {shown} 条（向下翻页显示更多）"
COUNT_NONE = "没有符合条件的记录"
DELETE_TITLE = "删除这条记录？"
DELETE_BODY = "{title}\n删除后在列表中不再显示；修改历史会保留，并随数据导出同步给街道。"
DELETE_YES = "删除"
DELETE_NO = "取消"
DELETED = "已删除"
NO_RECORD = "请先选中一条记录"

# -- detail and history ---------------------------------------------------------------------
DETAIL_TITLE = "{form} · 详情"
META_CREATED = "录入：{by}，{at}"
META_UPDATED = "最后修改：{by}，{at}"
META_VERSIONS = "共 {n} 个版本"
META_ID = "记录编号：{id}"
EMPTY_VALUE = "—"
ID_DERIVED = "（{gender}，{age}岁）"
HISTORY_TITLE = "{form} · 修改历史"
HISTORY_COUNT = "共 {n} 个版本，最早的在前。"
HISTORY_IN_CONFLICT = "有 {n} 个版本互不相同（冲突），请在“同步”页的“冲突”中处理。"
HISTORY_VERSION = "第 {n} 版"
HISTORY_DEVICE = "设备：{device}"
HISTORY_CURRENT = "（当前）"
HISTORY_CONFLICTING = "（冲突中的版本）"
HISTORY_NO_DIFF = "内容无变化"
HISTORY_PARTIAL_BASE = "与本机有的较早版本（第 {n} 版）相比："
HISTORY_FROM = "（在第 {n} 版基础上）"
HISTORY_JOINS = "（合并第 {ns} 版）"
HISTORY_CHANGE = "{label}：{old} → {new}"
HISTORY_BLANK = "（空）"

# -- dialogs --------------------------------------------------------------------------------
CANCEL = "取消"

# -- help -----------------------------------------------------------------------------------
HELP_TITLE = "帮助"
HELP_KEYS = "本界面的按键"
HELP_GLOBAL = "随时可用"
HELP_THIS_SCREEN = "本界面"
HELP_GUIDE_TITLE = "使用指南"
HELP_GUIDE = (
    "首页列出各类表单和本月、本年录入的条数。按数字键或 Enter 新建记录，按 R 查看记录。",
    "录入时用 Tab 或 Enter 到下一项，Shift+Tab 回上一项。带 * 的是必填项。",
    "日期可输入 20260305、2026/3/5 等，↑↓ 加减一天，T 填入今天。",
    "单选项可直接打字选择：打开头的字或拼音首字母（如 xmsf 选“刑满释放人员”），"
    "也可按 Enter 展开后用 ↑↓ 选择。多选项用空格勾选。随访对象直接输入姓名或身份证号查找。",
    "Ctrl+S 保存。有错误时会列出全部问题，光标跳到第一处。",
    "没填完就离开，内容会保存为草稿，下次打开同一张表时可以继续。",
    "记录列表里直接输入文字即可筛选（姓名、身份证号的一部分、出生日期都可以），"
    "可按年份、月份过滤；Enter 打开详情，E 修改（保存为新版本），H 查看修改历史，D 删除（需确认）。",
    "列表中身份证号只显示部分，详情里才显示完整号码。窗口较窄时，列表只显示最要紧的几列。",
    "Ctrl+P 打开命令面板，可以搜索所有功能（也可输入拼音首字母）。所有数据只保存在本机，不需要网络。",
)

# -- special populations: persons, due visits, person detail -----------------------------------
PERSONS_TITLE = "特殊人群"
PERSONS_HELP = "查看在管人员、上次随访和下次随访日期，按类别、状态、网格筛选"
DUE_TITLE = "到期随访"
DUE_HELP = "本网格逾期、今天到期和近几天到期的人员，逾期最久的在前；按 F 立即随访"
PERSON_SEARCH = "搜索：姓名或身份证号"
ALL_CATEGORIES = "全部类别"
ALL_STATUSES = "全部状态"
ALL_GRIDS = "全部网格"
COL_NAME = "姓名"
COL_ID_NUMBER = "身份证号"
COL_CATEGORY = "类别"
COL_LEVEL = "级别"
COL_STATUS = "状态"
COL_LAST_VISIT = "上次随访"
COL_NEXT_DUE = "下次随访"
COL_DUE_STATE = "提示"
DUE_JOINT = "联合"
DUE_NONE = "没有逾期或近期到期的随访"
DUE_COUNT = "{counts}"
COUNT_MORE = "（已显示 {shown} 人，向下翻页显示更多）"
PERSONS_COUNT = "共 {total} 人"
PERSONS_COUNT_WINDOW = "共 {total} 人，已显示 {shown} 人（向下翻页显示更多）"
PERSONS_NONE = "没有符合条件的人员"
NEVER_VISITED = "未随访"
NOT_SCHEDULED = "—"
HOME_MANAGED = "在管 {n} 人"
HOME_DUE = "到期随访（V）：{counts}"
HOME_DUE_NONE = "近期没有要随访的人员"
DUE_PART_OVERDUE = "逾期 {n} 人"
DUE_PART_TODAY = "今天到期 {n} 人"
DUE_PART_SOON = "{days} 天内到期 {n} 人"


def due_summary(due: DueCounts) -> str:
    """'逾期 3 人，今天到期 1 人，7 天内到期 2 人' (parts that are zero left out)."""
    parts = []
    if due.overdue:
        parts.append(DUE_PART_OVERDUE.format(n=due.overdue))
    if due.today:
        parts.append(DUE_PART_TODAY.format(n=due.today))
    if due.soon:
        parts.append(DUE_PART_SOON.format(n=due.soon, days=due.soon_days))
    return "，".join(parts)


KEY_FOLLOWUP = "随访"
KEY_FOLLOWUP_TIP = "为选中的人员录入一次随访（人员已填好）"
KEY_REGISTER = "登记"
KEY_REGISTER_TIP = "登记一名新的特殊人群人员"
KEY_STATUS = "状态"
KEY_STATUS_TIP = "更改管理状态（解除、迁出等会停止随访提醒）"
KEY_EDIT_PERSON_TIP = "修改人员基本信息"
PERSON_TITLE = "特殊人群 · {name}"
PERSON_GENDER = "性别"
PERSON_AGE = "年龄"
PERSON_AGE_VALUE = "{age}岁（生于 {birth}）"
PERSON_SUPERVISION_END = "管理期满"
PERSON_NO_END = "无固定期限"
PERSON_SCHEDULE = "随访安排"
PERSON_LEVEL_NOW = "当前级别"
PERSON_LEVEL_FROM_VISIT = "{level}（{day} 随访评估；登记为 {registered}）"
PERSON_NEXT = "下次随访：{day}（{state}）"
PERSON_NEXT_NONE = "不在随访计划中（{status}）"
PERSON_JOINT = "须联合随访：{departments}"
PERSON_TIMELINE = "随访记录（{n} 次，最近的在前）"
PERSON_NO_VISITS = "还没有随访记录。按 F 录入第一次随访。"
COL_VISIT_DATE = "随访时间"
COL_METHOD = "方式"
COL_DEPARTMENTS = "参与部门"
COL_CONDITION = "现实表现"
COL_RISK = "评估级别"
COL_INCIDENT = "异常情况"
COL_HELP = "帮扶措施"
STATUS_TITLE = "更改管理状态"
STATUS_BODY = "{name} 当前为「{status}」。解除、死亡、迁出、收监后不再提醒随访。"
STATUS_CHANGED = "已将管理状态改为「{status}」"
DUPLICATE_TITLE = "这个身份证号已经登记过"
DUPLICATE_BODY = "{title}\n同一人只登记一次，可打开已有人员查看、修改或录入随访。"
DUPLICATE_OPEN = "打开已有人员"
DUPLICATE_STAY = "继续填写"
NEXT_VISIT_JOINT = "须联合随访（{departments}）：{note}"
DASHBOARD_TITLE = "工作统计"
DASHBOARD_HELP = "今年和本月的活动、随访、调解、咨询等数字，按月的小图一目了然"
DASH_HEAD = "{year}年 · 本月为{month}月"
DASH_COL_ITEM = "项目"
DASH_COL_MONTH = "本月"
DASH_COL_YEAR = "本年"
DASH_COL_TREND = "1–12月"
DASH_SUCCESS_RATE = "调解成功率"
DASH_RATE = "{rate:.0%}"
DASH_NO_RATE = "—"
DASH_GRID_ALL = "统计范围：全部网格"
DASH_GRID_ONE = "统计范围：{grid}"
KEY_GRID_TOGGLE = "切换网格"
KEY_GRID_TOGGLE_TIP = "在本网格和全部网格之间切换"
KEY_YEAR_PREV = "上一年"
KEY_YEAR_NEXT = "下一年"

# -- passphrase and lock (fieldkit.tui.screens.lock) -------------------------------------------------
UNLOCK_TITLE = "输入口令"
UNLOCK_INTRO = "数据目录已加密，请输入口令打开。"
LOCKED_TITLE = "已锁定"
LOCKED_INTRO = "程序已锁定。请输入口令继续；正在填写的表单原样保留，未保存的内容也已存为加密草稿。"
UNLOCK_LABEL = "口令"
UNLOCK_PLACEHOLDER = "输入口令后按 Enter"
UNLOCK_CHECKING = "正在核对口令……"
UNLOCK_WRONG = "口令不对（已错 {n} 次）。"
UNLOCK_WAIT = "口令已错 {n} 次，请等 {seconds} 秒再试（数据不会被锁死）。"
UNLOCK_EMPTY = "请输入口令"
UNLOCK_FORGOT_OFFICE = "忘记口令：请把电脑交给街道，街道用 fieldkit recover 恢复数据并设置新口令。"
UNLOCK_FORGOT_NONE = "忘记口令时数据无法恢复（设置口令时本机没有配置街道公钥）。"
UNLOCK_QUIT = "按 Ctrl+Q 退出程序。"
SET_PASS_TITLE = "设置口令"
SET_PASS_INTRO_FIRST = (
    "第一次使用，请设置口令。本机的记录（姓名、身份证号、随访情况……）、草稿和密钥都用它加密："
    "电脑丢失或数据目录被复制，没有口令谁也读不出来。每次打开程序都要输入口令。"
)
SET_PASS_INTRO = (
    "设置口令后，数据目录中的记录、草稿、密钥等全部加密，以后每次打开程序都要输入口令。"
)
SET_PASS_FIRST = "口令"
SET_PASS_AGAIN = "再输一次"
SET_PASS_HINT = "至少 8 个字符。几个不相关的词连成一句，好记又难猜。"
SET_PASS_MISMATCH = "两次输入的不一样"
SET_PASS_SAVE = "设置口令"
SET_PASS_SKIP = "不设口令"
SET_PASS_SKIP_TITLE = "不设口令？"
SET_PASS_SKIP_BODY = (
    "不设口令，数据目录就不加密：电脑丢失或数据目录被复制时，任何人都能读到记录里的姓名、"
    "身份证号和随访情况。以后可以在首页按 L 设置口令。"
)
SET_PASS_SKIP_YES = "不设口令，数据不加密"
SET_PASS_SKIP_NO = "返回设置口令"
SET_PASS_WORKING = "正在加密数据目录……"
SET_PASS_DONE = "已设置口令：数据目录已加密。"
SET_PASS_EXPORTS = "注意：数据目录 exports/ 中有 {n} 个生成的文件（导出文件、台账等），它们不加密，不再需要时请删除。"
STRENGTH = "强度：{hint}"
HOME_PLAIN = "注意：未设口令，数据目录没有加密，电脑丢失时记录可以被读取。按 L 设置口令。"
CMD_LOCK = "口令与锁定"
CMD_LOCK_HELP = "立即锁定程序（离开电脑时）；未设口令时设置口令"
DROPPED_TAIL = "上次程序没有正常结束：最后一次没有完成的保存已丢弃（已保存的记录都在）。"

# Keys that Textual's widgets describe in English, as the footer shows them.
TEXTUAL_KEYS = {"Dismiss menu": "收起列表"}
