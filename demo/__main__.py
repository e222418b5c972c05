"""Start the three example boards on 127.0.0.1 over TLS, let them follow and share each other's
notices, print addresses and logins, and stop everything on Ctrl-C or SIGTERM.

Run from the repository root: `.venv/bin/python -m demo [--ports A,B,C] [--dir DIR] [--keep]`
(or `make demo`). DEMO_PORTS and DEMO_DIR set the same as the options.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import ssl
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import FrameType

from demo.boards import (
    Board,
    DemoError,
    check_ports_free,
    kill_servers,
    run_command,
    run_commands,
    run_json,
    start_server,
    stop_servers,
    wait_for,
    wait_healthy,
)
from demo.tls import ServerFiles, make_certificates

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ("nordstadt", "suedstadt", "familienzentrum")
DEFAULT_PORTS = (8441, 8442, 8443)
FEDERATION_TIMEOUT = 30.0  # follows accepted, rule applied, deliveries made


class Stop(Exception):
    """Ctrl-C (SIGINT) or SIGTERM: stop the boards and end with status 0."""


@dataclass(frozen=True)
class Options:
    ports: tuple[int, int, int]
    directory: Path | None
    keep: bool


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Three example boards on 127.0.0.1 over TLS that follow and share each other.",
    )
    parser.add_argument(
        "--ports",
        default=os.environ.get("DEMO_PORTS", ",".join(map(str, DEFAULT_PORTS))),
        metavar="A,B,C",
        help="the three boards' ports (default: DEMO_PORTS, else 8441,8442,8443)",
    )
    parser.add_argument(
        "--dir",
        default=os.environ.get("DEMO_DIR") or None,
        metavar="DIR",
        help="an empty or new folder for the data (default DEMO_DIR or a fresh temporary folder)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data when the demo ends")
    args = parser.parse_args(argv)
    return Options(_ports(args.ports), Path(args.dir).resolve() if args.dir else None, args.keep)


def _ports(text: str) -> tuple[int, int, int]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3 or not all(p.isdigit() and 0 < int(p) < 65536 for p in parts):
        raise DemoError(f"ports must be three numbers like 8441,8442,8443, not {text!r}")
    a, b, c = (int(p) for p in parts)
    if len({a, b, c}) != 3:
        raise DemoError(f"the three ports must differ: {text}")
    return a, b, c


# -- the scene: who posts, follows and shares what ----------------------------------------------


def day(days_ahead: int, clock: str) -> str:
    """A local time `days_ahead` from today, as the command line takes it (board's time zone)."""
    return f"{date.today() + timedelta(days=days_ahead)}T{clock}"


def notices() -> dict[str, list[list[str]]]:
    """The notices each board publishes: `aushang post` arguments, one list per notice."""
    return {
        "nordstadt": [
            [
                "--type", "announcement", "--category", "Umwelt",
                "--title", "Sperrmüll-Sammeltag in der Nordstadt",
                "--body", "Am Samstag holen die Entsorgungsbetriebe Sperrmüll in der Nordstraße "
                "und den Seitenstraßen ab. Bitte stellen Sie Möbel und Elektrogeräte **erst ab "
                "Freitagabend** an den Straßenrand. Fragen beantwortet das Quartiersbüro.",
                "--valid-until", str(date.today() + timedelta(days=6)),
            ],
            [
                "--type", "event", "--category", "Fest",
                "--title", "Stadtteilfest auf dem Nordplatz",
                "--body", "Musik, Kinderschminken, ein Flohmarkt und Kuchen aus der "
                "Nachbarschaft. Wer einen Stand anbieten möchte, meldet sich bis Mittwoch im "
                "Quartiersbüro.",
                "--start", day(10, "14:00"), "--end", day(10, "19:00"),
                "--place", "Nordplatz, Nordstraße 1, 45127 Essen",
            ],
            [
                "--type", "poll", "--category", "Garten",
                "--title", "Wie soll der neue Quartiersgarten heißen?",
                "--body", "Der Gemeinschaftsgarten hinter der Grundschule bekommt einen Namen. "
                "Stimmen Sie mit ab – hier auf dem Aushang oder aus Mastodon.",
                "--option", "Nordgarten", "--option", "Garten der Nachbarn",
                "--option", "Grüne Oase", "--closes", day(14, "18:00"),
            ],
        ],
        "suedstadt": [
            [
                "--type", "event", "--category", "Mieterversammlung",
                "--title", "Mieterversammlung: Heizkostenabrechnung prüfen",
                "--body", "Bringen Sie Ihre Abrechnung mit. Wir erklären, worauf Sie achten "
                "sollten, und helfen beim Widerspruch. Für Getränke ist gesorgt.",
                "--start", day(5, "18:00"), "--end", day(5, "20:00"),
                "--place", "Gemeinschaftsraum, Südring 3, 45128 Essen",
            ],
            [
                "--type", "need-help", "--category", "Kleiderkammer",
                "--title", "Helfende für den Umzug der Kleiderkammer gesucht",
                "--body", "Am Samstag zieht die Kleiderkammer vom Südring 3 in die "
                "Hansastraße 8. Wer kann zwei Stunden beim Tragen helfen? Treffpunkt 10 Uhr "
                "vor dem Gemeinschaftsraum.",
            ],
            [
                "--type", "announcement", "--category", "Beratung",
                "--title", "Mieterberatung jetzt auch donnerstags",
                "--body", "Ab sofort beraten wir zusätzlich jeden Donnerstag von 17 bis 19 Uhr "
                "im Gemeinschaftsraum, Südring 3. Eine Anmeldung ist nicht nötig.",
            ],
        ],
        "familienzentrum": [
            [
                "--type", "give-lend", "--category", "Baby",
                "--title", "Kinderwagen und Babykleidung abzugeben",
                "--body", "Ein gut erhaltener Kombi-Kinderwagen (grau) und eine Kiste "
                "Babykleidung in den Größen 56 bis 74. Abholen im Familienzentrum zu den "
                "Öffnungszeiten.",
                "--valid-until", str(date.today() + timedelta(days=21)),
            ],
            [
                "--type", "event", "--category", "Flohmarkt",
                "--title", "Eltern-Kind-Flohmarkt im Familienzentrum",
                "--body", "Spielzeug, Bücher und Kinderkleidung von Familien für Familien. "
                "Standanmeldung im Eltern-Café, Standgebühr ist ein Kuchen.",
                "--start", day(12, "10:00"), "--end", day(12, "13:00"),
                "--place", "Familienzentrum Regenbogen, Lindenallee 27, 45127 Essen",
            ],
            [
                "--type", "need-help", "--category", "Vorlesen",
                "--title", "Lesepatinnen und Lesepaten gesucht",
                "--body", "Einmal in der Woche eine halbe Stunde vorlesen: Unsere Kita sucht "
                "Menschen jeden Alters, die Freude an Geschichten haben.",
            ],
        ],
    }  # fmt: skip


# Who shares whose notice by hand: (sharing board, author board, index of the author's notice).
# The automatic rule on Nordstadt shares the Familienzentrum's events.
SHARES = (
    ("suedstadt", "nordstadt", 1),  # the Stadtteilfest, into Südstadt's calendar
    ("familienzentrum", "nordstadt", 2),  # the poll
    ("nordstadt", "suedstadt", 0),  # the Mieterversammlung
    ("suedstadt", "familienzentrum", 0),  # the Kinderwagen
    ("familienzentrum", "suedstadt", 1),  # the Kleiderkammer
)


# -- steps ----------------------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


def prepare(options: Options, workdir: Path) -> tuple[list[Board], ServerFiles]:
    files = make_certificates(workdir / "tls")
    boards = [
        Board.from_instance(
            ROOT / "instances" / f"{name}.toml",
            port,
            workdir / name,
            secrets.token_urlsafe(12),
        )
        for name, port in zip(INSTANCES, options.ports, strict=True)
    ]
    for board in boards:
        board.configure([b for b in boards if b is not board], files)
    return boards, files


def start(boards: list[Board], files: ServerFiles, context: ssl.SSLContext) -> None:
    say("Setting up three boards …")
    run_commands([(b, ["init"]) for b in boards])
    for board in boards:
        start_server(board, files)
    wait_healthy(boards, context)


def follow_each_other(boards: list[Board]) -> None:
    say("The boards follow each other …")
    for shift in (1, 2):  # one follow per board at a time
        run_commands(
            [(b, ["follow", boards[(i + shift) % 3].handle]) for i, b in enumerate(boards)]
        )

    waiting = list(boards)

    def all_accepted() -> bool:
        for board, listing in zip(list(waiting), run_json(waiting, "following"), strict=True):
            if sum(1 for f in listing if f.get("state") == "accepted") == len(boards) - 1:
                waiting.remove(board)
        return not waiting

    wait_for("the follows to be accepted", all_accepted, FEDERATION_TIMEOUT, interval=0.5)


def publish_and_share(boards: list[Board]) -> None:
    by_name = {b.username: b for b in boards}
    north, family = by_name["nordstadt"], by_name["familienzentrum"]
    say("Nordstadt shares the Familienzentrum's events automatically (at most 3 a day) …")
    run_command(
        north, "share-rule", "add", "--from", family.handle, "--type", "event", "--daily-cap", "3"
    )
    say("Each board publishes notices …")
    plan = notices()
    urls: dict[str, list[str]] = {b.username: [] for b in boards}
    for index in range(max(len(items) for items in plan.values())):
        calls = [(b, ["post", *plan[b.username][index]]) for b in boards]
        for board, out in zip(boards, run_commands(calls), strict=True):
            urls[board.username].append(out.strip().splitlines()[-1])
    say("… and shares some of the others' notices …")
    for batch in (SHARES[:3], SHARES[3:]):  # one share per board at a time
        run_commands([(by_name[who], ["share", urls[whose][i]]) for who, whose, i in batch])

    def rule_applied() -> bool:
        return any(rule.get("hits") for rule in run_json([north], "share-rule", "list")[0])

    wait_for("the sharing rule to share an event", rule_applied, FEDERATION_TIMEOUT, interval=0.5)

    def unsent() -> list[list[dict[str, object]]] | None:
        listings = run_json(boards, "deliveries", "--state", "pending,failed,dead")
        pending = any(d.get("state") == "pending" for listing in listings for d in listing)
        return None if pending else listings

    listings = wait_for("the deliveries between the boards", unsent, FEDERATION_TIMEOUT, 0.5)
    for board, failed in zip(boards, listings, strict=True):
        if failed:
            say(f"Note: {len(failed)} deliveries of {board.name} failed (aushang deliveries)")


def print_summary(
    boards: list[Board], files: ServerFiles, workdir: Path, keep: bool, began: float
) -> None:
    say("")
    say(f"Three boards are running, following and sharing each other (data in {workdir}):")
    for board in boards:
        say("")
        say(f"  {board.name}")
        say(f"    {board.base_url}/    {board.handle}")
        say(f"    staff: {board.base_url}/login    user admin    password {board.password}")
    say("")
    say("Browsers warn about the boards' certificate until you import the demo's CA as an")
    say("authority (Firefox: Settings → Privacy & Security → Certificates → View Certificates;")
    say("Chromium: Settings → Privacy and security → Security → Manage certificates). It is")
    say("valid for localhost and 127.0.0.0/8 only, for 7 days; remove it after the demo.")
    say(f"  CA certificate: {files.ca_certfile}")
    say(f"  Server PIDs: {' '.join(str(b.process.pid) for b in boards if b.process)}")
    say(f"  Logs: {workdir}/<board>/serve.log" + ("" if keep else " (removed at the end)"))
    say("")
    say(f"Demo ready after {time.monotonic() - began:.0f} s. Press Ctrl-C to stop the boards.")


def watch(boards: list[Board]) -> None:
    """Wait for Ctrl-C; a board that stops on its own ends the demo with an error."""
    while True:
        for board in boards:
            assert board.process is not None
            if board.process.poll() is not None:
                raise DemoError(
                    f"{board.username}: aushang serve stopped on its own "
                    f"(status {board.process.returncode}):\n{board.log_tail()}"
                )
        time.sleep(0.5)


# -- running and stopping ------------------------------------------------------------------------


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def _working_directory(options: Options) -> tuple[Path, bool]:
    """The data folder and whether the demo created it (then it removes the folder itself)."""
    if options.directory is None:
        return Path(tempfile.mkdtemp(prefix="aushang-demo-")), True
    if options.directory.exists():
        if not options.directory.is_dir() or any(options.directory.iterdir()):
            raise DemoError(f"{options.directory} must be an empty folder (or not exist yet)")
        return options.directory, False
    options.directory.mkdir(parents=True)
    return options.directory, True


def _clean_up(workdir: Path, created: bool) -> None:
    for child in workdir.iterdir():  # the folder was empty before: everything in it is ours
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    if created:
        workdir.rmdir()


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    boards: list[Board] = []
    try:
        options = parse_options(argv)
        check_ports_free(options.ports)
        workdir, created = _working_directory(options)
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    except Stop:
        return 0
    status, began = 0, time.monotonic()
    try:
        boards, files = prepare(options, workdir)
        context = ssl.create_default_context(cafile=str(files.ca_certfile))
        start(boards, files, context)
        follow_each_other(boards)
        publish_and_share(boards)
        print_summary(boards, files, workdir, options.keep, began)
        watch(boards)
    except Stop:
        say("\nStopping the boards …")
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr, flush=True)
        status = 1
    finally:
        # a second Ctrl-C while stopping kills the servers at once instead of leaving them
        signal.signal(signal.SIGINT, lambda signum, frame: kill_servers(boards))
        signal.signal(signal.SIGTERM, lambda signum, frame: kill_servers(boards))
        stop_servers(boards)
        if options.keep:
            say(f"The data is kept in {workdir}")
        else:
            _clean_up(workdir, created)
    say("Demo stopped.")
    return status


if __name__ == "__main__":
    sys.exit(main())
