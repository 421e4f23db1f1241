"""The office's list of grids: one spelling of each grid everywhere.

The office lists its grids in ``forms/grids.toml`` (``names = ["第一网格", ...]``); its files
carry the forms folder to its laptops (fieldkit.sync.formsync), so every laptop has the same list.
With a list, a data dir's grid and a person's grid must be one of its names; without one (a
data dir that never heard from an office) any name is taken.
"""

from __future__ import annotations

from fieldkit.errors import FieldkitError
from fieldkit.forms.definitions import FormSet

REGISTRY, FIELD = "person", "grid"  # the form whose records belong to grids, and its field


def names(forms: FormSet) -> list[str]:
    """The grids in the office's order; empty when no list is set."""
    return [str(n) for n in forms.template("grids").get("names", [])]


def sort_key(forms: FormSet):
    """Grids in the office's order, the others after them by name."""
    order = {name: n for n, name in enumerate(names(forms))}
    return lambda grid: (order.get(grid, len(order)), grid)


def problem(forms: FormSet, grid: str) -> str | None:
    """Why `grid` is not a grid of the list (Chinese), or None."""
    listed = names(forms)
    if not listed or grid in listed:
        return None
    shown = "、".join(listed[:30]) + (f" 等 {len(listed)} 个" if len(listed) > 30 else "")
    return f"“{grid[:40]}”不在街道的网格名单中，应为：{shown}"


def require(forms: FormSet, grid: str) -> None:
    if message := problem(forms, grid):
        raise FieldkitError(message)
