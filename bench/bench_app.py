"""Benchmark of the app on a 100k-record demo store.

    python bench/bench_app.py [--data-dir DIR] [--records 100000] [--runs 5]

Without --data-dir a demo store is generated in a temporary folder first (~10 s). Measures:

- start to interactive home: a fresh `python` process (imports included) until the home screen
  is shown and again until the data dir is open with the counts filled in;
- records search: a keystroke in the search box of the largest list (follow-ups) until the
  table holds the new matches and the screen has been redrawn;
- opening an entry: Enter on a row until its detail screen is drawn; also opening a new form;
- saving: the workspace save the form screen calls (validation and durable write).

Key presses are posted as terminal key events (no test pauses in between), the app runs
headless at 100×30. Prints a Markdown table; times in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events

from fieldkit.tui.app import FieldkitApp
from fieldkit.tui.screens.detail import DetailScreen
from fieldkit.tui.screens.entry import FormScreen
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.records import RecordsScreen
from fieldkit.workspace import Workspace

SEARCHES = ["王", "王德", "王德林", "", "1101", "张", "张伟", "", "稳定", "入户"]

START_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from fieldkit.tui.app import FieldkitApp
    from fieldkit.tui.screens.home import HomeScreen

    class Timed(FieldkitApp):
        def on_mount(self):  # runs after FieldkitApp.on_mount (Textual calls both)
            self.painted = None
            self.set_interval(0.002, self.check)

        def check(self):
            screen = self.screen
            if self.painted is None and isinstance(screen, HomeScreen) and screen.is_mounted:
                self.painted = time.perf_counter()
                print("painted", time.time(), flush=True)
            if self.ready and isinstance(screen, HomeScreen) and screen.seen_version >= 0:
                print("counted", time.time(), flush=True)
                self.exit()

    app = Timed(Path(sys.argv[1]))
    app.start_opening()  # as fieldkit.tui.app.run does
    app.run(headless=True, size=(100, 30))
    """
)


def measure_start(root: Path, runs: int) -> tuple[list[float], list[float]]:
    painted, counted = [], []
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, "-c", START_SCRIPT, str(root)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        marks = dict(line.split() for line in out.splitlines() if line[:1].isalpha())
        painted.append((float(marks["painted"]) - t0) * 1000)
        counted.append((float(marks["counted"]) - t0) * 1000)
    return painted, counted


async def until(app: FieldkitApp, condition, timeout: float = 10.0) -> None:
    """Wait until `condition()` holds, then until the screen has been redrawn."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.0005)
    drawn = asyncio.get_running_loop().create_future()
    app.screen.call_after_refresh(drawn.set_result, None)
    await drawn


def key(app: FieldkitApp, name: str) -> None:
    char = name if len(name) == 1 else None
    app.post_message(events.Key(name, char))


async def measure_in_app(root: Path, runs: int) -> dict[str, list[float]]:
    app = FieldkitApp(root)
    times: dict[str, list[float]] = {"search": [], "detail": [], "form": [], "save": []}
    async with app.run_test(size=(100, 30)) as pilot:
        await until(app, lambda: app.ready and getattr(app.screen, "seen_version", -1) >= 0)
        ws = app.ws
        followup_row = [f.id for f in ws.forms].index("followup")
        app.screen.query_one("#forms").move_cursor(row=followup_row)
        await pilot.pause()
        key(app, "r")
        await until(
            app, lambda: isinstance(app.screen, RecordsScreen) and app.screen.updated_at > 0
        )
        screen: RecordsScreen = app.screen  # type: ignore[assignment]
        print(f"follow-ups listed: {len(screen.index or [])}", file=sys.stderr)
        search = screen.query_one("#search")
        search.focus()
        await pilot.pause()
        for _ in range(runs):
            for text in SEARCHES:
                # One keystroke each: type the next character, or clear with ctrl+u.
                current = search.value
                press = text[len(current)] if text.startswith(current) and text else None
                before = screen.updated_at
                t0 = time.perf_counter()
                if press is None:
                    key(app, "ctrl+u")
                    if text:
                        await until(app, lambda b=before: screen.updated_at > b)
                        before = screen.updated_at
                        t0 = time.perf_counter()
                        key(app, text[0])
                else:
                    key(app, press)
                await until(app, lambda b=before: screen.updated_at > b)
                times["search"].append((time.perf_counter() - t0) * 1000)
        key(app, "ctrl+u")
        await until(app, lambda: search.value == "")
        await pilot.pause()
        table = screen.query_one("#table")
        for i in range(runs * 2):
            table.focus()
            table.move_cursor(row=i * 7)
            await pilot.pause()
            t0 = time.perf_counter()
            key(app, "enter")
            await until(app, lambda: isinstance(app.screen, DetailScreen))
            times["detail"].append((time.perf_counter() - t0) * 1000)
            key(app, "escape")
            await until(app, lambda: app.screen is screen)
            await pilot.pause()
        key(app, "escape")
        await until(app, lambda: isinstance(app.screen, HomeScreen))
        await pilot.pause()
        outreach_row = [f.id for f in ws.forms].index("outreach")
        original_add = ws.add

        def timed_add(form_id, raw):
            t0 = time.perf_counter()
            try:
                return original_add(form_id, raw)
            finally:
                times["save"].append((time.perf_counter() - t0) * 1000)

        ws.add = timed_add  # type: ignore[method-assign]
        for i in range(runs):
            t0 = time.perf_counter()
            key(app, str(outreach_row + 1))
            await until(app, lambda: isinstance(app.screen, FormScreen))
            times["form"].append((time.perf_counter() - t0) * 1000)
            form: FormScreen = app.screen  # type: ignore[assignment]
            form.query_one("#edit-title").value = f"基准测试宣传活动{i}"
            form.query_one("#edit-venue_type").value = "community"
            await pilot.pause()
            key(app, "ctrl+s")
            await until(
                app, lambda f=form: app.screen is not f and not isinstance(app.screen, FormScreen)
            )
            key(app, "escape")  # 完成
            await until(app, lambda: isinstance(app.screen, HomeScreen))
            await pilot.pause()
        assert app.errors == [], app.errors
    return times


def row(name: str, values: list[float], target: str) -> str:
    values = sorted(values)
    p50 = statistics.median(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return f"| {name} | {len(values)} | {p50:.0f} | {p90:.0f} | {max(values):.0f} | {target} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = args.data_dir
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="fieldkit-bench-")) / "data"
    if not (root / "store").exists():
        from fieldkit.demo import generator as demo

        print(f"generating {args.records} demo records in {root} …", file=sys.stderr)
        with Workspace(root) as ws:
            demo.fill(ws, year=ws.today().year, seed=1, records=args.records)
    with Workspace(root) as ws:
        total = sum(ws.store.count(f.id) for f in ws.forms)
    print(f"store: {root} ({total} records)", file=sys.stderr)

    painted, counted = measure_start(root, args.runs)
    times = asyncio.run(measure_in_app(root, args.runs))
    print(f"\nApp on {total} records, 100×30, headless; milliseconds.\n")
    print("| measure | n | p50 | p90 | max | target |")
    print("|---|---|---|---|---|---|")
    print(row("start → home drawn", painted, ""))
    print(row("start → home interactive, counts shown", counted, "≤ 1500"))
    print(row("search keystroke → table redrawn (follow-ups)", times["search"], "≤ 150"))
    print(row("open an entry (Enter → detail drawn)", times["detail"], "≤ 100"))
    print(row("open a new form (key → form drawn)", times["form"], ""))
    print(row("save (validate + durable write)", times["save"], "≤ 10"))


if __name__ == "__main__":
    main()
