"""The vgconsole command: the console by default, plus config, locate, history and export."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from console import __version__, paths
from console.clock import Zone, iso
from console.config import ConfigError, Settings, load_settings
from console.providers import profile_warnings, simulated_modes
from console.records import StoreError
from console.redact import MASK, mask

if TYPE_CHECKING:
    from console.gateways import GatewayPool
    from console.services import Services
    from console.store import Store

T = TypeVar("T")


@dataclass
class _Ctx:
    config: Path | None
    overrides: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        try:
            return load_settings(self.config, **self.overrides)
        except ConfigError as exc:
            _fail_config(exc)

    def store(self, settings: Settings, *, reads_only: bool = False) -> Store:
        # a command that only reads starts no writer process (the thread is cheap and never used)
        from console.store import Store

        where = settings.storage.path.expanduser()
        if reads_only and not where.exists() and where != paths.default_db_file():  # a typo: nothing to make there
            raise click.ClickException(f"no history database at {where}: nothing was ever recorded there (check --db "
                                       "or [storage] path; `vgconsole locate db` shows the default)")
        try:
            return Store(settings.storage.path, secrets=settings.secrets(), synchronous=settings.storage.synchronous,
                         writer="thread" if reads_only else settings.storage.writer)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None

    @staticmethod
    def writable(output: Path | None, settings: Settings) -> None:
        """An export's file is never one of history's own (it would be replaced by the export)."""
        from console.export import not_history

        try:
            if output is not None:
                not_history(output, settings.storage.path)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None


def warn(text: str) -> None:
    click.echo(f"vgconsole: warning: {text}", err=True)


def _fail_config(exc: ConfigError) -> NoReturn:
    click.echo("vgconsole: the configuration cannot be used:", err=True)
    for problem in exc.problems:
        click.echo(f"  {exc.source}: {problem}", err=True)
    sys.exit(2)


class _Commands(click.Group):
    """The commands, some kept in modules of their own that load only when named (or help lists them):
    the console itself starts without them."""

    LATER = {"campaign": ("console.campaigns.commands", "campaign"),
             "dnc": ("console.campaigns.commands", "do_not_call")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LATER])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LATER:
            import importlib

            module, name = self.LATER[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), name)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: $VGCONSOLE_CONFIG or the XDG location).",
)
@click.option("--profile", help="Profile to start with.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="History database file.")
@click.option("--theme", help="Theme name.")
@click.option("--read-only", is_flag=True, help="Watch only: no dialling, no hang-up (every profile).")
@click.option("--utc", is_flag=True, help="Show and read times in UTC (default: [ui] timezone, or the machine's).")
@click.version_option(__version__, prog_name="vgconsole")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, profile: str | None, db: Path | None, theme: str | None,
        read_only: bool, utc: bool) -> None:
    """Place, watch and control outbound calls through Voice Gateway REST APIs.

    Without a command, opens the console.
    """
    overrides: dict[str, Any] = {}
    if profile:
        overrides["default_profile"] = profile
    if db:
        overrides["storage"] = {"path": db}
    if theme:
        overrides["theme"] = theme
    if read_only:
        overrides.setdefault("ui", {})["read_only"] = True
    if utc:
        overrides.setdefault("ui", {})["timezone"] = "UTC"
    ctx.obj = _Ctx(config, overrides)
    if ctx.invoked_subcommand is None:
        _run_console(ctx.obj)


def _run_console(c: _Ctx) -> None:
    from console.ui.app import run  # Textual loads only for the console itself

    settings = c.settings()
    opened: list[Store] = []
    starting = threading.Lock()  # held while the services are built: closing waits for them

    def start() -> Services:
        """In a thread, once the console has drawn its first screen: history, then the services (the web
        server, the HTTP client and the simulators load here, not before the screen)."""
        from console.receiver import load_key
        from console.services import Services

        with starting:
            store = c.store(settings)
            opened.append(store)
            notes: list[str] = []
            services = Services.build(settings, store, key=load_key(paths.receiver_key_file(), notes.append))
            services.notes.extend(notes)
            return services

    state = paths.state_file() if settings.ui.remember else None
    try:
        code = run(settings, start, state_path=state, profile_given="default_profile" in c.overrides,
                   theme_given="theme" in c.overrides)
    finally:
        with starting:  # left at once: history is closed once it has finished opening
            for store in opened:
                store.close()
    if code:
        sys.exit(code)


# ---------------------------------------------------------------- config


@cli.group()
def config() -> None:
    """Check the configuration."""


@config.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def config_check(c: _Ctx, file: Path | None) -> None:
    """Validate FILE (default: the config in force) and list its profiles, secrets masked."""
    import os

    target = file or paths.config_file(c.config)
    named = file is not None or c.config is not None or bool(os.environ.get(paths.CONFIG_ENV))
    if not target.exists() and named:
        raise click.ClickException(f"{target}: file not found")
    try:
        settings = load_settings(target if target.exists() else None)
    except ConfigError as exc:
        _fail_config(exc)
    where = f"{target}: OK" if target.exists() else f"no config file at {target}: the built-in defaults are in force"
    click.echo(f"{where}, {len(settings.profiles)} profile(s), default {settings.default_profile}")
    for name, profile in settings.profiles.items():
        click.echo(f"  {name:<20} {profile.provider:<10} {_where(profile)}")
        for line in _profile_lines(profile):
            click.echo(f"  {'':<20} {line}")
    r = settings.receiver
    auth = []
    if r.webhook_secrets:
        auth.append("signature secrets " + ", ".join(mask(s) for s in r.webhook_secrets))
    if r.basic_username:
        auth.append(f"basic {r.basic_username}:{MASK}")  # a password: not even its last characters
    if r.bearer_secret:
        auth.append(f"bearer {mask(r.bearer_secret)}")
    state = "on" if r.enabled else "off"
    click.echo(f"  receiver: {state}, {r.host}:{r.port}, public URL {r.public_url or '(local address)'}; "
               f"{'; '.join(auth) or 'no webhook authentication configured'}")
    for line in _auth_warnings(settings):
        click.echo(f"  warning: {line}")
    for name, warning in profile_warnings(settings.profiles):
        click.echo(f"  warning: profile {name}: {warning}")
    click.echo(f"  history: {settings.storage.path}")


def _auth_warnings(settings: Settings) -> list[str]:
    """What the receiver would do that the operator may not expect: store strangers' webhooks beyond
    loopback (it refuses to start), or refuse every webhook of a profile for want of a secret."""
    from console.receiver import auth_mode, exposed, is_loopback

    r, said = settings.receiver, []
    open_to = [name for name, p in settings.profiles.items() if auth_mode(settings, p) != "require"]
    if open_to and r.enabled and not is_loopback(r.host):
        said.append(exposed(r.host, open_to) if not r.insecure else
                    f"listening on {r.host} with insecure = true: webhooks for {', '.join(open_to)} are stored "
                    "from anyone who can reach it")
    for name, p in settings.profiles.items():
        unset = p.model_copy(update={"webhook_auth": None})
        if p.webhook_auth == "require" and auth_mode(settings, unset) != "require":
            said.append(f"profile {name}: webhook_auth = \"require\" with no secret or credentials to check "
                        "against: every webhook for it will be refused (401)")
    return said


def _where(profile: Any) -> str:
    if profile.embedded:
        return "embedded simulator"
    return profile.resolved_base_url or "?"


def _profile_lines(profile: Any) -> list[str]:
    lines = []
    if getattr(profile, "account_sid", None):
        lines.append(f"account {profile.account_sid}")
    if getattr(profile, "path_id", None):
        lines.append(f"agent/tenant {profile.path_id}")
    if profile.api_key_env:
        try:
            key = profile.credential()
            lines.append(f"api key from ${profile.api_key_env}: {mask(key)}")
        except ConfigError:
            lines.append(f"api key from ${profile.api_key_env}: NOT SET in this environment")
    elif profile.api_key is not None:
        lines.append(f"api key {mask(profile.api_key)}")
    if profile.numbers:
        lines.append(f"{len(profile.numbers)} local number(s)")
    if profile.applications:
        lines.append(f"{len(profile.applications)} local application(s)")
    return lines


# ---------------------------------------------------------------- locate


@cli.command()
@click.argument("what", type=click.Choice(["config", "db", "themes"]))
@click.pass_obj
def locate(c: _Ctx, what: str) -> None:
    """Print where vgconsole keeps its config, history database or themes."""
    if what == "config":
        click.echo(paths.config_file(c.config))
    elif what == "db":
        click.echo(c.settings().storage.path)
    else:
        click.echo(paths.user_themes_dir())
        shipped = paths.shipped_themes_dir()
        if shipped:
            click.echo(shipped)


# ---------------------------------------------------------------- history and export


_HISTORY_COLUMNS = (("id", 7), ("created", 19), ("profile", 16), ("status", 10), ("from", 16),
                    ("to", 22), ("sip", 4), ("amd", 9), ("secs", 5), ("attempt", 16))


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The history screen's filter, as options (history and export share them)."""
    for option in reversed(
        (
            click.option("--search", help="Text to find in numbers, ids and tags."),
            click.option("--filter-profile", "f_profile", metavar="NAME", help="Only this profile's calls."),
            click.option(
                "--status",
                "f_status",
                help="queued, dialing, ringing, answered, completed, busy, no_answer, canceled or failed.",
            ),
            click.option(
                "--since",
                "f_since",
                metavar="WHEN",
                help="Created at or after: 2026-11-21, '2026-11-21 09:30' (in the zone times are shown in; "
                "--utc), today, or a span back such as 24h, 7d.",
            ),
            click.option("--until", "f_until", metavar="WHEN", help="Created before (same forms)."),
            click.option(
                "--answered/--not-answered", "f_answered", default=None, help="Only answered (or unanswered) calls."
            ),
            click.option(
                "--amd", "f_amd", metavar="RESULT", help="AMD verdict: human, machine, no_speech or undecided."
            ),
        )
    ):
        command = option(command)
    return command


