"""The command line's grammar, with argparse's English replaced by Chinese for users."""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

# argparse builds its messages in English (through gettext, with no catalogue of ours to
# install); these turn each into Chinese, keeping the details. tests/test_library_internals.py
# provokes every one, so a Python that words one differently fails there.
_MESSAGES = [
    (r"the following arguments are required: (.+)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.+)", r"无法识别的参数：\1"),
    (
        r"argument (\S+): invalid choice: '?(.+?)'? \(choose from (.+)\)",
        r"参数 \1：“\2”不是可选项（可选：\3）",
    ),
    (r"argument (\S+): invalid int value: '(.*)'", r"参数 \1：“\2”不是整数"),
    (r"argument (\S+): expected one argument", r"参数 \1 需要一个值"),
    (r"argument (\S+): expected at least one argument", r"参数 \1 至少需要一个值"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
    (r"ambiguous option: (\S+) could match (.+)", r"选项 \1 有歧义，可能是：\2"),
]


def translate(message: str) -> str:
    for pattern, replacement in _MESSAGES:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


class _Formatter(argparse.HelpFormatter):
    # HelpFormatter's methods are not public API, but the usage prefix has no other way in;
    # tests/test_library_internals.py checks that help still starts with “用法：”.
    def add_usage(self, usage, actions, groups, prefix=None):
        # argparse passes prefix="" when it builds a subcommand's prog; keep that one.
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class ChineseParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage, help and errors read in Chinese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        # The two default groups' titles have no public setter (only new groups can be made);
        # tests/test_library_internals.py checks the help shows these.
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"错误：{translate(message)}\n")


