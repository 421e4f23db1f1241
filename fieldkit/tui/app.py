"""The Textual app. Placeholder home until the data-entry screens land (issue: the app, part 1)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class FieldkitApp(App):
    TITLE = "fieldkit 基层法治工作台"

    def __init__(self, root: Path, *, demo: bool = False):
        super().__init__()
        self.root = root
        self.demo = demo

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"数据目录：{self.root}\n录入界面尚在建设中，请先使用命令行（fieldkit --help）。")
        yield Footer()


def run(root: Path, *, demo: bool = False) -> int:
    FieldkitApp(root, demo=demo).run()
    return 0
