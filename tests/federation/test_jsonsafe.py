from __future__ import annotations

import json

import pytest

from federation.jsonsafe import JsonError, nesting_depth, parse_json_object


def test_parse_json_object__returns_the_object() -> None:
    body = json.dumps({"id": "https://a.example/1", "name": "Grüße 🎉", "to": [1, {"b": None}]})
    assert parse_json_object(body.encode("utf-8"))["name"] == "Grüße 🎉"


def test_parse_json_object__accepts_a_valid_surrogate_pair() -> None:
    assert parse_json_object(b'{"e": "\\ud83c\\udf89"}') == {"e": "🎉"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"name": "\xff"}', "not valid UTF-8"),
        (b'{"name": "\xed\xa0\x80"}', "not valid UTF-8"),
        (b'{"name": "\\ud800"}', "lone surrogate"),
        (b'{"name": "\\udc00x"}', "lone surrogate"),
        (b'{"\\ud83c": 1}', "lone surrogate"),
        (b'{"a": ["\\ud83c\\u0041"]}', "lone surrogate"),
        (b'{"a": {"b": ["x", "\\uDBFF"]}}', "lone surrogate"),
        (b'{"a": "\\\\\\ud800"}', "lone surrogate"),
        (b"[1, 2]", "must be an object, not an array"),
        (b'"string"', "must be an object, not a string"),
        (b"3", "must be an object, not a number"),
        (b"null", "must be an object, not null"),
        (b"true", "must be an object, not a boolean"),
        (b"", "invalid JSON"),
        (b'{"a": 1', "invalid JSON"),
        (b'{"a": 1} trailing', "invalid JSON"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": ' + b"9" * 5000 + b"}", "invalid JSON"),
        (b'\xef\xbb\xbf{"a": 1}', "byte order mark"),
    ],
)
def test_parse_json_object__rejects(body: bytes, reason: str) -> None:
    with pytest.raises(JsonError) as caught:
        parse_json_object(body)
    assert reason in caught.value.reason


def test_parse_json_object__accepts_depth_at_the_limit() -> None:
    body = b'{"a": ' * 63 + b"[]" + b"}" * 63
    assert nesting_depth(body.decode()) == 64
    assert "a" in parse_json_object(body)


def test_parse_json_object__rejects_depth_past_the_limit() -> None:
    body = b'{"a": ' * 64 + b"1" + b"}" * 64
    with pytest.raises(JsonError) as caught:
        parse_json_object(body, max_depth=63)
    assert "nesting depth 64 exceeds the limit of 63" in caught.value.reason


def test_parse_json_object__rejects_a_million_brackets_without_recursion_error() -> None:
    body = b'{"a": ' + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}"
    with pytest.raises(JsonError) as caught:
        parse_json_object(body)
    assert "nesting depth 65 exceeds the limit of 64" in caught.value.reason


def test_nesting_depth__ignores_brackets_inside_strings() -> None:
    text = json.dumps({"a": '[[[[{{{{\\"]]]]', "b": ["\\"]})
    assert nesting_depth(text) == 2


def test_parse_json_object__an_escaped_backslash_before_u_is_no_surrogate() -> None:
    assert parse_json_object(b'{"a": "\\\\ud800"}') == {"a": "\\ud800"}
