"""Checking versions that arrive from other devices: here, or ahead in a second process.

A check depends only on the version and the form definitions, never on what the store holds,
so a version is accepted or rejected whatever the import order. Hence: no uniqueness check (the
same ID number twice is listed as a likely duplicate instead), and references may point at
records not seen yet (they may come in another file), though they must be record ids.

A version is accepted only if its data is exactly what ``add`` would store for it: validation
must pass and give back the very values sent (codes, not labels; ISO dates; numbers as numbers).
A version is signed as it is, so nothing can be normalised on arrival: one that is not canonical
is rejected with the reason.

Checking is about half the work of a large import and needs nothing from the store, so with a
spare core the checks of the next files run in another process while this one merges
(:class:`CheckAhead`). That process reads the same files with the same keys and checks them
with the same forms and day; its verdicts are used only for a file whose payload hash matches
the one merged here, and any failure of it means checking here instead.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import fieldkit
from fieldkit.forms.definitions import Form, FormSet
from fieldkit.forms.validation import UNKNOWN, Context, validate
from fieldkit.store.records import Record, is_record_id
from fieldkit.store.versions import moment
from fieldkit.sync import bundle as bundles
from fieldkit.sync import keys

# Below this many bytes of bundles, starting a process costs more than it saves.
AHEAD_MIN_BYTES = 2_000_000
# The one-file build's second process unpacks the whole program again before it starts (0.75 s
# here against 0.2 s, more on Windows with antivirus): worth it only for bigger imports.
FROZEN_AHEAD_FACTOR = 5

Verdicts = dict[int, list[str]]  # index of a record in its bundle -> why it is rejected
# How the checking process is started. -P: the current folder (perhaps a USB stick with its
# own "fieldkit" folder on it) is not put on the module path.
WORKER_ARGS = ["-P", "-m", "fieldkit.sync.import_check"]
# In the one-file build sys.executable is fieldkit itself, which takes this hidden first argument
# to become the checking process (fieldkit.cli.main.main).
FROZEN_WORKER_ARG = "--fieldkit-import-check"


class ImportCheck:
    """Checks a version arriving from another device, the same way on every machine."""

    def __init__(self, forms: FormSet, today: date):
        self.forms = forms
        self.today = today
        self.today_iso = today.isoformat()
        self.context = _context(today)

    def problems(self, rec: Record) -> list[str]:
        """Why `rec` fails its form's checks or is not canonical (in Chinese); empty if not."""
        form = self.forms.get(rec["form"])
        if form is None:
            return [f"没有表单“{rec['form']}”（可能来自更新版本的 fieldkit，请升级）"]
        # The sender's clock decides what "today" was when it saved (not_future checks). The
        # common case by text: an extended ISO time starts with its day (in its own offset).
        saved = rec["updated_at"]
        if saved[4:5] == "-" and saved[:10] <= self.today_iso:
            ctx = self.context
        else:
            ctx = _context(max(self.today, moment(saved).date()))
        # Fields this form version does not know are kept only from a newer version of it.
        newer = rec["form_version"] > form.version
        outcome = validate(form, rec["data"], ctx, keep_unknown=newer)
        reasons = [str(p) for p in outcome.errors]
        if not reasons and not _identical(outcome.data, rec["data"]):
            reasons = _not_canonical(form, rec["data"], outcome.data)
        if reasons and rec["form_version"] > form.version:
            reasons.append(
                f"该记录来自更新的表单版本 {rec['form_version']}（本机为 {form.version}），"
                "请升级 fieldkit 后重新导入"
            )
        return reasons

    def verdicts(self, records: Sequence[Record]) -> Verdicts:
        """The problems of every record that has some, by its index."""
        out = {}
        for n, rec in enumerate(records):
            if reasons := self.problems(rec):
                out[n] = reasons
        return out


def _identical(a: Any, b: Any) -> bool:
    """Equal, types included (30 is not 30.0 here, nor True 1, as they are for ==). Data is
    flat: values are scalars or lists of text (fieldkit.sync.bundle.data_problem)."""
    if a != b:
        return False
    if type(a) is dict:
        return all(type(v) is type(b[k]) for k, v in a.items())
    return type(a) is type(b)


def _not_canonical(form: Form, sent: dict[str, Any], clean: dict[str, Any]) -> list[str]:
    """What differs between the values sent and what `add` would store for them."""
    out = []
    for key in dict.fromkeys([*sent, *clean]):
        if not _identical(sent.get(key), clean.get(key)):
            label = form.field(key).label if form.has(key) else key
            if key not in clean:
                out.append(f"{label}：不应有值（收到 {sent[key]!r}）")
            else:
                out.append(f"{label}：值不规范（收到 {sent.get(key)!r}，应为 {clean[key]!r}）")
    return out


@cache
def _context(today: date) -> Context:
    return Context(today, _any_reference)


