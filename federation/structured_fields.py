"""RFC 8941 structured fields, the subset RFC 9421 signatures use (dictionaries, inner lists,
parameters); parsed by hand because the signature base needs the members exactly as received."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass


class SFError(ValueError):
    pass


@dataclass(frozen=True)
class Token:
    value: str


BareItem = int | float | str | bytes | bool | Token
Params = tuple[tuple[str, BareItem], ...]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params


@dataclass(frozen=True)
class Member:
    value: Item | InnerList
    raw: str  # the member value exactly as received (for "@signature-params")


_KEY_RE = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN_RE = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER_RE = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,3})?")
_BYTES_RE = re.compile(r":([A-Za-z0-9+/=]*):")


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text.strip(" ")
        self.pos = 0

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip(self, chars: str) -> None:
        while self._peek() and self._peek() in chars:
            self.pos += 1

    def dictionary(self) -> dict[str, Member]:
        result: dict[str, Member] = {}
        while self.pos < len(self.text):
            key = self._key()
            start = self.pos
            if self._peek() == "=":
                self.pos += 1
                start = self.pos
                value: Item | InnerList = self._item_or_inner_list()
            else:
                value = Item(True, self._params())
            result[key] = Member(value, self.text[start : self.pos])
            self._skip(" \t")
            if self.pos >= len(self.text):
                return result
            if self._peek() != ",":
                raise SFError(f"expected ',' at position {self.pos}")
            self.pos += 1
            self._skip(" \t")
            if self.pos >= len(self.text):
                raise SFError("trailing comma")
        return result

    def _item_or_inner_list(self) -> Item | InnerList:
        if self._peek() != "(":
            return Item(self._bare_item(), self._params())
        self.pos += 1
        items: list[Item] = []
        while True:
            self._skip(" ")
            if self._peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self._params())
            items.append(Item(self._bare_item(), self._params()))
            if self._peek() not in (" ", ")"):
                raise SFError(f"bad inner list at position {self.pos}")

    def _params(self) -> Params:
        params: dict[str, BareItem] = {}
        while self._peek() == ";":
            self.pos += 1
            self._skip(" ")
            key = self._key()
            value: BareItem = True
            if self._peek() == "=":
                self.pos += 1
                value = self._bare_item()
            params[key] = value
        return tuple(params.items())

    def _key(self) -> str:
        match = _KEY_RE.match(self.text, self.pos)
        if not match:
            raise SFError(f"expected a key at position {self.pos}")
        self.pos = match.end()
        return match.group()

    def _bare_item(self) -> BareItem:
        char = self._peek()
        if not char:
            raise SFError("unexpected end of field")
        if char == '"':
            return self._string()
        if char == ":":
            match = _BYTES_RE.match(self.text, self.pos)
            if not match:
                raise SFError(f"bad byte sequence at position {self.pos}")
            self.pos = match.end()
            decoded = _b64decode(match.group(1))
            if decoded is None:
                raise SFError("bad base64 in byte sequence")
            return decoded
        if char == "?":
            value = self.text[self.pos + 1 : self.pos + 2]
            if value not in ("0", "1"):
                raise SFError(f"bad boolean at position {self.pos}")
            self.pos += 2
            return value == "1"
        if char == "-" or char.isdigit():
            match = _NUMBER_RE.match(self.text, self.pos)
            if not match:
                raise SFError(f"bad number at position {self.pos}")
            self.pos = match.end()
            return float(match.group()) if match.group(1) else int(match.group())
        match = _TOKEN_RE.match(self.text, self.pos)
        if not match:
            raise SFError(f"unexpected {char!r} at position {self.pos}")
        self.pos = match.end()
        return Token(match.group())

    def _string(self) -> str:
        out: list[str] = []
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                escaped = self._peek()
                if escaped not in ('"', "\\"):
                    raise SFError("bad escape in string")
                out.append(escaped)
                self.pos += 1
            elif char == '"':
                return "".join(out)
            elif not " " <= char <= "~":
                raise SFError("control or non-ASCII character in string")
            else:
                out.append(char)
        raise SFError("unterminated string")


def serialize_string(value: str) -> str:
    if not all(" " <= char <= "~" for char in value):
        raise ValueError(f"not representable as a structured-field string: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: Params) -> str:
    out = []
    for key, value in params:
        if value is True:
            out.append(f";{key}")
        elif isinstance(value, str):
            out.append(f";{key}={serialize_string(value)}")
        elif isinstance(value, Token):
            out.append(f";{key}={value.value}")
        elif isinstance(value, bytes):
            out.append(f";{key}=:{base64.b64encode(value).decode('ascii')}:")
        elif value is False:
            out.append(f";{key}=?0")
        else:
            out.append(f";{key}={value}")
    return "".join(out)


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII input
        return None
