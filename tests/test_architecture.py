"""The shape of the code, checked: the protocol below the board, SQL only in store modules, the
board's SQL never reading federation's tables, routes and commands only through use cases and
queries. Read from the source with `ast`, so a new module is checked without being listed."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.S)
STORE_MODULES = re.compile(r"(^|\.)(\w*_)?store$")
ENTRY_POINTS = ("web.py", "cli.py", "submit_web.py", "dashboard.py", "routes.py")


def modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> Iterator[tuple[str, str]]:
    """(module, name) for every import; name is '' for `import module`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ""
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.module, alias.name


def sql_strings(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL.search(node.value):
                yield node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if SQL.search(str(text)):
                yield str(text)


def federation_tables() -> set[str]:
    text = " ".join(p.read_text() for p in (ROOT / "federation" / "migrations").glob("*.sql"))
    return set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", text))


def test_architecture__federation_never_imports_the_board() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in modules("federation")
        for module, _ in imported_modules(path)
        if module.split(".")[0] == "noticeboard"
    ]
    assert found == []


def test_architecture__sql_lives_only_in_store_modules() -> None:
    found = [
        str(path.relative_to(ROOT))
        for package in ("federation", "noticeboard")
        for path in modules(package)
        if not STORE_MODULES.search(path.stem) and path.name != "database.py"
        for _ in sql_strings(path)
    ]
    assert found == []


def test_architecture__the_boards_sql_never_names_federations_tables() -> None:
    tables = federation_tables()
    assert {"followers", "following", "deliveries", "remote_actors"} <= tables
    found = [
        f"{path.relative_to(ROOT)}: {table}"
        for path in modules("noticeboard")
        for sql in sql_strings(path)
        for table in sorted(tables)
        if re.search(rf"\b(FROM|JOIN|INTO|UPDATE)\s+{table}\b", sql)
    ]
    assert found == []


@pytest.mark.parametrize(
    "path",
    [p for p in modules("noticeboard") if p.name in ENTRY_POINTS],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_architecture__routes_and_commands_use_only_use_cases_and_queries(path: Path) -> None:
    """A route or command may name a store's types (a row class), never call into a store."""
    found = [
        f"{module} {name}".strip()
        for module, name in imported_modules(path)
        if STORE_MODULES.search(module) and not name[:1].isupper() or STORE_MODULES.search(name)
    ]
    assert found == []


def test_architecture__no_board_mixins_or_state_patched_in_later() -> None:
    """The board's state is one frozen object; nothing sets wake callbacks on it afterwards."""
    found = [
        f"{path.relative_to(ROOT)}: {node.targets[0].attr}"
        for path in modules("noticeboard")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Attribute)
        and node.targets[0].attr.startswith("wake")
    ]
    assert found == []
    assert not (ROOT / "noticeboard" / "board.py").exists()


def test_architecture__every_package_of_the_code_is_in_the_wheel() -> None:
    """pyproject.toml names the packages the wheel holds; a slice left out installs as a board
    that fails on import (the container test would find it, much later)."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("noticeboard", "federation")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert sorted(found - listed) == []