def _filter(zone: Zone, search: str | None, f_profile: str | None, f_status: str | None, f_since: str | None,
             f_until: str | None, f_answered: bool | None, f_amd: str | None) -> Any:
    from console.callfilter import FilterError, build_filter

    try:
        return build_filter(profile=f_profile, status=f_status, since=f_since, until=f_until, answered=f_answered,
                            amd=f_amd, text=search, zone=zone)
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None


@cli.command()
@filter_options
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def history(c: _Ctx, /, limit: int, as_json: bool, **filters: Any) -> None:
    """Show recent calls, newest first, times in the zone the header names (JSON: UTC)."""
    settings = c.settings()
    zone = settings.ui.zone()
    chosen = _filter(zone, **filters)
    with c.store(settings, reads_only=True) as store:
        calls = list(islice(store.iter_calls(filter=chosen, batch=min(limit, 500)), limit))
    if as_json:
        click.echo(json.dumps([call.model_dump(mode="json") for call in calls], indent=2, ensure_ascii=False))
        return
    if not calls:
        click.echo("no calls" + ("" if chosen.empty else f" matching {chosen.describe(zone)}"))
        return
    heading = [f"{name} ({zone.label(calls[0].created_at)})" if name == "created" else name
               for name, _ in _HISTORY_COLUMNS]
    click.echo("  ".join(name.ljust(width) for name, (_, width) in zip(heading, _HISTORY_COLUMNS)))
    for call in calls:
        cells = (
            str(call.id), zone.of(call.created_at).strftime("%Y-%m-%d %H:%M:%S"), call.profile, call.status.value,
            call.from_number or "", call.to_number or "", str(call.sip_status or ""),
            call.amd_result.value if call.amd_result else "", str(call.duration if call.duration is not None else ""),
            call.attempt_id,
        )
        click.echo("  ".join(_fit(text, width) for text, (_, width) in zip(cells, _HISTORY_COLUMNS)))


