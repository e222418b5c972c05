"""Figures: the table on standard output, the JSON file, and the comparison of two runs."""

from __future__ import annotations

import json
import math
import platform
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Units where a smaller figure is better (for the direction of a change).
LOWER_IS_BETTER = ("ms", "s", "MB", "µs/activity", "×")


@dataclass(frozen=True)
class Figure:
    scenario: str
    metric: str
    board: float
    bare: float | None
    ratio: float | None  # board / bare
    target: str = ""
    passed: bool | None = None

    @property
    def key(self) -> str:
        return f"{self.scenario} [{self.metric}]"


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(figures: list[Figure]) -> str:
    rows = [("scenario", "metric", "board", "bare", "ratio", "target", "")]
    for f in figures:
        verdict = {True: "PASS", False: "FAIL", None: ""}[f.passed]
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "-"
        rows.append(
            (f.scenario, f.metric, _number(f.board), _number(f.bare), ratio, f.target, verdict)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.ljust(width) if i < 2 or i >= 5 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_json(
    path: Path, figures: list[Figure], mode: str, load_generator: str, at: str | None = None
) -> None:
    """All figures as JSON, with the commit measured (`at`, read when the run began)."""
    document = {
        "commit": at or commit(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "machine": {"cpus": _cpus(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "load_generator": load_generator,
        "figures": [_without_nan(asdict(f)) for f in figures],
    }  # fmt: skip
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _without_nan(figure: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: a figure that could not be measured is null."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in figure.items()}


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def read_json(path: Path) -> tuple[dict[str, Any], list[Figure]]:
    document = json.loads(path.read_text())
    figures = [
        Figure(**{**f, "board": math.nan if f["board"] is None else f["board"]})
        for f in document["figures"]
    ]
    return document, figures


def compare(old_path: Path, new_path: Path) -> str:
    """The change of each figure from one run to another (the board's figure, and its ratio to
    the bare baseline, which is steadier on a noisy machine)."""
    old_doc, old = read_json(old_path)
    new_doc, new = read_json(new_path)
    before = {f.key: f for f in old}
    rows = [("scenario", "metric", "old", "new", "change", "old ratio", "new ratio", "")]
    for f in new:
        was = before.get(f.key)
        if was is None:
            rows.append((f.scenario, f.metric, "-", _number(f.board), "new", "-", "-", ""))
            continue
        change = (f.board - was.board) / was.board * 100 if was.board else math.nan
        lower = f.metric.split()[-1] in LOWER_IS_BETTER
        better = change < 0 if lower else change > 0
        if math.isnan(change):
            better = False
        mark = "better" if better and abs(change) >= 15 else ""
        mark = "worse" if not better and abs(change) >= 15 else mark
        shown = "-" if math.isnan(change) else f"{change:+.0f} %"
        old_ratio = f"{was.ratio:.2f}×" if was.ratio is not None else "-"
        new_ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "-"
        rows.append(
            (f.scenario, f.metric, _number(was.board), _number(f.board), shown, old_ratio,
             new_ratio, mark)
        )  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        f"old: {old_doc['commit'][:12]} ({old_doc['mode']}, {old_doc['when']})",
        f"new: {new_doc['commit'][:12]} ({new_doc['mode']}, {new_doc['when']})",
        "changes of 15 % or more are marked (single figures vary by about ±15 %)",
        "",
    ]
    for number, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
