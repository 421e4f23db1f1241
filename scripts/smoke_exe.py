"""Try the one-file executable as a user would: every command, a Chinese Windows console
(simulated with PYTHONIOENCODING=gbk), an import checked ahead by the executable itself, and the
app opening the demo in a terminal (tmux, where there is one).

    python scripts/build_exe.py && python scripts/smoke_exe.py [dist/fieldkit]

Prints one line per step and exits non-zero at the first failure. Needs fieldkit importable
(the repository's venv) only for the check-ahead step, which drives the executable's second
process directly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EXE = ROOT / "dist" / ("fieldkit.exe" if os.name == "nt" else "fieldkit")
ACTIVITY = {"date": "2026-03-01", "title": "调解成功𠮷", "venue_type": "进社区"}


class Smoke:
    def __init__(self, exe: Path, work: Path):
        self.exe = exe
        self.work = work
        self.env = {**os.environ, "FIELDKIT_DEMO_DIR": str(work / "demo")}
        self.env.pop("FIELDKIT_DATA_DIR", None)
        self.gbk_env = {**self.env, **gbk_console(work)}

    def run(self, data: str, *args: str, stdin: bytes = b"", ok: bool = True, gbk=False):
        """Run a command; with `gbk`, in a simulated Chinese Windows console (only for ASCII
        arguments and paths: Linux would also read those in GBK, Windows never does)."""
        started = time.perf_counter()
        proc = subprocess.run(
            [str(self.exe), "--data-dir", str(self.work / data), *args],
            input=stdin,
            capture_output=True,
            env=self.gbk_env if gbk else self.env,
            timeout=300,
        )
        out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
        took = time.perf_counter() - started
        if (ok and proc.returncode != 0) or "Traceback" in err:
            raise SystemExit(f"FAILED: fieldkit {' '.join(args)} ({proc.returncode})\n{err}")
        print(f"  {took:5.2f} s  fieldkit {' '.join(args)}  -> {proc.returncode}")
        return proc.returncode, out, err


def gbk_console(work: Path) -> dict[str, str]:
    """The environment of a Chinese Windows console, where pipes are in cp936 (GBK).

    A frozen build ignores PYTHONIOENCODING (PyInstaller starts Python ignoring PYTHON*
    variables): on Linux the locale zh_CN.GBK does it, compiled here with localedef when the
    system can; Windows runners' own code page is used as it is."""
    env = {"PYTHONIOENCODING": "gbk"}  # what the tests use for an unfrozen fieldkit
    if os.name == "nt" or shutil.which("localedef") is None:
        return env
    (work / "locale").mkdir()
    made = subprocess.run(
        ["localedef", "-i", "zh_CN", "-f", "GBK", str(work / "locale" / "zh_CN.GBK")],
        capture_output=True,
    )
    if made.returncode != 0:
        print("--  no zh_CN.GBK locale here: the console is simulated for Python only")
        return env
    env.update({"LOCPATH": str(work / "locale"), "LANG": "zh_CN.GBK", "LC_ALL": "zh_CN.GBK"})
    probe = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; print(sys.stdout.encoding)"],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PYTHONIOENCODING": ""},
    )
    print(f"--  simulated console: pipes in {probe.stdout.strip()} (LANG=zh_CN.GBK)")
    return env


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok  {what}")


