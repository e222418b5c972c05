"""Strict JSON object parsing for untrusted ActivityPub bodies (security rule 16)."""

from __future__ import annotations

import json
import re
from typing import Any

DEFAULT_MAX_DEPTH = 64

# A JSON string literal, written as an unrolled loop so long strings do not backtrack.
_STRING_LITERAL = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
# Valid UTF-8 holds no surrogates: a parsed string can only get one from a \uD800-\uDFFF escape.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonError(ValueError):
    """A body that is not an acceptable JSON object; `reason` is safe to show (400-class)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_json_object(body: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> dict[str, Any]:
    """Parse a UTF-8 JSON object, rejecting deep nesting and lone surrogates (rule 16)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonError(f"body is not valid UTF-8 (byte {exc.start})") from exc
    if text.startswith("\ufeff"):
        raise JsonError("body starts with a byte order mark")
    depth = nesting_depth(text, stop_above=max_depth)
    if depth > max_depth:
        raise JsonError(f"JSON nesting depth {depth} exceeds the limit of {max_depth}")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise JsonError(f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise JsonError(f"JSON body must be an object, not {_json_type(data)}")
    if _SURROGATE_ESCAPE.search(text):  # else no string can hold one: no need to walk them
        _reject_lone_surrogates(data)
    return data


def nesting_depth(text: str, stop_above: int | None = None) -> int:
    """Measure bracket nesting outside strings without recursion, stopping early (rule 16)."""
    skeleton = _STRING_LITERAL.sub("", text)
    depth = deepest = 0
    for match in _BRACKETS.finditer(skeleton):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if stop_above is not None and deepest > stop_above:
                return deepest
        else:
            depth -= 1
    return deepest


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _reject_lone_surrogates(data: dict[str, Any]) -> None:
    pending: list[Any] = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise JsonError("JSON string contains a lone surrogate escape") from exc


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
