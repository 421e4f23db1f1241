"""The one-file executable (scripts/build_exe.py): what it relies on, and, with
FIELDKIT_SLOW=1 and PyInstaller installed, the build itself tried by scripts/smoke_exe.py
(about 1.5 min: not part of the everyday suite)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldkit.cli import main as cli
from fieldkit.forms import definitions as forms
from fieldkit.sync import import_check

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def frozen(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "fieldkit.exe"))
    return tmp_path


def test_a_frozen_build_reads_the_forms_it_carries(frozen):
    assert forms.builtin_dir() == frozen / "fieldkit" / "formdefs"


def test_a_frozen_build_checks_ahead_with_itself(frozen):
    command, env = import_check._worker_command()
    assert command == [str(frozen / "fieldkit.exe"), cli.IMPORT_CHECK_ARG]
    assert import_check.FROZEN_WORKER_ARG == cli.IMPORT_CHECK_ARG
    assert "PYTHONPATH" not in env or env["PYTHONPATH"] == os.environ.get("PYTHONPATH")


def test_the_hidden_argument_runs_the_check_process(monkeypatch):
    served = []
    monkeypatch.setattr(sys, "argv", ["fieldkit", cli.IMPORT_CHECK_ARG])
    monkeypatch.setattr(import_check, "main", lambda: served.append(True))
    assert cli.main() == 0 and served == [True]


def test_the_build_carries_forms_styles_and_templates(tmp_path):
    args = _script("build_exe").pyinstaller_args(tmp_path / "e.py", tmp_path, tmp_path)
    data = [a.split("=", 1)[1] for a in args if a.startswith("--add-data=")]
    targets = {Path(d.rsplit(os.pathsep, 1)[0]).name: d.rsplit(os.pathsep, 1)[1] for d in data}
    assert targets["*.toml"] == "fieldkit/formdefs"  # where builtin_dir() looks when frozen
    assert targets["*.tcss"] == "fieldkit/tui"
    assert "--onefile" in args and "--collect-data=docx" in args
    assert list((ROOT / "fieldkit" / "tui").glob("*.tcss")) and list((ROOT / "forms").glob("*"))


def test_the_windows_workflow_tests_builds_and_tries_the_executable():
    yaml = pytest.importorskip("yaml")
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "windows.yml").read_text("utf-8"))
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    (job,) = flow["jobs"].values()
    assert job["runs-on"].startswith("windows")
    runs = [step.get("run", "") for step in job["steps"]]
    assert any("[test,build]" in r for r in runs)
    assert "pytest" in runs
    assert any(r.startswith("python scripts/build_exe.py") for r in runs)
    assert any(r.startswith("python scripts/smoke_exe.py dist/fieldkit.exe") for r in runs)


@pytest.mark.skipif(
    os.environ.get("FIELDKIT_SLOW") != "1" or importlib.util.find_spec("PyInstaller") is None,
    reason="slow: set FIELDKIT_SLOW=1 with PyInstaller installed (pip install -e '.[build]')",
)
def test_the_one_file_executable_works_as_a_user_would(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_exe.py"), "--dist", str(dist)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    exe = dist / ("fieldkit.exe" if os.name == "nt" else "fieldkit")
    smoke = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "smoke_exe.py"), str(exe)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert "smoke test passed" in smoke.stdout


def test_a_frozen_build_checks_ahead_only_for_bigger_imports(frozen, monkeypatch):
    bundle = frozen / "a.fkb"
    bundle.write_bytes(b"x" * 3_000_000)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert not import_check.worth_checking_ahead([bundle])
    monkeypatch.delattr(sys, "frozen")
    assert import_check.worth_checking_ahead([bundle])
