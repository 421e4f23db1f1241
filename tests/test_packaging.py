"""`pip install .` (not editable) must carry forms/ inside the package and find it there."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_an_installed_copy_loads_the_shipped_forms(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    shipped = {p.name for p in (target / "fieldkit" / "formdefs").glob("*.toml")}
    assert {f"{name}.toml" for name in ("outreach", "person", "followup", "rules")} <= shipped
    code = "from fieldkit.forms.definitions import builtin_dir, load_forms; print(builtin_dir()); print(len(load_forms().forms))"
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {code}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    where, count = proc.stdout.split()
    assert Path(where) == target / "fieldkit" / "formdefs" and count == "6", proc.stderr
