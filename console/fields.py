"""Request fields declared once, as each provider documents them, so the form, the CLI (`--set`,
`--request`) and a profile's `[defaults]` reach the same fields by the same names.

A declaration says where a value goes on the wire (its documented name and JSON path) and where it goes
in a DialRequest's input; the model validates it, and a problem it finds is said under the declared name.
"""

from __future__ import annotations

import difflib
import json
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from pydantic.alias_generators import to_snake

from console.errors import ConsoleError
from console.problems import InvalidInput, Problem

# The order groups are shown in, with the words that introduce them.
GROUPS: dict[str, str] = {
    "call": "the call",
    "target": "the callee (to)",
    "speech": "speech (text-to-speech, recognizer)",
    "hooks": "webhooks",
    "dtmf": "DTMF",
    "media": "listen / transcribe",
    "amd": "answering-machine detection",
    "status": "status webhook",
    "tenant": "tenant configuration",
    "campaign": "campaign",
}
_UNSET: Any = object()


@dataclass(frozen=True)
class Declared:
    """One documented request field of one provider."""

    path: str  # the documented name, dotted for a nested one: "amd.timers.noSpeechTimeoutMs"
    model: str | Callable[[dict[str, Any], Any], None]  # where in a DialRequest's input, or how it gets there
    kind: str  # text, int, bool, json, list, hook, secret, choice: how typed text is read, and said
    group: str
    help: str
    example: Any  # a value the gateway accepts, as an operator would give it
    wire: Any = _UNSET  # the example as it goes on the wire, when that differs
    default: str = ""  # the documented default
    limits: str = ""  # range or pattern, said in help
    common: bool = False  # has its own flag and form field
    targets: tuple[str, ...] = ()  # a `to.*` field: the target types it belongs to
    aliases: tuple[str, ...] = ()  # other spellings on the wire (another generation of the API)
    open: bool = False  # an object whose inner paths may be set one by one
    choices: tuple[str, ...] = ()
    either: str = ""  # fields with the same word are alternatives: one of them per request
    where: str = "body"  # "path": a part of the request's URL, not of its body
    lands: str = ""  # with a function as `model`: where in a DialRequest the value lands (to name problems)
    form: str = ""  # shown in the dial form itself: its field's id there (the others are under More, F12)
    label: str = ""  # and its label there
    placeholder: str = ""
    profile_default: str = ""  # a profile setting that fills it when the defaults do not (MOBtexting's webhook_id)

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def on_wire(self) -> Any:
        return self.example if self.wire is _UNSET else self.wire

    def describe(self) -> str:
        extra = [part for part in (self.limits, f"default {self.default}" if self.default else "") if part]
        return self.help + (f" ({'; '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class Common:
    """What every front end asks for the same way: flags, the form's first fields, a profile's defaults."""

    to: str
    target: str | None = None  # phone, sip, user, teams; None: a sip: URI is sip, anything else phone
    from_: str | None = None
    app: str | None = None  # the application, agent, IVR flow or sound
    app_kind: str | None = None  # as the profile lists it: application, agent, ivr or audio
    timeout: int | None = None  # seconds to ring
    tags: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    amd: dict[str, Any] | None = None  # None: no AMD

    def target_type(self) -> str:
        if self.target:
            return self.target
        return "sip" if self.to.strip().lower().startswith(("sip:", "sips:")) else "phone"


class UnknownField(ConsoleError, ValueError):
    def __init__(self, path: str, provider: str, known: Iterable[str]):
        self.path = path
        close = difflib.get_close_matches(path, list(known), n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        super().__init__(f"{path!r} is not a field of a {provider} request{hint}; `vgconsole dial --help` lists "
                         "every field")


@dataclass(frozen=True)
class Declarations:
    """One provider's fields."""

    provider: str
    fields: tuple[Declared, ...]

    def __iter__(self) -> Any:
        return iter(self.fields)

    common: Callable[[Common], dict[str, Any]]  # the common values as documented paths
    sample: Common  # a request the gateway accepts, to check other values on

    def by_path(self) -> dict[str, Declared]:
        found = {d.path: d for d in self.fields}
        for d in self.fields:
            for alias in d.aliases:
                found.setdefault(alias, d)
        return found

    def resolve(self, path: str) -> tuple[Declared, str]:
        """The declaration a path names, and what is left of the path inside it (an open object's key)."""
        path = path.strip()
        known = self.by_path()
        if path in known:
            return known[path], ""
        best: tuple[Declared, str] | None = None
        for spelled, d in known.items():
            if d.open and path.startswith(spelled + ".") and (best is None or len(spelled) > len(best[0].path)):
                best = (d, path[len(spelled) + 1:])
        if best is None:
            raise UnknownField(path, self.provider, (d.path for d in self.fields))
        return best

    def flatten(self, obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        """A request (or a `[defaults]` table) as documented paths and values; an unknown key is refused."""
        known = self.by_path()
        out: dict[str, Any] = {}
        for key, value in obj.items():
            path = f"{prefix}{key}"
            if path in known:
                out[path] = value
            elif isinstance(value, dict) and any(p.startswith(path + ".") for p in known):
                out.update(self.flatten(value, path + "."))
            else:
                self.resolve(path)  # raises UnknownField, or finds an open object around it
                out[path] = value
        return out

    def apply(self, data: dict[str, Any], values: dict[str, Any]) -> list[Problem]:
        """Write documented paths into a DialRequest's input; problems for any path this provider lacks."""
        problems: list[Problem] = []
        for path, value in values.items():
            try:
                declared, rest = self.resolve(path)
            except UnknownField as exc:
                problems.append(Problem(path, str(exc)))
                continue
            try:
                if callable(declared.model):
                    declared.model(data, value)
                else:
                    assign(data, declared.model + (f".{rest}" if rest else ""), value)
            except ValueError as exc:
                problems.append(Problem(declared.path, str(exc)))
        return problems

    def public(self, model_path: str) -> str:
        """The documented name for a DialRequest problem's path (its Python names, maybe deeper)."""
        wanted = snake(model_path)
        best, best_len = "", -1
        for d in self.fields:
            spelled = snake(d.lands if callable(d.model) else d.model)
            if wanted == spelled or wanted.startswith(spelled + "."):
                if len(spelled) > best_len:
                    rest = model_path.split(".")[len(spelled.split(".")):]
                    best, best_len = ".".join([d.path, *rest]), len(spelled)
        return best or model_path


    def layer(self, below: dict[str, Any], above: dict[str, Any]) -> dict[str, Any]:
        """`above` over `below`; an object both give is merged key by key (tags from the profile and the flags)."""
        merged = dict(below)
        for path, value in above.items():
            old = merged.get(path)
            if isinstance(old, dict) and isinstance(value, dict):
                merged[path] = {**old, **value}
            else:
                merged.pop(path, None)  # re-inserted last, so it is applied after what it refines
                merged[path] = value
        return merged

    def without_alternatives(self, values: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        """`values` less any field whose alternative is given (an audio given drops the IVR flow)."""
        known = self.by_path()
        chosen = {self.resolve(p)[0].either for p in given} - {""}
        return {p: v for p, v in values.items() if p not in known or known[p].either not in chosen}

    def check(self, values: dict[str, Any], build: Callable[[dict[str, Any]], Any],
              target: str = "phone") -> list[Problem]:
        """Problems with these values alone: they are put on a sample request that is otherwise valid."""
        sample = self.sample
        destination = next((d for d in self.fields if d.common and target in d.targets), None)
        if destination is not None:
            sample = replace(sample, target=target, to=str(destination.example))
        try:
            base = self.without_alternatives(self.common(sample), values)
        except UnknownField as exc:
            return [Problem(exc.path, str(exc))]
        data: dict[str, Any] = {"provider": self.provider}
        problems = self.apply(data, self.layer(base, values))
        if problems:
            return problems
        try:
            build(data)
        except InvalidInput as exc:
            return [Problem(self.public(p.field), p.message) for p in exc.problems]
        return []


def snake(path: str) -> str:
    """A dotted path in Python's names (sipUri: sip_uri), as a model dump spells it."""
    return ".".join(to_snake(part) for part in path.split("."))


def assign(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in nested dicts, making the dicts on the way."""
    parts = path.split(".")
    here = data
    for i, part in enumerate(parts[:-1]):
        nxt = here.get(part)
        if nxt is None:
            nxt = here[part] = {}
        elif not isinstance(nxt, dict):
            raise ValueError(f"{'.'.join(parts[:i + 1])} is a single value; it has no {parts[i + 1]!r} inside")
        here = nxt
    here[parts[-1]] = value


def lookup(data: Any, path: str) -> Any:
    """A dotted path's value in nested dicts; KeyError when it is not there."""
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            raise KeyError(path)
        data = data[part]
    return data


def parse_value(text: str, kind: str) -> Any:
    """A typed value: JSON when it parses as JSON (numbers, arrays, objects, true/false), text otherwise.
    Text fields keep what was typed, so a number-like caller name or sound id stays text."""
    if kind == "secret":
        return text  # a password is what was typed, quotes and braces too
    if kind in ("text", "choice", "hook", "number"):
        stripped = text.strip()
        if stripped.startswith(("{", '"')):  # a hook as an object, or a quoted string
            try:
                parsed = json.loads(stripped)
            except (json.JSONDecodeError, RecursionError):
                return text
            return parsed if isinstance(parsed, (dict, str)) else text
        return text
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


def parse_assignment(text: str) -> tuple[str, str]:
    """`PATH=VALUE` as given to --set."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ValueError(f"{text!r} is not PATH=VALUE (for example speech_synthesis_vendor=google)")
    return path.strip(), value


def help_text(declarations: Declarations, width: int = 100) -> str:
    """Every field of one provider, grouped, for `dial --help` and the docs."""
    lines = [f"{declarations.provider}:"]
    for group in GROUPS:
        members = [d for d in declarations if d.group == group]
        if not members:
            continue
        lines.append(f"  {GROUPS[group]}")
        for d in members:
            example = d.example if isinstance(d.example, str) else json.dumps(d.example)
            lines.append(f"    {d.path} ({d.kind}{', in the URL' if d.where == 'path' else ''})")
            lines += textwrap.wrap(f"{d.describe()}; e.g. {example}", width, initial_indent=" " * 8,
                                   subsequent_indent=" " * 8)
    return "\n".join(lines)
