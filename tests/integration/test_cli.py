"""The vgconsole command, run in-process (click's runner) and as the installed entry points."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from console import paths
from console.cli import cli
from console.providers import Provider
from console.status import CallEvent, CallStatus, EventKind
from console.store import Store
from tests.conftest import ROOT, FrozenClock


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def filled_db(db_path: Path, clock: FrozenClock) -> Path:
    async def fill() -> None:
        with Store(db_path, clock=clock) as store:
            for i, to in enumerate(["+12125550101", "+442079460958", "+12125550102"]):
                call = await store.begin_attempt(
                    profile="demo-cognigy",
                    provider="cognigy",
                    from_number="+12125550100",
                    to_number=to,
                    tags={"campaign": '=HYPERLINK("x")' if i == 1 else "spring"},
                )
                await store.attempt_placed(call.attempt_id, call_sid=f"sid-{i}")
                ev = CallEvent(
                    profile="demo-cognigy",
                    provider=Provider.COGNIGY,
                    kind=EventKind.STATUS,
                    call_sid=f"sid-{i}",
                    status=CallStatus.COMPLETED,
                    sip_status=200,
                    duration=10 + i,
                    received_at=clock.advance(5),
                    raw=json.dumps({"call_status": "completed", "n": i}),
                )
                await store.ingest(ev)

    import asyncio

    asyncio.run(fill())
    return db_path


def test_config_check_lists_profiles_with_secrets_masked(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[receiver]\nwebhook_secrets = ["wh_secret_abcdefghijklmnop"]\n'
                   '[profiles.prod]\nprovider = "jambonz"\nbase_url = "https://jz.example"\n'
                   'account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"\napi_key = "key-0123456789abcdefWXYZ"\n')
    code, out, _ = run("config", "check", str(cfg))
    assert code == 0
    assert f"{cfg}: OK, 1 profile(s), default prod" in out
    assert "prod                 jambonz    https://jz.example" in out
    assert "api key ••••WXYZ" in out and "••••mnop" in out
    assert "key-0123456789abcdef" not in out and "wh_secret_abcdefghij" not in out


def test_config_check_on_a_broken_file_says_file_key_and_reason(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        '[profiles.x]\nprovider = "jambonz"\nbase_url = "https://a.example"\naccount_sid = "12"\napi_key = "k"\n'
    )
    code, _, err = run("config", "check", str(cfg))
    assert code == 2
    assert f"{cfg}: profiles.x.account_sid: '12' is not a sid" in err


def test_a_secret_with_a_line_break_is_refused_by_name_never_shown(tmp_path: Path) -> None:
    """A key read from a file with its newline would go into an HTTP header and come back quoted in the
    error that header raises (unmasked: the quote is not the key as configured)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[receiver]\nbearer_secret = "mob-SECRET-4242\\r"\n')
    code, _, err = run("config", "check", str(cfg))
    assert code == 2 and "receiver.bearer_secret: holds a control character (\\r at character 16): remove it" in err
    assert "SECRET-4242" not in err


def test_a_key_from_the_environment_that_is_missing_or_broken_stops_dial_and_campaign_run_with_why(
        tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[profiles.lab]\nprovider = "jambonz"\nbase_url = "http://127.0.0.1:9"\napi_key_env = "LAB_KEY"\n'
                   'account_sid = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"\n'
                   '[profiles.lab.defaults]\nfrom = "+12125550100"\n'
                   'application = "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"\n')
    base = ["--profile", "lab", "--to", "+12125550101"]
    unset = _dial(tmp_path, *base, config=cfg, env={"LAB_KEY": ""})
    assert unset.returncode == 1 and "profile lab: api_key_env: LAB_KEY is not set in the environment" in unset.stderr
    broken = _dial(tmp_path, *base, config=cfg, env={"LAB_KEY": "LABSECRET_77\r"})
    assert broken.returncode == 1, broken.stderr
    assert "the key in LAB_KEY holds a control character (\\r at character 13): remove it" in broken.stderr
    for result in (unset, broken):
        assert "Traceback" not in result.stderr and "LABSECRET" not in result.stderr + result.stdout
    listed = tmp_path / "list.csv"
    listed.write_text("number\n+12125550101\n")
    env = {**_env(), "VGCONSOLE_CONFIG": str(cfg), "XDG_DATA_HOME": str(tmp_path / "data"), "LAB_KEY": ""}
    made = subprocess.run([sys.executable, "-m", "console", "campaign", "create", "w", str(listed), "--profile", "lab",
                           "--hours", "00:00-24:00", "--days", "all"],  # open whenever the suite runs
                          capture_output=True, text=True, env=env, timeout=60)
    assert made.returncode == 0, made.stderr
    ran = subprocess.run([sys.executable, "-m", "console", "campaign", "run", "w"], capture_output=True, text=True,
                         env=env, timeout=60)  # it used to try again every 5 s, for ever
    assert ran.returncode == 1 and "campaign w cannot be dialled from here: profile lab: api_key_env: LAB_KEY is not " \
                                   "set in the environment" in ran.stderr, ran.stdout + ran.stderr


