"""Packaging facts that are cheap to check on every run (the full build is checked by hand / in CI:
``python -m build``, the wheel in a new venv, the sdist's own tests)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_mpl_2_and_declared_as_spdx():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MPL-2.0"  # an SPDX expression, not the deprecated table form
    assert project["license-files"] == ["LICENSE"]
    assert not [c for c in project.get("classifiers", ()) if c.startswith("License ::")]  # not with an SPDX license
    assert (ROOT / "LICENSE").read_text().startswith("Mozilla Public License Version 2.0")


def test_sdist_manifest_carries_what_the_tests_need():
    manifest = (ROOT / "MANIFEST.in").read_text().split()
    for needed in ("tests", "benchmarks", "screenshots/generate.py", "LICENSE", "README.md"):
        assert needed in manifest


def test_version_flag(capsys):
    from vault_tui import __version__, cli

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"vault-tui {__version__}"
