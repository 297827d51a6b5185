from __future__ import annotations

from pathlib import Path

import pytest

from console import paths
from console.config import DEMO_ACCOUNT_SID, ConfigError, load_settings
from console.providers import COGNIGY_ENVIRONMENTS, IBM_ENVIRONMENTS
from tests.conftest import ROOT

SID = "fef61e75-cec3-496c-a7bc-8368e4d02a04"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def errors(path: Path | None = None, **overrides) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(path, **overrides)
    return [str(p) for p in info.value.problems]


COGNIGY = f"""
[profiles.prod]
provider = "cognigy"
environment = "eu"
account_sid = "{SID}"
api_key = "file-key-0123456789abcdef"
"""


def test_without_a_file_the_demo_profiles_on_the_simulator_are_used() -> None:
    s = load_settings()
    assert list(s.profiles) == ["demo-cognigy", "demo-jambonz", "demo-ibm", "demo-mobtexting"]
    assert s.default_profile == "demo-cognigy"
    assert all(p.embedded for p in s.profiles.values())
    assert s.profiles["demo-cognigy"].account_sid == DEMO_ACCOUNT_SID
    assert s.receiver.host == "127.0.0.1"
    assert s.storage.path == paths.data_dir() / "history.db"
    assert s.source is None


def test_precedence_file_then_env_then_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, 'theme = "from-file"\n[receiver]\nport = 9001\nhost = "127.0.0.2"\n' + COGNIGY)
    s = load_settings(cfg)
    assert (s.theme, s.receiver.port, s.receiver.host) == ("from-file", 9001, "127.0.0.2")
    monkeypatch.setenv("VGCONSOLE_THEME", "from-env")
    monkeypatch.setenv("VGCONSOLE_RECEIVER__PORT", "9002")
    s = load_settings(cfg)
    assert (s.theme, s.receiver.port, s.receiver.host) == ("from-env", 9002, "127.0.0.2")  # env nests, file fills in
    s = load_settings(cfg, theme="from-flag")
    assert s.theme == "from-flag"


def test_env_reaches_into_a_profile_and_merges_with_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, COGNIGY)
    monkeypatch.setenv("VGCONSOLE_PROFILES__PROD__ENVIRONMENT", "us")
    monkeypatch.setenv("VGCONSOLE_PROFILES__PROD__API_KEY", "env-key-0123456789abcdef")
    p = load_settings(cfg).profiles["prod"]
    assert p.resolved_base_url == COGNIGY_ENVIRONMENTS["us"]
    assert p.credential().get_secret_value() == "env-key-0123456789abcdef"
    assert p.account_sid == SID


