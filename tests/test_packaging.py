"""A non-editable install carries the built-in diagnostics disk and finds it.

Builds the wheel and the sdist from a copy of the checkout (the build writes
``build/`` and ``*.egg-info`` beside the sources), offline and without build
isolation, installs the wheel into a folder of its own and asks that copy
where the disk is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "disk_images" / "diag.img"


def _copy_sources(dst: Path) -> Path:
    dst.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, dst / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "out")
    for package in ("emulator", "devices", "bios", "disk_images"):
        shutil.copytree(ROOT / package, dst / package, ignore=ignore)
    return dst


def _run(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{argv}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_installed_wheel_finds_the_diagnostics_disk(tmp_path: Path) -> None:
    pytest.importorskip("setuptools", reason="the wheel is built without build isolation (test extra)")
    pytest.importorskip("wheel", reason="setuptools < 70.1 needs 'wheel' to build one (test extra)")
    src = _copy_sources(tmp_path / "src")
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(wheels), str(src), cwd=tmp_path)
    (wheel,) = wheels.glob("pyx86-*.whl")
    with zipfile.ZipFile(wheel) as whl:
        assert whl.read("disk_images/diag.img") == IMAGE.read_bytes()
        assert "disk_images/__init__.py" in whl.namelist()

    site = tmp_path / "site"
    _run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site),
         str(wheel), cwd=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = ("import emulator, disk_images\n"
             "from emulator import cli\n"
             "from emulator.bench import diag_image\n"
             "cfg = cli.with_default_guest(cli.parse_config(cli._build_parser().parse_args([])))\n"
             "print(emulator.__file__, disk_images.__file__, diag_image(), cfg.fda, sep='\\n')\n")
    lines = _run(sys.executable, "-c", probe, cwd=tmp_path, env=env).splitlines()
    assert len(lines) == 4, lines
    for line in lines:                     # the installed copy, not the checkout
        assert Path(line).resolve().is_relative_to(site.resolve()), lines
    assert Path(lines[2]) == Path(lines[3])
    assert Path(lines[2]).read_bytes() == IMAGE.read_bytes()

    # the sdist keeps the disk's source next to the image
    _run(sys.executable, "-c", "import sys; from setuptools import build_meta; "
         "build_meta.build_sdist(sys.argv[1])", str(tmp_path / "sdist"), cwd=src)
    (sdist,) = (tmp_path / "sdist").glob("pyx86-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert {"disk_images/diag.img", "disk_images/diag/diag.asm", "disk_images/build_diag.py"} <= names
