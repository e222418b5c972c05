"""`aushang doctor`: what breaks boards in practice, checked one by one and told in plain words
with what to do. Each check answers a Finding; none of them changes anything."""

from __future__ import annotations

import asyncio
import email.utils
import os
import shutil
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from federation import queue_store
from noticeboard.backups import service
from noticeboard.config import Config
from noticeboard.state import BoardState

OK, WARNING, PROBLEM = "ok", "warning", "problem"
# Mastodon refuses a signature whose Date is more than an hour ahead of its clock, or older
# than five minutes plus an hour (app/lib/signed_request.rb, CLOCK_SKEW_MARGIN = 1.hour).
SKEW_PROBLEM = timedelta(minutes=30)
SKEW_WARNING = timedelta(minutes=1)
CERT_WARNING = timedelta(days=14)
DISK_PROBLEM = 200 * 1024 * 1024
DISK_WARNING = 1024 * 1024 * 1024
BACKUP_WARNING = timedelta(hours=36)
TIMEOUT = 10.0


@dataclass(frozen=True)
class Finding:
    check: str
    level: str
    message: str
    advice: str = ""


Check = Callable[[BoardState, httpx.AsyncClient], Awaitable[Finding]]


async def examine(state: BoardState) -> list[Finding]:
    """Run every check against the board (the network ones with short timeouts)."""
    verify: str | bool = state.config.federation.ca_bundle or True
    async with httpx.AsyncClient(timeout=TIMEOUT, verify=verify, trust_env=False) as client:
        return [await check(state, client) for check in CHECKS]


async def configuration(state: BoardState, client: httpx.AsyncClient) -> Finding:
    config = state.config
    if config.scheme != "https" and urlsplit(config.base_url).hostname not in (
        "127.0.0.1",
        "localhost",
        "::1",
    ):
        return Finding(
            "configuration",
            PROBLEM,
            f"base_url {config.base_url} is not https; Mastodon and most servers only talk https.",
            "Put the board behind a TLS proxy (or serve with --ssl-certfile) and set base_url "
            "to its https address.",
        )
    if not os.access(config.data_dir, os.W_OK):
        return Finding(
            "configuration",
            PROBLEM,
            f"the data folder {config.data_dir} is not writable by this user.",
            "Give the user that runs the board ownership of the folder (chown).",
        )
    return Finding(
        "configuration", OK, f"{config.handle} at {config.base_url}, data in {config.data_dir}."
    )


async def legal(state: BoardState, client: httpx.AsyncClient) -> Finding:
    missing = state.config.legal.missing()
    if missing:
        keys = ", ".join(f"legal.{key}" for key in missing)
        return Finding(
            "legal",
            WARNING,
            f"the Impressum and the privacy note lack: {keys}.",
            "German law asks every public website of an organisation for an Impressum: "
            "fill in the [legal] section of the configuration (see README) and restart.",
        )
    return Finding("legal", OK, "the Impressum has every required entry.")


async def webfinger(state: BoardState, client: httpx.AsyncClient) -> Finding:
    config = state.config
    url = f"{config.base_url}/.well-known/webfinger?resource=acct:{config.username}@{config.host}"
    advice = (
        "Check that the board runs, that DNS and the reverse proxy point at it, and that "
        "/.well-known/ is passed through to the board."
    )
    try:
        response = await client.get(url, headers={"Accept": "application/jrd+json"})
    except httpx.HTTPError as exc:
        return Finding("webfinger", PROBLEM, f"{url} did not answer: {_why(exc)}.", advice)
    links = _links(response)
    if response.status_code != 200 or state.urls.actor not in links:
        return Finding(
            "webfinger",
            PROBLEM,
            f"{url} answered {response.status_code} without the board's actor; others cannot "
            f"find {config.handle}.",
            advice,
        )
    return Finding("webfinger", OK, f"{config.handle} is found at its public address.")


def _links(response: httpx.Response) -> list[str]:
    try:
        document = response.json()
        return [str(link.get("href")) for link in document.get("links", [])]
    except (ValueError, AttributeError, TypeError):
        return []


