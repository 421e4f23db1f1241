"""Where fieldkit uses Textual's private API because Textual 8 has no public way: each test
here fails loudly when Textual changes what fieldkit relies on (then fix the override, not
the test)."""

from __future__ import annotations

import inspect
from pathlib import Path

from textual.app import App
from textual.command import CommandList, CommandPalette

from fieldkit.tui import text
from fieldkit.tui.app import FieldkitApp
from fieldkit.tui.widgets.palette import Palette

from .conftest import make_app, no_errors, ready, settle, type_text


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_app_overrides_textuals_error_hooks_as_they_are():
    """FieldkitApp._handle_exception (errors nobody caught become a notification) and
    _fatal_error (no traceback with local variables) replace Textual's own."""
    assert parameters(App._handle_exception) == ["self", "error"]
    assert parameters(App._fatal_error) == ["self"]
    assert "self._fatal_error()" in inspect.getsource(App._handle_exception)
    assert FieldkitApp._handle_exception is not App._handle_exception
    assert FieldkitApp._fatal_error is not App._fatal_error


async def test_an_error_in_a_timer_is_a_notification_and_the_app_goes_on(root: Path):
    app = make_app(root)
    async with app.run_test() as pilot:
        await ready(pilot)

        def fails() -> None:
            raise RuntimeError("a bug")

        app.set_timer(0.01, fails)
        await pilot.pause(0.1)
        assert app.is_running
        assert [type(e) for e in app.errors] == [RuntimeError]
        app.errors.clear()
        no_errors(app)


def test_the_palettes_no_match_countdown_is_as_the_override_expects():
    """Palette replaces CommandPalette._start_no_matches_countdown (the one place with the
    English "No matches found") and uses the members around it."""
    assert parameters(CommandPalette._start_no_matches_countdown) == ["self", "search_value"]
    for name in ("_stop_no_matches_countdown", "_NO_MATCHES", "_NO_MATCHES_COUNTDOWN"):
        assert hasattr(CommandPalette, name), name
    assert "_list_visible" in inspect.getsource(CommandPalette)
    assert "_no_matches_timer" in inspect.getsource(CommandPalette)
    assert Palette._start_no_matches_countdown is not CommandPalette._start_no_matches_countdown


async def test_the_palette_says_no_match_in_chinese(root: Path):
    app = make_app(root)
    async with app.run_test() as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        await type_text(pilot, "qqqqqq")
        await pilot.pause(CommandPalette._NO_MATCHES_COUNTDOWN + 0.3)
        commands = app.screen.query_one(CommandList)
        shown = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        assert any(text.PALETTE_NO_MATCH in line for line in shown), shown
        no_errors(app)
