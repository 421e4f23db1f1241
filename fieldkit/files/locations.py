"""Where data lives: the data dir chosen by flag, environment or platform, and its layout."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "fieldkit"


def data_dir(explicit: str | os.PathLike | None = None, *, demo: bool = False) -> Path:
    """--data-dir, else $FIELDKIT_DATA_DIR, else the platform's user data dir.

    The demo has its own dir ($FIELDKIT_DEMO_DIR or the platform's fieldkit-demo) so that demo
    records never mix with real ones; an explicit --data-dir wins in both cases.
    """
    if explicit:
        return Path(explicit).expanduser()
    if demo:
        env = os.environ.get("FIELDKIT_DEMO_DIR")
        return Path(env).expanduser() if env else platformdirs.user_data_path(f"{APP}-demo")
    env = os.environ.get("FIELDKIT_DATA_DIR")
    return Path(env).expanduser() if env else platformdirs.user_data_path(APP)


def store_dir(root: Path) -> Path:
    return root / "store"


def forms_dir(root: Path) -> Path:
    """Office overrides of the shipped form definitions and rules."""
    return root / "forms"


def drafts_dir(root: Path) -> Path:
    return root / "drafts"


def keys_dir(root: Path) -> Path:
    return root / "keys"


def held_dir(root: Path) -> Path:
    """Bundles kept aside until the device that sent them is trusted."""
    return root / "held"


def exports_dir(root: Path) -> Path:
    """The default place for exported files, report drafts and ledgers."""
    return root / "exports"


def private_dirs(root: Path) -> list[Path]:
    """The data dir's folders that hold this account's data only."""
    return [
        store_dir(root),
        keys_dir(root),
        drafts_dir(root),
        held_dir(root),
        exports_dir(root),
        forms_dir(root),
    ]


def log_file(root: Path) -> Path:
    return root / "fieldkit.log"