def test_config_check_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run("config", "check", str(tmp_path / "none.toml"))
    assert code == 1 and "none.toml: file not found" in err
    monkeypatch.delenv("VGCONSOLE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing"))  # no file where one is looked for
    code, out, _ = run("config", "check")
    assert code == 0 and "no config file at" in out and "the built-in defaults are in force, 4 profile(s)" in out


def test_config_check_shows_nothing_of_the_receivers_basic_password(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[receiver]\nbasic_username = "ops"\nbasic_password = "a-long-password-t_77"\n')
    code, out, _ = run("config", "check", str(cfg))
    assert code == 0 and "basic ops:••••\n" in out and "t_77" not in out


def test_a_broken_config_stops_every_command_with_the_reason(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("theme = [\n")
    code, _, err = run("--config", str(cfg), "history")
    assert code == 2 and "not valid TOML" in err


def test_locate_prints_paths(tmp_path: Path) -> None:
    assert run("locate", "config")[1].strip() == str(paths.default_config_file())
    assert run("--config", str(tmp_path / "x.toml"), "locate", "config")[1].strip() == str(tmp_path / "x.toml")
    assert run("locate", "db")[1].strip() == str(paths.default_db_file())
    assert run("--db", str(tmp_path / "h.db"), "locate", "db")[1].strip() == str(tmp_path / "h.db")
    themes = run("locate", "themes")[1].split()
    assert themes[0] == str(paths.user_themes_dir()) and Path(themes[1], "vgconsole-dark.toml").exists()


def test_history_table_search_and_json(filled_db: Path) -> None:
    code, out, _ = run("--db", str(filled_db), "history")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("id") and len(lines) == 4
    assert "+12125550102" in lines[1] and "completed" in lines[1]  # newest first
    code, out, _ = run("--db", str(filled_db), "history", "--search", "+44 20 7946 0958", "--json")
    data = json.loads(out)
    assert [c["to_number"] for c in data] == ["+442079460958"]
    assert run("--db", str(filled_db), "history", "--search", "nobody")[1].strip() == "no calls matching 'nobody'"
    code, out, _ = run("--db", str(filled_db), "history", "--limit", "1")
    assert len(out.splitlines()) == 2


def test_export_csv_to_a_file(filled_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "calls.csv"
    target.parent.mkdir()
    code, _, err = run("--db", str(filled_db), "export", "--format", "csv", "--output", str(target))
    assert code == 0 and f"3 call(s) written to {target}" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["to_number"] for r in rows] == ["+12125550102", "+442079460958", "+12125550101"]
    assert rows[0]["status"] == "completed" and rows[0]["duration"] == "12"
    assert json.loads(rows[2]["tags"]) == {"campaign": "spring"}
    assert rows[1]["tags"].startswith("{")  # JSON object text; a formula only in a value stays inside it
    assert [p.name for p in target.parent.iterdir()] == ["calls.csv"]  # no temporary file left behind


def test_export_json_with_events_to_stdout(filled_db: Path) -> None:
    code, out, _ = run("--db", str(filled_db), "export", "--format", "json", "--events", "--search", "spring")
    data = json.loads(out)
    assert code == 0 and len(data) == 2
    assert [(e["source"], e["status"]) for e in data[0]["events"]] == [("create", "dialing"), ("webhook", "completed")]
    assert json.loads(data[0]["events"][1]["raw"])["n"] == 2


def test_export_refuses_events_with_csv_and_reports_unwritable_targets(filled_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(filled_db), "export", "--events"])
    assert result.exit_code == 2 and "--events needs --format json" in result.stderr
    code, _, err = run("--db", str(filled_db), "export", "--output", str(tmp_path / "missing-dir" / "x.csv"))
    assert code == 1 and "cannot write" in err


def test_an_export_never_replaces_the_history_it_reads(filled_db: Path, tmp_path: Path) -> None:
    before = filled_db.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(filled_db)
    for target in (filled_db, Path(f"{filled_db}-wal"), link):
        code, _, err = run("--db", str(filled_db), "export", "--output", str(target))
        assert code == 2 and "is one of the history database's files" in err and "choose another file" in err, err
    assert run("--db", str(filled_db), "campaign", "create", "w", str(_list(tmp_path)))[0] == 0
    code, _, err = run("--db", str(filled_db), "campaign", "export", "w", "-o", str(filled_db))
    assert code == 2 and "is one of the history database's files" in err
    assert filled_db.read_bytes()[:16] == before[:16] == b"SQLite format 3\0" and run("--db", str(filled_db),
                                                                                      "history")[0] == 0


def _list(folder: Path) -> Path:
    listed = folder / "list.csv"
    listed.write_text("number\n+12125550101\n")
    return listed


def test_csv_cells_cannot_become_formulas() -> None:
    from console.export import _cell

    assert _cell("=1+1") == "'=1+1"
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("+12125550100") == "+12125550100"
    assert _cell("-cmd|' /C calc'!A0") == "'-cmd|' /C calc'!A0"
    assert _cell(None) == ""


def test_history_shows_and_reads_times_in_the_zone_it_names(filled_db: Path, tmp_path: Path,
                                                             clock: FrozenClock) -> None:
    """[ui] timezone for the table and --since; --utc over it; exports stay UTC with a Z."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[ui]\ntimezone = "Asia/Kolkata"\n')
    with Store(filled_db) as store:
        created = sorted(c.created_at for c in store.iter_calls())
    kolkata = created[-1].astimezone(ZoneInfo("Asia/Kolkata"))
    code, out, _ = run("--config", str(cfg), "--db", str(filled_db), "history")
    assert code == 0 and "created (IST)" in out.splitlines()[0]
    assert f"{kolkata:%Y-%m-%d %H:%M:%S}" in out.splitlines()[1]
    code, out, _ = run("--config", str(cfg), "--utc", "--db", str(filled_db), "history")
    assert "created (UTC)" in out.splitlines()[0] and f"{created[-1]:%Y-%m-%d %H:%M:%S}" in out.splitlines()[1]
    # the newest call's second, typed in IST, finds it (and only the calls made at or after it)
    since = f"{kolkata:%Y-%m-%d %H:%M:%S}"
    code, out, _ = run("--config", str(cfg), "--db", str(filled_db), "history", "--since", since)
    assert code == 0 and len(out.splitlines()) == 2 and "+12125550102" in out
    code, out, _ = run("--config", str(cfg), "--utc", "--db", str(filled_db), "history", "--since", since)
    assert "no calls matching since" in out and "UTC" in out  # the same words in UTC are 5 h 30 later
    _, out, _ = run("--config", str(cfg), "--db", str(filled_db), "export", "--format", "json")
    assert json.loads(out)[0]["created_at"].endswith("Z")
    cfg.write_text('[ui]\ntimezone = "Mars/Olympus"\n')
    code, _, err = run("--config", str(cfg), "--db", str(filled_db), "history")
    assert code == 2 and "ui.timezone: 'Mars/Olympus' is not a time zone" in err, err


def friday_ahead() -> str:
    """A Friday from tomorrow on (a plan starts in the future, whenever the suite runs), as YYYY-MM-DD."""
    today = datetime.now(UTC).date()
    return str(today + timedelta(days=(4 - today.weekday()) % 7 or 7))


def test_campaign_plan_shows_who_is_called_when_and_refuses_a_list_with_a_bad_row(tmp_path: Path) -> None:
    good = tmp_path / "callees.csv"
    good.write_text("name,number\nAda,+1 212 555 0101\nAda again,(212) 555-0101\nKay,+91 98765 43201\n")
    friday = friday_ahead()
    code, out, _ = run("--utc", "campaign", "plan", str(good), "--start", f"{friday} 08:00", "--per-minute", "6")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("2 callee(s) (1 duplicate(s) merged); 09:00-20:00 mon, tue")
    assert "when (UTC)" in lines[1]
    kay = next(line for line in lines if "+919876543201" in line)
    ada = next(line for line in lines if "+12125550101" in line)
    new_york = datetime.fromisoformat(f"{friday} 09:00").replace(tzinfo=ZoneInfo("America/New_York"))
    opens = new_york.astimezone(UTC)
    assert f"{friday} 08:00:00" in kay and "Fri 13:30 IST" in kay  # open in India at once
    assert f"{opens:%Y-%m-%d %H:%M:%S}" in ada and f"Fri 09:00 {new_york:%Z}" in ada  # New York waits for 09:00
    fresh = tmp_path / "none" / "history.db"  # no history yet: nothing to leave out, and none made
    code, out, err = run("--db", str(fresh), "campaign", "plan", str(good), "--start", f"{friday} 08:00")
    assert code == 0 and "no do-not-call list to leave numbers out" in err and not fresh.parent.exists()
    code, out, _ = run("--utc", "campaign", "plan", str(good), "--start", f"{friday} 08:00", "--json")
    assert [json.loads(line)["at"] for line in out.splitlines()] == [f"{friday}T08:00:00Z",
                                                                     f"{opens:%Y-%m-%dT%H:%M:%SZ}"]
    bad = tmp_path / "bad.csv"
    bad.write_text("number\n+1 212\n+12125550101\nnope\x1b[2J\n")
    code, out, err = run("campaign", "plan", str(bad))
    assert code == 1 and out == ""
    assert "2 row(s) cannot be used; nothing was planned" in err
    assert "line 2: +1 212: too short for US" in err and "line 4: nope?[2J: " in err  # no escape reaches the terminal
    code, _, err = run("campaign", "plan", str(good), "--hours", "9-17")
    assert code == 2 and "calling hours '9-17': write them as 09:00-20:00" in err
    for flag, value, said in (("--start", "2020-01-01", "is in the past"),
                              ("--start", "9999-12-31", "more than a year"), ("--start", "0001-01-01", "is not a time"),
                              ("--per-minute", "nan", "calls a minute"),
                              ("--region", "XX", "'XX' is not a region code")):
        code, _, err = run("campaign", "plan", str(good), flag, value)
        assert code == 2 and said in err, (flag, value, err)


def test_the_do_not_call_list_is_kept_in_history_and_campaigns_leave_its_numbers_out(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    code, out, _ = run("--db", db, "dnc", "add", "+1 212 555 0101", "(312) 555-0102", "--reason", "asked")
    assert code == 0 and "2 number(s) added to the do-not-call list (0 already on it)" in out
    assert "0 number(s) added to the do-not-call list (1 already on it)" in run("--db", db, "dnc", "add",
                                                                                "12125550101")[1]
    code, _, err = run("--db", db, "dnc", "add", "+1 212")
    assert code == 2 and "+1 212: too short for US" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("number\n+12125550103\nnope\n")
    code, _, err = run("--db", db, "dnc", "import", str(bad))
    assert code == 1 and "nothing was added" in err and "line 3: nope" in err
    good = tmp_path / "dnc.tsv"
    good.write_text("number\tname\n+12125550103\tCy\n")
    assert "1 number(s) added" in run("--db", db, "dnc", "import", str(good))[1]
    listed = json.loads(run("--db", db, "dnc", "list", "--json")[1])
    assert [(d["number"], d["reason"], d["source"]) for d in listed] == [
        ("+12125550101", "asked", "command line"), ("+13125550102", "asked", "command line"),
        ("+12125550103", None, "file dnc.tsv")]
    callees = tmp_path / "callees.csv"
    callees.write_text("number\n+12125550101\n+12125550104\n+12125550103\n")
    code, out, _ = run("--db", db, "--utc", "campaign", "plan", str(callees), "--start", f"{friday_ahead()} 15:00")
    assert code == 0 and "1 callee(s), 2 on the do-not-call list left out" in out
    assert "+12125550104" in out and "+12125550101 " not in out
    assert "1 number(s) taken off" in run("--db", db, "dnc", "remove", "+1 212 555 0101")[1]
    # numbers written without +CC are read in one country for both lists: the default profile's
    india = tmp_path / "india.toml"
    india.write_text('default_profile = "demo-mobtexting"\n')  # its region is IN
    national = tmp_path / "national.csv"
    national.write_text("number\n09876543201\n")
    assert "1 number(s) added" in run("--config", str(india), "--db", db, "dnc", "import", str(national))[1]
    code, out, _ = run("--config", str(india), "--db", db, "campaign", "plan", str(national), "--json")
    assert code == 0 and json.loads(out.splitlines()[-1]) == {"number": "+919876543201",
                                                               "skipped": "on the do-not-call list"}
    assert "3 number(s) on the do-not-call list" in run("--db", db, "dnc", "list")[1]


def test_a_campaign_is_created_only_from_a_whole_list_and_paused_resumed_stopped_and_exported(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    bad = tmp_path / "bad.csv"
    bad.write_text("number,name\n+12125550101,Ann\n+1 212,Bob\n")
    code, _, err = run("--db", db, "campaign", "create", "winter", str(bad))
    assert code == 1 and "line 3: +1 212: too short for US" in err and "nothing was created" in err
    good = tmp_path / "callees.csv"
    good.write_text("number,name\n+12125550101,=HYPERLINK(\"x\")\n+12125550102,Bob\n+1 212 555 0102,Bob again\n")
    for flag, value, said in (("--retry", "answered=3", "write OUTCOME=TRIES@WAIT"),
                              ("--hours", "9-5", "write them as 09:00-20:00"),
                              ("--max-live", "0", "0 is not in the range"),
                              ("--set", "nosuchfield=1", "nosuchfield"),
                              ("--profile", "nope", "nope")):
        code, _, err = run("--db", db, "campaign", "create", "winter", str(good), flag, value)
        assert code in (1, 2) and said in err, (flag, err)
    assert "no campaigns yet" in run("--db", db, "campaign", "status")[1]  # nothing half-written by those
    code, out, _ = run("--db", db, "campaign", "create", "winter", str(good), "--per-minute", "30", "--retry",
                       "busy=1@5m")
    assert code == 0 and "campaign winter: 2 callee(s) (1 duplicate(s) merged) on profile demo-cognigy" in out
    code, _, err = run("--db", db, "campaign", "create", "winter", str(good))
    assert code == 1 and "a campaign named 'winter' already exists" in err
    assert "no campaign named 'summer' (campaigns: winter)" in run("--db", db, "campaign", "pause", "summer")[2]
    assert "winter paused" in run("--db", db, "campaign", "pause", "winter")[1]
    status = json.loads(run("--db", db, "campaign", "status", "winter", "--json")[1])[0]
    assert (status["state"], status["counts"]["waiting"], status["plan"]["retries"]["busy"]) == ("paused", 2, [1, 300])
    assert "winter resumed" in run("--db", db, "campaign", "resume", "winter")[1]
    assert "winter [active] (nobody dials it now: vgconsole campaign run)" in run("--db", db, "campaign", "status")[1]
    with (tmp_path / "h.db.campaign-1.lock").open("a") as held:  # as a `campaign run` elsewhere holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert "winter [active] (dialled by a vgconsole now)" in run("--db", db, "campaign", "status")[1]
        assert json.loads(run("--db", db, "campaign", "status", "--json")[1])[0]["dialled"] is True
        code, _, err = run("--db", db, "campaign", "run", "winter")
        assert code == 1 and "campaign winter is already being dialled by another vgconsole" in err
    assert "nobody else will be called" in run("--db", db, "campaign", "stop", "winter")[1]
    assert "is stopped: left as it is" in run("--db", db, "campaign", "resume", "winter")[1]
    code, out, _ = run("--db", db, "campaign", "run", "winter")  # nothing left to dial: says so and exits
    assert code == 0 and "campaign winter is stopped: 2/2 settled" in out and "2 stopped" in out
    code, out, _ = run("--db", db, "campaign", "export", "winter")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["number"], r["state"], r["outcome"]) for r in rows] == [("+12125550101", "done", "stopped"),
                                                                      ("+12125550102", "done", "stopped")]
    assert json.loads(rows[0]["fields"]) == {"name": '=HYPERLINK("x")'}  # inside JSON: text, never a formula
    exported = tmp_path / "winter.json"
    code, _, err = run("--db", db, "campaign", "export", "winter", "--format", "json", "--output", str(exported))
    assert code == 0 and "2 callee(s) written" in err
    assert json.loads(exported.read_text())[1]["number"] == "+12125550102"


def test_a_campaign_keeps_no_secret_and_its_name_and_list_are_refused_when_they_would_mislead(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    good = tmp_path / "callees.csv"
    good.write_text("number\n+12125550101\n")
    for args, said in ((["--header", "X-Api-Key: SUPERSECRET123456"], "header X-Api-Key: looks like a secret"),
                       (["--tag", "password=hunter2hunter2"], "tag password: looks like a secret")):
        code, _, err = run("--db", db, "campaign", "create", "leaky", str(good), *args)
        assert code == 2 and said in err and "SUPERSECRET" not in err and "hunter2" not in err
    secret_column = tmp_path / "tokens.csv"
    secret_column.write_text("number,api_token\n+12125550101,sekrit-token-123456\n")
    code, _, err = run("--db", db, "campaign", "create", "leaky", str(secret_column))
    assert code == 2 and "column api_token: looks like a secret" in err
    for name in (" lead", "-dash", "tab\there"):
        code, _, err = run("--db", db, "campaign", "create", "--", name, str(good))
        assert code == 2 and "not starting with a space or '-'" in err, name
    assert "no campaigns yet" in run("--db", db, "campaign", "status")[1]  # none of those was made
    assert run("--db", db, "campaign", "create", "caf\u00e9", str(good))[0] == 0
    code, _, err = run("--db", db, "campaign", "create", "cafe\u0301", str(good))  # the same name, spelt apart
    assert code == 1 and "already exists" in err
    assert "caf" in run("--db", db, "campaign", "pause", "cafe\u0301")[1]  # found however it is spelt
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    code, _, err = run("--db", db, "campaign", "plan", str(fifo))  # would wait for a writer for ever
    assert code == 1 and "not a regular file (a pipe or a device)" in err
    target = tmp_path / "target.csv"
    target.write_text("")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    code, _, err = run("--db", db, "campaign", "export", "caf\u00e9", "--output", str(link))
    assert code == 0 and link.is_symlink() and "+12125550101" in target.read_text()  # the link stays a link
    if Path("/dev/full").exists():
        code, _, err = run("--db", db, "campaign", "export", "caf\u00e9", "--output", "/dev/full")
        assert code == 1 and "No space left on device" in err and Path("/dev/full").is_char_device()


def test_a_campaign_stopped_while_a_call_went_on_is_settled_by_the_next_run(tmp_path: Path) -> None:
    """A run left (ctrl+c) after `stop` but before its last call ended: the callee stayed "calling". The next
    run settles it and dials nobody."""
    import asyncio

    from console.campaigns import ledger, progress
    from console.store import Store

    db = tmp_path / "h.db"
    listed = tmp_path / "callees.csv"
    listed.write_text("number\n+12125550101\n+12125550102\n")
    assert run("--db", str(db), "campaign", "create", "halted", str(listed))[0] == 0
    with Store(db) as store:
        campaign = store.read(progress.find, "halted")
        callee = store.read(progress.due, campaign.id, "9999", 1)[0]
        row = store.attempt_row(profile="demo-cognigy", provider="cognigy", from_number=None, to_number=callee.number)
        claimed = asyncio.run(store.write(ledger.claim, callee.id, row))
        asyncio.run(store.attempt_failed(claimed["call"].attempt_id, "the gateway refused it"))
        asyncio.run(store.write(ledger.set_state, campaign.id, "stopped"))
        assert store.read(progress.counts, campaign.id)["calling"] == 1
    code, out, _ = run("--db", str(db), "campaign", "run", "halted")
    assert code == 0 and "campaign halted stopped: 2/2 settled, 0 calling" in out
    assert "1 refused, 1 stopped; 1 call(s)" in out  # the other was never called


def test_history_on_a_database_that_is_not_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite at all" * 50)
    code, _, err = run("--db", str(bad), "history")
    assert code == 1 and "is not a usable vgconsole history database" in err


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_python_dash_m_console_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "console", "--version"], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == "vgconsole, version 0.1.0"


def test_the_installed_vgconsole_script_runs(tmp_path: Path) -> None:
    script = shutil.which("vgconsole", path=str(Path(sys.executable).parent))
    assert script, "the vgconsole console script is not installed beside this Python"
    missing = tmp_path / "typo" / "h.db"
    result = subprocess.run([script, "--db", str(missing), "history"], capture_output=True, text=True,
                            env=_env(), timeout=60)
    # a read of a history that is not there is a mistyped path: said, and nothing made there
    assert result.returncode == 1 and f"no history database at {missing}: nothing was ever recorded there" \
        in result.stderr, result.stderr
    assert not missing.parent.exists()


def test_the_simulator_command_prints_json_first_and_serves_until_interrupted() -> None:
    import signal

    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "console", "simulator", "--port", "0", "--speed", "500", "--json", "--mode", "jambonz"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert set(info) >= {"base_url", "account_sid", "api_key", "sp_api_key", "webhook_secret", "ibm_agent",
                             "ibm_api_key", "mobtexting_token"}
        assert info["base_url"].startswith("http://127.0.0.1:") and info["mode"] == "jambonz"
        body = {"from": "+12125550100", "to": {"type": "phone", "number": "+12125550102"},
                "application_sid": "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"}
        r = httpx.post(f"{info['base_url']}/v1/Accounts/{info['account_sid']}/Calls", json=body,
                       headers={"Authorization": f"Bearer {info['api_key']}"}, timeout=10)
        assert r.status_code == 201 and "callId" in r.json()
        sid = r.json()["sid"]
    finally:
        import time

        time.sleep(0.3)  # the busy call ends after 1.8 nominal seconds: about 4 ms at speed 500
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"jambonz call {sid} to +12125550102: busy (486 Busy Here)" in err


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
def test_receive_logs_one_line_per_stored_event_and_none_for_refused_ones(tmp_path: Path, unbuffered: str) -> None:
    import hashlib
    import hmac
    import signal
    import time

    import httpx

    secret = "wh_secret_for_the_log"
    cfg = tmp_path / "c.toml"
    cfg.write_text('[receiver]\nport = 0\n[profiles.prod]\nprovider = "jambonz"\nbase_url = "https://jz.example"\n'
                   'account_sid = "fef61e75-cec3-496c-a7bc-8368e4d02a04"\napi_key = "k"\n'
                   f'webhook_secrets = ["{secret}"]\n')
    env = {**_env(), "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONUNBUFFERED": unbuffered}
    proc = subprocess.Popen([sys.executable, "-m", "console", "--config", str(cfg), "--db", str(tmp_path / "h.db"),
                             "receive", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        address = json.loads(proc.stdout.readline())["address"]

        def post(body: dict, sign: bool = True) -> int:
            raw = json.dumps(body).encode()
            t = int(time.time())
            headers = {"Content-Type": "application/json"}
            if sign:
                headers["Jambonz-Signature"] = f"t={t},v1=" + hmac.new(secret.encode(), f"{t}.".encode() + raw,
                                                                        hashlib.sha256).hexdigest()
            return httpx.post(
                f"http://{address}/hooks/prod/status", content=raw, headers=headers, timeout=10
            ).status_code

        ringing = {"call_sid": "sid-7", "call_status": "ringing", "sip_status": 180}
        answers = [post(ringing), post(ringing), post({"call_sid": "sid-8", "call_status": "busy"}, sign=False),
                   post({"call_sid": "sid-7", "call_status": "completed", "sip_status": 200, "duration": 4})]
        assert answers == [200, 200, 401, 200]
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(3)]  # each is written as its event is stored
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert [line.split(" ", 1)[1] for line in lines] == [
        "prod status sid-7 ringing 180 (call not known yet)",
        "prod status sid-7 ringing 180 (duplicate)",
        "prod status sid-7 completed 200 (call not known yet)",
    ]
    assert all(line[:4].isdigit() and line.split(" ", 1)[0].endswith("Z") for line in lines)
    assert "sid-8" not in rest, "an unauthenticated webhook was logged"


def test_the_simulator_refuses_a_share_of_lost_webhooks_outside_0_to_1() -> None:
    result = subprocess.run([sys.executable, "-m", "console", "simulator", "--drop-webhooks", "1.5"],
                            capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode == 2 and "--drop-webhooks" in result.stderr and "0<=x<=1" in result.stderr


def test_the_simulator_says_why_it_cannot_listen() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "console", "simulator", "--port", str(port)],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=60,
        )
    assert result.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr


DIAL_CASES = [
    (
        "demo-cognigy",
        "+12125550101",
        ["dialing (100)", "ringing (180)", "answered (200 OK)", "completed (200 OK), 4 s"],
    ),
    (
        "demo-jambonz",
        "+12125550101",
        ["dialing (100)", "ringing (180)", "answered (200 OK)", "completed (200 OK), 4 s"],
    ),
    ("demo-ibm", "+12125550101", ["queued (100)", "ringing (180)", "answered (200 OK)", "completed (200 OK), 4 s"]),
    ("demo-mobtexting", "+919876543201", ["completed, 4 s"]),
]


def _dial(tmp_path: Path, *args: str, config: Path | None = None,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**_env(), "VGCONSOLE_SIMULATOR__SPEED": "50", "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), **({"VGCONSOLE_CONFIG": str(config)} if config else {}),
           **(env or {})}
    return subprocess.run([sys.executable, "-m", "console", "dial", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.parametrize(("profile", "number", "expected"), DIAL_CASES, ids=[c[0] for c in DIAL_CASES])
def test_dial_wait_prints_the_status_sequence_and_exits_0(tmp_path: Path, profile: str, number: str,
                                                          expected: list[str]) -> None:
    result = _dial(tmp_path, "--profile", profile, "--to", number, "--wait", "--tag", "campaign=cli")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("placed: attempt ") and lines[1:] == expected


def test_dial_wait_on_the_busy_number_exits_non_zero(tmp_path: Path) -> None:
    result = _dial(tmp_path, "--to", "+12125550102", "--wait", "--amd", "--header", "X-Campaign: cli")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == "busy (486 Busy Here)"


def test_dial_whose_answer_cannot_be_read_says_the_call_may_exist_and_exits_4(tmp_path: Path) -> None:
    """A 200 to the create with a body that is not JSON: the gateway may have placed the call."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Unreadable(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"oops")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Unreadable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[profiles.real]\nprovider = "jambonz"\nbase_url = "http://127.0.0.1:{server.server_port}"\n'
                       'api_key = "k-0123456789abcdef"\naccount_sid = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"\n')
        result = _dial(tmp_path, "--profile", "real", "--to", "+12125550101", "--from", "+12125550100",
                       "--app", "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1", config=cfg)
    finally:
        server.shutdown()
    assert result.returncode == 4, result.stderr
    assert "whether the call was placed cannot be known (history holds it as unknown)" in result.stderr
    assert "not placed" not in result.stderr


