"""Chinese line breaking for the screens: `wrap` and `Paragraph` (finding and ordering Chinese
text is the read model's: fieldkit.views.chinese)."""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

# -- line breaking ---------------------------------------------------------------------------

# Chinese breaks between any two characters, but a line never starts with closing punctuation
# nor ends with opening punctuation; Latin words and numbers ("Ctrl+S", "2026/3/5") stay whole.
_NO_START = frozenset("，。、；：？！）」』”’》〉】…·%,.;:!?)]")
_NO_END = frozenset("（「『“‘《〈【([")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _units(text: str) -> list[tuple[str, bool]]:
    """Pieces that are never split across lines, each with whether a space comes before it."""
    pieces: list[list] = []
    space, word = False, ""
    word_space = False

    def flush() -> None:
        nonlocal word
        if word:
            pieces.append([word, word_space])
            word = ""

    for ch in text:
        if ch == " ":
            flush()
            space = True
        elif _wide(ch) or ch in _NO_START or ch in _NO_END:
            flush()
            pieces.append([ch, space])
            space = False
        else:
            if not word:
                word_space, space = space, False
            word += ch
    flush()
    glued: list[list] = []
    for piece, spaced in pieces:
        if glued and not spaced and (piece[0] in _NO_START or glued[-1][0][-1] in _NO_END):
            glued[-1][0] += piece
        else:
            glued.append([piece, spaced])
    return [(piece, spaced) for piece, spaced in glued]


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells, broken as Chinese is (see above)."""
    width = max(width, 2)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece, spaced in _units(paragraph):
            joined = line + (" " if spaced and line else "") + piece
            if cell_len(joined) <= width:
                line = joined
                continue
            if line:
                lines.append(line)
            line = piece
            while cell_len(line) > width:  # a piece longer than a line: cut it where it must
                cut = next(i for i in range(len(line), 0, -1) if cell_len(line[:i]) <= width)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


class Paragraph:
    """Text (one or more paragraphs) to show in a widget, wrapped as Chinese is, at whatever
    width the widget has: Rich and Textual break lines only at spaces, so "……；Ctrl+S 保存。
    也可以……" would end a line at "Ctrl+S" and cut long runs of Chinese."""

    def __init__(self, text: str, style: str = ""):
        self.text = text
        self.style = style

    def __str__(self) -> str:
        return self.text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in wrap(self.text, options.max_width):
            yield Text(line, style=self.style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(p) for p in self.text.split("\n")), default=0)
        return Measurement(min(8, options.max_width), widest)