def commands(s: Smoke) -> None:
    s.run("a", "init", "--worker", "李娜", "--grid", "第一网格", "--org", "东城街道办事处")
    _, out, _ = s.run("a", "forms")
    check("outreach" in out and "身份证号" in out, "forms lists the shipped forms (UTF-8 output)")
    line = json.dumps(ACTIVITY, ensure_ascii=False).encode("utf-8")
    _, out, _ = s.run("a", "add", "outreach", "--file", "-", stdin=line, gbk=True)
    _, listed, _ = s.run("a", "list", "outreach", "--json", gbk=True)
    rows = [json.loads(x) for x in listed.splitlines()]
    check(
        rows[0]["data"]["title"] == "调解成功𠮷",
        "a record piped in UTF-8 through a GBK console reads back exactly (𠮷 included)",
    )
    _, table, _ = s.run("a", "list", "outreach", gbk=True)
    check("调解成功𠮷" in table, "a table redirected from a GBK console is UTF-8")
    gbk = line.decode().encode("gb18030")
    code, _, err = s.run("a", "add", "outreach", stdin=gbk, ok=False, gbk=True)
    check(code == 1 and "GBK" in err, "GBK piped in is refused, naming the encoding")
    (s.work / "a.jsonl").write_bytes(b"\xef\xbb\xbf" + line + b"\n")
    s.run("a", "add", "outreach", "--file", str(s.work / "a.jsonl"))
    s.run("a", "edit", rows[0]["id"][:8], "--set", "participants=80")
    _, out, _ = s.run("a", "history", rows[0]["id"], "--json")
    check(len(out.splitlines()) == 2, "history --json lists both versions")
    s.run("a", "delete", rows[0]["id"])

    s.run("b", "demo", "--records", "12000")
    for args in (
        ("list", "followup"),
        ("due", "--json"),
        ("devices", "--json"),
        ("report", "--year", str(date.today().year)),
        ("ledger", "--year", str(date.today().year), "--mask"),
    ):
        s.run("b", *args)
    _, out, _ = s.run("b", "export", "--all", "-o", str(s.work / "usb"))
    bundle = Path(out.strip())
    check(bundle.is_file() and bundle.stat().st_size > 2_000_000, "export writes the bundle")
    s.run("a", "keygen", "-o", str(s.work / "keys"))
    _, out, err = s.run("a", "import", str(bundle), "--json")
    check(json.loads(out)["held"] > 0, "import holds a new device's file")
    fingerprint = json.loads(s.run("b", "devices", "--json")[1].splitlines()[0])["device"][:8]
    _, out, _ = s.run("a", "devices", "trust", fingerprint)
    check("已信任" in out, "trusting the device merges its held records")

    forms = s.work / "a" / "forms"
    forms.mkdir()
    (forms / "meeting.toml").write_bytes('fields = "abc"\n'.encode("gbk"))
    (forms / "rules.toml").write_text('[[visits]]\ncategory = "x"\nevery = "monthly"\n', "utf-8")
    _, out, err = s.run("a", "forms")
    check(
        "meeting.toml" in err and "rules.toml" in err and "every" in err,
        "malformed forms overrides are reported with file and field, and the command works",
    )


def check_ahead(exe: Path, work: Path) -> None:
    """The import's second process, started as the frozen build starts it."""
    sys.path.insert(0, str(ROOT))
    from fieldkit.sync import bundle as bundles
    from fieldkit.sync import import_check, keys
    from fieldkit.workspace import Workspace

    path = next((work / "usb").glob("*.fkb"))
    root = work / "a"
    with Workspace(root) as ws:
        check_ = import_check.ImportCheck(ws.forms, ws.today())
        box = [keys.load(root).box]
    manifest, _, _ = bundles.read_contents(path, box)
    frozen, executable = getattr(sys, "frozen", None), sys.executable
    sys.frozen, sys.executable = True, str(exe)
    try:
        with import_check.CheckAhead([path], check_, root) as ahead:
            result = ahead.result(0, manifest.payload_sha256)
    finally:
        sys.executable = executable
        if frozen is None:
            del sys.frozen
    check(result is not None and result.even_ok, "the executable serves the import check-ahead")


def app_in_tmux(exe: Path, work: Path) -> None:
    if shutil.which("tmux") is None:
        print("--  no tmux here: the app was not opened")
        return
    name = f"fieldkit-smoke-{os.getpid()}"
    command = f"env FIELDKIT_DEMO_DIR={work / 'demo'} TERM=xterm-256color {exe} --demo"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "36", command])
    try:
        screen = ""
        for _ in range(60):
            time.sleep(1)
            screen = subprocess.run(
                ["tmux", "capture-pane", "-t", name, "-p"], capture_output=True, text=True
            ).stdout
            if "普法宣传活动" in screen:
                break
        check(
            "（演示数据）" in screen and "普法宣传活动" in screen, "fieldkit --demo opens the app"
        )
        subprocess.run(["tmux", "send-keys", "-t", name, "C-q"])
        for _ in range(20):
            time.sleep(0.5)
            if subprocess.run(["tmux", "has-session", "-t", name], capture_output=True).returncode:
                break
        else:
            raise SystemExit("FAILED: ctrl+q did not close the app")
        print("ok  ctrl+q closes it")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def main() -> int:
    exe = Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_EXE).resolve()
    if not exe.is_file():
        print(f"no executable at {exe}: run python scripts/build_exe.py first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="fieldkit-smoke-") as tmp:
        work = Path(tmp)
        smoke = Smoke(exe, work)
        commands(smoke)
        check_ahead(exe, work)
        app_in_tmux(exe, work)
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