def test_a_variable_spells_a_dashed_profile_with_underscores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample's own example: VGCONSOLE_PROFILES__PROD_EU__API_KEY sets the file's prod-eu (it made a
    second profile, prod_eu, with no provider, and the file was blamed for it)."""
    cfg = write(tmp_path, COGNIGY.replace("[profiles.prod]", "[profiles.prod-eu]"))
    monkeypatch.setenv("VGCONSOLE_PROFILES__PROD_EU__API_KEY", "env-key-0123456789abcdef")
    monkeypatch.setenv("VGCONSOLE_PROFILES__PROD_EU__DEFAULTS__FROM", "+12125550100")
    s = load_settings(cfg)
    assert list(s.profiles) == ["prod-eu"]
    p = s.profiles["prod-eu"]
    assert p.credential().get_secret_value() == "env-key-0123456789abcdef" and p.account_sid == SID
    assert p.defaults.from_ == "+12125550100"
    monkeypatch.setenv("VGCONSOLE_PROFILES__PRDO__API_KEY", "x")  # a profile the file does not have
    assert errors(cfg) == ["profiles.prdo.provider: is required (profile prdo comes only from "
                           "$VGCONSOLE_PROFILES__PRDO__API_KEY: the file has no such profile)"]


def test_a_variable_names_a_profile_by_its_exact_name_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """a-b and a_b may both be configured (and a demo's demo-jambonz beside a demo_jambonz): a variable sets the
    one it spells exactly."""
    cfg = write(tmp_path, "demo_profiles = true\n" + COGNIGY.replace("[profiles.prod]", "[profiles.a-b]")
                + COGNIGY.replace("[profiles.prod]", "[profiles.a_b]")
                + COGNIGY.replace("[profiles.prod]", "[profiles.demo_jambonz]"))
    monkeypatch.setenv("VGCONSOLE_PROFILES__A_B__ENVIRONMENT", "us")
    s = load_settings(cfg)
    assert {"a-b", "a_b", "demo-jambonz", "demo_jambonz"} <= set(s.profiles)
    assert s.profiles["a_b"].resolved_base_url == COGNIGY_ENVIRONMENTS["us"]
    assert s.profiles["a-b"].resolved_base_url == COGNIGY_ENVIRONMENTS["eu"]


def test_variables_that_cannot_be_used_are_named_not_a_traceback(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    dashed = write(tmp_path, COGNIGY.replace("[profiles.prod]", "[profiles.prod-eu]"))
    monkeypatch.setenv("VGCONSOLE_PROFILES__PROD_EU__REGION", "ZZ")  # a bad value: the variable is named
    assert any("(from $VGCONSOLE_PROFILES__PROD_EU__REGION)" in line for line in errors(dashed)), errors(dashed)
    monkeypatch.delenv("VGCONSOLE_PROFILES__PROD_EU__REGION")
    monkeypatch.setenv("VGCONSOLE_PROFILES__PROD_EU", "oops")  # not a table
    assert any("must be" in line and "$VGCONSOLE_PROFILES__PROD_EU" in line for line in errors(dashed)), errors(dashed)
    monkeypatch.delenv("VGCONSOLE_PROFILES__PROD_EU")
    monkeypatch.setenv("VGCONSOLE_PROFILES__STAGING__PROVIDER", "jambonz")  # over a file's profiles that are no table
    found = errors(write(tmp_path, "profiles = 5\n"))  # (was a TypeError)
    assert any("profile staging comes only from $VGCONSOLE_PROFILES__STAGING__PROVIDER" in line for line in found)
    monkeypatch.delenv("VGCONSOLE_PROFILES__STAGING__PROVIDER")
    monkeypatch.setenv("VGCONSOLE_RECEIVER__HOST", "127.0.0.1")  # fine as it is: not blamed with the bad one
    monkeypatch.setenv("VGCONSOLE_RECEIVER__WEBHOOK_SECRETS", "abc")
    assert [line.split(":")[0] for line in errors()] == ["$VGCONSOLE_RECEIVER__WEBHOOK_SECRETS"]


def test_config_file_from_flag_env_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = paths.default_config_file()
    default.parent.mkdir(parents=True)
    default.write_text('theme = "default-file"\n')
    assert load_settings().theme == "default-file"
    monkeypatch.setenv("VGCONSOLE_CONFIG", str(write(tmp_path, 'theme = "env-file"\n', "e.toml")))
    assert load_settings().theme == "env-file"
    assert load_settings(write(tmp_path, 'theme = "flag-file"\n', "f.toml")).theme == "flag-file"


def test_a_named_file_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert errors(tmp_path / "nope.toml") == ["file not found"]
    monkeypatch.setenv("VGCONSOLE_CONFIG", str(tmp_path / "gone.toml"))
    assert errors() == ["file not found"]


def test_flags_merge_into_nested_sections(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[storage]\nsynchronous = "normal"\n')
    s = load_settings(cfg, storage={"path": tmp_path / "x.db"})
    assert (s.storage.path, s.storage.synchronous) == (tmp_path / "x.db", "normal")


@pytest.mark.parametrize(("env", "url"), sorted(COGNIGY_ENVIRONMENTS.items()))
def test_cognigy_environments(tmp_path: Path, env: str, url: str) -> None:
    cfg = write(tmp_path, COGNIGY.replace('environment = "eu"', f'environment = "{env}"'))
    assert load_settings(cfg).profiles["prod"].resolved_base_url == url


@pytest.mark.parametrize(
    ("line", "url"),
    [('company = "abc123"', "https://api-abc123-vg.cognigy.cloud"),
     ('cxone = "na1"', "https://cognigy-vg-api-na1.nicecxone.com"),
     ('base_url = "https://vg.example.com/v1/"', "https://vg.example.com"),
     ('base_url = "https://vg.example.com"', "https://vg.example.com")],
)
def test_cognigy_company_cxone_and_urls(tmp_path: Path, line: str, url: str) -> None:
    cfg = write(tmp_path, COGNIGY.replace('environment = "eu"', line))
    assert load_settings(cfg).profiles["prod"].resolved_base_url == url


@pytest.mark.parametrize(("env", "url"), sorted(IBM_ENVIRONMENTS.items()))
def test_ibm_environments(tmp_path: Path, env: str, url: str) -> None:
    cfg = write(
        tmp_path, f'[profiles.w]\nprovider = "ibm"\nenvironment = "{env}"\nagent_number = "+4969123"\napi_key = "k"\n'
    )
    p = load_settings(cfg).profiles["w"]
    assert (p.resolved_base_url, p.path_id) == (url, "+4969123")


def test_ibm_on_premises_host_with_tenant(tmp_path: Path) -> None:
    cfg = write(
        tmp_path, '[profiles.w]\nprovider = "ibm"\nhost = "vgw.corp.example:9443"\ntenant_id = "t-1"\napi_key = "k"\n'
    )
    p = load_settings(cfg).profiles["w"]
    assert (p.resolved_base_url, p.path_id) == ("https://vgw.corp.example:9443", "t-1")


def test_mobtexting_defaults(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[profiles.m]\nprovider = "mobtexting"\napi_key = "k"\n')
    p = load_settings(cfg).profiles["m"]
    assert (p.resolved_base_url, p.api_version, p.request_format) == ("https://portal.mobtexting.com", "v2", "json")


def test_api_key_from_a_named_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, COGNIGY.replace('api_key = "file-key-0123456789abcdef"', 'api_key_env = "MY_COG_KEY"'))
    p = load_settings(cfg).profiles["prod"]
    with pytest.raises(ConfigError, match="MY_COG_KEY is not set"):
        p.credential()
    monkeypatch.setenv("MY_COG_KEY", "from-variable")
    assert p.credential().get_secret_value() == "from-variable"


def test_demo_profiles_can_sit_beside_real_ones(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, "demo_profiles = true\n" + COGNIGY))
    assert "demo-ibm" in s.profiles and "prod" in s.profiles and s.default_profile == "demo-cognigy"
    s = load_settings(write(tmp_path, COGNIGY, "only.toml"))
    assert list(s.profiles) == ["prod"] and s.default_profile == "prod"
    assert "demo-ibm" in load_settings(write(tmp_path, 'demo_profiles = "yes"\n' + COGNIGY, "y.toml")).profiles
    assert errors(write(tmp_path, "demo_profiles = false\n", "none.toml")) == [
        "profiles: no profiles: configure one, or set demo_profiles = true"]


def test_numbers_in_a_profile_use_its_region(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[profiles.m]\nprovider = "mobtexting"\napi_key = "k"\nregion = "IN"\n'
                          'numbers = [{number = "080 6828 0000"}]\n[profiles.m.defaults]\nfrom = "080 6828 0000"\n')
    p = load_settings(cfg).profiles["m"]
    assert p.numbers[0].number == "+918068280000" and p.defaults.from_ == "+918068280000"


def test_sample_config_loads_with_every_provider() -> None:
    s = load_settings(ROOT / "sample_config.toml")
    providers = {p.provider for p in s.profiles.values()}
    assert providers == {"cognigy", "jambonz", "ibm", "mobtexting"}
    assert s.default_profile == "prod-eu"
    prod = s.profiles["prod-eu"]
    assert prod.defaults.amd is not None and prod.defaults.amd.recognizer is not None
    assert prod.defaults.tags == {"campaign": "winter-renewals", "priority": 2}
    assert s.receiver.public_url == "https://hooks.example.com/vgconsole"


BROKEN = [
    ("syntax", "theme = \n", "not valid TOML: Invalid value (at line 1, column 9)"),
    ("unknown top key", "colour = 1\n", "colour: is not a known setting"),
    ("unknown provider", '[profiles.x]\nprovider = "twilio"\n', "profiles.x.provider: 'twilio' is not one of"),
    ("no provider", '[profiles.x]\nbase_url = "https://a.example"\n', "profiles.x.provider: is required"),
    ("typo in a profile", COGNIGY + "acount = 1\n", "profiles.prod.acount: is not a known setting"),
    ("bad account sid", COGNIGY.replace(SID, "nope"), "profiles.prod.account_sid: 'nope' is not a sid"),
    (
        "two locations",
        COGNIGY + 'base_url = "https://a.example"\n',
        "profiles.prod.environment: set only one of base_url, environment",
    ),
    (
        "unknown environment",
        COGNIGY.replace('"eu"', '"mars"'),
        "profiles.prod.environment: must be 'trial-eu', 'trial-us'",
    ),
    ("no credential", '[profiles.x]\nprovider = "mobtexting"\n', "profiles.x.api_key: a credential is needed"),
    (
        "both credentials",
        '[profiles.x]\nprovider = "mobtexting"\napi_key = "a"\napi_key_env = "B"\n',
        "profiles.x.api_key_env: set api_key or api_key_env, not both",
    ),
    (
        "bad env name",
        '[profiles.x]\nprovider = "mobtexting"\napi_key_env = "MY-KEY"\n',
        "profiles.x.api_key_env: 'MY-KEY' is not an environment variable name",
    ),
    (
        "ibm without agent",
        '[profiles.x]\nprovider = "ibm"\nenvironment = "us-south"\napi_key = "k"\n',
        "profiles.x.agent_number: set agent_number (Voice Agent) or tenant_id",
    ),
    (
        "ibm without location",
        '[profiles.x]\nprovider = "ibm"\nagent_number = "1"\napi_key = "k"\n',
        "profiles.x.base_url: where is the gateway? set base_url or environment or host",
    ),
    (
        "bad number",
        '[profiles.x]\nprovider = "mobtexting"\napi_key = "k"\nnumbers = [{number = "+1 555 0100"}]\n',
        "profiles.x.numbers.0.number: +1 555 0100: too short for US",
    ),
    (
        "bad default header",
        '[profiles.x]\nprovider = "mobtexting"\napi_key = "k"\n[profiles.x.defaults.headers]\n"Call-ID" = "1"\n',
        "profiles.x.defaults.headers: Call-ID is set by the SIP stack",
    ),
    (
        "bad default amd",
        '[profiles.x]\nprovider = "mobtexting"\napi_key = "k"\n[profiles.x.defaults.amd]\ndigitCount = -1\n',
        "profiles.x.defaults.amd.digit_count: must be greater than or equal to 0",
    ),
    (
        "default application not a sid",
        COGNIGY + '[profiles.prod.defaults]\napplication = "welcome"\n',
        "profiles.prod.defaults.application: 'welcome' is not a sid",
    ),
    (
        "amd default on ibm",
        '[profiles.x]\nprovider = "ibm"\nenvironment = "us-south"\nagent_number = "1"\napi_key = "k"\n'
        "[profiles.x.defaults.amd]\n",
        "profiles.x.defaults.amd: not available on ibm",
    ),
    (
        "teams default on mobtexting",
        '[profiles.x]\nprovider = "mobtexting"\napi_key = "k"\n[profiles.x.defaults]\ntarget_type = "teams"\n',
        "profiles.x.defaults.target_type: mobtexting dials phone targets only",
    ),
    ("unknown default profile", 'default_profile = "nope"\n', "default_profile: 'nope' is not a profile (demo-cognigy"),
    ("uppercase profile", '[profiles.Prod]\nprovider = "mobtexting"\napi_key = "k"\n', "profile name 'Prod'"),
    ("bad region", 'default_region = "XX"\n', "default_region: 'XX' is not a region code"),
    ("bad port", "[receiver]\nport = 70000\n", "receiver.port: must be less than or equal to 65535"),
    ("half basic auth", '[receiver]\nbasic_username = "u"\n', "receiver.basic_password: basic auth needs both"),
    (
        "bad public url",
        '[receiver]\npublic_url = "hooks.example.com"\n',
        "receiver.public_url: 'hooks.example.com' is not an http(s) URL",
    ),
    (
        "bad base url",
        '[profiles.x]\nprovider = "mobtexting"\napi_key = "k"\nbase_url = "portal"\n',
        "profiles.x.base_url: 'portal' is not an http(s) URL",
    ),
    ("bad keymap", '[keymap]\nrefresh = "ctrl r"\n', "keymap: keymap.refresh: 'ctrl r' is not a key list"),
    ("profiles a number", "profiles = 3\n", "profiles: must be a table of keys and values"),
    ("profiles a list", "profiles = [1, 2]\n", "profiles: must be a table of keys and values"),
    ("profiles a string", 'profiles = "x"\n', "profiles: must be a table of keys and values"),
    ("port true", "[receiver]\nport = true\n", "receiver.port: must be a whole number"),
    ("secret with a newline", '[receiver]\nbearer_secret = "bs-0123\\n"\n',
     "receiver.bearer_secret: holds a control character (\\n at character 8): remove it"),
    ("secret beyond ascii", '[receiver]\nbearer_secret = "cl\u00e9-0123456"\n',
     "receiver.bearer_secret: holds a character beyond ASCII (at character 3), which an HTTP header cannot carry"),
]


@pytest.mark.parametrize(("text", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_files_say_which_key_and_why(tmp_path: Path, text: str, expected: str) -> None:
    found = errors(write(tmp_path, text))
    assert any(expected in line for line in found), found


def test_a_bad_value_from_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VGCONSOLE_RECEIVER__PORT", "eighty")
    assert errors() == ["receiver.port: must be a whole number (from $VGCONSOLE_RECEIVER__PORT)"]


def test_a_variable_that_must_be_json_and_is_not_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VGCONSOLE_RECEIVER__WEBHOOK_SECRETS", "notjson")
    assert errors() == ['$VGCONSOLE_RECEIVER__WEBHOOK_SECRETS: cannot be read: a list or a table is written as JSON '
                        'here, e.g. ["one", "two"] (Expecting value: line 1 column 1 (char 0))']


def test_secrets_lists_every_configured_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K", "from-env-secret")
    cfg = write(
        tmp_path,
        '[receiver]\nwebhook_secrets = ["wh_a", "wh_b"]\nbasic_username = "u"\nbasic_password = "bp"\n'
        'bearer_secret = "bs"\n[profiles.m]\nprovider = "mobtexting"\napi_key_env = "K"\n'
        '[profiles.n]\nprovider = "mobtexting"\napi_key = "inline-key"\n',
    )
    assert sorted(load_settings(cfg).secrets()) == sorted(["wh_a", "wh_b", "bp", "bs", "from-env-secret", "inline-key",
                                                          "Bearer from-env-secret", "Bearer inline-key"])


def test_secrets_hold_the_forms_a_key_takes_in_a_request(tmp_path: Path) -> None:
    """IBM's key goes as a Basic pair: a gateway quoting the request back quotes its base64, and history masks
    that too."""
    import base64

    cfg = write(tmp_path, '[profiles.i]\nprovider = "ibm"\nenvironment = "us-south"\nagent_number = "+12125550150"\n'
                          'api_key = "ibm-PASSWORD-9876"\n')
    found = load_settings(cfg).secrets()
    packed = base64.b64encode(b"apikey:ibm-PASSWORD-9876").decode()
    assert {"ibm-PASSWORD-9876", "apikey:ibm-PASSWORD-9876", packed, f"Basic {packed}"} <= set(found)


@pytest.mark.parametrize(("text", "key"), [
    ('[receiver]\nwebhook_secrets = [""]\n', "receiver.webhook_secrets.0"),
    ('[receiver]\nwebhook_secrets = ["wh_ok", "   "]\n', "receiver.webhook_secrets.1"),
    ('[receiver]\nbearer_secret = " "\n', "receiver.bearer_secret"),
    ('[receiver]\nbasic_username = "u"\nbasic_password = ""\n', "receiver.basic_password"),
    (COGNIGY + 'webhook_secrets = [""]\n', "profiles.prod.webhook_secrets.0"),
    (COGNIGY.replace('api_key = "file-key-0123456789abcdef"', 'api_key = "  "'), "profiles.prod.api_key"),
])
def test_a_blank_secret_is_refused_with_its_key_named(tmp_path: Path, text: str, key: str) -> None:
    found = errors(write(tmp_path, text))
    assert any(line.startswith(f"{key}: is empty: a blank secret would let anyone through") for line in found), found


def test_a_blank_secret_from_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VGCONSOLE_RECEIVER__WEBHOOK_SECRETS", '[""]')
    found = errors()
    assert any("receiver.webhook_secrets.0: is empty" in line and "$VGCONSOLE_RECEIVER__WEBHOOK_SECRETS" in line
               for line in found), found
