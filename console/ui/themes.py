"""Theme files turned into Textual themes."""

from __future__ import annotations

from textual.theme import Theme

from console import paths
from console.themes import ThemeSpec, load_themes


def to_textual(spec: ThemeSpec) -> Theme:
    return Theme(**spec.model_dump())


def file_themes() -> tuple[list[Theme], list[str]]:
    """Shipped themes, then the user's (which win on equal names), and one message per bad file."""
    specs, errors = load_themes(paths.shipped_themes_dir(), paths.user_themes_dir())
    return [to_textual(s) for s in specs], errors
