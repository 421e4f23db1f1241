from datetime import date
from pathlib import Path

import pytest

from fieldkit.store import vault
from fieldkit.workspace import Workspace

TODAY = date(2026, 11, 24)
# A passphrase's KDF costs ~0.4 s by design; tests in this process use a cheap one.
CHEAP_KDF = {"name": "argon2id", "t": 1, "m": 64, "p": 1}


@pytest.fixture(autouse=True)
def _cheap_kdf_and_no_unlocked_vaults(monkeypatch):
    monkeypatch.setattr(vault, "KDF_PARAMS", CHEAP_KDF)
    yield
    vault._unlocked.clear()  # every test starts with every data dir locked


@pytest.fixture
def ws(tmp_path: Path):
    """A workspace with an identity, on a fixed day."""
    with Workspace(tmp_path / "data", today=TODAY) as workspace:
        workspace.set_identity(worker="李娜", grid="第一网格", org="东城街道办事处", abbr="东")
        yield workspace
