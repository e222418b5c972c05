"""Backups and health from the command line: backup, restore, db check, doctor."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict
from pathlib import Path

from noticeboard.backups import doctor, service
from noticeboard.backups.service import RestoreDone
from noticeboard.cli.base import AddCommand, Handler, check, subcommands, with_state
from noticeboard.config import Config

LEVEL_MARKS = {doctor.OK: "ok", doctor.WARNING: "WARNING", doctor.PROBLEM: "PROBLEM"}


def register(command: AddCommand) -> dict[str, Handler]:
    backup = command("backup", "Write one archive of the board (it may keep serving).")
    backup.add_argument("--out", required=True, metavar="FILE", help="the archive to write")
    restore = command("restore", "Restore an archive into the board's (empty) data folder.")
    restore.add_argument("archive", metavar="FILE", help="an archive made by aushang backup")
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore into a data folder that is not empty, keeping its contents aside",
    )
    db = subcommands(command("db", "The board's database.", nested=True), "action")
    db("check", "Run SQLite's integrity and foreign-key checks.")
    checkup = command("doctor", "Check what breaks boards in practice and say what to do.")
    checkup.add_argument("--json", action="store_true", help="print the findings as JSON")
    return {"backup": run_backup, "restore": run_restore, "db": run_db, "doctor": run_doctor}


def run_backup(config: Config, args: argparse.Namespace) -> int:
    out = Path(args.out).expanduser().absolute()
    done = check(with_state(config, lambda state: service.backup(state, out)))
    parts = done.manifest["parts"]
    print(f"Backup of {config.handle} written to {done.path} ({len(parts)} parts)")
    return 0


def run_restore(config: Config, args: argparse.Namespace) -> int:
    source = Path(args.archive).expanduser().absolute()
    done = check(asyncio.run(service.restore(config, source, force=args.force)))
    _print_restore(config, done)
    return 1 if done.problems else 0


def _print_restore(config: Config, done: RestoreDone) -> None:
    board = done.manifest["board"]
    print(f"Restored {board['handle']} from the backup of {done.manifest['created']}")
    print(f"into {config.data_dir}")
    if done.old_data:
        print(f"The folder's earlier contents are kept in {done.old_data}")
    if done.upgraded:
        print(f"Upgraded the database: {', '.join(done.upgraded)}")
    print(f"Deliveries waiting to be sent: {done.pending_deliveries}")
    for problem in done.problems:
        print(f"PROBLEM: {problem}")
    print("Start the board with: aushang serve --instance FILE")


def run_db(config: Config, args: argparse.Namespace) -> int:
    problems = with_state(config, service.check_database)
    if not problems:
        print(f"The database {config.db_path} is sound (integrity and foreign keys).")
        return 0
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s): restore the last good backup (aushang restore --force).")
    return 1


def run_doctor(config: Config, args: argparse.Namespace) -> int:
    findings = with_state(config, doctor.examine)
    if args.json:
        print(json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            print(f"[{LEVEL_MARKS[finding.level]}] {finding.check}: {finding.message}")
            if finding.advice and finding.level != doctor.OK:
                print(f"    What to do: {finding.advice}")
    return 1 if any(f.level == doctor.PROBLEM for f in findings) else 0
