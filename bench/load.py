"""Load generators: `wrk` when it is installed (`apt-get install wrk`), else a Python one.

The Python generator speaks HTTP/1.1 with keep-alive over raw sockets; it also sends
prepared requests (signed inbox POSTs, each used once) and can spread its connections over
many loopback source addresses, as deliveries from many servers would arrive.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def __post_init__(self) -> None:
        if self.requests == 0:  # no answer: no latency to report
            self.p50_ms = self.p99_ms = float("nan")


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(
    url: str, connections: int, seconds: float, headers: dict[str, str] | None = None
) -> LoadResult:
    """Run wrk against one URL; requests/s and latency percentiles from its report.

    wrk gets the cores the server under test leaves (one of two here): a second wrk thread
    on a 2-core machine takes turns with the server's own thread, and the server's answers
    wait for the scheduler (p99 ~130-220 ms instead of ~15-75 ms for the same 5,000 pages/s
    in 1-s runs), however fast it is."""
    threads = max(1, min(connections, (os.cpu_count() or 2) - 1))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    command += ["--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s|m)\b", out)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    unit = {"s": 1.0, "ms": 0.001, "m": 60.0}[total.group(3)]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return LoadResult(
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * unit,
        p50_ms=_wrk_latency(out, "50%"),
        p99_ms=_wrk_latency(out, "99%"),
        errors=errors,
    )


def _wrk_latency(out: str, percentile: str) -> float:
    found = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\b", out, re.M)
    if found is None:
        return float("nan")
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def get_request(host: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


def post_request(host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host",)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if length is not None:
        await reader.readexactly(int(length.group(1)))
    elif re.search(rb"(?i)\r\ntransfer-encoding:\s*chunked", head):
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


def source_addresses() -> Iterator[str]:
    """Loopback addresses 127.1.x.y, each a different 'server' to per-address limits."""
    for x, y in itertools.product(range(1, 255), range(1, 255)):
        yield f"127.1.{x}.{y}"


# One sequence for the whole run: a later load run must not come from addresses an earlier one
# used within the limit's minute.
ADDRESSES = itertools.cycle(list(source_addresses()))


async def pyload(
    host: str,
    port: int,
    requests: Iterator[bytes],
    connections: int,
    seconds: float | None = None,
    stop: asyncio.Event | None = None,
    per_address: int = 0,
    rate: float | None = None,
) -> LoadResult:
    """Send requests on `connections` keep-alive connections until `seconds` pass, `stop` is
    set or `requests` runs out. With `per_address`, each connection comes from a fresh
    loopback address after that many requests.

    Without `rate`, each connection sends its next request as soon as it has the answer (a
    closed loop: a faster server is asked more). With `rate`, requests per second over all
    connections, each request is due at a fixed time, and its latency counts from then: a
    server that stalls is charged for the requests that waited, not only the one it held."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    deadline = time.perf_counter() + seconds if seconds else float("inf")
    addresses = ADDRESSES
    interval = connections / rate if rate else 0.0
    first = time.perf_counter()

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        local = (next(addresses), 0) if per_address else None
        return await asyncio.open_connection(host, port, local_addr=local)

    async def worker(number: int) -> None:
        nonlocal errors
        reader, writer = await connect()
        sent = 0
        due = first + number * interval / connections  # the connections take turns
        try:
            while time.perf_counter() < deadline and not (stop and stop.is_set()):
                request = next(requests, None)
                if request is None:
                    return
                if per_address and sent >= per_address:
                    writer.close()
                    reader, writer = await connect()
                    sent = 0
                if rate:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    started, due = due, due + interval
                else:
                    started = time.perf_counter()
                try:
                    writer.write(request)
                    status = await _read_response(reader)
                except (ConnectionError, asyncio.IncompleteReadError):
                    errors += 1
                    writer.close()
                    reader, writer = await connect()
                    sent = 0
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
                sent += 1
                if status >= 400:
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(number) for number in range(connections)))
    elapsed = time.perf_counter() - started
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        errors=errors,
        statuses=statuses,
    )


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def get_load(
    host: str,
    port: int,
    path: str,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    use_wrk: bool = True,
) -> LoadResult:
    """GET one path under load for `seconds`: wrk if installed, else the Python generator."""
    if use_wrk and have_wrk():
        return wrk(f"http://{host}:{port}{path}", connections, seconds, headers)
    request = get_request(f"{host}:{port}", path, headers)
    return asyncio.run(pyload(host, port, itertools.repeat(request), connections, seconds))
