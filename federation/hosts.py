"""Canonical host names and special-purpose address checks (security rules 12 and 14)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TypeAlias
from urllib.parse import urlsplit

import idna

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ASCII_HOST = re.compile(r"^[a-z0-9_.-]+$")
_NUMERIC_PART = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")
_MAX_HOST_LENGTH = 253
_MAX_LABEL_LENGTH = 63


class HostError(ValueError):
    """A host or URL that cannot be given one unambiguous canonical form."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def canonical_host(url_or_host: str) -> str:
    """Return the one canonical `host[:port]` of a URL or bare host (rule 12, CVE-2023-42451)."""
    if "\\" in url_or_host:
        return _canonical_host(url_or_host)
    try:
        if "://" in url_or_host:
            # Only the scheme and the authority decide (a backslash anywhere takes the long
            # way), so the answer for the URL's beginning is remembered: every activity names
            # the same few servers many times.
            return _remembered(url_or_host[: _authority_end(url_or_host)])
        return _remembered(url_or_host)
    except HostError:
        return _canonical_host(url_or_host)  # refused again, naming the whole value


def _authority_end(url: str) -> int:
    start = url.index("://") + 3
    ends = [i for i in (url.find(c, start) for c in "/?#") if i >= 0]
    return min(ends, default=len(url))


@lru_cache(maxsize=4096)
def _remembered(url_or_host: str) -> str:
    return _canonical_host(url_or_host)


def _canonical_host(url_or_host: str) -> str:
    is_url = "://" in url_or_host
    _reject_unsafe_characters(_authority_region(url_or_host) if is_url else url_or_host)
    try:
        parts = urlsplit(url_or_host if is_url else "//" + url_or_host)
        port = parts.port
    except ValueError as exc:
        raise HostError(f"unparseable host in {url_or_host!r}: {exc}") from exc
    if not is_url and (parts.path or parts.query or parts.fragment):
        raise HostError(f"{url_or_host!r} is not a bare host (it has a path, query or fragment)")
    if "@" in parts.netloc:
        raise HostError(f"userinfo is not allowed in {url_or_host!r}")
    if port == 0:
        raise HostError(f"port 0 is not allowed in {url_or_host!r}")
    host = _canonical_hostname(parts.netloc, parts.hostname)
    scheme = parts.scheme.lower()
    if port is None or (is_url and _DEFAULT_PORTS.get(scheme) == port):
        return host
    return f"{host}:{port}"


def split_host_port(canonical: str) -> tuple[str, int | None]:
    """Split a canonical `host[:port]` (brackets kept on IPv6) into host and port (rule 12)."""
    if canonical.startswith("["):
        host, _, rest = canonical.partition("]")
        return host + "]", int(rest[1:]) if rest.startswith(":") else None
    host, sep, port = canonical.partition(":")
    return host, int(port) if sep else None


class DomainSet:
    """Domains, each with its subdomains (rule 5), answered in a few set lookups per host
    however long the list is (blocklists of thousands of domains exist). An entry with a port
    covers only that port. Entries that are not valid hosts match nothing. An address covers
    only itself: no valid host name ends in an IPv4 address, and an IPv6 one has no dots."""

    def __init__(self, domains: Iterable[str]) -> None:
        self._ports: dict[str, set[int | None]] = {}  # name -> ports (None: any port)
        for domain in domains:
            try:
                name, port = split_host_port(canonical_host(domain))
            except HostError:
                continue
            self._ports.setdefault(name, set()).add(port)

    def __bool__(self) -> bool:
        return bool(self._ports)

    def matches(self, host: str) -> bool:
        """Tell whether `host` is one of the domains or a subdomain of one; an invalid host
        matches nothing."""
        try:
            name, port = split_host_port(canonical_host(host))
        except HostError:
            return False
        dot = -1
        while True:
            if _port_fits(self._ports.get(name[dot + 1 :]), port):
                return True
            dot = name.find(".", dot + 1)
            if dot == -1:
                return False


def _port_fits(ports: set[int | None] | None, port: int | None) -> bool:
    return ports is not None and (None in ports or port in ports)


