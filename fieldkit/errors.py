"""The one exception type users see, and the operating system's reasons in Chinese."""

from __future__ import annotations

import errno


class FieldkitError(Exception):
    """An expected failure (bad input, bad file, locked store); shown as a one-line message."""


# The OS says why in English; the user reads Chinese.
_REASONS = {
    errno.ENOENT: "文件或目录不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "磁盘是只读的",
    errno.ENOTDIR: "路径中有同名文件，不是文件夹",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.EEXIST: "已有同名的文件或文件夹",
    errno.EBUSY: "文件正被其他程序使用",
    errno.ETXTBSY: "文件正被其他程序使用",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EIO: "读写磁盘出错",
}


def os_reason(exc: OSError) -> str:
    """Why an operating-system call failed, in Chinese."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return f"系统错误（{exc.errno}）" if exc.errno else "系统错误"
