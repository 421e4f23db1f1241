"""The import graph: no module of fieldkit in a cycle, and the import contracts in
pyproject.toml (checked in CI by `lint-imports`) kept."""

from __future__ import annotations

from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_no_module_is_in_an_import_cycle():
    # grimp counts imports inside functions too; those under TYPE_CHECKING never run.
    graph = grimp.build_graph("fieldkit", cache_dir=None, exclude_type_checking_imports=True)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append(" -> ".join((importer, *back)))
    assert cycles == []


def test_import_contracts_are_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_screens_and_widgets_know_the_app_only_as_its_services():
    """Not even for typing: they type their handle on the app with fieldkit.tui.services."""
    graph = grimp.build_graph("fieldkit", cache_dir=None)
    importers = graph.find_modules_that_directly_import("fieldkit.tui.app")
    assert (
        sorted(
            m for m in importers if m.startswith(("fieldkit.tui.screens", "fieldkit.tui.widgets"))
        )
        == []
    )