def _fit(text: str, width: int) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output)."
)
@filter_options
@click.option("--events/--no-events", default=False, help="JSON only: include each call's event timeline.")
@click.pass_obj
def export(c: _Ctx, /, fmt: str, output: Path | None, events: bool, **filters: Any) -> None:
    """Export call history as CSV or JSON (the same filters as the history screen). Times are written in
    UTC, ISO 8601 with a Z, whatever zone the console shows; --since and --until are read in that zone."""
    from console.export import export as write
    from console.export import export_file

    if events and fmt != "json":
        raise click.UsageError("--events needs --format json")
    settings = c.settings()
    c.writable(output, settings)
    chosen = _filter(settings.ui.zone(), **filters)
    with c.store(settings, reads_only=True) as store:
        calls = store.iter_calls(filter=chosen)
        timeline = store.events if events else None
        if output is None:
            write(calls, fmt, sys.stdout, timeline, store.redact)  # type: ignore[arg-type]
            return
        try:
            count = export_file(output, calls, fmt, timeline, store.redact)  # type: ignore[arg-type]
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"{count} call(s) written to {output.resolve()}", err=True)


# ---------------------------------------------------------------- the gateway


def _gateway_run(c: _Ctx, profile: str | None, job: Callable[[GatewayPool, str, Settings], Awaitable[T]]) -> T:
    """Run `job` with the profile's gateway open (an embedded profile starts its simulator here)."""
    import asyncio

    from console.gateways import GatewayPool
    from console.gateways.errors import GatewayError
    from console.simulator.embedded import EmbeddedGateways, seed_for

    settings = c.settings()
    name = profile or settings.default_profile or ""
    try:
        settings.profile(name)
    except ConfigError as exc:
        _fail_config(exc)

    async def run() -> T:
        embedded = EmbeddedGateways(seed=lambda mode: seed_for(settings, mode))
        pool = GatewayPool(settings, embedded)
        try:
            return await job(pool, name, settings)
        finally:
            await pool.close()
            await embedded.stop()

    try:
        return asyncio.run(run())
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None
    except ConfigError as exc:
        _fail_config(exc)


