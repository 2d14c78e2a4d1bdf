from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fediverse_skills.config import (
    ConfigError,
    Settings,
    ensure_secret_key,
    load_settings,
)


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    base = {"FEDSKILLS_ENV_FILE": str(tmp_path / "missing.env")}
    base.update({f"FEDSKILLS_{k}": v for k, v in values.items()})
    return base


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(env(tmp_path))
    assert s.base_url == "http://127.0.0.1:8000"
    assert s.database_url == "sqlite+aiosqlite:///./data/fediverse-skills.db"
    assert s.allow_private_addresses is False
    assert s.is_sqlite and s.run_worker_in_process
    assert s.host_name == "127.0.0.1:8000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Skills.Example.org/", "https://skills.example.org"),
        ("https://skills.example.org:443", "https://skills.example.org"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_base_url_is_normalised(raw: str, expected: str) -> None:
    assert Settings(base_url=raw).base_url == expected


@pytest.mark.parametrize(
    "raw",
    [
        "skills.example.org",
        "ftp://skills.example.org",
        "https://skills.example.org/path",
        "https://skills.example.org/?q=1",
        "https://user@skills.example.org",
        "https://",
        "https://skills.example.org:99999",
    ],
)
def test_bad_base_url_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="FEDSKILLS_BASE_URL"):
        Settings(base_url=raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h:5433/db", "postgresql+asyncpg://u@h:5433/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_url_drivers(raw: str, expected: str) -> None:
    assert Settings(database_url=raw).database_url == expected


@pytest.mark.parametrize("raw", ["mysql://u@h/db", "nonsense", "postgresql://u@h"])
def test_bad_database_url_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="FEDSKILLS_DATABASE_URL"):
        Settings(database_url=raw)


def test_postgres_runs_no_worker_in_process_by_default() -> None:
    s = Settings(database_url="postgresql://u@h/db")
    assert not s.run_worker_in_process
    assert s.replace(in_process_worker="true").run_worker_in_process


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), ("off", False)])
def test_booleans(tmp_path: Path, raw: str, expected: bool) -> None:
    s = load_settings(env(tmp_path, ALLOW_PRIVATE_ADDRESSES=raw))
    assert s.allow_private_addresses is expected


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("ALLOW_PRIVATE_ADDRESSES", "maybe", "true or false"),
        ("PORT", "eighty", "must be a number"),
        ("PORT", "0", "between 1 and 65535"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("IN_PROCESS_WORKER", "sometimes", "IN_PROCESS_WORKER"),
        ("BASE_URLL", "http://x", "unknown setting FEDSKILLS_BASE_URLL"),
    ],
)
def test_bad_values_name_the_setting(tmp_path: Path, name: str, value: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_settings(env(tmp_path, **{name: value}))


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "site.env"
    env_file.write_text(
        "# comment\nFEDSKILLS_BASE_URL='https://a.example'\n"
        "export FEDSKILLS_PORT=9000\nOTHER=ignored\n"
    )
    s = load_settings({"FEDSKILLS_ENV_FILE": str(env_file), "FEDSKILLS_PORT": "9100"})
    assert s.base_url == "https://a.example"
    assert s.port == 9100


def test_env_file_syntax_error_names_the_line(tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("FEDSKILLS_PORT=1\nthis is not a setting\n")
    with pytest.raises(ConfigError, match=r"bad.env:2: expected KEY=VALUE"):
        load_settings({"FEDSKILLS_ENV_FILE": str(env_file)})


def test_data_dir_moves_the_default_database(tmp_path: Path) -> None:
    s = load_settings(env(tmp_path, DATA_DIR=str(tmp_path / "d")))
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path}/d/fediverse-skills.db"


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "data")
    first = ensure_secret_key(s)
    key_file = tmp_path / "data" / "secret_key"
    assert len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert ensure_secret_key(s).secret_key == first.secret_key
    assert first.secret_key not in repr(first)


def test_explicit_secret_key_must_be_long(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        Settings(secret_key="short", data_dir=tmp_path)
    long_key = "k" * 40
    assert (
        ensure_secret_key(Settings(secret_key=long_key, data_dir=tmp_path)).secret_key == long_key
    )
    assert not (tmp_path / "secret_key").exists()


def test_test_suite_variables_are_not_settings(tmp_path: Path) -> None:
    s = load_settings(env(tmp_path, TEST_POSTGRES_URL="postgresql://x@y/z"))
    assert s.is_sqlite
