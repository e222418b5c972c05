"""URL path convertors: ids that fit SQLite's integers, so a huge number is a 404, not a 500."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class RowIdConvertor(Convertor[int]):
    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("rowid", RowIdConvertor())