def parse_ip_literal(host: str) -> IPAddress | None:
    """Parse an IP literal, including legacy inet_aton spellings like `0177.1` (rule 14)."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise HostError(f"invalid IPv6 literal {host!r}: {exc}") from exc
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    stripped = host[:-1] if host.endswith(".") else host
    parts = stripped.split(".")
    if not _NUMERIC_PART.match(parts[-1]):
        return None
    return _parse_legacy_ipv4(host, parts)


def is_forbidden_address(ip: IPAddress) -> str | None:
    """Return why an address is special-purpose and must not be fetched from, or None (rule 14)."""
    if isinstance(ip, ipaddress.IPv6Address):
        return _forbidden_ipv6(ip)
    return _forbidden_ipv4(ip)


def _authority_region(url: str) -> str:
    """Return what a lenient parser might read as the authority: up to the first '/', '?' or '#'.

    A backslash ends the authority for WHATWG parsers but not for urllib, so it stays in the
    region and is refused; percent signs in paths and queries are ordinary.
    """
    rest = url.split("://", 1)[1]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    region = rest[:cut]
    before_query = url.split("?", 1)[0]
    return region + ("\\" if "\\" in before_query else "")


def _reject_unsafe_characters(value: str) -> None:
    if not value:
        raise HostError("empty host")
    if "\\" in value:
        raise HostError(f"backslash in {value!r}")
    if "%" in value:
        raise HostError(f"percent-encoding is not allowed in hosts: {value!r}")
    for char in value:
        if char.isspace() or ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            raise HostError(f"whitespace or control character in {value!r}")


def _canonical_hostname(netloc: str, hostname: str | None) -> str:
    if not hostname:
        raise HostError(f"empty host in {netloc!r}")
    if netloc.startswith("["):
        literal = parse_ip_literal(f"[{hostname}]")
        assert literal is not None
        return f"[{literal.compressed}]"
    if hostname.endswith("."):
        hostname = hostname[:-1]
    if not hostname.isascii():
        try:
            hostname = idna.encode(hostname, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise HostError(f"invalid internationalised host {hostname!r}: {exc}") from exc
    hostname = hostname.lower()
    if "xn--" in hostname:
        try:
            idna.decode(hostname)
        except idna.IDNAError as exc:
            raise HostError(f"invalid punycode in host {hostname!r}: {exc}") from exc
    if not _ASCII_HOST.match(hostname):
        raise HostError(f"invalid characters in host {hostname!r}")
    labels = hostname.split(".")
    if len(hostname) > _MAX_HOST_LENGTH or any(
        not label or len(label) > _MAX_LABEL_LENGTH for label in labels
    ):
        raise HostError(f"empty or overlong label in host {hostname!r}")
    literal = parse_ip_literal(hostname)
    if literal is not None and literal.compressed != hostname:
        raise HostError(f"ambiguous IPv4 spelling {hostname!r} (means {literal})")
    return hostname


def _parse_legacy_ipv4(host: str, parts: list[str]) -> ipaddress.IPv4Address:
    if len(parts) > 4 or not all(_NUMERIC_PART.match(part) for part in parts):
        raise HostError(f"invalid IPv4 literal {host!r}")
    numbers = [_parse_ipv4_number(host, part) for part in parts]
    *leading, last = numbers
    if any(number > 0xFF for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise HostError(f"IPv4 literal {host!r} is out of range")
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _parse_ipv4_number(host: str, part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        try:
            return int(part, 8)
        except ValueError as exc:
            raise HostError(f"invalid octal part {part!r} in IPv4 literal {host!r}") from exc
    return int(part)


def _networks(*entries: tuple[str, str]) -> tuple[tuple[ipaddress.IPv4Network, str], ...]:
    return tuple((ipaddress.IPv4Network(net), reason) for net, reason in entries)


def _networks6(*entries: tuple[str, str]) -> tuple[tuple[ipaddress.IPv6Network, str], ...]:
    return tuple((ipaddress.IPv6Network(net), reason) for net, reason in entries)


_IPV4_RANGES = _networks(
    ("0.0.0.0/8", "'this network' 0.0.0.0/8"),
    ("10.0.0.0/8", "private 10.0.0.0/8"),
    ("100.64.0.0/10", "carrier-grade NAT 100.64.0.0/10"),
    ("127.0.0.0/8", "loopback 127.0.0.0/8"),
    ("169.254.0.0/16", "link-local 169.254.0.0/16"),
    ("172.16.0.0/12", "private 172.16.0.0/12"),
    ("192.0.0.0/24", "IETF protocol assignments 192.0.0.0/24"),
    ("192.0.2.0/24", "documentation 192.0.2.0/24"),
    ("192.88.99.0/24", "6to4 relay anycast 192.88.99.0/24"),
    ("192.168.0.0/16", "private 192.168.0.0/16"),
    ("198.18.0.0/15", "benchmarking 198.18.0.0/15"),
    ("198.51.100.0/24", "documentation 198.51.100.0/24"),
    ("203.0.113.0/24", "documentation 203.0.113.0/24"),
    ("224.0.0.0/4", "multicast 224.0.0.0/4"),
    ("255.255.255.255/32", "broadcast 255.255.255.255"),
    ("240.0.0.0/4", "reserved 240.0.0.0/4"),
)

_IPV6_RANGES = _networks6(
    ("::/128", "unspecified ::"),
    ("::1/128", "loopback ::1"),
    ("::ffff:0:0/96", "IPv4-mapped ::ffff:0:0/96"),
    ("::/96", "IPv4-compatible ::/96"),
    ("64:ff9b::/96", "NAT64 64:ff9b::/96"),
    ("64:ff9b:1::/48", "local NAT64 64:ff9b:1::/48"),
    ("100::/64", "discard-only 100::/64"),
    ("2001::/32", "Teredo 2001::/32"),
    ("2001:2::/48", "benchmarking 2001:2::/48"),
    ("2001::/23", "IETF protocol assignments 2001::/23"),
    ("2001:db8::/32", "documentation 2001:db8::/32"),
    ("3fff::/20", "documentation 3fff::/20"),
    ("2002::/16", "6to4 2002::/16"),
    ("5f00::/16", "SRv6 SIDs 5f00::/16"),
    ("fc00::/7", "unique-local fc00::/7"),
    ("fe80::/10", "link-local fe80::/10"),
    ("fec0::/10", "site-local fec0::/10"),
    ("ff00::/8", "multicast ff00::/8"),
)


def _forbidden_ipv4(ip: ipaddress.IPv4Address) -> str | None:
    for network, reason in _IPV4_RANGES:
        if ip in network:
            return reason
    return _forbidden_by_properties(ip)


def _forbidden_ipv6(ip: ipaddress.IPv6Address) -> str | None:
    embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
    if ip in ipaddress.IPv6Network("64:ff9b::/96"):
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    for network, reason in _IPV6_RANGES:
        if ip in network:
            if embedded is not None:
                inner = _forbidden_ipv4(embedded)
                suffix = f"; embeds {embedded}" + (f", which is {inner}" if inner else "")
                return reason + suffix
            return reason
    return _forbidden_by_properties(ip)


def _forbidden_by_properties(ip: IPAddress) -> str | None:
    checks = (
        (ip.is_loopback, "loopback"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not globally routable"),
    )
    for flagged, reason in checks:
        if flagged:
            return reason
    return None
