from __future__ import annotations

from pathlib import Path

from console import paths
from console.themes import load_themes


def test_shipped_themes_load_dark_light_and_high_contrast() -> None:
    themes, errors = load_themes(paths.shipped_themes_dir())
    assert errors == []
    by_name = {t.name: t for t in themes}
    assert {"vgconsole-dark", "vgconsole-light", "vgconsole-high-contrast"} <= set(by_name)
    assert by_name["vgconsole-light"].dark is False


def test_bad_theme_files_are_reported_once_each_and_good_ones_still_load(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text('name = "mine"\nprimary = "#112233"\n')
    (tmp_path / "syntax.toml").write_text("name = \n")
    (tmp_path / "colour.toml").write_text('name = "c"\nprimary = "blue-ish"\n')
    (tmp_path / "missing.toml").write_text('name = "m"\n')
    themes, errors = load_themes(tmp_path)
    assert [t.name for t in themes] == ["mine"]
    assert len(errors) == 3
    text = "\n".join(errors)
    assert "syntax.toml: not valid TOML" in text
    assert "colour.toml: primary: 'blue-ish' is not a colour like #1e88e5" in text
    assert "missing.toml: primary: is required" in text


def test_user_themes_win_over_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "override.toml").write_text('name = "vgconsole-dark"\nprimary = "#000000"\n')
    themes, _ = load_themes(paths.shipped_themes_dir(), tmp_path)
    assert {t.name: t for t in themes}["vgconsole-dark"].primary == "#000000"
