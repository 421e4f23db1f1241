"""Where generated documents go, and writing them so that nothing is ever half-written."""

from __future__ import annotations

import errno
import gc
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from fieldkit.errors import FieldkitError, os_reason


def exports_dir(root: Path) -> Path:
    """The data dir's exports/ folder: the default place for drafts and ledgers."""
    return Path(root) / "exports"


def safe_name(text: str) -> str:
    """A file name from Chinese text: characters Windows refuses become “_”."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("._") or "fieldkit"


def output_path(output: str | os.PathLike | None, root: Path, default_name: str, suffix: str):
    """`-o FILE` as given (a folder gets the default name), else exports/ in the data dir."""
    if output is None:
        return exports_dir(root) / f"{default_name}{suffix}"
    path = Path(output).expanduser()
    if path.is_dir() or str(output).endswith(("/", os.sep)):
        return path / f"{default_name}{suffix}"
    if path.suffix.lower() != suffix:
        raise FieldkitError(f"输出文件 {path} 的扩展名应为 {suffix}")
    return path


# A file that antivirus or a backup tool holds for a moment cannot be replaced on Windows: try
# again a few times (about 2 s in all) before telling the user.
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.6, 0.8)
IN_USE = (
    "文件正被其他程序使用（如 WPS、Word、Excel 或杀毒软件）或是只读的，"
    "请关闭该文件（或取消只读）后重试，或用 -o 另存一个文件名"
)


def replace(source: Path, target: Path) -> None:
    """os.replace, retried while the target (or the new file) is held by another program."""
    for delay in (*RETRY_DELAYS, None):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if delay is None or target.is_dir():
                raise
            time.sleep(delay)


def write_reason(exc: OSError, path: Path) -> str:
    """Why `path` could not be written, in Chinese, with what to do."""
    if Path(path).is_dir() and exc.errno != errno.ENOSPC:
        return "已有同名的文件夹，请换一个文件名"
    if isinstance(exc, PermissionError):
        return IN_USE
    if exc.errno == errno.ENOSPC:
        return "磁盘空间不足，请腾出空间后重试"
    if exc.errno == errno.EROFS:
        return "磁盘是只读的，请换一个位置（-o）"
    return os_reason(exc)


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(temp) on a temporary file beside `path`, then rename it into place.

    A crash or an error leaves the old file (if any) untouched and no partial file behind;
    a target held open (WPS or Excel on Windows) is a FieldkitError saying so.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise FieldkitError(f"无法写入 {path.parent}：{write_reason(exc, path.parent)}") from None
    temp = Path(temp_name)
    failure = None
    hook, sys.unraisablehook = sys.unraisablehook, _unheard
    try:
        try:
            write(temp)
            with temp.open("rb+") as fh:
                os.fsync(fh.fileno())
            replace(temp, path)
        except OSError as exc:
            failure = f"无法写入 {path}：{write_reason(exc, path)}"
        finally:
            with suppress(OSError):
                temp.unlink(missing_ok=True)
        if failure:
            gc.collect()
    finally:
        sys.unraisablehook = hook
    if failure:
        raise FieldkitError(failure)
    return path


def _unheard(unraisable: object) -> None:
    """A writer that fails (disk full) may leave its zip file open until the garbage collector
    closes it, which fails again and would print "Exception ignored in ZipFile.__del__". That
    second failure goes unheard: the first one is reported."""
