"""Board configuration: TOML plus AUSHANG_* overrides, validated with reasons a human can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from noticeboard.config import Config, ConfigError, load_config
from tests.noticeboard.boards import INSTANCE

MINIMAL = """\
base_url = "https://board.example"
data_dir = "/tmp/board"
username = "board"
name = "A board"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "board.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(path: Path = INSTANCE, **environ: str) -> Config:
    return load_config(path, environ=environ)


def test_config__example_instance_loads_without_environment() -> None:
    config = load()

    assert config.base_url == "http://127.0.0.1:8000"
    assert config.username == "nordstadt"
    assert config.host == "127.0.0.1:8000"
    assert config.handle == "@nordstadt@127.0.0.1:8000"
    assert config.contact.email == "kontakt@nordstadt.example"
    assert config.federation.allow_private == frozenset()
    assert config.federation.approve_followers is False
    assert config.source == INSTANCE


@pytest.mark.parametrize("key", ["base_url", "username", "name", "data_dir"])
def test_config__missing_required_key_names_it(tmp_path: Path, key: str) -> None:
    text = "\n".join(line for line in MINIMAL.splitlines() if not line.startswith(key))

    with pytest.raises(ConfigError, match=f"{key} is required"):
        load(write(tmp_path, text))


def test_config__missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nope.toml")


def test_config__broken_toml_says_where(tmp_path: Path) -> None:
    path = write(tmp_path, 'base_url = "https://board.example\nname = 1\n')

    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load(path)

    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "base_url",
    [
        "board.example",
        "ftp://board.example",
        "https://board.example/board",
        "https://board.example/?x=1",
        "https://user:secret@board.example",
        "https://board.example:0",
        "https://bo ard.example",
        "https://",
    ],
)
def test_config__bad_base_url_is_refused(base_url: str) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        load(AUSHANG_BASE_URL=base_url)


def test_config__base_url_trailing_slash_is_dropped() -> None:
    assert load(AUSHANG_BASE_URL="https://board.example/").base_url == "https://board.example"


@pytest.mark.parametrize(
    "base_url",
    [
        "https://board.example#top",
        "https://board.example?",
        "https://Board.Example",
        "https://board.example.",
        "https://münchen.example",
    ],
)
def test_config__base_url_is_refused_or_canonical(base_url: str) -> None:
    # Every id is built from base_url; remote servers compare ids with the URL they fetched,
    # so base_url must be exactly scheme://canonical-host (lower case, punycode, no dot/#/?).
    try:
        config = load(AUSHANG_BASE_URL=base_url)
    except ConfigError:
        return
    assert config.base_url == f"https://{config.host}", f"{base_url!r} kept as {config.base_url!r}"


@pytest.mark.parametrize("username", ["nord-stadt", "nord stadt", "nördstadt", "a/b", ""])
def test_config__bad_username_is_refused(username: str) -> None:
    with pytest.raises(ConfigError, match="username"):
        load(AUSHANG_USERNAME=username)


def test_config__username_is_lower_cased() -> None:
    assert load(AUSHANG_USERNAME="Nord_Stadt").username == "nord_stadt"


@pytest.mark.parametrize(
    "entry",
    [
        "10.0.0.1:8000",
        "192.168.1.1:80",
        "example.org:443",
        "127.0.0.1",
        "localhost",
        "0.0.0.0:8000",
        "127.0.0.1:http",
    ],
)
def test_config__allow_private_entry_that_is_not_loopback_host_port_is_refused(
    entry: str,
) -> None:
    with pytest.raises(ConfigError, match="not a loopback host:port") as info:
        load(AUSHANG_FEDERATION_ALLOW_PRIVATE=f"127.0.0.1:9000,{entry}")

    assert repr(entry) in str(info.value)


def test_config__allow_private_in_toml_is_checked_too(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '[federation]\nallow_private = ["10.1.2.3:80"]\n')

    with pytest.raises(ConfigError, match="not a loopback"):
        load(path)


def test_config__environment_overrides_top_level_keys() -> None:
    config = load(
        AUSHANG_BASE_URL="https://nordstadt.example",
        AUSHANG_NAME="Nordstadt-Büro",
        AUSHANG_DATA_DIR="/srv/aushang",
        AUSHANG_LANGUAGE="en",
    )

    assert config.base_url == "https://nordstadt.example"
    assert config.name == "Nordstadt-Büro"
    assert config.data_dir == Path("/srv/aushang")
    assert config.language == "en"
    assert config.contact.phone == "0201 123456"  # untouched values stay


def test_config__environment_overrides_nested_keys() -> None:
    config = load(
        AUSHANG_CONTACT_EMAIL="buero@nordstadt.example",
        AUSHANG_CONTACT_OPENING_HOURS="Mo 9-12",
        AUSHANG_FEDERATION_ALLOW_PRIVATE="127.0.0.1:4001, localhost:4002,[::1]:4003",
        AUSHANG_FEDERATION_APPROVE_FOLLOWERS="true",
    )

    assert config.contact.email == "buero@nordstadt.example"
    assert config.contact.opening_hours == "Mo 9-12"
    assert config.contact.address == "Nordstraße 12, 45127 Essen"
    assert config.federation.allow_private == frozenset(
        {"127.0.0.1:4001", "localhost:4002", "[::1]:4003"}
    )
    assert config.federation.approve_followers is True


@pytest.mark.parametrize(("value", "expected"), [("false", False), ("0", False), ("YES", True)])
def test_config__flags_read_common_spellings(value: str, expected: bool) -> None:
    config = load(AUSHANG_FEDERATION_APPROVE_FOLLOWERS=value)

    assert config.federation.approve_followers is expected


def test_config__flag_that_is_not_a_boolean_is_refused() -> None:
    with pytest.raises(ConfigError, match="approve_followers"):
        load(AUSHANG_FEDERATION_APPROVE_FOLLOWERS="maybe")


def test_config__unknown_contact_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown keys: fax"):
        load(AUSHANG_CONTACT_FAX="0201 99")


def test_config__unknown_top_level_key_in_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown keys: base_ulr"):
        load(write(tmp_path, MINIMAL + 'base_ulr = "https://typo.example"\n'))


def test_config__admin_password_variable_is_not_configuration() -> None:
    config = load(AUSHANG_ADMIN_PASSWORD="secret", AUSHANG_UNRELATED="x")

    assert "secret" not in repr(config)


def test_config__missing_ca_bundle_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ca_bundle"):
        load(AUSHANG_FEDERATION_CA_BUNDLE=str(tmp_path / "missing.pem"))


def test_config__environment_is_read_from_os_environ_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUSHANG_NAME", "Aus der Umgebung")

    assert load_config(INSTANCE).name == "Aus der Umgebung"


def test_config__inbox_rate_limit_is_configurable_and_checked(tmp_path: Path) -> None:
    assert load().federation.inbox_rate_limit == 300
    path = write(tmp_path, MINIMAL + "[federation]\ninbox_rate_limit = 1200\n")
    assert load(path).federation.inbox_rate_limit == 1200
    assert load(path, AUSHANG_FEDERATION_INBOX_RATE_LIMIT="50").federation.inbox_rate_limit == 50
    with pytest.raises(ConfigError, match="federation.inbox_rate_limit"):
        load(path, AUSHANG_FEDERATION_INBOX_RATE_LIMIT="0")