def _any_reference(form_id: str, value: Any) -> Record | None:
    # A stand-in for the referenced record: it may arrive later, in another bundle. Only a
    # record id can be one (an ID number or a name is what `add` resolves, never stores).
    if not is_record_id(value):
        return None
    return {"id": value, "form": form_id, "data": {}, "deleted": False, UNKNOWN: True}


# -- checking ahead, in another process --------------------------------------------------


@dataclass(frozen=True)
class Ahead:
    """What the checking process found for one file."""

    verdicts: Verdicts  # the form problems of its versions, by index
    even_ok: bool  # every version at an even index is well formed, its id its content's hash

    def checked(self, index: int) -> bool:
        """Whether the version at `index` was checked there (well formed, id matching)."""
        return self.even_ok and index % 2 == 0


class CheckAhead:
    """The checks of the files in `paths`, made file by file, in order, by another Python
    process (``python -m fieldkit.sync.import_check``) while the caller merges: the form checks of
    every version, and the shape and id of every other version (the caller checks the rest,
    which balances the two processes' work).

    A plain subprocess with a pipe each way, not multiprocessing: that would run the caller's
    main module again in the child. Use as a context manager; :meth:`result` returns None
    where the caller must check itself (the process failed, or the file read differently).
    """

    def __init__(self, paths: Sequence[Path], check: ImportCheck, root: Path):
        self._proc: subprocess.Popen | None = None
        self._last: tuple[int, str | None, Ahead] | None = None
        # The keys go down the pipe: the data dir may be locked by a passphrase that only this
        # process was given (fieldkit.store.vault), so the other one could not read them itself.
        box_keys = [
            k.private_bytes_raw() for k in [keys.load(root).box, *keys.legacy_box_keys(root)]
        ]
        try:
            command, env = _worker_command()
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            pickle.dump((check.forms, check.today, box_keys, list(paths)), self._proc.stdin)
            self._proc.stdin.close()
        except OSError:  # no process, or it died at once: the caller checks here
            self._broken = True
        else:
            self._broken = False

    def result(self, n: int, payload_sha256: str) -> Ahead | None:
        """What was found for file number `n`, if it was the same payload as read here. Files
        are asked for in order; those skipped (nothing to check: a re-import) are read past."""
        while not self._broken:
            if self._last is not None and self._last[0] >= n:
                got, sha, ahead = self._last
                return ahead if got == n and sha == payload_sha256 else None
            try:
                got, sha, verdicts, even_ok = pickle.load(self._proc.stdout)
            except Exception:  # the process died or wrote nonsense: the caller checks here
                self._broken = True
                break
            self._last = (got, sha, Ahead(verdicts, even_ok))
        return None

    def __enter__(self) -> CheckAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc.stdout.close()


def _worker_command() -> tuple[list[str], dict[str, str]]:
    """How to start the checking process: this Python on this fieldkit, or, in the one-file
    build, the executable itself (its own modules, nothing from PYTHONPATH)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_WORKER_ARG], dict(os.environ)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(_module_path())}
    return [sys.executable, *WORKER_ARGS], env


def _module_path() -> list[str]:
    """Where the checking process finds its modules: this very fieldkit first, then the
    caller's path without the current folder."""
    here = str(Path(fieldkit.__file__).resolve().parent.parent)
    cwd = Path.cwd().resolve()
    rest = [p for p in sys.path if p and Path(p).resolve() != cwd and p != here]
    return [here, *rest]


def worth_checking_ahead(paths: Sequence[Path]) -> bool:
    """Whether a second process pays for itself: a spare core and enough bytes to check."""
    if (os.cpu_count() or 1) < 2:
        return False
    total = 0
    for p in paths:
        with suppress(OSError):
            total += p.stat().st_size
    factor = FROZEN_AHEAD_FACTOR if getattr(sys, "frozen", False) else 1
    return total >= AHEAD_MIN_BYTES * factor


def _serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """The checking process: reads the job, writes (n, payload hash, verdicts, even_ok) per
    file (see :class:`Ahead`); (n, None, {}, False) for a file it could not check."""
    forms, today, raw_keys, paths = pickle.load(stdin)
    check = ImportCheck(forms, today)
    box_keys = [X25519PrivateKey.from_private_bytes(raw) for raw in raw_keys]
    for n, path in enumerate(paths):
        try:
            manifest, doc, _ = bundles.read_contents(path, box_keys)
            versions = doc["versions"]
            even_ok = not any(bundles.version_problem(rec) for rec in versions[::2])
            result = (n, manifest.payload_sha256, check.verdicts(versions), even_ok)
        except Exception:  # refused, or not versions at all: the importer says why
            result = (n, None, {}, False)
        pickle.dump(result, stdout)
        stdout.flush()


def main() -> None:
    """The checking process: the job on standard input, the results on standard output."""
    _serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