def test_dial_refuses_bad_input_before_sending(tmp_path: Path) -> None:
    for args, words in (
        (["--to", "+1 555 0100"], "too short for US"),
        (["--to", "+12125550101", "--header", "Call-ID: x"], "Call-ID is set by the SIP stack"),
        (["--to", "+12125550101", "--header", "X-A: a\r\nVia: b"], "line break"),
        (["--to", "+12125550101", "--tag", "novalue"], "is not key=value"),
        (["--profile", "demo-jambonz", "--to", "+12125550101", "--set", "to.auth.username=bob"],
         "to.auth: is not a known setting here (misspelt, or it belongs to another provider or target type?)"),
        (
            ["--profile", "demo-ibm", "--to", "+12125550101", "--amd"],
            "IBM's startOutboundCall has no answering-machine detection",
        ),
    ):
        result = _dial(tmp_path, *args)
        assert result.returncode == 2 and words in result.stderr, (args, result.stderr)


def test_numbers_and_apps_commands(tmp_path: Path) -> None:
    code, out, _ = run("numbers", "--profile", "demo-cognigy")
    assert code == 0 and out.split()[:3] == ["+12125550100", "+12125550199", "+442079460958"]
    code, out, _ = run("apps", "--profile", "demo-mobtexting", "--json")
    assert code == 0 and [a["id"] for a in json.loads(out)] == ["351", "welcome-en"]


