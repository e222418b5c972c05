"""What a use case answers: `Ok(value)` or `Refused(reason)`, never a bare bool.

The reason is a catalogue message id (English, marked with `N_`): the web pages show it
translated, the command line prints it as it is. `field` names the form field a refusal is
about, where there is one. Test `result.ok` (both are always truthy as objects).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Ok(Generic[T_co]):
    value: T_co
    ok = True


@dataclass(frozen=True)
class Refused:
    reason: str
    field: str | None = None
    ok = False


Result = Ok[T] | Refused


def done() -> Ok[None]:
    """Success without a value."""
    return Ok(None)


def said(result: Result[object], done: str) -> str:
    """What to tell the person who asked: `done` on success, else the reason of the refusal."""
    return done if isinstance(result, Ok) else result.reason
