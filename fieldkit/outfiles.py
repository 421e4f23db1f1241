"""Where generated documents go, and writing them so that nothing is ever half-written."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
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


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(temp) on a temporary file beside `path`, then rename it into place.

    A crash or an error leaves the old file (if any) untouched and no partial file behind.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise FieldkitError(f"无法写入 {path.parent}：{os_reason(exc)}") from None
    temp = Path(temp_name)
    try:
        write(temp)
        with temp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except PermissionError:
        raise FieldkitError(
            f"无法写入 {path}：文件可能正在被 Word 或 Excel 打开，请关闭后重试"
        ) from None
    except OSError as exc:
        raise FieldkitError(f"无法写入 {path}：{os_reason(exc)}") from None
    finally:
        temp.unlink(missing_ok=True)
    return path