def test_export_and_history_take_the_history_screens_filters(filled_db: Path, tmp_path: Path) -> None:
    code, out, _ = run("--db", str(filled_db), "export", "--format", "json", "--status", "completed",
                       "--since", "2026-11-22T09:30:00Z", "--until", "2026-11-22T09:30:10Z", "--answered")
    assert code == 0 and [c["to_number"] for c in json.loads(out)] == ["+442079460958", "+12125550101"]
    code, out, _ = run("--db", str(filled_db), "export", "--format", "json", "--filter-profile", "prod-eu")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run("--db", str(filled_db), "history", "--not-answered")
    assert code == 0 and out.strip() == "no calls matching not answered"
    result = CliRunner().invoke(cli, ["--db", str(filled_db), "export", "--since", "last tuesday"])
    assert result.exit_code == 2 and "since: 'last tuesday' is not a date" in result.stderr
    result = CliRunner().invoke(cli, ["--db", str(filled_db), "history", "--amd", "tone"])
    assert result.exit_code == 2 and "amd: 'tone' is not one of human, machine" in result.stderr


def test_dial_refuses_a_read_only_profile_and_the_read_only_flag(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.watch]\nprovider = "jambonz"\nbase_url = "embedded"\nread_only = true\n'
                      'account_sid = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"\napi_key = "' + "k" * 36 + '"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", str(tmp_path / "h.db"), "dial", "--profile",
                                      "watch", "--to", "+12125550101"])
    assert result.exit_code == 1 and "profile watch is read-only: dialling is off" in result.stderr
    result = CliRunner().invoke(cli, ["--read-only", "--db", str(tmp_path / "h.db"), "dial", "--to", "+12125550101"])
    assert result.exit_code == 1 and "read-only: dialling is off (read_only is set under [ui])" in result.stderr
    assert not (tmp_path / "h.db").exists() or Store(tmp_path / "h.db").count() == 0
