"""Writing files so that a crash or a power cut leaves each one whole or as it was, never half
written: a temporary file beside it, fsync'd, renamed over it, then the folder fsync'd so that
the rename itself survives."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO

FILE_MODE = 0o600  # a data dir's files: this account only
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate newlines

# A file that antivirus or a backup tool holds for a moment cannot be replaced on Windows: try
# again a few times (about 2 s in all) before telling the user.
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.6, 0.8)


def replace(source: Path, target: Path) -> None:
    """os.replace, retried while the target (or the new file) is held by another program."""
    for delay in (*RETRY_DELAYS, None):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if delay is None or Path(target).is_dir():
                raise
            time.sleep(delay)


def fsync_dir(directory: Path) -> None:
    """Make a rename or a file creation in `directory` durable (POSIX only)."""
    if os.name == "nt":  # no directory handles to fsync; NTFS journals the metadata
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems (some USB-stick drivers) refuse it on a folder
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def ensure_dir(directory: Path) -> None:
    """Create `directory` (and missing parents, mode 0700) so that it survives a power cut."""
    missing = []
    path = Path(directory).absolute()
    while not path.exists():
        missing.append(path)
        path = path.parent
    for path in reversed(missing):
        with suppress(FileExistsError):
            path.mkdir(mode=0o700)
        fsync_dir(path.parent)


def replace_with(
    path: Path, write: Callable[[IO[bytes]], None], *, temp: Path | None = None
) -> None:
    """Replace `path` (mode 0600) with what `write` writes into the open file, atomically.

    `temp` is the file written first, beside `path` (by default ``.<name>.tmp``); an error
    removes it, a crash may leave it behind, never a half-written `path`.
    """
    path = Path(path)
    temp = temp or path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _O_BINARY, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        replace(temp, path)
    except BaseException:
        with suppress(OSError):
            temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_file(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically (its folder made if missing), mode 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    replace_with(path, lambda f: f.write(data))