async def certificate(state: BoardState, client: httpx.AsyncClient) -> Finding:
    config = state.config
    if config.scheme != "https":
        return Finding("certificate", OK, "no TLS certificate to check (base_url is http).")
    parts = urlsplit(config.base_url)
    host, port = parts.hostname or "", parts.port or 443
    try:
        expires = await asyncio.to_thread(_certificate_expiry, host, port, config)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return Finding(
            "certificate",
            PROBLEM,
            f"the certificate of {host}:{port} could not be checked: {exc}.",
            "Renew or fix the certificate (e.g. certbot renew) so that it matches the host name.",
        )
    left = expires - state.clock()
    if left < CERT_WARNING:
        return Finding(
            "certificate",
            PROBLEM if left.total_seconds() <= 0 else WARNING,
            f"the certificate of {host} expires on {expires:%Y-%m-%d} ({left.days} days left).",
            "Renew it now (certbot renew, or your provider's panel); other servers refuse "
            "expired certificates.",
        )
    return Finding("certificate", OK, f"the certificate is valid until {expires:%Y-%m-%d}.")


def _certificate_expiry(host: str, port: int, config: Config) -> datetime:
    context = ssl.create_default_context(cafile=config.federation.ca_bundle)
    with (
        socket.create_connection((host, port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        cert = tls.getpeercert()
    not_after = str((cert or {}).get("notAfter", ""))
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)


async def clock(state: BoardState, client: httpx.AsyncClient) -> Finding:
    server = state.config.doctor.clock_server
    try:
        response = await client.head(server)
        date = email.utils.parsedate_to_datetime(response.headers["date"])
    except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
        return Finding(
            "clock",
            WARNING,
            f"the clock was not compared: {server} did not answer with a Date ({_why(exc)}); "
            "offline?",
            "Run doctor again when online, or set [doctor] clock_server to a reachable server.",
        )
    skew = state.clock() - date
    text = f"this machine's clock is {abs(skew.total_seconds()):.0f} s "
    text += f"{'ahead of' if skew.total_seconds() > 0 else 'behind'} {server}"
    advice = "Turn on time synchronisation (timedatectl set-ntp true, or chrony/ntpd)."
    if abs(skew) > SKEW_PROBLEM:
        return Finding(
            "clock", PROBLEM, text + "; Mastodon refuses signatures more than an hour off.", advice
        )
    if abs(skew) > SKEW_WARNING:
        return Finding("clock", WARNING, text + ".", advice)
    return Finding("clock", OK, text + ".")


async def disk(state: BoardState, client: httpx.AsyncClient) -> Finding:
    usage = shutil.disk_usage(state.config.data_dir)
    text = f"{usage.free / 2**30:.1f} GiB free where the data folder lives."
    advice = "Free space: delete old files or move backups elsewhere; a full disk stops the board."
    if usage.free < DISK_PROBLEM:
        return Finding("disk", PROBLEM, text, advice)
    if usage.free < DISK_WARNING:
        return Finding("disk", WARNING, text, advice)
    return Finding("disk", OK, text)


async def last_backup(state: BoardState, client: httpx.AsyncClient) -> Finding:
    status = await service.status(state.db)
    if status.failing:
        return Finding(
            "backup",
            PROBLEM,
            f"the last backup failed: {status.failure_reason}",
            "Fix the cause (often disk space or permissions), then run aushang backup.",
        )
    if status.last_success is None:
        return Finding(
            "backup",
            WARNING,
            "no backup has been made yet.",
            "Run aushang backup --out FILE, or keep the server running over night.",
        )
    age = state.clock() - status.last_success
    text = f"the last backup is {_age(age)} old ({status.last_success_file})."
    if age > BACKUP_WARNING:
        return Finding(
            "backup",
            WARNING,
            text,
            "Nightly backups run from the server; check that it runs and see its log.",
        )
    return Finding("backup", OK, text)


async def deliveries(state: BoardState, client: httpx.AsyncClient) -> Finding:
    failing = await queue_store.failing_hosts(state.db)
    if not failing:
        return Finding("deliveries", OK, "no server is failing to take the board's posts.")
    worst = ", ".join(f"{r['host']} ({r['failing']})" for r in failing[:5])
    return Finding(
        "deliveries",
        WARNING,
        f"deliveries are failing to {len(failing)} server(s): {worst}.",
        "Usually the other server is down and retries catch up; see aushang deliveries. "
        "If every server fails, check the clock and the board's outgoing network.",
    )


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


CHECKS: tuple[Check, ...] = (
    configuration,
    legal,
    webfinger,
    certificate,
    clock,
    disk,
    last_backup,
    deliveries,
)
