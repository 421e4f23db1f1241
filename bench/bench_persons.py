"""Benchmark of the persons list and the due-visits list on a 100k-record demo store.

    python bench/bench_persons.py --data-dir DIR [--runs 5]

Without --data-dir a demo store is generated in a temporary folder first (~10 s). Measures a
keystroke in each list's search box until the table holds the new matches and the screen has
been redrawn (key presses posted as terminal key events, headless at 100×30), and once the
building of the person index (schedule of every person) in its thread worker. Prints a
Markdown table; times in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_app import key, row, until

from fieldkit.tui.app import FieldkitApp
from fieldkit.tui.screens.home import HomeScreen
from fieldkit.tui.screens.persons import DueScreen, PersonsScreen
from fieldkit.workspace import Workspace

SEARCHES = ["王", "王德", "王德林", "", "4201", "42010", "", "张", "张伟", "", "刑满", ""]


async def typing(app: FieldkitApp, screen: PersonsScreen, runs: int) -> list[float]:
    times = []
    search = screen.query_one("#search")
    search.focus()
    for _ in range(runs):
        for text in SEARCHES:
            current = search.value
            press = text[len(current)] if text.startswith(current) and text else None
            before = screen.updated_at
            t0 = time.perf_counter()
            if press is None:
                key(app, "ctrl+u")
                if text:
                    await until(app, lambda b=before: screen.updated_at > b)
                    before, t0 = screen.updated_at, time.perf_counter()
                    key(app, text[0])
            else:
                key(app, press)
            await until(app, lambda b=before: screen.updated_at > b)
            times.append((time.perf_counter() - t0) * 1000)
    return times


async def measure(root: Path, runs: int) -> dict[str, list[float]]:
    app = FieldkitApp(root)
    out: dict[str, list[float]] = {}
    async with app.run_test(size=(100, 30)) as pilot:
        await until(app, lambda: app.ready and getattr(app.screen, "seen_version", -1) >= 0)
        t0 = time.perf_counter()
        index = await asyncio.to_thread(app.person_index)  # usually already built by home
        out["index"] = [(time.perf_counter() - t0) * 1000]
        print(f"persons: {len(index)}", file=sys.stderr)
        for name, letter, cls in (("persons", "p", PersonsScreen), ("due", "v", DueScreen)):
            t0 = time.perf_counter()
            key(app, letter)
            await until(app, lambda c=cls: isinstance(app.screen, c) and app.screen.updated_at > 0)
            out[f"{name}-open"] = [(time.perf_counter() - t0) * 1000]
            out[name] = await typing(app, app.screen, runs)  # type: ignore[arg-type]
            key(app, "escape")
            await until(app, lambda: isinstance(app.screen, HomeScreen))
            await pilot.pause()
        assert app.errors == [], app.errors
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.data_dir
        if root is None:
            from fieldkit.demo import generator as demo

            root = Path(tmp) / "data"
            with Workspace(root) as ws:
                demo.fill(ws, year=ws.today().year, seed=1, records=args.records)
        times = asyncio.run(measure(root, args.runs))
    print("| step | n | p50 | p90 | max | target |")
    print("|---|---|---|---|---|---|")
    print(row("person index build (6k persons, 60k visits)", times["index"], "background"))
    print(row("open persons list", times["persons-open"], ""))
    print(row("persons list: keystroke → table", times["persons"], "≤ 150"))
    print(row("open due list", times["due-open"], ""))
    print(row("due list: keystroke → table", times["due"], "≤ 150"))


if __name__ == "__main__":
    main()
