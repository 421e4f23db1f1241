from datetime import date
from pathlib import Path

import pytest

from fieldkit.workspace import Workspace

TODAY = date(2026, 11, 24)


@pytest.fixture
def ws(tmp_path: Path):
    """A workspace with an identity, on a fixed day."""
    with Workspace(tmp_path / "data", today=TODAY) as workspace:
        workspace.set_identity(worker="李娜", grid="第一网格", org="东城街道办事处", abbr="东")
        yield workspace
