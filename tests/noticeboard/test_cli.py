"""The `aushang` command line as users run it: exit codes, one-line errors (in this process;
the installed script itself runs for init, a listing with --json and a bad option)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from noticeboard.accounts import passwords as auth
from noticeboard.cli import build_parser, main
from tests.noticeboard.boards import INSTANCE, RunningBoard
from tests.support.cli import run_in_process, run_process
from tests.support.fediverse import Fediverse

COMMANDS = sorted(
    name
    for action in build_parser()[0]._subparsers._group_actions  # type: ignore[union-attr]
    for name in getattr(action, "choices", {}) or {}
)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line in this process, with only the AUSHANG_* variables of `env`."""
    return run_in_process(args, env)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def board_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "AUSHANG_BASE_URL": "http://127.0.0.1:8999",
        "AUSHANG_DATA_DIR": str(tmp_path / "data"),
        **extra,
    }


# --- errors -------------------------------------------------------------------------------------


def test_cli__bad_option_exits_2_with_one_line() -> None:
    argv = ("post", "--instance", str(INSTANCE), "--title", "t", "--body", "b", "--bogus")
    result = run_process(argv)  # the installed script: argparse's exit status reaches the shell

    line = one_line_error(result)
    assert "--bogus" in line
    assert result.stdout == ""


def test_cli__unknown_command_exits_2_with_one_line() -> None:
    line = one_line_error(run("publish", "--instance", str(INSTANCE)))

    assert "publish" in line


def test_cli__missing_instance_exits_2_with_one_line() -> None:
    line = one_line_error(run("init"))

    assert "--instance" in line


def test_cli__broken_toml_exits_2_with_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('base_url = "http://127.0.0.1:8000\n[contact\n', encoding="utf-8")

    line = one_line_error(run("init", "--instance", str(broken)))

    assert "not valid TOML" in line
    assert not (tmp_path / "data").exists()


def test_cli__config_error_exits_2_with_one_line(tmp_path: Path) -> None:
    line = one_line_error(
        run("init", "--instance", str(INSTANCE), env=board_env(tmp_path, AUSHANG_BASE_URL="x"))
    )

    assert "base_url" in line


def test_cli__missing_instance_file_exits_2_with_one_line(tmp_path: Path) -> None:
    line = one_line_error(run("init", "--instance", str(tmp_path / "nope.toml")))

    assert "not found" in line


def test_cli__instance_that_is_a_directory_exits_2_with_one_line(tmp_path: Path) -> None:
    one_line_error(run("init", "--instance", str(tmp_path)))


def test_cli__unusable_data_dir_exits_2_with_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    one_line_error(
        run(
            "init",
            "--instance",
            str(INSTANCE),
            env=board_env(tmp_path, AUSHANG_DATA_DIR=str(blocker / "data")),
        )
    )


def test_cli__post_before_init_says_to_run_init(tmp_path: Path) -> None:
    line = one_line_error(
        run(
            "post",
            "--instance",
            str(INSTANCE),
            "--title",
            "t",
            "--body",
            "b",
            env=board_env(tmp_path),
        )
    )

    assert "aushang init" in line


# --- init -------------------------------------------------------------------------------------


def test_cli__init_twice_is_idempotent_and_shows_a_generated_password_once(
    tmp_path: Path,
) -> None:
    env = board_env(tmp_path)

    first = run_process(["init", "--instance", str(INSTANCE)], env)  # the installed script
    second = run("init", "--instance", str(INSTANCE), env=env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    match = re.search(r"Password \(shown only now[^)]*\): (\S+)", first.stdout)
    assert match, first.stdout
    assert "Password" not in second.stdout
    assert "@nordstadt@127.0.0.1:8999" in second.stdout
    db = tmp_path / "data" / "aushang.sqlite3"
    with closing(sqlite3.connect(db)) as conn:
        staff = conn.execute("SELECT username, password_hash, role FROM staff").fetchall()
        keys = conn.execute("SELECT actor_id FROM local_keys ORDER BY actor_id").fetchall()
        secrets = conn.execute("SELECT count(*) FROM settings WHERE key = 'session_secret'")
        secret_count = secrets.fetchone()[0]
    [(name, _, role)] = staff
    assert re.fullmatch(r"owner-[a-z0-9]{5}", name), name  # not a name to guess
    assert role == "owner"
    assert f"First admin account: {name}" in first.stdout
    assert f"Owner accounts: {name}" in second.stdout
    assert auth.verify_password(match.group(1), staff[0][1])
    assert [k for (k,) in keys] == [
        "http://127.0.0.1:8999/actor",
        "http://127.0.0.1:8999/users/nordstadt",
    ]
    assert secret_count == 1
    assert oct((tmp_path / "data").stat().st_mode & 0o777) == "0o700"


def test_cli__init_with_admin_password_prints_no_password(tmp_path: Path) -> None:
    env = board_env(tmp_path, AUSHANG_ADMIN_PASSWORD="Chosen-Passw0rd")

    result = run("init", "--instance", str(INSTANCE), "--admin", "Kim", env=env)

    assert result.returncode == 0, result.stderr
    assert "First admin account: kim" in result.stdout
    assert "shown only now" not in result.stdout
    assert "Chosen-Passw0rd" not in result.stdout


# --- help -------------------------------------------------------------------------------------


def test_cli__help_exits_0_and_lists_every_command() -> None:
    result = run("--help")

    assert result.returncode == 0
    assert result.stderr == ""
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_cli__each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])

    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"aushang {command}" in out
    assert "--instance" in out


def test_cli__version_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])

    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("aushang ")


# --- followers listing through the same data dir as a running board ----------------------------


def test_cli__followers_lists_what_the_running_board_stored(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    alice = fediverse.actor("alice")
    alice.post(board.inbox, alice.follow(board.actor_id), now=board.clock.now)
    board.drain()
    assert board.followers(), "the follower"

    result = board.cli_process("followers", "--json")  # the installed script

    assert result.returncode == 0, result.stderr
    assert f'"id": "{alice.id}"' in result.stdout
    assert '"state": "accepted"' in result.stdout
