"""Delivery problems in plain words: what the answer of another server means for volunteers,
and what they can do. `explain(host, status, error)` reads what federation's delivery worker
recorded (the last HTTP status and its reason) and names one kind of problem."""

from __future__ import annotations

import re
from dataclasses import dataclass

from noticeboard.i18n import N_


@dataclass(frozen=True)
class Problem:
    """One kind of delivery problem: what happened and what to do (message ids, %(host)s)."""

    kind: str
    what: str
    todo: str


PROBLEMS = {
    "refused": Problem(
        "refused",
        N_(
            "The server %(host)s refused our notice. Usually this means: it has blocked our "
            "board, or it could not check our signature, often because the clock of our server "
            "is wrong."
        ),
        N_(
            "What you can do: let your technician run “aushang doctor”, which checks the "
            "clock. If the clock is right, ask the people who run %(host)s whether they "
            "blocked us."
        ),
    ),
    "gone": Problem(
        "gone",
        N_(
            "The account or the server %(host)s no longer exists: the server answered that "
            "there is nothing at this address any more."
        ),
        N_(
            "What you can do: nothing. If the answer stays the same, the board stops sending "
            "there and removes the followers of that address by itself."
        ),
    ),
    "too_many": Problem(
        "too_many",
        N_("The server %(host)s asked us to send less often: it gets too many messages."),
        N_("What you can do: nothing. The board waits as asked and tries again by itself."),
    ),
    "server_fault": Problem(
        "server_fault",
        N_("The server %(host)s had a fault of its own and could not take our notice."),
        N_(
            "What you can do: wait. The board tries again by itself for about two days. If it "
            "keeps failing, choose “Try again” later."
        ),
    ),
    "timeout": Problem(
        "timeout",
        N_("The server %(host)s did not answer in time. It may be switched off or overloaded."),
        N_(
            "What you can do: wait. The board tries again by itself. If every server shows "
            "this, ask your technician to check the internet connection of our server."
        ),
    ),
    "not_found": Problem(
        "not_found",
        N_(
            "The name %(host)s could not be found on the internet. The server may have closed "
            "or changed its address."
        ),
        N_(
            "What you can do: if it stays like this, the server has probably closed; you can "
            "ignore it. If every server shows this, our server's internet connection is at fault."
        ),
    ),
    "certificate": Problem(
        "certificate",
        N_(
            "The secure connection to %(host)s failed: its certificate (the proof that it is "
            "really this server) is out of date or not valid."
        ),
        N_(
            "What you can do: this is for the people who run %(host)s to fix. The board tries "
            "again by itself."
        ),
    ),
    "unreachable": Problem(
        "unreachable",
        N_("Our server could not connect to %(host)s."),
        N_(
            "What you can do: wait; the board tries again by itself. If every server shows "
            "this, ask your technician to check our server's internet connection."
        ),
    ),
    "blocked": Problem(
        "blocked",
        N_(
            "We did not send anything to %(host)s: our team blocked this server, or only "
            "allowed servers get our notices."
        ),
        N_("What you can do: if that is a mistake, change the blocks in the settings."),
    ),
    "long_unreachable": Problem(
        "long_unreachable",
        N_("%(host)s has not been reachable on several days, so the board stopped trying."),
        N_(
            "What you can do: choose “Try again” when you think the server is back. The board "
            "also starts again by itself once the server answers."
        ),
    ),
    "forbidden_address": Problem(
        "forbidden_address",
        N_(
            "We did not send anything to %(host)s: its address points into a private network, "
            "which the board never contacts for safety."
        ),
        N_("What you can do: nothing; this is usually a wrong or malicious address."),
    ),
    "rejected": Problem(
        "rejected",
        N_("The server %(host)s did not accept our notice as it was sent."),
        N_(
            "What you can do: this is rare. Ask your technician to look at the code in the "
            "details; trying again rarely helps."
        ),
    ),
    "unknown": Problem(
        "unknown",
        N_("Our notice could not be delivered to %(host)s."),
        N_(
            "What you can do: choose “Try again”. If it fails again, show the details to your "
            "technician."
        ),
    ),
}

_DNS = re.compile(
    r"could not resolve|name or service not known|nodename nor servname|"
    r"name resolution|getaddrinfo|resolved to no address|no address associated",
    re.I,
)
_TLS = re.compile(r"certificate|\bssl\b|\btls\b|handshake", re.I)
_TIMEOUT = re.compile(r"timeout|timed out", re.I)


def kind_of(status: int | None, error: str | None) -> str:
    """Name the kind of a failed delivery from its last HTTP status and reason."""
    error = error or ""
    if status in (401, 403):
        return "refused"
    if status in (404, 410):
        return "gone"
    if status == 429:
        return "too_many"
    if status is not None and status >= 500:
        return "server_fault"
    if status is not None and 300 <= status < 500:
        return "rejected"
    if "blocked or not allowed" in error:
        return "blocked"
    if "unreachable on several days" in error:
        return "long_unreachable"
    if error.startswith("refusing ") or "unix sockets" in error:
        return "forbidden_address"
    if _TIMEOUT.search(error):
        return "timeout"
    if _DNS.search(error):
        return "not_found"
    if _TLS.search(error):
        return "certificate"
    if error.startswith("connection to") or "network error" in error:
        return "unreachable"
    return "unknown"


def explain(status: int | None, error: str | None) -> Problem:
    """The plain explanation of a failed delivery."""
    return PROBLEMS[kind_of(status, error)]


# What a message from another server is, in words, for messages the board could not process.
MESSAGE_KINDS = {
    "Create": N_("A post or a reply"),
    "Update": N_("A change to a post or a profile"),
    "Delete": N_("A deletion"),
    "Follow": N_("A request to follow the board"),
    "Accept": N_("A confirmation that we may follow"),
    "Reject": N_("A refusal to let us follow"),
    "Undo": N_("A withdrawal (of a like, a share or a follow)"),
    "Like": N_("A like"),
    "Announce": N_("A share"),
    "Flag": N_("A report"),
    "Move": N_("A notice that an account moved"),
}


def message_kind(activity_type: str) -> str:
    """The message id naming a received message's kind ("A post or a reply")."""
    return MESSAGE_KINDS.get(activity_type, N_("A message"))
