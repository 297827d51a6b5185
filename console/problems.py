"""Turn pydantic validation errors into (field, sentence) pairs an operator can act on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from console.errors import ConsoleError


@dataclass(frozen=True)
class Problem:
    field: str  # dotted path, e.g. "to.number" or "profiles.prod.account_sid"
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class FieldValueError(ConsoleError, ValueError):
    """A rule across fields, raised from a model validator, that still names the field to fix."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class InvalidInput(ConsoleError, ValueError):
    """Input that failed validation; `problems` lists every reason, first one first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def problems_from(exc: ValidationError, skip_segments: Iterable[str] = ()) -> list[Problem]:
    """`skip_segments` drops the union tags pydantic inserts into error paths ("to.phone.number")."""
    skip = set(skip_segments)
    found = []
    for err in exc.errors():
        parts = [str(part) for part in err["loc"] if str(part) not in skip]
        ctx = err.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, FieldValueError):
            parts.append(cause.field)
        elif err["type"].startswith("union_tag_"):
            parts.append(str(ctx.get("discriminator", "type")).strip("'"))
        found.append(Problem(".".join(parts), _sentence(err)))
    return found


def _sentence(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known setting here (misspelt, or it belongs to another provider or target type?)"
    if kind == "union_tag_invalid":
        return f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "is required"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a table of keys and values"
    return str(err["msg"]).replace("Input should be", "must be").replace("Value error, ", "")
