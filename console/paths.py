"""Where vgconsole keeps its files (XDG base directories through platformdirs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP = "vgconsole"
CONFIG_ENV = "VGCONSOLE_CONFIG"


def config_dir() -> Path:
    return platformdirs.user_config_path(APP)


def data_dir() -> Path:
    return platformdirs.user_data_path(APP)


def state_dir() -> Path:
    return platformdirs.user_state_path(APP)


def state_file() -> Path:
    """What the console remembers between runs (console.uistate)."""
    return state_dir() / "console.json"


def default_config_file() -> Path:
    return config_dir() / "config.toml"


def config_file(flag: str | os.PathLike[str] | None = None) -> Path:
    """The config file in force: --config, else $VGCONSOLE_CONFIG, else the XDG default."""
    if flag:
        return Path(flag).expanduser()
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_config_file()


def default_db_file() -> Path:
    return data_dir() / "history.db"


def exports_dir() -> Path:
    return data_dir() / "exports"


def receiver_key_file() -> Path:
    return data_dir() / "receiver.key"


def user_themes_dir() -> Path:
    return data_dir() / "themes"


def shipped_themes_dir() -> Path | None:
    """The themes that come with vgconsole: the checkout's themes/ or, installed, <prefix>/share."""
    for candidate in (
        Path(__file__).resolve().parent.parent / "themes",
        Path(sys.prefix) / "share" / APP / "themes",
    ):
        if (candidate / "vgconsole-dark.toml").is_file():  # ours, not some other package's themes/
            return candidate
    return None
