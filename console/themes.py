"""Theme files (TOML), read and checked without Textual; the UI turns them into Textual themes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from console.problems import problems_from

_HEX = re.compile(r"^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$")
_COLOURS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "boost",
            "warning", "error", "success")


class ThemeSpec(BaseModel):
    """The fields of textual.theme.Theme; colours as #rgb, #rrggbb or #rrggbbaa."""

    model_config = ConfigDict(extra="forbid")

    name: str
    primary: str
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    dark: bool = True
    variables: dict[str, str] = {}

    @field_validator(*_COLOURS)
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is not None and not _HEX.match(value):
            raise ValueError(f"{value!r} is not a colour like #1e88e5")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9][a-z0-9_-]{0,63}$", value):
            raise ValueError(f"{value!r}: theme names use lowercase letters, digits, '-' and '_'")
        return value


def load_theme_file(path: Path) -> ThemeSpec:
    """One theme; ValueError says what is wrong with the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    try:
        return ThemeSpec.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path}: " + "; ".join(str(p) for p in problems_from(exc))) from None


def load_themes(*folders: Path | None) -> tuple[list[ThemeSpec], list[str]]:
    """Every *.toml theme in `folders` (later folders win on equal names), and one message per bad file."""
    found: dict[str, ThemeSpec] = {}
    errors: list[str] = []
    for folder in folders:
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                spec = load_theme_file(path)
            except ValueError as exc:
                errors.append(str(exc))
                continue
            found[spec.name] = spec
    return list(found.values()), errors
