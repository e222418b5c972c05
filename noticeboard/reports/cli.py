"""`aushang report-figures`: the impact report of a period as text, JSON or CSV (counts only)."""

from __future__ import annotations

import argparse
import csv
import io
import json

from noticeboard.cli.base import AddCommand, Handler, UsageError, with_state
from noticeboard.config import Config
from noticeboard.reports import queries
from noticeboard.reports.forms import read_period
from noticeboard.results import Refused
from noticeboard.state import BoardState


def register(command: AddCommand) -> dict[str, Handler]:
    report = command(
        "report-figures",
        "The impact report of a period: notices, events, reach, participation, network "
        "(counts only, never names or addresses).",
    )
    report.add_argument("--from", dest="first", metavar="YYYY-MM-DD", default="")
    report.add_argument("--to", dest="last", metavar="YYYY-MM-DD", default="")
    report.add_argument("--month", metavar="YYYY-MM", default="", help="e.g. 2026-11")
    report.add_argument("--quarter", metavar="YYYY-QN", default="", help="e.g. 2026-Q4")
    report.add_argument("--year", metavar="YYYY", default="", help="e.g. 2026")
    output = report.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--csv", action="store_true", help="print CSV: section,figure,value")
    return {"report-figures": run_report}


def run_report(config: Config, args: argparse.Namespace) -> int:
    result = read_period(
        month=args.month, quarter=args.quarter, year=args.year, first=args.first, last=args.last
    )
    if isinstance(result, Refused):
        raise UsageError(result.reason)
    period = result.value

    async def work(state: BoardState) -> queries.Report:
        return await queries.impact_report(state, period)

    report = with_state(config, work)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    elif args.csv:
        print(as_csv(report), end="")
    else:
        print(f"{period.first.isoformat()} – {period.last.isoformat()} ({report.timezone})")
        for section, figure, value in report.rows():
            print(f"{section}\t{figure}\t{'-' if value is None else value}")
    return 0


def as_csv(report: queries.Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "figure", "value"])
    writer.writerow(["period", "from", report.period.first.isoformat()])
    writer.writerow(["period", "to", report.period.last.isoformat()])
    writer.writerow(["period", "timezone", report.timezone])
    for section, figure, value in report.rows():
        writer.writerow([section, figure, "" if value is None else value])
    return out.getvalue()
