"""What copying tells the operator inside tmux: only `set-clipboard on` hands an application's OSC 52 on."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.ui.clipboard import tmux_passes_osc52


@pytest.fixture
def tmux_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A private tmux server (its own socket, no config), with $TMUX pointing at it as inside a session."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed here")
    socket = tmp_path / "tmux.sock"
    tmux = ["tmux", "-S", str(socket), "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "clip", "sleep 30"], check=True, timeout=10)
    monkeypatch.setenv("TMUX", f"{socket},1,0")
    tmux_passes_osc52.cache_clear()
    try:
        yield tmux
    finally:
        subprocess.run([*tmux, "kill-server"], timeout=10, check=False)
        tmux_passes_osc52.cache_clear()


@pytest.mark.parametrize(("setting", "passes"), [("on", True), ("external", False), ("off", False)])
def test_only_set_clipboard_on_passes_an_applications_copy_on(tmux_server: list[str], setting: str,
                                                              passes: bool) -> None:
    subprocess.run([*tmux_server, "set-option", "-g", "set-clipboard", setting], check=True, timeout=10)
    assert tmux_passes_osc52() is passes
