"""`python -m bench [--quick] [--json PATH]`: the end-to-end benchmarks.
`python -m bench compare OLD.json NEW.json`: the change between two runs.
`python -m bench micro`: the micro-benchmarks of single operations.
`python -m bench inbox`: CPU time of the signed inbox in-process, the board's against bare."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench import figures, load, scenarios, seed, servers


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:
        if len(argv) != 3:
            print("usage: python -m bench compare OLD.json NEW.json", file=sys.stderr)
            return 2
        print(figures.compare(Path(argv[1]), Path(argv[2])))
        return 0
    if argv[:1] == ["inbox"]:
        from bench import inbox

        inbox.main(argv[1:])
        return 0
    if argv[:1] == ["micro"]:
        from bench import micro

        micro.main()
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="End-to-end benchmarks: a real 'aushang serve' and a bare baseline app "
        "under the same load. Also: 'compare OLD.json NEW.json', 'micro'.",
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs (under 3 minutes)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="write all figures as JSON")
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python load generator, not wrk"
    )
    parser.add_argument("--cache", type=Path, default=seed.CACHE, help="seeded boards' folder")
    parser.add_argument("--keep", action="store_true", help="keep the run's logs and data")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 3 when a target is missed"
    )
    args = parser.parse_args(argv)
    busy = [
        p
        for p in (scenarios.BOARD_PORT, scenarios.BARE_PORT, scenarios.KEY_PORT)
        if not servers.port_free(p)
    ]
    if busy:
        print(f"ports in use: {busy}; another benchmark running?", file=sys.stderr)
        return 1
    use_wrk = load.have_wrk() and not args.python_load
    generator = "wrk" if use_wrk else "python"
    if not load.have_wrk() and not args.python_load:
        print("wrk not found (apt-get install wrk): using the Python load generator",
              file=sys.stderr)  # fmt: skip
    plan = scenarios.QUICK if args.quick else scenarios.FULL
    started = time.perf_counter()
    measured = figures.commit()
    results = scenarios.run(plan, args.cache, use_wrk, keep=args.keep)
    print(figures.table(results))
    mode = "quick" if args.quick else "full"
    print(f"\n{mode} run, load generator {generator}, {time.perf_counter() - started:.0f} s")
    if args.json:
        figures.write_json(args.json, results, mode, generator, measured)
    missed = any(f.passed is False for f in results)
    return 3 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