def _listing(c: _Ctx, profile: str | None, as_json: bool, method: str, line: Callable[[Any], str]) -> None:
    async def job(pool: GatewayPool, name: str, settings: Settings) -> list[Any]:
        found: list[Any] = await getattr(await pool.get(name), method)()
        return found

    rows = _gateway_run(c, profile, job)
    if as_json:
        click.echo(json.dumps([vars(row) for row in rows], indent=2))
    else:
        for row in rows:
            click.echo(line(row))


@cli.command()
@click.option("--profile", help="Profile (default: the default profile).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def numbers(c: _Ctx, profile: str | None, as_json: bool) -> None:
    """List the phone numbers the profile can call from."""
    _listing(c, profile, as_json, "list_numbers", lambda n: f"{n.number:<18} {n.label}")


@cli.command()
@click.option("--profile", help="Profile (default: the default profile).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def apps(c: _Ctx, profile: str | None, as_json: bool) -> None:
    """List the applications (IVR flows and audio for MOBtexting, agents for IBM) the profile can use."""
    _listing(c, profile, as_json, "list_applications", lambda a: f"{a.id:<38} {a.kind:<12} {a.name}")


# ---------------------------------------------------------------- dial


def relied_on(receiver: Any, settings: Settings) -> str:
    """Which receiver will hear the call, in words; or a warning that none will, and what happens then."""
    from console.receiver_state import ReceiverState

    public = settings.receiver.public_url
    if receiver.state is ReceiverState.LISTENING:
        where = f" (gateways post to {public})" if public else ""
        return f"this command receives the call's webhooks on {receiver.address}{where}"
    if receiver.state is ReceiverState.SHARED:
        where = f"; gateways post to {public}" if public else ""
        return f"webhooks go to {receiver.detail.removeprefix('shared: ')}{where}"
    if public:
        return f"webhooks go to receiver.public_url {public} ({receiver.detail})"
    return (f"warning: no receiver will hear this call ({receiver.detail}): it goes without status webhooks or AMD, "
            "and its outcome is settled from the gateway's own records by the console or `vgconsole receive` on "
            "this history")


def status_line(status: str, sip: int | None, reason: str | None, final: bool, duration: int | None = None) -> str:
    """"ringing (180)", "busy (486 Busy Here)", "completed (200 OK), 4 s": reasons on final states only,
    since jambonz keeps the reason of 100 Trying on its ringing events."""
    if sip is None:
        text = status
    elif final or status == "answered":
        text = f"{status} ({sip} {reason})" if reason else f"{status} ({sip})"
    else:
        text = f"{status} ({sip})"
    return text + (f", {duration} s" if duration is not None else "")


def _fields_help() -> str:
    """Every documented field of every provider, for `dial --help` (kept as printed: \b)."""
    from console.fields import help_text
    from console.providers import Provider, declarations

    parts = ["Fields for --set PATH=VALUE and --request, by provider (VALUE is JSON when it parses as JSON, "
             "text otherwise; an object's inner keys can be set one by one, e.g. amd.timers.noSpeechTimeoutMs=4000):"]
    for provider in Provider:
        parts.append("\b\n" + help_text(declarations(provider)))
    return "\n\n".join(parts)


class _DialCommand(click.Command):
    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.epilog = _fields_help()  # built when asked for: the declarations are not loaded for every command
        super().format_epilog(ctx, formatter)


def _assignments(provider: str, sets: tuple[str, ...]) -> dict[str, Any]:
    """`--set PATH=VALUE` pairs, each value read as its declared kind."""
    from console.fields import parse_assignment, parse_value
    from console.providers import declarations

    fields = declarations(provider)
    values: dict[str, Any] = {}
    for text in sets:
        path, raw = parse_assignment(text)
        declared, inside = fields.resolve(path)
        values[path] = parse_value(raw, "json" if inside else declared.kind)  # inside an object: JSON if it parses
    return values


def _whole_request(stream: Any) -> dict[str, Any] | None:
    if stream is None:
        return None
    text = stream.read()
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"--request: not JSON: {getattr(exc, 'msg', 'nested too deeply')}") from None
    if not isinstance(data, dict):
        raise ValueError("--request: the request must be a JSON object, as the gateway takes it")
    return data


@cli.command(cls=_DialCommand)
@click.option("--to", "to", help="Number, sip: URI, SIP user or Teams number to call (or the request's `to`).")
@click.option("--profile", help="Profile (default: the default profile).")
@click.option("--target", type=click.Choice(["phone", "sip", "user", "teams"]),
              help="What --to is (default: sip for a sip: URI, else the profile's target_type).")
@click.option("--from", "from_", help="Caller number (default: the profile's; optional on IBM).")
@click.option("--app", help="Application sid, IBM agent, or a MOBtexting IVR flow or sound listed in the profile "
                            "(default: the profile's).")
@click.option("--timeout", type=click.IntRange(1, 600), help="Seconds to ring before giving up (the gateway's "
                                                              "default: 60).")
@click.option("--tag", "tags", multiple=True, help="key=value (JSON values allowed); repeatable.")
@click.option("--header", "headers", multiple=True, help="'Name: value' SIP header; repeatable.")
@click.option("--amd", is_flag=True, help="Answering-machine detection with the profile's AMD options (on anyway "
                                         "when the profile's defaults set amd, as in the form).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Any documented field by its documented name (listed below); repeatable, applied last.")
@click.option("--request", "request_file", type=click.File("r"), metavar="FILE|-",
              help="A whole request as JSON, in the gateway's own shape; it wins over the flags, --set over it.")
@click.option("--wait", is_flag=True, help="Receive the call's webhooks and print each status until a final one.")
@click.option("--wait-limit", "wait_timeout", default=600, show_default=True, type=click.IntRange(1),
              help="With --wait: give up after this many seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of text.")
@click.pass_obj
def dial(c: _Ctx, to: str | None, profile: str | None, target: str | None, from_: str | None, app: str | None,
         timeout: int | None, tags: tuple[str, ...], headers: tuple[str, ...], amd: bool, sets: tuple[str, ...],
         request_file: Any, wait: bool, wait_timeout: int, as_json: bool) -> None:
    """Place a call. With --wait, exit 0 when it is answered, 1 when it ends otherwise, 3 when no final status
    came in time, 4 when how it ended cannot be known (unknown, with the reason); without --wait, 0 when placed,
    1 when refused, 4 when the gateway's answer was lost (the call may exist there)."""
    import asyncio

    from console.compose import compose, parse_header, parse_tag
    from console.gateways.errors import GatewayError
    from console.problems import InvalidInput
    from console.receiver import load_key
    from console.services import Services
    from console.status import CallStatus, EventSource, advance

    settings = c.settings()
    name = profile or settings.default_profile or ""
    if not to and request_file is None:
        raise click.UsageError("Missing option '--to' (or a --request that holds the destination).")
    try:
        chosen = settings.profile(name)
        if chosen.read_only or settings.ui.read_only:
            raise click.ClickException(f"profile {name} is read-only: dialling is off"
                                       + ("" if chosen.read_only else " (read_only is set under [ui])"))
        request = compose(settings, name, to=to or "", from_=from_, app=app, tags=dict(parse_tag(t) for t in tags),
                          headers=dict(parse_header(h) for h in headers), amd=amd, target=target, timeout=timeout,
                          request=_whole_request(request_file), sets=_assignments(chosen.provider, sets))
    except ConfigError as exc:
        _fail_config(exc)
    except InvalidInput as exc:
        raise click.UsageError("; ".join(str(p) for p in exc.problems)) from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if wait and chosen.embedded:  # the call stays in this process: any free port will do
        settings.receiver = settings.receiver.model_copy(update={"port": 0})

    def say(text: str, **data: Any) -> None:
        click.echo(json.dumps({"event": text, **data}, default=str) if as_json else text)

    async def run() -> int:
        finished = asyncio.Event()
        state: dict[str, Any] = {}

        def on_event(event: Any, ingested: Any) -> None:
            call = ingested.call
            if call is None or call.attempt_id != state.get("attempt") or event.source is EventSource.CREATE:
                return  # the gateway's answer to the create is the "placed" line
            if event.amd is not None and event.amd.verdict:
                say(f"amd {event.amd.value}" + (f" ({event.amd_reason})" if event.amd_reason else ""),
                    amd=event.amd.value, reason=event.amd_reason)
            # Each status the call goes through, from the event that said it: following history, several
            # events can arrive in one look, and the call as it stands now would hide the ones in between.
            word = event.status
            if call.status is CallStatus.RETRYING and word in (CallStatus.BUSY, CallStatus.NO_ANSWER):
                word = CallStatus.RETRYING  # the gateway calls again
            shown = CallStatus(state["shown"]) if state.get("shown") else None
            if word is not None and word is not shown and advance(shown, word) is word:
                state["shown"] = word.value
                line = (f"unknown: {call.error}" if word is CallStatus.UNKNOWN else
                        status_line(word.value, event.sip_status, event.sip_reason, word.final,
                                    event.duration if word is CallStatus.COMPLETED else None))
                say(line, status=word.value, sip_status=event.sip_status, sip_reason=event.sip_reason)
            state["answered"] = state.get("answered") or call.status in (CallStatus.ANSWERED, CallStatus.COMPLETED)
            state["unknown"] = call.status is CallStatus.UNKNOWN
            if call.status.final:
                finished.set()

        services = Services.build(settings, store, key=load_key(paths.receiver_key_file(), warn), on_event=on_event)
        try:
            if wait:  # own the receiver port, or follow history while the vgconsole that owns it records the call
                await services.start()
            else:  # a command that exits at once never takes the port: it hands the gateway the owner's URLs
                await services.receiver.locate()
            click.echo(f"note: {relied_on(services.receiver, settings)}", err=True)
            outcome = await services.dialer.place(name, request)
            for note in outcome.notes:
                click.echo(f"note: {note}", err=True)
            if outcome.error is not None:
                if outcome.call is not None and outcome.call.status is CallStatus.UNKNOWN:
                    click.echo(f"vgconsole: whether the call was placed cannot be known (history holds it as unknown): "
                               f"{outcome.error}", err=True)
                    return 4
                click.echo(f"vgconsole: the call was not placed: {outcome.error}", err=True)
                return 1
            call = outcome.call
            assert call is not None  # placed: the attempt is in history
            state["attempt"] = call.attempt_id
            say(f"placed: attempt {call.attempt_id}, call {call.call_sid} ({call.status.value})",
                attempt=call.attempt_id, call_sid=call.call_sid, status=call.status.value)
            if not wait:
                if chosen.embedded:
                    click.echo("note: the embedded simulator stops with this command; use --wait to follow the call",
                               err=True)
                return 0
            try:
                await asyncio.wait_for(finished.wait(), wait_timeout)
            except TimeoutError:
                click.echo(f"vgconsole: no final status within {wait_timeout} s", err=True)
                return 3
            return 0 if state.get("answered") else 4 if state.get("unknown") else 1
        finally:
            await services.stop()

    store = c.store(settings)
    try:
        code = asyncio.run(run())
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    sys.exit(code)


# ---------------------------------------------------------------- receiver


async def _until_signalled() -> None:
    """Wait for ctrl+c or SIGTERM (the headless commands run until told to stop)."""
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def event_line(event: Any, ingested: Any) -> str:
    """One line per webhook for a log: when, which profile, which call, what it says."""
    what = event.amd.value if event.amd else (event.status.value if event.status else event.provider_status or "?")
    sip = f" {event.sip_status}" if event.sip_status else ""
    note = " (duplicate)" if ingested.duplicate else ("" if ingested.call else " (call not known yet)")
    trust = "" if event.verified else " [unverified]"
    return (
        f"{iso(event.received_at)} {event.profile} {event.kind.value} {event.call_sid or '-'} {what}{sip}{note}{trust}"
    )


def event_logger(writer: Any) -> Callable[[Any, Any], None]:
    """The receiver's on_event for a log: one line per event, visible at once (tail -f, journald).
    Lines are gathered and handed to `writer` (a LineWriter: it never blocks the event loop) at the end of
    the loop's turn, so a burst of webhooks costs one write however the stream is buffered."""
    import asyncio

    lines: list[str] = []

    def flush() -> None:
        text = "".join(lines)
        lines.clear()
        writer.write(text)

    def log(event: Any, ingested: Any) -> None:
        if not lines:
            asyncio.get_running_loop().call_soon(flush)
        lines.append(event_line(event, ingested) + "\n")

    return log


@cli.command()
@click.option("--profile", help="Accept webhooks for this profile only.")
@click.option("--host", help="Address to listen on (default: receiver.host).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: receiver.port; 0 picks a free one).")
@click.option("--json", "as_json", is_flag=True, help="First line: one JSON object with the address.")
@click.option("--insecure", is_flag=True, help="Listen beyond loopback even though some profile's webhooks would be "
                                               "stored without authentication ([receiver] insecure).")
@click.pass_obj
def receive(c: _Ctx, profile: str | None, host: str | None, port: int | None, as_json: bool, insecure: bool) -> None:
    """Run the webhook receiver without the console, filling the same history.

    One receiver serves a host's history: when a console already owns the port, this follows history
    (logging every event) and takes the port over when that console stops. The process that owns the
    port also settles overdue calls from the gateways' own records."""
    import asyncio

    from console.clock import utc_now
    from console.logwriter import LineWriter
    from console.receiver import load_key
    from console.receiver_state import ReceiverState
    from console.services import Services

    settings = c.settings()
    if profile:
        try:
            settings.profile(profile)
        except ConfigError as exc:
            _fail_config(exc)
    changes = {k: v for k, v in (("host", host), ("port", port), ("insecure", insecure or None)) if v is not None}
    if changes:
        settings.receiver = settings.receiver.model_copy(update=changes)
    store = c.store(settings)

    lines = LineWriter(sys.stdout)

    async def serve() -> None:
        services = Services.build(settings, store, key=load_key(paths.receiver_key_file(), warn), only_profile=profile,
                                  on_event=event_logger(lines))
        receiver = services.receiver

        def took_over() -> None:
            if receiver.state is ReceiverState.LISTENING and shown.get("state") is ReceiverState.SHARED:
                lines.write(f"{iso(utc_now())} took the receiver port over: listening on {receiver.address}\n")
            shown["state"] = receiver.state

        shown: dict[str, Any] = {}
        try:
            state = await services.start()
            if not state.hears:
                raise click.ClickException(f"the receiver is not running: {receiver.detail}")
            shown["state"] = state
            services.on_state = took_over
            base = receiver.hook_urls.public_url if receiver.hook_urls else ""
            # every line to stdout goes through the writer: in order, and never waiting on the reader
            if as_json:
                lines.write(json.dumps({"address": receiver.address, "public_url": base, "db": str(store.path),
                                        "state": state.value, "owner_pid": receiver.owner_pid}) + "\n")
            elif state is ReceiverState.SHARED:
                lines.write(f"{receiver.detail.removeprefix('shared: ')}: following its events in {store.path}; "
                            "this command takes the port over when it stops\n")
            else:
                lines.write(f"receiving webhooks on {receiver.address} (hooks under {base}/hooks/); "
                            f"history in {store.path}\n")
            await _until_signalled()
        finally:
            await services.stop()

    try:
        asyncio.run(serve())
    finally:
        lines.close()
        store.close()


# ---------------------------------------------------------------- simulator

SIMULATED_FAMILY = simulated_modes()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8900, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Time scale: 10 makes a 4 s call last 0.4 s.")
@click.option("--mode", type=click.Choice(SIMULATED_FAMILY), default=SIMULATED_FAMILY[0], show_default=True,
              help="jambonz refuses Cognigy's extra fields with a bare 500, as the real one does.")
@click.option("--rate-limit", default=600, show_default=True, type=click.IntRange(0),
              help="API requests per 5 minutes for the whole server, as jambonz's default (0: off).")
@click.option("--no-capacity", is_flag=True, help="Answer create-call with 480: no feature server available.")
@click.option("--status-hook", help="URL the seeded applications send call status to.")
@click.option("--mobtexting-webhook", "portal_webhook", help="URL of MOBtexting portal webhook 1.")
@click.option("--drop-webhooks", default=0.0, show_default=True, type=click.FloatRange(0, 1), metavar="RATE",
              help="Lose this share (0 to 1) of status and AMD webhooks, as a network or a receiver that is down "
                   "would.")
@click.option("--drop-seed", type=int, help="With --drop-webhooks: lose the same webhooks every run.")
@click.option("--json", "as_json", is_flag=True, help="First line: one JSON object with the URL and credentials.")
def simulator(host: str, port: int, speed: float, mode: str, rate_limit: int, no_capacity: bool,
              status_hook: str | None, portal_webhook: str | None, drop_webhooks: float, drop_seed: int | None,
              as_json: bool) -> None:
    """Run the simulated gateway (all four APIs) until interrupted."""
    import asyncio

    from console.simulator import Seed, Simulator, SimulatorOptions

    seed = Seed(status_hook={"url": status_hook} if status_hook else None)
    options = SimulatorOptions(host=host, port=port, speed=speed, mode=mode, rate_limit=rate_limit or None, seed=seed,
                               drop_webhooks=drop_webhooks, drop_seed=drop_seed, capacity=not no_capacity,
                               portal_webhook=portal_webhook)

    async def serve() -> None:
        sim = Simulator(options, log=lambda line: click.echo(line, err=True))
        try:
            await sim.start()
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        info = sim.info()
        if as_json:
            click.echo(json.dumps(info), nl=True)
        else:
            click.echo(f"simulated gateway ({mode} mode, speed {speed:g}) at {info['base_url']}")
            for key in ("account_sid", "api_key", "sp_api_key", "webhook_secret", "ibm_agent", "ibm_api_key",
                        "mobtexting_token"):
                click.echo(f"  {key:<17} {info[key]}")
            click.echo("press ctrl+c to stop")
        sys.stdout.flush()
        try:
            await _until_signalled()
        finally:
            await sim.stop()

    asyncio.run(serve())


def main() -> None:
    cli()
