"""`vgconsole campaign ...` and `vgconsole dnc ...`: campaigns from a terminal (plan, create, run, status,
pause, resume, stop, export) and the do-not-call list they honour."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from console.campaigns.callees import printable

if TYPE_CHECKING:
    from console.cli import _Ctx

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def campaign() -> None:
    """Campaigns: a list of people dialled at a safe pace within their own calling hours."""


@campaign.command("plan")
@click.argument("callees", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--hours", "window", default="09:00-20:00", show_default=True,
              help="The daily calling window, in each callee's own time zone.")
@click.option("--days", default="mon-fri", show_default=True, help="Days it applies: mon-fri, mon,wed,sat, all.")
@click.option("--per-minute", type=click.FloatRange(min=0.1, max=600), default=10, show_default=True,
              help="Calls started per minute at most.")
@click.option("--start", "start_at", metavar="WHEN", help="When the campaign would start (default: now; a time "
                                                            "is read in the zone times are shown in).")
@click.option("--region", help="Country of numbers written without +CC (default: the default profile's, or "
                               "default_region).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per callee.")
@click.pass_obj
def plan(c: _Ctx, /, callees: Path, window: str, days: str, per_minute: float, start_at: str | None,
         region: str | None, as_json: bool) -> None:
    """Who would be called when, from the CSV or TSV file CALLEES (a header with a number column; any
    other columns; a timezone column wins over the number's own zones). Nothing is dialled.

    A number in several time zones is called only while the hours are open in all of them. Every bad row
    is reported with its line; a file with one is not planned."""
    from console.callfilter import FilterError, parse_when
    from console.campaigns.callees import read_callees
    from console.campaigns.hours import CallingHours, HoursError
    from console.campaigns.plan import schedule

    settings = c.settings()
    zone = settings.ui.zone()
    try:
        hours = CallingHours.parse(window, days)
    except HoursError as exc:
        raise click.UsageError(str(exc)) from None
    if not math.isfinite(per_minute):
        raise click.BadParameter("a number of calls a minute, such as 10", param_hint="--per-minute")
    now = datetime.now(UTC)
    try:
        start = parse_when(start_at, now, field="--start", zone=zone) if start_at else now
    except (FilterError, ValueError, OverflowError) as exc:
        raise click.BadParameter(f"{start_at!r} is not a time: write 2026-12-04 09:00 ({exc})",
                                 param_hint="--start") from None
    if start < now - timedelta(minutes=1) or start > now + timedelta(days=366):
        raise click.BadParameter(f"{zone.of(start):%Y-%m-%d %H:%M} {zone.label(start)} is "
                                 f"{'in the past' if start < now else 'more than a year away'}: a campaign starts "
                                 "from now on, within a year", param_hint="--start")
    found = read_callees(read_limited(callees), number_region(settings, region))
    if found.problems:
        click.echo(f"vgconsole: {callees}: {len(found.problems)} row(s) cannot be used; nothing was planned:",
                   err=True)
        for problem in found.problems:
            click.echo(f"  {printable(str(problem))}", err=True)
        raise SystemExit(1)
    listed: set[str] = set()
    if settings.storage.path.expanduser().exists():
        with c.store(settings, reads_only=True) as store:  # checked again before every attempt, once dialling
            listed = {d.number for d in store.do_not_call([callee.number for callee in found.callees])}
    else:  # a plan reads nothing else of history: none yet is no do-not-call list yet
        click.echo(f"note: no history at {settings.storage.path} yet, so no do-not-call list to leave numbers out",
                   err=True)
    to_call = [callee for callee in found.callees if callee.number not in listed]
    slots = schedule(to_call, hours, start, per_minute)
    if as_json:
        for s in slots:
            row: dict[str, Any] = {"line": s.callee.line, "number": s.callee.number, "zones": list(s.zones),
                                   "at": s.at.astimezone(UTC).isoformat().replace("+00:00", "Z") if s.at else None}
            if s.why:
                row["never"] = s.why
            click.echo(json.dumps(row))
        for number in sorted(listed):
            click.echo(json.dumps({"number": number, "skipped": "on the do-not-call list"}))
        return
    merged = f" ({found.merged} duplicate(s) merged)" if found.merged else ""
    skipped = f", {len(listed)} on the do-not-call list left out" if listed else ""
    click.echo(f"{len(to_call)} callee(s){merged}{skipped}; {hours.describe()}; at most {per_minute:g} a minute")
    label = zone.label(start)
    click.echo(f"{'line':>5}  {'number':16}  {('when (' + label + ')'):19}  {'their time':16}  zones")
    for s in slots:
        if s.at is None:
            click.echo(f"{s.callee.line:>5}  {s.callee.number:16}  {'never':19}  {'':16}  {s.why}")
            continue
        when = f"{zone.of(s.at):%Y-%m-%d %H:%M:%S}"
        theirs = f"{s.at.astimezone(ZoneInfo(s.zones[0])):%a %H:%M %Z}"  # in the first of its zones
        where = s.zones[0] if len(s.zones) == 1 else f"{len(s.zones)} zones: {', '.join(s.zones[:3])}…"
        click.echo(f"{s.callee.line:>5}  {s.callee.number:16}  {when:19}  {theirs:16}  {where}")
    planned = [s.at for s in slots if s.at is not None]
    if planned:
        click.echo(f"first call {zone.of(min(planned)):%Y-%m-%d %H:%M} {label}, last "
                   f"{zone.of(max(planned)):%Y-%m-%d %H:%M} {label}; {len(slots) - len(planned)} never")



# ---------------------------------------------------------------- running campaigns

PACE = [
    click.option("--hours", "window", default="09:00-20:00", show_default=True,
                 help="The daily calling window, in each callee's own time zone."),
    click.option("--days", default="mon-fri", show_default=True, help="Days it applies: mon-fri, mon,wed,sat, all."),
    click.option("--per-minute", type=click.FloatRange(min=0.1, max=600), default=10, show_default=True,
                 help="Calls started per minute at most."),
    click.option("--max-live", type=click.IntRange(1, 100), default=5, show_default=True,
                 help="Calls going on at once, at most."),
    click.option("--retry", "retries", multiple=True, metavar="OUTCOME=TRIES@WAIT",
                 help="More tries after an outcome, and the wait before each: busy=2@10m, no_answer=2@30m, "
                      "machine=1@1h, failed=0, refused=0, unknown=0 (the defaults). Repeatable."),
]


def _with(options: list[Callable[[F], F]]) -> Callable[[F], F]:
    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command
    return apply


@campaign.command("create")
@click.argument("name")
@click.argument("callees", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", help="Profile to dial through (default: the default profile).")
@_with(PACE)
@click.option("--from", "from_", help="Caller number (default: the profile's).")
@click.option("--app", help="Application (default: the profile's).")
@click.option("--timeout", type=click.IntRange(1, 600), help="Seconds to ring before giving up.")
@click.option("--tag", "tags", multiple=True, help="key=value for every call (a callee's own columns are added "
                                                   "as tags too); repeatable.")
@click.option("--header", "headers", multiple=True, help="'Name: value' SIP header; repeatable.")
@click.option("--amd", is_flag=True, help="Answering-machine detection (a machine is its own outcome).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Any documented field, as `dial --set`.")
@click.option("--region", help="Country of numbers written without +CC (default: the profile's).")
@click.pass_obj
def create(c: _Ctx, /, name: str, callees: Path, profile: str | None, window: str, days: str, per_minute: float,
           max_live: int, retries: tuple[str, ...], from_: str | None, app: str | None, timeout: int | None,
           tags: tuple[str, ...], headers: tuple[str, ...], amd: bool, sets: tuple[str, ...],
           region: str | None) -> None:
    """Create campaign NAME from the CSV or TSV file CALLEES (checked row by row: a file with a bad row
    creates nothing). It dials once `vgconsole campaign run NAME` runs."""
    import asyncio
    import shlex

    from console.campaigns import ledger
    from console.campaigns.setup import SetupProblems, from_file, plan_from, retries_from
    from console.cli import _assignments
    from console.compose import parse_header, parse_tag
    from console.records import StoreError

    settings = c.settings()
    chosen_name = profile or settings.default_profile or next(iter(settings.profiles))
    chosen = settings.profiles.get(chosen_name)
    with c.store(settings) as store:
        try:
            plan = plan_from(window=window, days=days, per_minute=per_minute, max_live=max_live,
                             retries=retries_from(" ".join(retries)), from_=from_, app=app, timeout=timeout, amd=amd,
                             tags=dict(parse_tag(t) for t in tags), headers=dict(parse_header(h) for h in headers),
                             sets=_assignments(chosen.provider, sets) if chosen else {})
            made = from_file(settings, name, chosen_name, read_limited(callees), plan, source=callees.name,
                             region=number_region(settings, region) if region else None, redact=store.redact)
        except SetupProblems as exc:
            if exc.field != "file":
                raise click.UsageError(printable(str(exc))) from None
            click.echo(f"vgconsole: {callees}: {len(exc.problems)} row(s) cannot be used; nothing was created:",
                       err=True)
            for problem in exc.problems:
                click.echo(f"  {printable(problem)}", err=True)
            raise SystemExit(1) from None
        except ValueError as exc:  # a tag or header the command line could not read
            raise click.UsageError(str(exc)) from None
        try:
            asyncio.run(store.write(ledger.create, made.campaign, made.rows))
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
    merged = f" ({made.merged} duplicate(s) merged)" if made.merged else ""
    click.echo(f"campaign {name}: {len(made.rows)} callee(s){merged} on profile {chosen_name}; "
               f"{plan.hours().describe()}; at most {per_minute:g} a minute, {max_live} at once. Dial it with: "
               f"vgconsole campaign run {shlex.quote(made.campaign['name'])}")


def _campaign(store: Any, name: str) -> Any:
    import unicodedata

    from console.campaigns import progress

    found = store.read(progress.find, unicodedata.normalize("NFC", name))  # as names are kept
    if found is None:
        known = ", ".join(x.name for x in store.read(progress.every)) or "none yet"
        raise click.ClickException(f"no campaign named {name!r} (campaigns: {known})")
    return found


def _summary(counts: dict[str, int]) -> str:
    from console.campaigns.policy import LEFT_OUT, OUTCOMES

    done = counts.get("done", 0) + counts.get("skipped", 0)
    parts = [f"{done}/{counts.get('callees', 0)} settled", f"{counts.get('calling', 0)} calling",
             f"{counts.get('waiting', 0)} waiting" + (f" ({counts['window']} for their hours)" if counts.get("window")
                                                     else "")]
    outcomes = [f"{counts[f'outcome:{o}']} {o.replace('_', ' ')}" for o in (*OUTCOMES, *LEFT_OUT)
                if counts.get(f"outcome:{o}")]
    said = ", ".join(parts) + (f"; {', '.join(outcomes)}" if outcomes else "")
    return f"{said}; {counts.get('attempts', 0)} call(s)"


@campaign.command("run")
@click.argument("name")
@click.pass_obj
def run(c: _Ctx, /, name: str) -> None:
    """Dial campaign NAME until every callee is settled (or it is stopped): a progress line on a terminal,
    one line per outcome otherwise. Safe to stop (ctrl+c) or kill at any moment and run again: it goes on
    where it was, and an attempt already made is settled from the gateway before anyone is called again."""
    import asyncio
    import signal
    import sys

    from console import paths
    from console.campaigns import progress
    from console.campaigns.locks import AlreadyRunning
    from console.gateways.errors import GatewayError
    from console.receiver import load_key
    from console.services import Services

    settings = c.settings()
    store = c.store(settings)
    try:
        found = _campaign(store, name)
        counts = store.read(progress.counts, found.id)
        # stopped with calls still going (a run left before they ended): run settles them, and dials nobody
        if found.state == "done" or (found.state == "stopped" and not counts.get("calling")):
            click.echo(f"campaign {name} is {found.state}: {_summary(counts)}")
            return
        if found.profile not in settings.profiles:
            raise click.ClickException(f"campaign {name} dials through profile {found.profile}, which is not "
                                       "configured here")
        if settings.profiles[found.profile].embedded:  # its calls live in this process: any free port will do
            settings.receiver = settings.receiver.model_copy(update={"port": 0})
        tty = sys.stdout.isatty()

        def say(line: str) -> None:
            click.echo(("\r\x1b[K" if tty else "") + printable(line))

        async def go() -> str:
            services = Services.build(settings, store, key=load_key(paths.receiver_key_file(), say))
            services.campaigns.say = services.campaigns.warn = say
            await services.start()  # its calls' webhooks: this process's receiver, or the vgconsole owning the port
            try:
                services.campaigns.start(found)  # under the campaign's lock, as the console runs one
            except AlreadyRunning as exc:
                await services.stop()
                raise click.ClickException(str(exc)) from None
            task = asyncio.current_task()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, task.cancel if task else (lambda: None))

            async def show() -> None:
                while True:
                    await asyncio.sleep(0.5 if tty else 10)
                    line = f"{name}: {_summary(await asyncio.to_thread(store.read, progress.counts, found.id))}"
                    click.echo(("\r\x1b[K" + line) if tty else line, nl=not tty)

            shower = asyncio.create_task(show())
            try:
                return await services.campaigns.finished(found.id)
            finally:
                shower.cancel()
                await services.stop()

        try:
            ended = asyncio.run(go())
        except (KeyboardInterrupt, asyncio.CancelledError):
            click.echo(f"\ncampaign {name} left as it is; run it again to go on")
            return
        except GatewayError as exc:
            raise click.ClickException(f"campaign {name} cannot be dialled from here: {exc}") from None
        click.echo(("\r\x1b[K" if tty else "") + f"campaign {name} {ended}: "
                   f"{_summary(store.read(progress.counts, found.id))}")
    finally:
        store.close()


@campaign.command("status")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(c: _Ctx, /, name: str | None, as_json: bool) -> None:
    """Every campaign with its progress, or one in detail."""
    from console.campaigns import progress
    from console.campaigns.locks import dialled_elsewhere

    settings = c.settings()
    with c.store(settings, reads_only=True) as store:
        chosen = [_campaign(store, name)] if name else store.read(progress.every)
        rows = [(x, store.read(progress.counts, x.id)) for x in chosen]
        dialled = {x.id: x.state in ("active", "paused") and dialled_elsewhere(store.path, x.id) for x in chosen}
    if as_json:
        click.echo(json.dumps([{"name": x.name, "profile": x.profile, "state": x.state, "dialled": dialled[x.id],
                                "plan": x.plan.to_json(), "counts": counts} for x, counts in rows], indent=2))
        return
    for x, counts in rows:
        who = " (dialled by a vgconsole now)" if dialled[x.id] else (
            " (nobody dials it now: vgconsole campaign run)" if x.state == "active" else "")
        click.echo(f"{printable(x.name)} [{x.state}]{who} on {x.profile}: {_summary(counts)}")
        if name:
            plan = x.plan
            click.echo(f"  {plan.hours().describe()}; at most {plan.per_minute:g} a minute, {plan.max_live} at once")
            click.echo("  retries: " + ", ".join(f"{k}={n}@{s}s" for k, (n, s) in plan.retries.items()))
    if not rows:
        click.echo("no campaigns yet: vgconsole campaign create NAME FILE")


def _set_state(c: _Ctx, name: str, state: str, said: str) -> None:
    import asyncio

    from console.campaigns import ledger

    settings = c.settings()
    with c.store(settings) as store:
        found = _campaign(store, name)
        now = asyncio.run(store.write(ledger.set_state, found.id, state))
    click.echo(f"campaign {name} {said}" if now == state else f"campaign {name} is {now}: left as it is")


@campaign.command("pause")
@click.argument("name")
@click.pass_obj
def pause(c: _Ctx, /, name: str) -> None:
    """Stop dialling new calls (those going on end as they will); `resume` goes on."""
    _set_state(c, name, "paused", "paused: no new calls until it is resumed")


@campaign.command("resume")
@click.argument("name")
@click.pass_obj
def resume(c: _Ctx, /, name: str) -> None:
    """Dial again after a pause."""
    _set_state(c, name, "active", "resumed")


@campaign.command("stop")
@click.argument("name")
@click.pass_obj
def stop(c: _Ctx, /, name: str) -> None:
    """End the campaign for good: nobody waiting is called (those being called end as they will)."""
    _set_state(c, name, "stopped", "stopped: nobody else will be called")


RESULT_COLUMNS = ("line", "number", "state", "outcome", "tries", "last_status", "last_sip", "last_amd",
                  "last_attempt", "last_at", "note", "fields")


@campaign.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
@click.pass_obj
def export(c: _Ctx, /, name: str, fmt: str, output: Path | None) -> None:
    """The result per callee: where it stands, its outcome, tries and newest attempt (times in UTC)."""
    import sys

    from console.campaigns import progress
    from console.export import write_rows, write_whole

    settings = c.settings()
    c.writable(output, settings)
    with c.store(settings, reads_only=True) as store:
        rows = store.read(progress.results, _campaign(store, name).id)
        if output is None:
            write_rows(rows, RESULT_COLUMNS, fmt, sys.stdout, store.redact)  # type: ignore[arg-type]
            return
        try:
            count = write_whole(output, lambda fh: write_rows(rows, RESULT_COLUMNS, fmt, fh,  # type: ignore[arg-type]
                                                              store.redact))
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"{count} callee(s) written to {output.resolve()}", err=True)

@click.group("dnc")
def do_not_call() -> None:
    """The do-not-call list: numbers campaigns never dial (kept in history)."""


def number_region(settings: Any, region: str | None) -> str:
    """The country a number written without +CC is read in: --region, else the default profile's, else
    default_region. One rule for the callee lists and the do-not-call list, so the same digits are the same
    number in both."""
    from console.phone import check_region

    if region is not None:
        try:
            return check_region(region)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--region") from None
    profile = settings.profiles.get(settings.default_profile or "")
    return str((profile.region if profile is not None else None) or settings.default_region)


def read_limited(path: Path) -> bytes:
    """The file, or as much of it as shows it is over the callee list's size limit (never all of /dev/zero)."""
    from console.campaigns.callees import read_list

    try:
        return read_list(path)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None


def _numbers(texts: tuple[str, ...], region: str) -> list[str]:
    from console.phone import PhoneNumberError, to_e164

    numbers = []
    for text in texts:
        try:
            numbers.append(to_e164(text, region))
        except PhoneNumberError as exc:
            raise click.BadParameter(str(exc), param_hint="NUMBER") from None
    return numbers


REGION = click.option("--region", help="Country of numbers written without +CC (default: the default profile's, "
                                      "or default_region: as campaign plan reads them).")
REASON = click.option("--reason", callback=lambda _c, _p, v: _reason(v), help="Why (kept with each number; at "
                                                                             "most 500 characters).")


def _reason(text: str | None) -> str | None:
    if text is not None and len(text) > 500:
        raise click.BadParameter(f"{len(text):,} characters; at most 500", param_hint="--reason")
    return text


@do_not_call.command("add")
@click.argument("numbers", nargs=-1, required=True, metavar="NUMBER...")
@REASON
@REGION
@click.pass_obj
def dnc_add(c: _Ctx, /, numbers: tuple[str, ...], reason: str | None, region: str | None) -> None:
    """Put numbers on the list."""
    import asyncio

    settings = c.settings()
    checked = list(dict.fromkeys(_numbers(numbers, number_region(settings, region))))  # the same one twice: once
    with c.store(settings) as store:
        new = asyncio.run(store.add_do_not_call(checked, reason=reason, source="command line"))
    click.echo(f"{new} number(s) added to the do-not-call list ({len(checked) - new} already on it)")


@do_not_call.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE")
@REASON
@REGION
@click.pass_obj
def dnc_import(c: _Ctx, /, path: Path, reason: str | None, region: str | None) -> None:
    """Put every number of a CSV or TSV file (a header with a number column) on the list; a file with a
    bad row adds nothing."""
    import asyncio

    from console.campaigns.callees import read_callees

    settings = c.settings()
    found = read_callees(read_limited(path), number_region(settings, region))
    if found.problems:
        click.echo(f"vgconsole: {path}: {len(found.problems)} row(s) cannot be used; nothing was added:", err=True)
        for problem in found.problems:
            click.echo(f"  {printable(str(problem))}", err=True)
        raise SystemExit(1)
    with c.store(settings) as store:
        new = asyncio.run(store.add_do_not_call([x.number for x in found.callees], reason=reason,
                                                source=f"file {path.name}"))
    click.echo(f"{new} number(s) added to the do-not-call list ({len(found.callees) - new} already on it)")


@do_not_call.command("remove")
@click.argument("numbers", nargs=-1, required=True, metavar="NUMBER...")
@REGION
@click.pass_obj
def dnc_remove(c: _Ctx, /, numbers: tuple[str, ...], region: str | None) -> None:
    """Take numbers off the list."""
    import asyncio

    settings = c.settings()
    checked = _numbers(numbers, number_region(settings, region))
    with c.store(settings) as store:
        gone = asyncio.run(store.remove_do_not_call(checked))
    click.echo(f"{gone} number(s) taken off the do-not-call list")


@do_not_call.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def dnc_list(c: _Ctx, /, as_json: bool) -> None:
    """Every number on the list, with why and where it came from."""
    settings = c.settings()
    with c.store(settings, reads_only=True) as store:
        listed = store.do_not_call()
    if as_json:
        click.echo(json.dumps([vars(d) for d in listed], indent=2, ensure_ascii=False))
        return
    zone = settings.ui.zone()
    for d in listed:
        added = datetime.fromisoformat(d.added_at)
        click.echo(f"{d.number:16}  {zone.of(added):%Y-%m-%d %H:%M} {zone.label(added)}  {printable(d.source):20}  "
                   f"{printable(d.reason or '')}")
    click.echo(f"{len(listed)} number(s) on the do-not-call list")