def build_parser() -> ChineseParser:
    p = ChineseParser(
        prog="fieldkit",
        description="基层法治工作离线数据采集：普法宣传、特殊人群随访、矛盾纠纷调解、台账与年度报告。"
        "不带命令时打开程序界面。",
    )
    p.add_argument(
        "--data-dir", metavar="目录", help="数据目录（默认：$FIELDKIT_DATA_DIR 或系统用户数据目录）"
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="在单独的演示数据目录中打开程序（首次使用时生成演示数据）",
    )
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=ChineseParser)

    s = sub.add_parser(
        "init",
        help="设置本机的网格员、网格和单位",
        description="新的数据目录：口令取自环境变量 FIELDKIT_PASSPHRASE，或在终端中提示输入；"
        "都没有时数据目录不加密（会提示）。",
    )
    s.add_argument("--worker", required=True, metavar="姓名", help="网格员姓名")
    s.add_argument("--grid", required=True, metavar="网格", help="所属网格")
    s.add_argument("--org", metavar="单位", help="所属街道（单位）名称（不写则不变）")
    s.add_argument("--abbr", metavar="简称", help="调解案号中的单位简称，如“东”（不写则不变）")
    s.add_argument(
        "--office-key", metavar="公钥文件", help="街道的公钥文件（信任街道；导出文件将加密给街道）"
    )

    s = sub.add_parser(
        "passwd",
        help="设置或更改数据目录的口令（未设口令的数据目录：设置后加密）；设置自动锁定时间",
        description="更改口令只重新包装数据密钥，数据不用重新加密。当前口令取自环境变量 "
        "FIELDKIT_PASSPHRASE 或终端提示，新口令取自 FIELDKIT_NEW_PASSPHRASE 或终端提示（输入两次）。",
    )
    s.add_argument(
        "--idle-lock",
        type=int,
        metavar="分钟",
        help="只设置程序界面无操作多久后自动锁定（默认 10 分钟，0 表示不自动锁定），不改口令",
    )

    s = sub.add_parser(
        "recover",
        help="街道电脑：用街道密钥打开一台忘记口令的笔记本的数据目录，并设置新口令",
        description="在街道电脑上运行（本数据目录是街道的）。只有笔记本配置了本街道公钥时才能恢复。"
        "新口令取自环境变量 FIELDKIT_NEW_PASSPHRASE 或终端提示（输入两次）。",
    )
    s.add_argument("laptop", metavar="笔记本数据目录", help="从笔记本复制来的整个数据目录")

    sub.add_parser("log", help="显示出错记录（已解锁时包括加密的详细信息）")

    sub.add_parser("forms", help="列出表单、版本和字段")

    s = sub.add_parser("add", help="从 JSON（每行一个对象）添加记录")
    s.add_argument("form", metavar="表单", help="表单标识，如 outreach")
    s.add_argument(
        "--file", default="-", metavar="文件", help="JSON 行文件，- 表示标准输入（默认）"
    )

    s = sub.add_parser("edit", help="修改一条记录（生成新版本）")
    s.add_argument("id", metavar="记录编号", help="记录编号（可用前8位）")
    s.add_argument(
        "--set",
        dest="changes",
        nargs="+",
        required=True,
        metavar="字段=值",
        help="要修改的字段；“字段=”表示清空",
    )

    s = sub.add_parser("delete", help="删除一条记录（保留历史，可同步）")
    s.add_argument("id", metavar="记录编号", help="记录编号（可用前8位）")

    s = sub.add_parser("list", help="列出一个表单的记录")
    s.add_argument("form", metavar="表单", help="表单标识")
    s.add_argument("--year", type=int, metavar="年份", help="只列出该年的记录")
    s.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")

    s = sub.add_parser("due", help="列出到期和逾期的随访")
    s.add_argument("--grid", metavar="网格", help="只看该网格")
    s.add_argument("--within", type=int, default=0, metavar="天数", help="同时列出几天内到期的")
    s.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")

    s = sub.add_parser("demo", help="生成一年的演示数据（只能写入空的数据目录）")
    s.add_argument("--year", type=int, metavar="年份", help="演示年份（默认今年）")
    s.add_argument("--seed", type=int, default=1, metavar="种子", help="随机种子（默认 1）")
    s.add_argument(
        "--records", type=int, default=3000, metavar="条数", help="记录总数（默认 3000）"
    )

    s = sub.add_parser("report", help="生成年度法治政府建设报告草稿（.docx）")
    s.add_argument("--year", type=int, required=True, metavar="年份", help="报告年度")
    s.add_argument("--grid", metavar="网格", help="只统计该网格")
    s.add_argument(
        "-o",
        "--output",
        metavar="文件",
        help="输出的 .docx 文件或目录（默认：数据目录下 exports/）",
    )
    s.add_argument(
        "--exact", action="store_true", help="数字照实写，不写成“2万余”（覆盖模板中的取整方式）"
    )
    s.add_argument(
        "--seal",
        action="store_true",
        help="署名和成文日期按加盖印章的格式排（默认按不加盖印章的格式）",
    )
    s.add_argument(
        "--force",
        action="store_true",
        help="覆盖已有的同名文件（默认不覆盖：另存为“（草稿2）”，-o 指定的文件已存在则不生成）",
    )

    s = sub.add_parser("ledger", help="生成年度台账（.xlsx，每个表单一个工作表，另有汇总表）")
    s.add_argument("--year", type=int, required=True, metavar="年份", help="台账年度")
    s.add_argument("--grid", metavar="网格", help="只列出该网格")
    s.add_argument(
        "-o",
        "--output",
        metavar="文件",
        help="输出的 .xlsx 文件或目录（默认：数据目录下 exports/）",
    )
    s.add_argument(
        "--mask",
        action="store_true",
        help="脱敏，供对外报送：姓名只留姓，证件号和电话打码，地址只到社区，不含备注和健康、违法细节",
    )
    s.add_argument(
        "--force",
        action="store_true",
        help="覆盖已有的同名文件（默认不覆盖：另存为“（2）”，-o 指定的文件已存在则不生成）",
    )

    s = sub.add_parser("export", help="导出自上次导出以来的变化（交给街道汇总）")
    s.add_argument(
        "-o", "--output", metavar="目录", help="导出到该目录，如 U 盘（默认：数据目录下 exports/）"
    )
    which = s.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="导出全部记录，而不只是本机新的变化")
    which.add_argument(
        "--from",
        dest="since",
        type=int,
        metavar="编号",
        help="重新导出本机从该编号起的全部变更（街道提示缺少哪些编号时用）",
    )
    which.add_argument(
        "--grid",
        metavar="网格",
        help="街道：导出该网格的人员和随访（只有该网格已信任的电脑能打开）",
    )
    which.add_argument(
        "--for",
        dest="for_device",
        metavar="设备",
        help="街道：为一台已信任的电脑导出它所在网格的人员和随访（设备编号或指纹前几位）",
    )

    s = sub.add_parser("import", help="导入导出文件（.fkb），合并到本机数据")
    s.add_argument(
        "bundles", nargs="+", metavar="文件", help="一个或多个 .fkb 文件；写目录表示其中全部 .fkb"
    )
    s.add_argument("--dry-run", action="store_true", help="只统计会有哪些变化，不修改数据")
    s.add_argument("--json", action="store_true", help="以一个 JSON 对象输出统计")

    s = sub.add_parser("keygen", help="把本机设为街道电脑，写出发给各网格员电脑的街道公钥文件")
    s.add_argument(
        "-o", "--output", metavar="目录", help="公钥文件的保存目录（默认：数据目录下 exports/）"
    )

    s = sub.add_parser("history", help="一条记录的全部版本：谁、哪台电脑、何时、改了什么")
    s.add_argument("id", metavar="记录编号", help="记录编号（可用前8位）")
    s.add_argument("--json", action="store_true", help="每个版本输出一个 JSON 对象")

    s = sub.add_parser(
        "devices", help="本机知道的设备（指纹、是否信任、缺少的变更）；信任或停用设备"
    )
    s.add_argument("--json", action="store_true", help="每台设备输出一个 JSON 对象")
    acts = s.add_subparsers(dest="action", metavar="操作", parser_class=ChineseParser)
    for name, text in (
        ("trust", "信任一台设备（核对指纹后）"),
        ("revoke", "停用一台设备（如电脑丢失）"),
    ):
        a = acts.add_parser(name, help=text)
        a.add_argument("device", metavar="设备", help="设备编号，或指纹的前几位（不唯一时会提示）")
    return p
