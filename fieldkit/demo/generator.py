"""Realistic, deterministic synthetic data: one grid's year of legal work, for demos and benchmarks.

`generate` builds complete records (persons and their follow-up visits on the schedule the rules
give, outreach events clustered on the theme days, mediations with sequential case numbers, the
legal adviser's log and the office's meetings) from a seeded random generator only: the same
(year, seed, records, today) gives the same records, ids and timestamps included. Different seeds
give different people: the ID numbers of seeds that differ modulo 50 can never coincide (the seed
picks part of the sequence digits).

`fill` saves one demo year into a workspace in a single durable transaction.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from fieldkit.forms import idnumber, schedule
from fieldkit.forms.definitions import FormSet
from fieldkit.forms.rules import Rules, VisitRule
from fieldkit.store.changes import SEQ
from fieldkit.store.records import first_version, next_version

if TYPE_CHECKING:
    from fieldkit.workspace import Workspace

__all__ = ["DEMO_ABBR", "DEMO_ORG", "SHARES", "demo_identity", "fill", "generate"]

DEMO_ORG = "示例街道办事处"
DEMO_ABBR = "示"
TZ = "+08:00"

# Share of the requested record count per form. Follow-ups come from the visit schedule (the
# visiting pace is tuned to reach their share); the last four forms share what is left.
SHARES = {
    "person": 0.06,
    "followup": 0.60,
    "outreach": 0.12,
    "mediation": 0.12,
    "consultation": 0.07,
    "meeting": 0.03,
}
_REST = ("outreach", "mediation", "consultation", "meeting")

# Demo laptop n numbers its mediation cases from (n - 1) * DEMO_CASE_BLOCK + 1 (see
# fieldkit.forms.casenumbers: numbers never repeat across the street's laptops).
DEMO_CASE_BLOCK = 5000

# Seeds that differ modulo this number never share an ID number (see _id_number).
SEED_SPACES = 50

# -- people ---------------------------------------------------------------------------------

_SURNAMES = (
    ("王", 70), ("李", 70), ("张", 65), ("刘", 55), ("陈", 48), ("杨", 32), ("黄", 24),
    ("赵", 23), ("吴", 21), ("周", 20), ("徐", 16), ("孙", 15), ("马", 13), ("朱", 13),
    ("胡", 13), ("郭", 12), ("何", 12), ("高", 11), ("林", 11), ("罗", 10), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 7), ("韩", 6), ("冯", 6), ("邓", 6),
    ("曹", 6), ("彭", 6), ("曾", 5), ("肖", 5), ("田", 5), ("董", 5), ("袁", 5), ("潘", 4),
    ("于", 4), ("蒋", 4), ("蔡", 4), ("余", 4), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 3), ("任", 3), ("沈", 3), ("姚", 3), ("卢", 3), ("姜", 3),
    ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3),
    ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 2), ("方", 2), ("白", 2), ("邹", 2), ("孟", 2),
    ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("段", 2), ("雷", 2),
    ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2), ("毛", 2),
    ("郝", 2), ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 2), ("武", 2), ("戴", 2),
    ("欧阳", 1), ("司马", 1), ("上官", 1),
)  # fmt: skip
_GIVEN = {
    # (single-character names, first characters, second characters)
    "男": (
        "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林峰亮",
        "建志国文明永海晓春金德家立子宏振俊嘉浩宇泽博天世兴卫新保正秋",
        "华平明军伟强勇杰斌涛林峰刚辉龙飞成波东亮宇鹏超磊生林军荣",
    ),
    "女": (
        "芳娜敏静丽艳娟霞燕玲丹萍红梅琳洁慧莉婷雪颖倩",
        "秀桂玉丽美淑春晓雪佳欣雨思嘉婉金凤海月梦晶小",
        "英兰华珍芳梅霞红娟琴云萍凤玲丽娜敏婷怡琳燕洁",
    ),
}
# Region codes (GB/T 2260 counties): the local city weighs most, then the province, then others.
_REGIONS = (
    ("420102", 9), ("420103", 8), ("420104", 7), ("420105", 6), ("420106", 9), ("420107", 4),
    ("420111", 8), ("420112", 4), ("420113", 2), ("420114", 3), ("420115", 4), ("420116", 4),
    ("420117", 3), ("420281", 3), ("420322", 1), ("420606", 2), ("420624", 1), ("420821", 2),
    ("420902", 2), ("420984", 3), ("421002", 2), ("421023", 2), ("421126", 3), ("421127", 2),
    ("421221", 2), ("422802", 1), ("429004", 2), ("429005", 2), ("429006", 2),
    ("110105", 1), ("120104", 1), ("130682", 1), ("140105", 1), ("210102", 1), ("230102", 1),
    ("310115", 1), ("320583", 1), ("330106", 1), ("341221", 2), ("350102", 1), ("360102", 1),
    ("362502", 1), ("370202", 1), ("372925", 1), ("410105", 1), ("411323", 2), ("413026", 2),
    ("430104", 2), ("432524", 2), ("440106", 1), ("440305", 1), ("450103", 1), ("500103", 2),
    ("510104", 1), ("511602", 1), ("520102", 1), ("530102", 1), ("610113", 1), ("620102", 1),
)  # fmt: skip
_PHONE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "173", "176", "177"),
    *("178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "193"),
    *("195", "198", "199"),
)
_COMMUNITIES = (
    "幸福社区", "阳光社区", "和平社区", "新华社区", "民主社区",
    "建设社区", "友谊社区", "光明社区", "春华社区", "长青社区",
)  # fmt: skip
_PROPERTY_COMPANIES = ("安居物业服务有限公司", "幸福里物业服务有限公司", "锦华物业管理有限公司")
_ESTATES = ("滨江苑", "阳光花园", "锦绣家园", "翠苑", "和平里", "金色家园", "紫荆花园", "怡景苑")
_DEMO_WORKERS = ("李娜", "王强", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴婷")
_FIRMS = ("华信律师事务所", "正和律师事务所", "明德律师事务所", "诚信律师事务所", "天平律师事务所")
_COMPANIES = (
    "宏达建筑劳务有限公司", "鑫源装饰工程有限公司", "安居物业服务有限公司", "顺通物流有限公司",
    "佳美家政服务有限公司", "恒信商贸有限公司", "绿城环境卫生服务有限公司", "华泰建设工程有限公司",
)  # fmt: skip

# -- special populations --------------------------------------------------------------------

_CATEGORIES = (
    ("released", 28), ("corrections", 18), ("drug_rehab", 9),
    ("rehab", 6), ("cult", 4), ("mental", 35),
)  # fmt: skip
_LEVELS = {
    "released": (("key", 25), ("general", 75)),
    "corrections": (("strict", 12), ("normal", 58), ("lenient", 30)),
    "cult": (("key", 30), ("general", 70)),
    "mental": (("0", 45), ("1", 20), ("2", 15), ("3", 10), ("4", 7), ("5", 3)),
}
_AGES = {  # age on the last day of the year
    "released": (24, 66), "corrections": (20, 70), "drug_rehab": (22, 58),
    "rehab": (22, 58), "cult": (40, 80), "mental": (20, 80),
}  # fmt: skip
_MALE_SHARE = {
    "released": 0.88, "corrections": 0.82, "drug_rehab": 0.8,
    "rehab": 0.8, "cult": 0.35, "mental": 0.52,
}  # fmt: skip
_HISTORY_YEARS = {"cult": 8, "mental": 10}  # how far back registrations reach (no fixed end)
_CRIMES = (
    "盗窃罪", "诈骗罪", "故意伤害罪", "寻衅滋事罪", "交通肇事罪", "开设赌场罪",
    "帮助信息网络犯罪活动罪", "掩饰、隐瞒犯罪所得罪", "非法吸收公众存款罪", "抢劫罪",
)  # fmt: skip
_CORRECTIONS_KINDS = (("缓刑", 70), ("假释", 15), ("暂予监外执行", 10), ("管制", 5))
_DIAGNOSES = (
    ("精神分裂症", 55), ("双相情感障碍", 15), ("偏执性精神病", 8),
    ("分裂情感性障碍", 8), ("癫痫所致精神障碍", 7), ("精神发育迟滞伴发精神障碍", 7),
)  # fmt: skip
_GUARDIANS = (
    ("父亲", 20),
    ("母亲", 25),
    ("配偶", 25),
    ("儿子", 10),
    ("女儿", 10),
    ("哥哥", 5),
    ("姐姐", 5),
)

# Departments that join visits, per category: (code, probability) on a home visit.
_JOIN = {
    "released": (("justice", 0.35), ("police", 0.08)),
    "corrections": (("justice", 0.7), ("police", 0.1)),
    "drug_rehab": (("justice", 0.2), ("police", 0.5), ("health", 0.1)),
    "rehab": (("police", 0.3), ("health", 0.2)),
    "cult": (("police", 0.4), ("comprehensive", 0.3)),
    "mental": (("police", 0.1), ("health", 0.5), ("civil", 0.05), ("disabled", 0.1)),
}
_METHODS = {
    "corrections": (("home", 50), ("interview", 30), ("phone", 12), ("video", 8)),
    "default": (("home", 72), ("interview", 7), ("phone", 14), ("video", 7)),
    "joint": (("home", 100),),
}
_HELP = {
    "released": ("employment", "living", "legal_aid", "counselling"),
    "corrections": ("employment", "counselling", "legal_aid"),
    "drug_rehab": ("employment", "medical", "counselling", "living"),
    "rehab": ("employment", "medical", "counselling"),
    "cult": ("counselling", "living"),
    "mental": ("medical", "living", "counselling"),
}
_VISIT_NOTES = {
    "released": (
        "本人在家，近期在小区附近打零工",
        "已推荐至街道就业服务站登记求职",
        "家庭关系和睦",
    ),
    "corrections": ("按要求到司法所报到，参加公益活动", "已提交思想汇报", "遵守外出请假规定"),
    "drug_rehab": ("按期接受尿检，结果阴性", "已参加社区戒毒康复讲座", "家属配合监督"),
    "rehab": ("按期接受尿检，结果阴性", "在社区康复站参加劳动", "情绪平稳"),
    "cult": ("开展教育转化谈话，思想稳定", "参加社区文体活动", "家属反映无异常"),
    "mental": (
        "监护人在场，照料到位",
        "已领取免费基本药品",
        "精防医生已调整用药",
        "家属反映睡眠好转",
    ),
}
_INCIDENTS = {
    "trouble": (
        "在小区内砸坏邻居车辆后视镜，已由民警和家属送医治疗",
        "与邻居发生冲突并推搡对方，已调解并加强看护",
    ),
    "extreme": (
        "扬言到街道办事处闹事，经耐心劝解后情绪平复",
        "因家庭矛盾有轻生言语，已进行心理疏导",
    ),
    "crime": ("因涉嫌盗窃被公安机关行政拘留", "因吸毒被公安机关查获，已依法处理"),
    "other": (
        "近一周未与家人联系，经排查已找到本人",
        "擅自离开居住地，已责令返回并报告司法所",
    ),
}  # fmt: skip
_STATUS_NOTES = {
    "discharged": "{day}管理期满，依法解除",
    "moved": "{day}迁往外区居住，已办理转出衔接手续",
    "deceased": "{day}因病去世",
    "imprisoned": "{day}因违反监督管理规定被依法收监执行",
}

# -- outreach --------------------------------------------------------------------------------

# theme: (weight, window start (m, d), window end (m, d), peak (m, d) or None, peak share)
_THEMES = {
    "daily": (40, None, None, None, 0.0),
    "consumer_0315": (6, (3, 10), (3, 20), (3, 15), 0.7),
    "security_0415": (6, (4, 10), (4, 20), (4, 15), 0.7),
    "ip_0426": (4, (4, 20), (4, 30), (4, 26), 0.6),
    "disaster_0512": (5, (5, 6), (5, 16), (5, 12), 0.6),
    "civil_code_month": (10, (5, 1), (5, 31), None, 0.0),
    "safety_month": (8, (6, 1), (6, 30), (6, 16), 0.4),
    "drugs_0626": (6, (6, 20), (6, 30), (6, 26), 0.6),
    "constitution_week": (10, (12, 4), (12, 10), (12, 4), 0.5),
    "other": (5, None, None, None, 0.0),
}
_THEME_TEXT = {
    # theme: (title stems, laws, partners)
    "consumer_0315": (
        ("“3·15”国际消费者权益日普法宣传", "“3·15”消费维权法律咨询", "消费者权益保护法宣传"),
        ("consumer", "civil_code"),
        ("市场监督管理所", "消费者协会"),
    ),
    "security_0415": (
        ("“4·15”全民国家安全教育日宣传", "国家安全法律知识宣讲", "全民国家安全教育日主题宣传"),
        ("constitution", "other"),
        ("派出所", "区国家安全人民防线办公室"),
    ),
    "ip_0426": (
        ("“4·26”知识产权宣传周活动", "知识产权保护普法宣传"),
        ("civil_code", "other"),
        ("市场监督管理所", "区知识产权局"),
    ),
    "disaster_0512": (
        ("“5·12”防灾减灾日宣传", "防灾减灾知识普及"),
        ("work_safety", "other"),
        ("应急管理办公室", "消防救援站"),
    ),
    "civil_code_month": (
        ("“美好生活·民法典相伴”主题宣传", "民法典宣传月专题宣讲", "民法典进万家"),
        ("civil_code",),
        ("司法所", "律师事务所", "区人民法院"),
    ),
    "safety_month": (
        ("安全生产月集中宣传", "“安全生产月”安全宣传咨询日活动", "安全生产法宣讲"),
        ("work_safety",),
        ("应急管理办公室", "消防救援站", "市场监督管理所"),
    ),
    "drugs_0626": (
        ("“6·26”国际禁毒日宣传", "全民禁毒宣传", "禁毒知识普及"),
        ("drug_control",),
        ("派出所", "区禁毒办", "社区戒毒康复站"),
    ),
    "constitution_week": (
        ("“12·4”国家宪法日宣传", "宪法宣传周集中宣传", "“学习宪法 尊崇宪法”主题宣传"),
        ("constitution",),
        ("司法所", "律师事务所", "区人民检察院"),
    ),
}
_OTHER_THEMES = (  # (title stem, laws, partners, month or None)
    ("防范电信网络诈骗宣传", ("anti_fraud",), ("派出所", "反诈中心"), None),
    ("重阳节老年人权益保护宣传", ("civil_code", "other"), ("民政办", "律师事务所"), 10),
    ("未成年人保护法宣传", ("minors",), ("区人民检察院", "共青团"), 6),
    ("扫黑除恶常态化宣传", ("anti_organized_crime",), ("派出所", "综治中心"), None),
    ("“开学第一课”法治教育", ("minors", "constitution"), ("区人民法院", "派出所"), 9),
    ("农民工欠薪维权法律宣传", ("other",), ("人社所", "劳动监察大队"), 1),
    ("反家庭暴力法宣传", ("other", "civil_code"), ("妇联", "派出所"), 3),
)
_DAILY_STEMS = (
    "法律明白人讲堂", "社区法治讲座", "以案说法宣传", "“法治夜校”", "“法律服务集市”",
    "普法宣传", "法律知识讲座", "防范养老诈骗宣传", "反电信网络诈骗宣讲", "“法润万家”宣传",
)  # fmt: skip
_DAILY_LAWS = (
    ("civil_code", 30), ("anti_fraud", 25), ("constitution", 10), ("minors", 8),
    ("anti_organized_crime", 7), ("admin_penalty", 5), ("drug_control", 5),
    ("work_safety", 5), ("consumer", 5), ("other", 10),
)  # fmt: skip
_DAILY_PARTNERS = ("司法所", "派出所", "律师事务所", "社区卫生服务中心", "区人民法院", "妇联")
_VENUES = (
    ("community", 30), ("estate", 20), ("enterprise", 12), ("school", 12),
    ("unit", 10), ("agency", 8), ("village", 2), ("other", 6),
)  # fmt: skip
_VENUE_PLACES = {
    "community": ("{community}党群服务中心", "{community}文化广场", "{community}居民活动室"),
    "estate": ("{estate}小区中心广场", "{estate}小区门口", "{estate}小区活动中心"),
    "enterprise": ("{company}", "辖区商务楼宇{company}会议室"),
    "school": ("阳光小学", "实验小学", "第二十一中学", "育才中学", "街道中心幼儿园"),
    "unit": ("区人民医院", "社区卫生服务中心", "辖区邮政支局", "街道市场监督管理所"),
    "agency": ("街道办事处三楼会议室", "街道便民服务中心"),
    "village": ("城郊村村委会", "城郊村文化广场"),
    "other": ("地铁站出口广场", "万达广场", "滨江公园", "农贸市场"),
}
_ACTIVITIES = (
    ("lecture", 0.5), ("materials", 0.85), ("consulting", 0.6), ("exhibition", 0.4),
    ("film", 0.04), ("performance", 0.05), ("new_media", 0.2),
)  # fmt: skip

# -- mediation -------------------------------------------------------------------------------

_SOURCES = (
    ("application", 45), ("initiative", 20), ("police", 10),
    ("court", 12), ("department", 6), ("petition", 7),
)  # fmt: skip
_KINDS = (("people", 82), ("joint", 9), ("administrative", 6), ("judicial", 3))
# type: (weight, share with an amount, amount low, amount high)
_DISPUTES = {
    "neighbour": (20, 0.4, 200, 8000),
    "marriage": (11, 0.6, 5000, 300000),
    "property_mgmt": (10, 0.9, 500, 20000),
    "labour": (10, 1.0, 2000, 200000),
    "contract": (8, 1.0, 3000, 300000),
    "damages": (8, 1.0, 800, 100000),
    "housing": (8, 0.8, 2000, 200000),
    "inheritance": (6, 0.7, 10000, 800000),
    "traffic": (5, 1.0, 1000, 300000),
    "medical": (2, 1.0, 5000, 300000),
    "demolition": (2, 1.0, 50000, 2000000),
    "land": (1, 0.7, 2000, 100000),
    "abnormal_death": (1, 1.0, 100000, 1200000),
    "other": (8, 0.3, 200, 20000),
}
_SUMMARIES = {
    "neighbour": (
        "楼上住户卫生间渗水导致楼下天花板受损，双方就维修和赔偿协商未果。",
        "因楼道堆放杂物、深夜噪音扰民引发邻里矛盾，多次发生口角。",
        "因一方在公共绿地种菜、搭建棚架，与相邻住户发生争执。",
    ),
    "marriage": (
        "夫妻双方因感情不和申请调解，争议集中在子女抚养和共同财产分割。",
        "离婚后一方未按约定支付子女抚养费，另一方要求补付。",
    ),
    "property_mgmt": (
        "业主以电梯长期故障、维修不及时为由拒交物业费，物业公司要求补缴。",
        "业主装修违规占用公共区域，物业公司劝阻未果引发纠纷。",
    ),
    "labour": (
        "{n}名务工人员反映被拖欠工资，要求用工单位尽快结清。",
        "员工离职后要求支付加班费和解除劳动合同经济补偿，双方协商不成。",
    ),
    "contract": (
        "双方因装修工程款支付及工程质量问题发生争议。",
        "民间借贷到期未还，出借人要求归还本金及利息。",
    ),
    "damages": (
        "饲养的宠物犬咬伤他人，双方就医疗费、误工费赔偿发生争议。",
        "高空坠物砸坏停放车辆，车主要求赔偿维修费用。",
    ),
    "housing": (
        "房屋租赁期满后，双方就押金退还和房屋损坏赔偿发生争议。",
        "相邻房屋改建影响采光通风，双方发生纠纷。",
    ),
    "inheritance": (
        "兄弟姐妹因父母遗留房产的继承份额发生分歧。",
        "子女之间就老人赡养费用分担和日常照料安排产生矛盾。",
    ),
    "traffic": (
        "电动自行车与行人发生碰撞致行人受伤，双方就赔偿金额协商不成。",
        "小区内车辆剐蹭，双方对责任认定和维修费用有争议。",
    ),
    "medical": ("患者家属认为诊疗存在过错，要求医疗机构赔偿。",),
    "demolition": ("旧城改造项目中，被征收户对补偿安置方案有异议。",),
    "land": ("两户因房前屋后空地的使用边界发生争执。",),
    "abnormal_death": ("务工人员在施工现场意外死亡，家属与施工单位就善后赔偿产生矛盾。",),
    "other": ("因小区停车位使用问题发生争执。", "因广场舞音量过大与周边住户发生矛盾。"),
}
_FAILED_NOTES = ("双方分歧较大，已告知通过诉讼途径解决", "一方不同意调解方案，引导其申请仲裁")
_TERMINATED_NOTES = ("一方当事人明确拒绝继续调解，终止调解", "当事人已向法院起诉，终止调解")

# -- legal adviser and meetings -----------------------------------------------------------------

_ADVISER_KINDS = (
    ("consultation", 58), ("legality_review", 12), ("contract_review", 15),
    ("petition", 9), ("legal_aid_referral", 6),
)  # fmt: skip
_ADVISER_TEXT = {
    "consultation": (
        (
            "咨询房屋租赁合同提前解除的违约责任", "咨询被拖欠工资如何申请劳动仲裁",
            "咨询遗嘱的形式和效力", "咨询离婚时共同财产如何分割",
            "咨询交通事故责任认定后的赔偿项目", "咨询欠缴物业费的法律后果",
            "咨询网络购物退款纠纷的维权途径", "咨询赡养费的计算标准",
            "咨询借款未还的诉讼时效", "咨询工伤认定的条件和程序",
            "咨询邻居违章搭建如何处理", "咨询被电信诈骗后如何报案和追赃",
        ),
        (
            "当场解答，告知维权途径", "建议先行协商，协商不成可申请调解或提起诉讼",
            "告知申请劳动仲裁的程序和所需材料", "已解答，建议收集保存相关证据",
        ),
    ),
    "legality_review": (
        (
            "《{year}年老旧小区改造实施方案》合法性审查", "辖区停车秩序管理办法合法性审查",
            "《街道网格化服务管理工作细则》合法性审查", "街道重大行政决策事项合法性审查",
            "行政执法决定法制审核", "街道行政规范性文件前置审查",
        ),
        (
            "出具合法性审查意见，建议修改{n}处后提交会议研究",
            "经审查未发现合法性问题，同意提交党工委会研究",
        ),
    ),
    "contract_review": (
        (
            "审查街道与物业服务企业签订的物业服务合同", "审查社区用房租赁合同",
            "审查办公设备政府采购合同", "审查环卫保洁服务外包合同",
            "审查老旧小区改造施工合同", "审查社区养老服务中心委托运营协议",
        ),
        ("提出修改意见{n}条，已采纳", "出具书面审查意见"),
    ),
    "petition": (
        (
            "参与信访接待：小区加装电梯意见分歧", "参与信访接待：征收补偿诉求",
            "参与信访接待：务工人员讨薪", "参与信访接待：物业服务质量投诉",
        ),
        ("现场释法明理，引导依法表达诉求", "已引导通过人民调解途径解决"),
    ),
    "legal_aid_referral": (
        (
            "为务工人员讨薪转介法律援助", "为残疾人赡养纠纷转介法律援助",
            "为工伤职工转介法律援助", "为低保对象离婚纠纷转介法律援助",
        ),
        ("已转介区法律援助中心并受理", "已协助准备法律援助申请材料"),
    ),
}  # fmt: skip
_ADVISER_REQUESTERS = {
    "consultation": (("public", 75), ("community", 12), ("enterprise", 8), ("department", 5)),
    "legality_review": (("department", 100),),
    "contract_review": (("department", 70), ("community", 30)),
    "petition": (("public", 100),),
    "legal_aid_referral": (("public", 100),),
}
_MEETING_KINDS = (
    ("party_committee", 22), ("relay", 22), ("study_group", 14), ("lecture", 12),
    ("enforcement_training", 10), ("work_meeting", 10), ("other", 10),
)  # fmt: skip
_MEETING_TEXT = {
    # kind: (titles, participants low, high)
    "party_committee": (
        (
            "党工委会专题研究法治政府建设工作", "党工委会听取法治建设工作情况汇报",
            "党工委会研究{year}年度法治建设工作要点", "党工委会研究重大行政决策事项合法性审查意见",
            "党工委会专题研究矛盾纠纷排查化解工作", "党工委会研究普法依法治理工作",
            "党工委会研究特殊人群服务管理工作",
        ),
        8, 15,
    ),
    "study_group": (
        (
            "理论学习中心组专题学习习近平法治思想", "理论学习中心组学习宪法",
            "理论学习中心组学习民法典", "理论学习中心组学习行政复议法",
            "理论学习中心组学习《法治政府建设实施纲要》",
        ),
        12, 30,
    ),
    "relay": (
        (
            "传达学习中央全面依法治国工作会议精神", "传达学习区委全面依法治区工作会议精神",
            "传达学习上级法治建设工作部署", "传达学习《法治政府建设与责任落实督察工作规定》",
        ),
        20, 60,
    ),
    "lecture": (
        (
            "民法典专题讲座", "行政处罚法专题讲座", "依法行政专题讲座",
            "信访工作条例专题讲座", "个人信息保护法专题讲座", "安全生产法律责任专题讲座",
        ),
        40, 200,
    ),
    "enforcement_training": (
        (
            "综合行政执法人员业务培训", "行政执法人员年度法律知识考试",
            "执法证件申领资格培训及考试", "行政执法“三项制度”培训",
        ),
        15, 80,
    ),
    "work_meeting": (
        ("法治建设工作推进会", "法治政府建设年度工作部署会", "普法依法治理工作会议"),
        20, 60,
    ),
    "other": (("法治建设第一责任人述法会议", "普法规划实施情况自查工作会议"), 10, 40),
}  # fmt: skip

_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (十一, 二十三); larger numbers stay Arabic."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[ones] if ones else "")


def demo_identity(seed: int) -> tuple[str, str]:
    """The demo grid worker and grid for a seed: seeds 1, 2, 3 are three laptops."""
    worker = _DEMO_WORKERS[(seed - 1) % len(_DEMO_WORKERS)]
    return worker, f"第{chinese_number(seed)}网格"


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass
class _Person:
    """A person being generated, with what the visit schedule needs."""

    record: dict[str, Any]
    category: str
    level: str | None
    first: date  # first day in the year under management
    last: date  # last day in the year under management (the cutoff, or when it ended)
    overdue: bool
    stop: str | None = None  # the status the person left management with, if any
    visits: list[dict[str, Any]] = field(default_factory=list)


class _Weighted:
    """A weighted choice table for one random generator."""

    __slots__ = ("codes", "cum", "rng")

    def __init__(self, rng: random.Random, pairs: Sequence[tuple[Any, float]]):
        self.rng = rng
        self.codes = [c for c, _ in pairs]
        self.cum = []
        total = 0.0
        for _, w in pairs:
            total += w
            self.cum.append(total)

    def __call__(self) -> Any:
        return self.rng.choices(self.codes, cum_weights=self.cum)[0]


class _Generator:
    def __init__(
        self,
        year: int,
        seed: int,
        total: int,
        *,
        worker: str,
        grid: str,
        device: str,
        forms: FormSet,
        rules: Rules,
        abbr: str,
        today: date,
        history: bool = False,
        first_seq: int = 1,
    ):
        self.year, self.seed, self.total = year, seed, max(0, int(total))
        self.seq = first_seq - 1  # the device's run: every version made takes the next number
        self.keep_history = history
        self.earlier: list[dict[str, Any]] = []  # replaced versions, when keep_history
        self.worker, self.grid, self.device, self.abbr = worker, grid, device, abbr
        self.forms, self.rules = forms, rules
        self.jan1 = date(year, 1, 1)
        self.cutoff = min(date(year, 12, 31), today)
        if self.cutoff < self.jan1:
            raise ValueError(f"{year} 年还没有开始，无法生成演示数据")
        self.rng = rng = random.Random(f"fieldkit-demo/{year}/{seed}/{self.total}")
        self.versions = {f.id: f.version for f in forms}
        self.order = {
            (f.id, fld.id): {c.code: i for i, c in enumerate(fld.all_choices())}
            for f in forms
            for fld in f.fields
            if fld.is_choice
        }
        self.seq_space = seed % SEED_SPACES
        venue_field = forms["outreach"].field("venue_type")
        self.venue_labels = {c.code: c.label for c in venue_field.choices}
        self.community = _COMMUNITIES[(seed - 1) % len(_COMMUNITIES)]
        w = lambda pairs: _Weighted(rng, pairs)  # noqa: E731
        self.surname = w(_SURNAMES)
        self.region = w(_REGIONS)
        self.category = w(_CATEGORIES)
        self.levels = {k: w(v) for k, v in _LEVELS.items()}
        self.methods = {k: w(v) for k, v in _METHODS.items()}
        self.corrections_kind = w(_CORRECTIONS_KINDS)
        self.diagnosis = w(_DIAGNOSES)
        self.guardian = w(_GUARDIANS)
        self.theme = w([(k, v[0]) for k, v in _THEMES.items()])
        self.venue = w(_VENUES)
        self.daily_law = w(_DAILY_LAWS)
        self.source = w(_SOURCES)
        self.kind = w(_KINDS)
        self.dispute = w([(k, v[0]) for k, v in _DISPUTES.items()])
        self.adviser_kind = w(_ADVISER_KINDS)
        self.requesters = {k: w(v) for k, v in _ADVISER_REQUESTERS.items()}
        self.meeting_kind = w(_MEETING_KINDS)
        self.id_numbers: set[str] = set()
        self.rule_cache: dict[tuple[str, str | None], VisitRule | None] = {}
        # The same few colleagues appear again and again through the year.
        self.colleagues = {
            "justice": [self.name()[0] for _ in range(2)],
            "police": [self.name()[0] for _ in range(2)],
            "health": [self.name()[0] for _ in range(2)],
            "mediators": [self.name()[0] for _ in range(3)],
        }
        self.advisors = [
            f"{self.name()[0]}律师（{_FIRMS[(seed + i) % len(_FIRMS)]}）" for i in range(2)
        ]

    # -- small helpers ----------------------------------------------------------------------

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day_in(self, lo: date, hi: date) -> date:
        return date.fromordinal(self.rng.randint(lo.toordinal(), hi.toordinal()))

    def workday(self, day: date, lo: date, hi: date) -> date:
        return _workday(self.rng, day, lo, hi)

    def stamp(self, day: date, hour: int, minute: int) -> str:
        """An ISO timestamp with the China offset, never after the last day of the data."""
        day += timedelta(days=hour // 24)
        if day > self.cutoff:
            day, hour = self.cutoff, 23
        return f"{day.isoformat()}T{hour % 24:02d}:{minute:02d}:{self.rng.randrange(60):02d}{TZ}"

    def entered(self, day: date, *, after_hour: int = 16) -> str:
        """When a record of `day` was typed in: that afternoon or evening, or the next morning."""
        if self.rng.random() < 0.8:
            return self.stamp(day, self.rng.randint(after_hour, 21), self.rng.randrange(60))
        return self.stamp(day, 24 + self.rng.randint(8, 11), self.rng.randrange(60))

    def ordered(self, form: str, fld: str, codes: set[str] | list[str]) -> list[str]:
        """Choice codes in the form's order, as validation stores them."""
        order = self.order[(form, fld)]
        return sorted((c for c in set(codes) if c in order), key=order.__getitem__)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def record(self, form: str, data: dict[str, Any], at: str) -> dict[str, Any]:
        return first_version(
            form,
            self.versions[form],
            data,
            author=self.worker,
            device=self.device,
            seq=self.next_seq(),
            at=at,
            record_id=self.uid(),
        )

    def edit(
        self, prev: dict[str, Any], data: dict[str, Any], at: str, *, deleted: bool = False
    ) -> dict[str, Any]:
        """The next version, saved at `at` or, if that is not later, soon after `prev`."""
        if at <= prev["updated_at"]:
            before = datetime.fromisoformat(prev["updated_at"])
            moment = before + timedelta(minutes=self.rng.randint(5, 90))
            end = datetime.combine(self.cutoff, time(23, 59, 59), before.tzinfo)
            if moment > end:
                moment = max(end, before + timedelta(seconds=1))
            at = moment.isoformat()
        if prev["data"] == data and prev["deleted"] == deleted:
            return prev
        new = next_version(
            [prev],
            data,
            author=self.worker,
            device=self.device,
            seq=self.next_seq(),
            at=at,
            deleted=deleted,
        )
        if self.keep_history:
            self.earlier.append(prev)
        return new

    def name(self, gender: str | None = None) -> tuple[str, str]:
        """A plausible name and its gender."""
        rng = self.rng
        gender = gender or ("男" if rng.random() < 0.5 else "女")
        single, first, second = _GIVEN[gender]
        if rng.random() < 0.25:
            given = rng.choice(single)
        else:
            given = rng.choice(first) + rng.choice(second)
            while given[0] == given[1]:
                given = given[0] + rng.choice(second)
        return self.surname() + given, gender

    def phone(self) -> str:
        return self.rng.choice(_PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def address(self) -> str:
        rng = self.rng
        floors = rng.choice((6, 7, 11, 18, 26, 33))
        room = f"{rng.randint(1, floors)}{rng.randint(1, 4):02d}"
        estate = rng.choice(_ESTATES) if rng.random() < 0.3 else ""
        return f"{self.community}{estate}{rng.randint(1, 36)}栋{rng.randint(1, 4)}单元{room}"

    def id_number(self, gender: str, born: date) -> str:
        """A valid ID number; the sequence digits carry the seed, so seeds never collide."""
        rng = self.rng
        while True:
            seq = 2 * (SEED_SPACES * rng.randrange(10) + self.seq_space) + (gender == "男")
            if seq == 0:
                continue
            first17 = f"{self.region()}{born:%Y%m%d}{seq:03d}"
            value = first17 + idnumber.check_char(first17)
            if value not in self.id_numbers:
                self.id_numbers.add(value)
                return value
            born += timedelta(days=rng.randint(-200, 200))  # crowded: try a nearby birthday

    def rule(self, category: str, level: str | None) -> VisitRule | None:
        key = (category, level)
        if key not in self.rule_cache:
            self.rule_cache[key] = self.rules.visit_rule(category, level)
        return self.rule_cache[key]

    def rule_days(self, category: str, level: str | None) -> float:
        rule = self.rule(category, level)
        if rule is None:
            return 91.0
        every = rule.every
        return every.get("days", 0) + 30.44 * every.get("months", 0) + 365 * every.get("years", 0)

    # -- the year --------------------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        n_persons = round(self.total * SHARES["person"])
        persons = [self.person() for _ in range(n_persons)]
        target = round(self.total * SHARES["followup"]) if persons else 0
        visits = self.visit_all(persons, target)
        rest = max(0, self.total - n_persons - len(visits))
        counts = _split(rest, {k: SHARES[k] for k in _REST})
        tombstones = self.total // 1500 if counts["outreach"] > 10 else 0
        out = [p.record for p in persons]
        out += visits
        out += self.outreach(counts["outreach"], tombstones)
        out += self.mediations(counts["mediation"])
        out += self.consultations(counts["consultation"])
        out += self.meetings(counts["meeting"])
        return self.earlier + out

    # -- persons ----------------------------------------------------------------------------

    def person(self) -> _Person:
        rng = self.rng
        category = self.category()
        level = self.levels[category]() if category in self.levels else None
        gender = "男" if rng.random() < _MALE_SHARE[category] else "女"
        name, gender = self.name(gender)
        lo_age, hi_age = _AGES[category]
        age = rng.randint(lo_age, hi_age)
        born = self.day_in(date(self.year - age, 1, 1), date(self.year - age, 12, 31))
        # Registered when an adult; a registration reaches back as far as the category's
        # supervision lasts, so that everyone generated is under management in this year.
        supervision = self.rules.supervision.get(category)
        term: dict[str, int] | None = None
        notes = ""
        if supervision:
            back = {unit: -n for unit, n in supervision.items()}
            earliest = schedule.add_period(self.jan1, back) + timedelta(days=1)
        elif category == "corrections":
            kind = self.corrections_kind()
            months = {
                "缓刑": rng.choice((12, 12, 18, 24, 24, 36, 36, 48, 60)),
                "假释": rng.randint(3, 24),
                "暂予监外执行": rng.randint(6, 36),
                "管制": rng.randint(3, 24),
            }[kind]
            term = {"months": months}
            earliest = schedule.add_period(self.jan1, {"months": -months}) + timedelta(days=1)
            notes = f"{rng.choice(_CRIMES)}，{kind}，矫正期限{_months_text(months)}"
        else:
            earliest = self.jan1.replace(year=self.year - _HISTORY_YEARS[category])
        adult = schedule.add_period(born, {"years": 18})
        start = self.day_in(max(earliest, adult), self.cutoff)
        end: date | None = None
        if supervision:
            end = schedule.supervision_end(self.rules, category, start)
        elif term:
            end = schedule.add_period(start, term) - timedelta(days=1)
        if category == "released":
            notes = f"{rng.choice(_CRIMES)}，刑满释放"
        elif category == "mental":
            notes = f"诊断：{self.diagnosis()}"
        data: dict[str, Any] = {
            "category": category,
            "name": name,
            "id_number": self.id_number(gender, born),
            "address": self.address(),
            "grid": self.grid,
            "start_date": start.isoformat(),
            "status": "active",
        }
        if rng.random() < 0.92:
            data["phone"] = self.phone()
        if end:
            data["end_date"] = end.isoformat()
        if level is not None:
            data["level"] = level
        if category == "mental":
            data["guardian"] = self.guardian_of(name, age)
        if notes:
            data["notes"] = notes
        first = max(start, self.jan1)
        # Leaving management this year: at the end of supervision, or moving, dying, prison.
        stop, stop_day = None, None
        if end is not None and end <= self.cutoff:
            stop, stop_day = "discharged", end
        else:
            roll = rng.random()
            if roll < 0.03:
                stop = "moved"
            elif roll < 0.04 and category == "corrections" and level == "strict":
                stop = "imprisoned"
            elif roll < 0.036 and category in ("mental", "cult") and age > 60:
                stop = "deceased"
            lo, hi = first + timedelta(days=30), self.cutoff - timedelta(days=7)
            if stop and lo <= hi:
                stop_day = self.day_in(lo, hi)
            else:
                stop = None
        created = self.entered(start)
        record = self.record("person", data, created)
        if stop and stop_day:
            changed = {**data, "status": stop}
            note = _STATUS_NOTES[stop].format(day=cn_date(stop_day))
            changed["notes"] = f"{notes}；{note}" if notes else note
            record = self.edit(record, changed, self.entered(stop_day, after_hour=9))
        last = stop_day if stop_day else self.cutoff
        overdue = stop is None and rng.random() < 0.06
        return _Person(record, category, level, first, last, overdue, stop)

    def guardian_of(self, name: str, age: int) -> str:
        rng = self.rng
        relation = self.guardian()
        if relation in ("父亲", "母亲") and age > 55:
            relation = rng.choice(("配偶", "儿子", "女儿"))
        if relation in ("儿子", "女儿") and age < 40:
            relation = rng.choice(("父亲", "母亲", "配偶"))
        gender = "男" if relation in ("父亲", "儿子", "哥哥") else "女"
        if relation == "配偶":
            gender = rng.choice(("男", "女"))
        guardian, _ = self.name(gender)
        surname = name[:2] if name[:2] in ("欧阳", "司马", "上官") else name[0]
        if relation in ("父亲", "儿子", "女儿", "哥哥", "姐姐"):
            given = guardian[2:] if guardian[:2] in ("欧阳", "司马", "上官") else guardian[1:]
            guardian = surname + given
        return f"{guardian}（{relation}）{self.phone()}"

    # -- follow-up visits ---------------------------------------------------------------------

    def visit_all(self, persons: list[_Person], target: int) -> list[dict[str, Any]]:
        """Visit everyone on schedule, at a pace that reaches about `target` visits in all.

        The pace scales the gap between visits: 1 is every visit on its due date, below 1 is
        visiting earlier than due, as grid workers do. It is estimated from the schedule load,
        then corrected once by a dry run on a generator of its own (the output stays
        deterministic and the main generator's sequence is untouched).
        """
        if not persons or target <= 0:
            return []
        load = sum(
            max(0, (p.last - p.first).days) / self.rule_days(p.category, p.level) for p in persons
        )
        base = len(persons) / 2  # about half a visit each is not paced (the first one)
        pace = _clamp(load / max(1.0, target - base)) if load else 1.0
        dry = random.Random(f"{self.rng.random()}/pace")
        planned = sum(len(self.plan(p, pace, dry)) for p in persons)
        if planned > base:
            pace = _clamp(pace * (planned - base) / max(1.0, target - base))
        out: list[dict[str, Any]] = []
        for p in persons:
            self.visit_person(p, pace)
            out += p.visits
        out.sort(key=lambda r: r["data"]["date"])
        return out

    def plan(self, p: _Person, pace: float, rng: random.Random) -> list[tuple[date, str | None]]:
        """The days a person is visited, with the level assessed at each visit."""
        interval = self.rule_days(p.category, p.level)
        if p.first > self.jan1:
            day = min(p.last, p.first + timedelta(days=rng.randint(0, 3)))  # on registering
        else:
            day = p.first + timedelta(days=rng.randint(0, max(0, int(interval * pace) - 1)))
        chain: list[tuple[date, str | None, date]] = []
        prev: date | None = None
        due = p.last
        while day <= p.last:
            if rng.random() < 0.8:  # mostly on weekdays, never later than due
                lo = prev + timedelta(days=1) if prev else p.first
                day = _workday(rng, day, lo, min(due, p.last))
            level = _assess(rng, p.level) if p.category == "mental" else p.level
            rule = self.rule(p.category, level)
            nxt = schedule.add_period(day, rule.every) if rule else day + timedelta(days=91)
            chain.append((day, level, nxt))
            prev, due = day, nxt
            gap = (nxt - day).days
            if rng.random() < 0.03:
                step = gap + rng.randint(1, 10)  # a late visit now and then
            else:
                step = min(gap, round(gap * pace * rng.uniform(0.8, 1.2)))
            day = day + timedelta(days=max(1, step))
        if p.overdue:
            # Missed the last visit(s): the latest next-visit date has already passed.
            margin = timedelta(days=rng.randint(1, 40))
            while len(chain) > 1 and chain[-1][2] >= self.cutoff - margin:
                chain.pop()
        return [(day, level) for day, level, _ in chain]

    def visit_person(self, p: _Person, pace: float) -> None:
        rng = self.rng
        chain = self.plan(p, pace, rng)
        for i, (day, level) in enumerate(chain):
            rule = self.rule(p.category, level)
            nxt = schedule.add_period(day, rule.every) if rule else day + timedelta(days=91)
            final = i == len(chain) - 1 and p.stop is not None
            data = self.visit_data(p, level, nxt, final)
            if final and p.stop == "imprisoned":
                data.update(incident="crime", condition="unstable")
                data["incident_note"] = "违反监督管理规定，经司法所提请依法收监执行"
            hour, minute = self.visit_time()
            data["date"] = f"{day.isoformat()}T{hour:02d}:{minute:02d}"
            at = self.stamp(day, hour + rng.randint(0, 3), rng.randrange(60))
            p.visits.append(self.record("followup", data, at))

    def visit_time(self) -> tuple[int, int]:
        roll = self.rng.random()
        if roll < 0.6:
            return self.rng.randint(8, 11), self.rng.randrange(0, 60, 5)
        if roll < 0.9:
            return self.rng.randint(14, 17), self.rng.randrange(0, 60, 5)
        return self.rng.randint(18, 20), self.rng.randrange(0, 60, 5)

    def visit_data(self, p: _Person, level: str | None, nxt: date, final: bool) -> dict[str, Any]:
        rng = self.rng
        category = p.category
        joint_rule = self.rule(category, level)
        joint = tuple(joint_rule.joint) if joint_rule else ()
        table = "joint" if joint else category if category in self.methods else "default"
        method = self.methods[table]()
        depts = {"grid"}
        if joint:
            depts.update(joint)
            if rng.random() < 0.15:
                depts.add(rng.choice(("disabled", "civil", "comprehensive")))
        elif method in ("home", "interview"):
            for code, share in _JOIN[category]:
                if rng.random() < share:
                    depts.add(code)
        visitors = [self.worker]
        for dept, label in (("justice", "司法所"), ("police", "民警"), ("health", "精防医生")):
            if dept in depts:
                visitors.append(label + rng.choice(self.colleagues[dept]))
        data: dict[str, Any] = {
            "person": p.record["id"],
            "method": method,
            "departments": self.ordered("followup", "departments", depts),
            "visitors": "、".join(visitors),
            "next_visit": nxt.isoformat(),
            "incident": "none",
        }
        high = category == "mental" and int(level or 0) >= 3
        roll = rng.random()
        if high:
            condition = "stable" if roll < 0.55 else "mostly_stable" if roll < 0.9 else "unstable"
        else:
            condition = "stable" if roll < 0.86 else "mostly_stable" if roll < 0.97 else "unstable"
        data["condition"] = condition
        if category == "mental":
            data["risk_level"] = level
            roll = rng.random()
            data["medication"] = (
                "regular" if roll < 0.75 else "intermittent" if roll < 0.95 else "none"
            )
        if rng.random() < 0.14:
            helps = _HELP[category]
            data["assistance"] = self.ordered(
                "followup", "assistance", rng.sample(helps, rng.choice((1, 1, 1, 2)))
            )
        incident = self.incident(category, high)
        if incident != "none":
            data["incident"] = incident
            data["condition"] = "unstable"
            data["incident_note"] = rng.choice(_INCIDENTS[incident])
        if final and p.stop == "discharged":
            data["notes"] = "期满前谈话，告知解除管理有关事项"
        elif rng.random() < 0.1:
            data["notes"] = rng.choice(_VISIT_NOTES[category])
        return data

    def incident(self, category: str, high: bool) -> str:
        roll = self.rng.random()
        if category == "mental":
            rate = 0.004 if high else 0.0006
            return "trouble" if roll < rate else "extreme" if roll < rate + 0.0003 else "none"
        if category in ("drug_rehab", "released", "corrections"):
            return "crime" if roll < 0.001 else "other" if roll < 0.0025 else "none"
        return "extreme" if roll < 0.0005 else "none"

    # -- outreach ---------------------------------------------------------------------------

    def theme_day(self, theme: str) -> date | None:
        _, start, end, peak, peak_share = _THEMES[theme]
        if start is None:
            return None
        if peak and self.rng.random() < peak_share:
            day = date(self.year, *peak)
        else:
            day = self.day_in(date(self.year, *start), date(self.year, *end))
        return day if day <= self.cutoff else None

    def outreach(self, count: int, tombstones: int) -> list[dict[str, Any]]:
        rng = self.rng
        tombstones = min(tombstones, count // 2)
        out = [self.event() for _ in range(count - tombstones)]
        out.sort(key=lambda r: r["data"]["date"])
        # A few events typed in twice by mistake and deleted the next day: the tombstones
        # travel in bundles like any other version.
        for original in rng.sample(out, tombstones):
            data = {**original["data"], "participants": original["data"]["participants"] + 1}
            day = date.fromisoformat(data["date"])
            dup = self.record("outreach", data, self.entered(day))
            at = self.stamp(min(day + timedelta(days=1), self.cutoff), 9, rng.randrange(60))
            out.append(self.edit(dup, data, at, deleted=True))
        return out

    def event(self) -> dict[str, Any]:
        rng = self.rng
        theme = self.theme()
        day = self.theme_day(theme)
        if theme == "daily" or (day is None and theme != "other"):
            theme = "daily"
            stem, laws, partners = rng.choice(_DAILY_STEMS), None, _DAILY_PARTNERS
        elif theme == "other":
            stem, laws, partners, month = rng.choice(_OTHER_THEMES)
            if month and date(self.year, month, 1) <= self.cutoff:
                day = self.day_in(date(self.year, month, 1), date(self.year, month, 28))
                day = min(day, self.cutoff)
        else:
            stems, laws, partners = _THEME_TEXT[theme]
            stem = rng.choice(stems)
        if day is None:
            day = self.day_in(self.jan1, self.cutoff)
        if laws is None:
            laws = {self.daily_law() for _ in range(rng.choice((1, 1, 2, 3)))}
        venue = self.venue()
        place = rng.choice(_VENUE_PLACES[venue]).format(
            community=self.community, estate=rng.choice(_ESTATES), company=rng.choice(_COMPANIES)
        )
        acts = {code for code, share in _ACTIVITIES if rng.random() < share} or {"materials"}
        median = 70 if theme in ("daily", "other") else 180
        people = int(min(500, max(20, rng.lognormvariate(math.log(median), 0.6))))
        data: dict[str, Any] = {
            "date": day.isoformat(),
            "title": stem + self.venue_labels[venue],
            "venue_type": venue,
            "location": place,
            "theme": theme,
            "laws": self.ordered("outreach", "laws", laws),
            "activities": self.ordered("outreach", "activities", acts),
            "participants": people,
        }
        if rng.random() < 0.6:
            k = min(len(partners), rng.randint(1, 2))
            data["partners"] = "、".join(rng.sample(partners, k))
        if "materials" in acts:
            handed = min(2000, max(50, people * rng.uniform(1.0, 3.5)))
            data["materials"] = int(handed) // 10 * 10
        if "consulting" in acts:
            data["consultations"] = max(1, int(people * rng.uniform(0.04, 0.25)))
        return self.record("outreach", data, self.entered(day))

    # -- mediation --------------------------------------------------------------------------

    def mediations(self, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        pattern = self.rules.case_numbers.pattern
        days = sorted(
            self.workday(self.mediation_day(), self.jan1, self.cutoff) for _ in range(count)
        )
        out = []
        # Each demo laptop numbers from its own range, as from blocks the office handed out.
        first = (self.seed - 1) * DEMO_CASE_BLOCK + 1
        for seq, accepted in enumerate(days, start=first):
            dispute = self.dispute()
            source = self.source()
            kind = self.kind()
            if source == "court" and rng.random() < 0.3:
                kind = "judicial"
            parties, n = self.parties(dispute)
            summary = rng.choice(_SUMMARIES[dispute]).format(n=max(2, n - 1))
            mediators = [self.worker, *rng.sample(self.colleagues["mediators"], rng.randint(0, 2))]
            data: dict[str, Any] = {
                "case_no": pattern.format(year=self.year, abbr=self.abbr, seq=seq),
                "accepted": accepted.isoformat(),
                "source": source,
                "dispute_type": dispute,
                "kind": kind,
                "parties": parties,
                "party_count": n,
                "mediators": "、".join(mediators),
                "summary": summary,
                "result": "ongoing",
            }
            _, with_amount, lo, hi = _DISPUTES[dispute]
            if rng.random() < with_amount:
                amount = math.exp(rng.uniform(math.log(lo), math.log(hi)))
                step = 10 if amount < 5000 else 100 if amount < 100000 else 1000
                data["amount"] = float(max(step, round(amount / step) * step))
            if source == "court":
                data["notes"] = "法院委派诉前调解"
            rec = self.record("mediation", data, self.entered(accepted, after_hour=10))
            limit = 60 if source == "court" else 30
            took = min(limit, int(rng.expovariate(1 / 9)) + 1)
            closed = accepted + timedelta(days=took)
            if closed > self.cutoff or rng.random() < 0.01:
                out.append(rec)  # still being mediated at the end of the data
                continue
            data = dict(data)
            roll = rng.random()
            result = "success" if roll < 0.92 else "failed" if roll < 0.97 else "terminated"
            data["result"] = result
            data["closed"] = closed.isoformat()
            if result == "success":
                oral = dispute in ("neighbour", "other") and rng.random() < 0.5
                data["agreement"] = "oral" if oral or rng.random() < 0.15 else "written"
                data["fulfilment"] = "done" if rng.random() < 0.45 else "pending"
            else:
                if rng.random() < 0.5:
                    data["agreement"] = "none"
                notes = _FAILED_NOTES if result == "failed" else _TERMINATED_NOTES
                data["notes"] = "；".join(filter(None, (data.get("notes"), rng.choice(notes))))
            rec = self.edit(rec, data, self.entered(closed, after_hour=10))
            revisit = closed + timedelta(days=rng.randint(7, 30))
            if result == "success" and revisit <= self.cutoff and rng.random() < 0.8:
                data = dict(data)
                data["revisit_date"] = revisit.isoformat()
                roll = rng.random()
                data["fulfilment"] = (
                    "done"
                    if roll < 0.86
                    else "partial"
                    if roll < 0.94
                    else "not_done"
                    if roll < 0.97
                    else "pending"
                )
                rec = self.edit(rec, data, self.entered(revisit, after_hour=10))
            out.append(rec)
        return out

    def mediation_day(self) -> date:
        # Wage disputes pile up before the Spring Festival and at the end of the year.
        if self.rng.random() < 0.08:
            month = self.rng.choice((1, 1, 12))
            lo, hi = date(self.year, month, 1), date(self.year, month, 28)
            if lo <= self.cutoff:
                return self.day_in(lo, min(hi, self.cutoff))
        return self.day_in(self.jan1, self.cutoff)

    def parties(self, dispute: str) -> tuple[str, int]:
        rng = self.rng
        a = self.name()[0]
        if dispute == "labour" and rng.random() < 0.5:
            workers = rng.randint(3, 40)
            return f"{a}等{workers}人、{rng.choice(_COMPANIES)}", workers + 1
        if dispute == "property_mgmt":
            return f"{a}、{rng.choice(_PROPERTY_COMPANIES)}", 2
        if dispute in ("contract", "labour") and rng.random() < 0.5:
            return f"{a}、{rng.choice(_COMPANIES)}", 2
        if dispute == "demolition":
            return f"{a}、区房屋征收事务中心", 2
        if dispute == "medical":
            return f"{a}、{rng.choice(('区人民医院', '社区卫生服务中心', '某口腔诊所'))}", 2
        if dispute == "abnormal_death":
            kin = rng.randint(2, 5)
            return f"{a}等{kin}名死者家属、{rng.choice(_COMPANIES)}", kin + 1
        names = [a] + [self.name()[0] for _ in range(rng.choice((1, 1, 1, 1, 2, 3)))]
        return "、".join(names), len(names)

    # -- the adviser and the office ---------------------------------------------------------

    def consultations(self, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        out = []
        for _ in range(count):
            kind = self.adviser_kind()
            topics, outcomes = _ADVISER_TEXT[kind]
            day = self.workday(self.day_in(self.jan1, self.cutoff), self.jan1, self.cutoff)
            data = {
                "date": day.isoformat(),
                "kind": kind,
                "requester": self.requesters[kind](),
                "topic": rng.choice(topics).format(year=self.year),
                "advisor": rng.choice(self.advisors),
                "outcome": rng.choice(outcomes).format(n=rng.randint(1, 6)),
            }
            out.append(self.record("consultation", data, self.entered(day)))
        out.sort(key=lambda r: r["data"]["date"])
        return out

    def meetings(self, count: int) -> list[dict[str, Any]]:
        """Meetings by kind in fixed shares, each kind spread evenly over the months so far
        (the party committee takes up rule-of-law work about twice a month)."""
        rng = self.rng
        out = []
        span = (self.cutoff - self.jan1).days + 1
        shares = dict(_MEETING_KINDS)
        for kind, n in _split(count, shares).items():
            titles, lo, hi = _MEETING_TEXT[kind]
            for i in range(n):
                first = self.jan1 + timedelta(days=span * i // n)
                last = max(first, self.jan1 + timedelta(days=span * (i + 1) // n - 1))
                day = self.workday(self.day_in(first, last), first, last)
                data: dict[str, Any] = {
                    "date": day.isoformat(),
                    "kind": kind,
                    "title": rng.choice(titles).format(year=self.year),
                    "participants": rng.randint(lo, hi),
                }
                if kind == "enforcement_training" and "考试" in data["title"]:
                    data["notes"] = f"参考{data['participants']}人，全部合格"
                out.append(self.record("meeting", data, self.entered(day)))
        out.sort(key=lambda r: r["data"]["date"])
        return out


def _clamp(pace: float) -> float:
    return min(1.0, max(0.4, pace))


def _workday(rng: random.Random, day: date, lo: date, hi: date) -> date:
    """The day itself, or a nearby weekday within [lo, hi] if it falls on a weekend."""
    wd = day.weekday()
    if wd < 5:
        return day
    before, after = day - timedelta(days=wd - 4), day + timedelta(days=7 - wd)
    for cand in (after, before) if rng.random() < 0.5 else (before, after):
        if lo <= cand <= hi:
            return cand
    return day


def _assess(rng: random.Random, level: str | None) -> str:
    """A risk assessment: mostly the registered level, sometimes one better or worse."""
    base = int(level or 0)
    roll = rng.random()
    if roll < 0.08 and base > 0:
        base -= 1
    elif roll < 0.14 and base < 5:
        base += 1
    return str(base)


def _months_text(months: int) -> str:
    years, rest = divmod(months, 12)
    text = (
        f"{chinese_number(years).replace('二', '两') if years == 2 else chinese_number(years)}年"
        if years
        else ""
    )
    return text + (f"{chinese_number(rest)}个月" if rest else "")


def _split(total: int, shares: dict[str, float]) -> dict[str, int]:
    """`total` split by shares, largest remainders first, so the parts add up exactly."""
    weight = sum(shares.values())
    raw = {k: total * v / weight for k, v in shares.items()}
    out = {k: int(v) for k, v in raw.items()}
    left = total - sum(out.values())
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[:left]:
        out[k] += 1
    return out


def generate(
    year: int,
    seed: int = 1,
    records: int = 3000,
    *,
    worker: str,
    grid: str,
    device: str,
    forms: FormSet,
    rules: Rules,
    abbr: str = DEMO_ABBR,
    today: date | None = None,
    history: bool = False,
    first_seq: int = 1,
) -> list[dict[str, Any]]:
    """About `records` complete records of one grid's `year`, deterministic in (year, seed,
    records, today). Persons come first, so a follow-up's person is always before it.

    `today` (default: the real today) ends the data when the year is not over yet; nothing is
    dated after it. A few records are later versions (a mediation closed after acceptance, a
    person discharged) and a few outreach duplicates are tombstones (deleted=True).

    With `history`, the versions those replaced come first in the list (same id, older
    version), so that saving the list in order leaves them readable in the store's history;
    then the list is longer than `records`, and it is a complete run of the device's versions
    numbered from `first_seq`. Without it, there is one dict per record id.
    """
    gen = _Generator(
        year,
        seed,
        records,
        worker=worker,
        grid=grid,
        device=device,
        forms=forms,
        rules=rules,
        abbr=abbr,
        today=today or date.today(),
        history=history,
        first_seq=first_seq,
    )
    return gen.run()


def fill(ws: Workspace, year: int, seed: int = 1, records: int = 3000) -> dict[str, int]:
    """Generate a demo year into a workspace in one save; live records per form id.

    Earlier versions of edited records (a mediation when accepted, a person before discharge)
    are saved too, so the store's history shows them.

    Without an identity the workspace gets the demo one for the seed (第一网格 for seed 1).
    """
    ident = ws.identity
    if ident is None:
        worker, grid = demo_identity(seed)
        ident = ws.set_identity(worker=worker, grid=grid, org=DEMO_ORG, abbr=DEMO_ABBR)
    recs = generate(
        year,
        seed,
        records,
        worker=ident.worker,
        grid=ident.grid,
        device=ident.device,
        forms=ws.forms,
        rules=ws.forms.rules,
        abbr=ident.abbr or DEMO_ABBR,
        today=ws.today(),
        history=True,
        first_seq=ws.store.get_meta(SEQ, 0) + 1,
    )
    with ws.store.transaction() as tx:
        for rec in recs:
            tx.save_record(rec)
        tx.set_meta(SEQ, max((r["seq"] for r in recs), default=tx.get_meta(SEQ, 0)))
    current = {r["id"]: r for r in recs}  # the last version of each id is its current one
    counts = Counter(r["form"] for r in current.values() if not r["deleted"])
    return {f.id: counts.get(f.id, 0) for f in ws.forms}
