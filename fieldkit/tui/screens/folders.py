"""A folder typed by the user to write into (an export, a report): checked before anything is
written. A folder that is not there is often a USB stick that is not plugged in, so the user
is asked before it is made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.screen import Screen

from fieldkit.tui import text
from fieldkit.tui.screens.dialogs import Answer, ChoiceDialog

EMPTY = "请填写要{verb}到的文件夹"
MISSING_TITLE = "这个文件夹不存在"
MISSING_BODY = (
    "{folder}\n如果要{verb}到 U 盘，请先检查 U 盘是否插好、路径是否写对。"
    "也可以新建这个文件夹并{verb}到这里。"
)
MAKE = "新建文件夹并{verb}"
NOT_A_FOLDER = "{folder} 是一个文件，不是文件夹：请写要{verb}到的文件夹"


def when_ready(
    screen: Screen,
    typed: str,
    verb: str,
    then: Callable[[Path], None],
    usual: Path | None = None,
) -> None:
    """Call `then(folder)` once the typed folder is one to write into: at once if it exists
    or is the screen's `usual` folder (the writer makes it), after the user agrees to make it
    if it does not; a warning (and no call) otherwise. `verb` (导出, 保存) completes the
    messages."""
    if not typed.strip():
        screen.notify(EMPTY.format(verb=verb), severity="warning")
        return
    folder = Path(typed.strip()).expanduser()
    if folder.is_dir() or folder == usual:
        then(folder)
        return
    if folder.exists():
        screen.notify(NOT_A_FOLDER.format(folder=folder, verb=verb), severity="error", markup=False)
        return

    def answered(answer: str | None) -> None:
        if answer == "make":
            then(folder)

    screen.app.push_screen(
        ChoiceDialog(
            MISSING_TITLE,
            MISSING_BODY.format(folder=folder, verb=verb),
            [
                Answer("no", text.CANCEL, "", "primary"),
                Answer("make", MAKE.format(verb=verb), "m", "default"),
            ],
            cancel="no",
        ),
        answered,
    )
