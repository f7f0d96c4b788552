"""The MIT license that setup.cfg declares is in the repository, and the
sdist and the wheel both carry it."""
import configparser
import pathlib
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_license_file_matches_the_declared_license():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["metadata"]["license"] == "MIT"
    assert "LICENSE" in config["metadata"]["license_files"].split()
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def checkout_copy(tmp_path):
    """What a build needs, copied, so building writes nothing in the checkout."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "minigrad", source / "minigrad",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi",
                                                  "*.nbc"))
    return source


@pytest.mark.slow
def test_sdist_and_wheel_carry_the_license(tmp_path):
    source = checkout_copy(tmp_path)
    out = tmp_path / "dist"
    wheel = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps",
         "--no-build-isolation", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600)
    assert wheel.returncode == 0, wheel.stderr
    sdist = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q",
         "sdist", "-d", str(out)], cwd=source, capture_output=True, text=True,
        timeout=600)
    assert sdist.returncode == 0, sdist.stderr
    (whl,) = out.glob("*.whl")
    assert any(n.endswith("/LICENSE") for n in zipfile.ZipFile(whl).namelist())
    (tar,) = out.glob("*.tar.gz")
    with tarfile.open(tar) as archive:
        assert any(n.endswith("/LICENSE") for n in archive.getnames())
