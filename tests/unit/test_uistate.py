"""What the console remembers between runs: kept whole, the owner's only, never a secret, and a file it
cannot read set aside rather than a crash."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from console.uistate import HISTORY_KEEP, VERSION, ConsoleState, ProfileState, load, save, without_secrets


def test_nothing_kept_yet_is_a_fresh_state_and_what_is_saved_comes_back(tmp_path: Path) -> None:
    path = tmp_path / "state" / "console.json"
    state, note = load(path)
    assert note is None and state == ConsoleState()
    state.profile, state.theme = "demo-jambonz", "vgconsole-light"
    state.profiles["demo-jambonz"] = ProfileState(form={"to": "+12125550101"}, tags=[("campaign", "spring")])
    save(path, state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again, note = load(path)
    assert note is None and again == state and json.loads(path.read_text())["version"] == VERSION
    assert [p.name for p in path.parent.iterdir()] == ["console.json"]  # no temporary left behind


def test_a_damaged_or_newer_file_is_set_aside_with_a_message_and_the_console_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "console.json"
    for content, said in (('{"profile": "demo-jam', "damaged"), ('{"version": 99, "profile": "x"}', "newer"),
                          ('["a list"]', "not what it should hold"),
                          ('{"version": 1, "profiles": {"p": {"tags": "nope"}}}', "not what it should hold")):
        path.write_text(content)
        state, note = load(path)
        assert state == ConsoleState() and note is not None and said in note, (content, note)
        assert not path.exists()
        aside = [p for p in tmp_path.iterdir() if p.name.endswith(".unreadable")]
        assert len(aside) == 1 and aside[0].read_text() == content
        aside[0].unlink()


def test_histories_keep_each_entry_once_newest_last_and_only_so_many() -> None:
    state = ConsoleState()
    for text in ("history", "live", "history", "  ", *(f"profile p{n}" for n in range(HISTORY_KEEP + 5))):
        state.remember("commands", text)
    assert len(state.commands) == HISTORY_KEEP and state.commands[-1] == f"profile p{HISTORY_KEEP + 4}"
    assert "history" not in state.commands and "" not in state.commands  # pushed out; blanks never kept
    state.remember("searches", "+1212")
    state.remember("searches", "+1212")
    assert state.searches == ["+1212"]


def test_rows_named_like_a_secret_or_holding_a_configured_one_are_not_kept() -> None:
    rows = [("campaign", "spring"), ("api_token", "abc"), ("X-Auth-Token", "t"), ("note", "key s3cr3t-value here")]
    assert without_secrets(rows, ["s3cr3t-value"]) == [("campaign", "spring")]
