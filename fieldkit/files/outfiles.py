"""Where generated documents go, and writing them so that nothing is ever half-written."""

from __future__ import annotations

import errno
import gc
import os
import re
import sys
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from fieldkit.errors import FieldkitError, os_reason
from fieldkit.files.durable import fsync_dir, replace
from fieldkit.files.locations import exports_dir


class PlainInDataDir(FieldkitError):
    """An unencrypted file with personal data was to be written into an encrypted data dir."""


def inside(root: Path, path: Path) -> bool:
    """Whether `path` is in the data dir `root` (where an unencrypted file must not lie once
    the data dir is encrypted: a copy of the data dir would carry it)."""
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return False
    return True


def safe_name(text: str, *, fill: str = "_", empty: str = "fieldkit") -> str:
    """A file name from Chinese text: characters Windows refuses, and spaces, become `fill`
    (none at either end, nor a dot); `empty` when nothing is left."""
    return re.sub(r'[\\/:*?"<>|\s]+', fill, text).strip("." + fill) or empty


@dataclass(frozen=True)
class Target:
    """Where a document is to be written: `path`, and whether the user named that file."""

    path: Path
    named: bool = False  # -o FILE: the user's own name, never renumbered


def output_path(
    output: str | os.PathLike | None, root: Path, default_name: str, suffix: str
) -> Target:
    """`-o FILE` as given (a folder gets the default name), else exports/ in the data dir."""
    if output is None:
        return Target(exports_dir(root) / f"{default_name}{suffix}")
    path = Path(output).expanduser()
    if path.is_dir() or str(output).endswith(("/", os.sep)):
        return Target(path / f"{default_name}{suffix}")
    if path.suffix.lower() != suffix:
        raise FieldkitError(f"输出文件 {path} 的扩展名应为 {suffix}")
    return Target(path, named=True)


IN_USE = (
    "文件正被其他程序使用（如 WPS、Word、Excel 或杀毒软件）或是只读的，"
    "请关闭该文件（或取消只读）后重试，或用 -o 另存一个文件名"
)


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


_DRAFT = "（草稿）"
_MAX_NUMBER = 999


def numbered(path: Path, n: int) -> Path:
    """The n-th name for a new copy: 报告（草稿）.docx -> 报告（草稿2）.docx, 台账.xlsx ->
    台账（2）.xlsx."""
    stem = path.stem
    draft = stem.endswith(_DRAFT)
    stem = f"{stem.removesuffix(_DRAFT)}（草稿{n}）" if draft else f"{stem}（{n}）"
    return path.with_name(stem + path.suffix)


def _taken(path: Path) -> FieldkitError:
    return FieldkitError(
        f"{path} 已存在（里面可能有修改过的内容），未覆盖。请换一个文件名，或加 --force 覆盖它"
    )


def check_target(target: Target, *, force: bool = False) -> None:
    """Refuse early a file the user named that exists (before any work is done)."""
    if target.named and not force and target.path.exists():
        raise _taken(target.path)


def write_new(target: Target, write: Callable[[Path], None], *, force: bool = False) -> Path:
    """Write a document without ever replacing a file the user may have edited; return where.

    write(temp) fills a temporary file beside the target, which then takes the first free
    name: the target, or for a default name the next numbered one (…（草稿2）.docx). A name
    the user gave that is taken is refused. `force` replaces the target instead. A crash or an
    error leaves no partial file, and an existing file untouched.
    """
    path = target.path
    check_target(target, force=force)

    def publish(temp: Path) -> Path:
        if force:
            replace(temp, path)
            return path
        candidates = [path]
        if not target.named:
            candidates += [numbered(path, n) for n in range(2, _MAX_NUMBER + 1)]
        for candidate in candidates:
            if _link_new(temp, candidate):
                return candidate
        raise _taken(path)

    return _write_via_temp(path, write, publish)


def write_bytes(target: Target, data: bytes) -> Path:
    """`write_new` for data already in memory (a bundle, a key file)."""
    return write_new(target, lambda temp: temp.write_bytes(data))


def _link_new(temp: Path, path: Path) -> bool:
    """Give `temp` the name `path` unless that name exists (atomically where the file system
    has hard links); False when it exists."""
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    except OSError:  # no hard links here (FAT32 USB sticks, some network shares)
        if path.exists():
            return False
        replace(temp, path)
    return True


def _write_via_temp(
    path: Path, write: Callable[[Path], None], publish: Callable[[Path], Path]
) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise FieldkitError(f"无法写入 {path.parent}：{write_reason(exc, path.parent)}") from None
    temp = Path(temp_name)
    failure = ""
    hook, sys.unraisablehook = sys.unraisablehook, _unheard
    try:
        try:
            write(temp)
            with temp.open("rb+") as fh:
                os.fsync(fh.fileno())
            published = publish(temp)
            fsync_dir(published.parent)
            return published
        except OSError as exc:
            failure = f"无法写入 {path}：{write_reason(exc, path)}"
        finally:
            with suppress(OSError):
                temp.unlink(missing_ok=True)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise FieldkitError(failure)


def _unheard(unraisable: object) -> None:
    """A writer that fails (disk full) may leave its zip file open until the garbage collector
    closes it, which fails again and would print "Exception ignored in ZipFile.__del__". That
    second failure goes unheard: the first one is reported."""
