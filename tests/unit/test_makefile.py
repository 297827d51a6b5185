"""`make run` and `make test` on a fresh checkout: what each installs and what it says while it does."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed here")


def planned(tmp_path: Path, target: str) -> list[str]:
    """The commands `make TARGET` would run in a checkout with no .venv yet (make -n runs nothing)."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}  # as if typed, not nested
    done = subprocess.run(["make", "--no-print-directory", "-n", target], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_make_run_installs_only_what_running_needs_and_says_what_it_is_doing(tmp_path: Path) -> None:
    lines = planned(tmp_path, "run")
    installs = [line for line in lines if "pip install" in line and "--upgrade pip" not in line]
    assert len(installs) == 1 and installs[0].endswith("-e .") and "[test]" not in installs[0]
    said = [line for line in lines if line.startswith("echo")]
    assert any("creating .venv" in line for line in said) and any("installing" in line for line in said)
    assert lines[-1].strip() == ".venv/bin/vgconsole"  # and then it starts


def test_make_test_adds_the_test_tools_and_runs_the_linters_before_the_suite(tmp_path: Path) -> None:
    lines = planned(tmp_path, "test")
    installs = [line for line in lines if "pip install" in line and "--upgrade pip" not in line]
    assert len(installs) == 1 and installs[0].endswith("-e '.[test]'")
    order = [next(i for i, line in enumerate(lines) if tool in line) for tool in ("ruff", "lint-imports", "mypy",
                                                                                  "pytest")]
    assert order == sorted(order)
    assert "-m pytest -n 2" in lines[order[-1]]  # on both cores
