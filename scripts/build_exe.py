"""Build the one-file fieldkit executable (fieldkit.exe on Windows) with PyInstaller.

    pip install -e '.[build]'
    python scripts/build_exe.py            # -> dist/fieldkit (dist\\fieldkit.exe on Windows)

The executable holds Python, fieldkit, the shipped forms (forms/*.toml, as the package
fieldkit.formdefs, where fieldkit.forms.definitions.builtin_dir looks in a frozen build), the app's styles
(fieldkit/tui/*.tcss) and every library; a laptop needs nothing else. Build on the system it is
for: PyInstaller does not cross-compile (the Windows build runs in .github/workflows/windows.yml).
`python scripts/smoke_exe.py` then tries the result as a user would.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The entry point: the console script `fieldkit` (fieldkit.cli.main:main), as a file PyInstaller can
# start from.
ENTRY = """\
import sys

from fieldkit.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
"""


def pyinstaller_args(entry: Path, dist: Path, work: Path) -> list[str]:
    """PyInstaller's command line for the one-file build."""

    def data(source: Path, target: str) -> str:
        return f"{source}{os.pathsep}{target}"

    args = [
        str(entry),
        "--name=fieldkit",
        "--onefile",
        "--console",  # a terminal app: Windows opens a console window for it
        "--noconfirm",
        "--clean",
        f"--distpath={dist}",
        f"--workpath={work}",
        f"--specpath={work}",
        f"--paths={ROOT}",
        # Data files, where the code looks for them relative to its modules.
        f"--add-data={data(ROOT / 'forms' / '*.toml', 'fieldkit/formdefs')}",
        f"--add-data={data(ROOT / 'fieldkit' / 'tui' / '*.tcss', 'fieldkit/tui')}",
        # Modules imported by name at run time, which PyInstaller cannot see: the app's screens,
        # Textual's widgets (loaded lazily), rich's Unicode width tables.
        "--collect-submodules=fieldkit",
        "--collect-submodules=textual",
        "--collect-data=textual",
        "--collect-submodules=rich",
        "--collect-data=docx",  # python-docx's default template
        # ...which it opens as docx/parts/../templates/...: on Linux that needs a real
        # docx/parts folder in the unpacked files (its modules live in the archive).
        f"--add-data={data(_module_file('docx.parts'), 'docx/parts')}",
        # importlib.metadata.version() at run time (the app version in bundles, Textual's own).
        "--copy-metadata=fieldkit",
        "--copy-metadata=textual",
        # Never used, and large.
        "--exclude-module=tkinter",
        "--exclude-module=pytest",
        "--exclude-module=hypothesis",
    ]
    return args


def _module_file(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin, name
    return Path(spec.origin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the one-file fieldkit executable.")
    parser.add_argument("--dist", default=str(ROOT / "dist"), help="output folder (dist/)")
    args = parser.parse_args(argv)
    try:
        import PyInstaller.__main__
    except ImportError:
        print("PyInstaller is missing: pip install -e '.[build]'", file=sys.stderr)
        return 1
    dist = Path(args.dist).resolve()
    with tempfile.TemporaryDirectory(prefix="fieldkit-build-") as tmp:
        work = Path(tmp)
        entry = work / "fieldkit_main.py"
        entry.write_text(ENTRY, encoding="utf-8")
        PyInstaller.__main__.run(pyinstaller_args(entry, dist, work))
    exe = dist / ("fieldkit.exe" if os.name == "nt" else "fieldkit")
    print(f"built {exe} ({exe.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
