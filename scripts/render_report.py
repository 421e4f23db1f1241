#!/usr/bin/env python3
"""Render a report draft to PDF and its first pages to PNG with LibreOffice, to look at it.

    python scripts/render_report.py exports/某某街道2026年法治政府建设年度报告（草稿）.docx
    python scripts/render_report.py DRAFT.docx --out /tmp/look --pages 3 --dpi 120

Needs LibreOffice (soffice) and, for the PNG, pdftoppm (poppler-utils); without pdftoppm page 1
is rendered by LibreOffice itself. Machines without the official fonts (方正小标宋简体, 仿宋_GB2312,
楷体_GB2312, 黑体) get Noto CJK in their place through a temporary fontconfig alias file, so the
picture shows the layout, not the exact typefaces. Not part of the tests: CI does not need it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

INSTALL_HINT = (
    "未找到 LibreOffice（soffice）。请先安装，例如 Debian/Ubuntu："
    "sudo apt-get install libreoffice-writer fonts-noto-cjk poppler-utils"
)
# Official font -> a stand-in commonly installed on Linux (used only when the real one is absent).
STAND_INS = {
    "方正小标宋简体": "Noto Serif CJK SC",
    "仿宋_GB2312": "Noto Serif CJK SC",
    "仿宋": "Noto Serif CJK SC",
    "FangSong": "Noto Serif CJK SC",
    "楷体_GB2312": "Noto Serif CJK SC",
    "楷体": "Noto Serif CJK SC",
    "KaiTi": "Noto Serif CJK SC",
    "宋体": "Noto Serif CJK SC",
    "SimSun": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC",
    "SimHei": "Noto Sans CJK SC",
}


def find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (
        r"C:\Program Files\LibreOffice\program\soffice.exe",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    ):
        if Path(candidate).exists():
            return candidate
    return None


def fontconfig_file(folder: Path) -> Path:
    aliases = "\n".join(
        f'  <alias binding="same"><family>{name}</family><accept><family>{stand_in}</family>'
        "</accept></alias>"
        for name, stand_in in STAND_INS.items()
    )
    path = folder / "fonts.conf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"{aliases}\n</fontconfig>\n",
        encoding="utf-8",
    )
    return path


def run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        sys.exit(f"转换失败：{' '.join(cmd[:2])}……\n{result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="用 LibreOffice 把报告草稿转成 PDF 和 PNG")
    parser.add_argument("docx", type=Path, help="报告草稿 .docx")
    parser.add_argument("--out", type=Path, help="输出目录（默认与草稿同目录）")
    parser.add_argument("--pages", type=int, default=1, help="渲染前几页为 PNG（默认 1）")
    parser.add_argument("--dpi", type=int, default=110, help="PNG 分辨率（默认 110）")
    args = parser.parse_args(argv)

    if not args.docx.is_file():
        sys.exit(f"找不到文件：{args.docx}")
    soffice = find_soffice()
    if soffice is None:
        sys.exit(INSTALL_HINT)
    out = (args.out or args.docx.parent).resolve()
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="fieldkit-render-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        if os.name != "nt":
            env["FONTCONFIG_FILE"] = str(fontconfig_file(work))
        # A private profile: works while another LibreOffice is open, leaves the user's alone.
        profile = f"-env:UserInstallation={(work / 'profile').as_uri()}"
        source = work / "draft.docx"  # an ASCII name: fewer surprises in converters
        shutil.copyfile(args.docx, source)
        convert = [soffice, profile, "--headless", "--convert-to"]
        run([*convert, "pdf", "--outdir", tmp, str(source)], env)
        pdf = out / f"{args.docx.stem}.pdf"
        shutil.copyfile(work / "draft.pdf", pdf)
        print(f"PDF：{pdf}")

        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm:
            prefix = work / "page"
            cmd = [pdftoppm, "-png", "-r", str(args.dpi), "-f", "1", "-l", str(args.pages)]
            run([*cmd, str(work / "draft.pdf"), str(prefix)], env)
            pages = sorted(work.glob("page-*.png"))
        else:
            print("未找到 pdftoppm（poppler-utils），只用 LibreOffice 渲染第 1 页。")
            run([*convert, "png", "--outdir", tmp, str(source)], env)
            pages = [work / "draft.png"]
        for n, page in enumerate(pages, start=1):
            target = out / f"{args.docx.stem}-第{n}页.png"
            shutil.copyfile(page, target)
            print(f"PNG：{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
