from __future__ import annotations

import ipaddress

import pytest

from federation import hosts
from federation.hosts import (
    DomainSet,
    HostError,
    canonical_host,
    is_forbidden_address,
    parse_ip_literal,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://Mastodon.Social/users/alice", "mastodon.social"),
        ("https://mastodon.social./users/alice", "mastodon.social"),
        ("https://mastodon.social:443/", "mastodon.social"),
        ("http://mastodon.social:80/", "mastodon.social"),
        ("https://mastodon.social:80/", "mastodon.social:80"),
        ("http://board.example:8443/notes/1", "board.example:8443"),
        ("https://münchen.de/", "xn--mnchen-3ya.de"),
        ("https://MÜNCHEN.de/", "xn--mnchen-3ya.de"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("Example.ORG", "example.org"),
        ("example.org:443", "example.org:443"),
        ("127.0.0.1:8443", "127.0.0.1:8443"),
        ("https://[::1]:8443/", "[::1]:8443"),
        ("https://[2001:DB8:0::1]/", "[2001:db8::1]"),
        ("[::ffff:127.0.0.1]:80", "[::ffff:7f00:1]:80"),
        ("https://mastodon.so/cial", "mastodon.so"),
    ],
)
def test_canonical_host__normalises(value: str, expected: str) -> None:
    assert canonical_host(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("https://alice@mastodon.social/", "userinfo"),
        ("https://mastodon.social@evil.example/", "userinfo"),
        ("https://mastodon.so\\cial/", "backslash"),
        ("mastodon.so\\cial", "backslash"),
        ("https://", "empty host"),
        ("", "empty host"),
        ("https://mastodon.social../", "empty or overlong label"),
        ("https://a..b/", "empty or overlong label"),
        ("https://%6dastodon.social/", "percent-encoding"),
        ("https://[fe80::1%25eth0]/", "percent-encoding"),
        ("https://mastodon .social/", "whitespace or control"),
        ("https://mastodon\t.social/", "whitespace or control"),
        ("https://mastodon.social\x00/", "whitespace or control"),
        ("https://ex*ample.org/", "invalid characters"),
        ("https://0177.0.0.1/", "means 127.0.0.1"),
        ("https://2130706433/", "means 127.0.0.1"),
        ("https://0x7f.1/", "means 127.0.0.1"),
        ("https://127.1/", "means 127.0.0.1"),
        ("https://256.1.1.1/", "out of range"),
        ("https://example.123/", "invalid IPv4 literal"),
        ("https://[::1/", "unparseable"),
        ("https://example.org:99999/", "unparseable"),
        ("https://example.org:0/", "port 0"),
        ("example.org/path", "not a bare host"),
        ("https://" + "a" * 64 + ".example/", "overlong"),
        ("https://xn--.example/", "invalid"),
    ],
)
def test_canonical_host__rejects(value: str, reason: str) -> None:
    with pytest.raises(HostError) as caught:
        canonical_host(value)
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)


def _answer(work: object, value: str) -> str:
    try:
        return str(work(value))  # type: ignore[operator]
    except HostError as exc:
        return f"refused: {exc.reason}"


@pytest.mark.parametrize(
    "value",
    [
        "https://mastodon.social/users/alice/statuses/1/activity",
        "https://Mastodon.Social:443/a?b=c#d",
        "https://mastodon.social?x=/y",
        "https://mastodon.social#/frag",
        "http://127.0.0.1:8080/users/a0#main-key",
        "https://mastodon.social/a\\b",
        "https://mastodon.social/a b",
        "https://mastodon.social/%6d",
        "https://alice@mastodon.social/x",
        "https://mastodon.social:0/x",
        "https://0x7f.1/x",
        "https://[::1]:8443/x",
        "https://münchen.de/x",
        " https://mastodon.social/x",
        "a:b://mastodon.social/x",
        "https:///x",
        "mastodon.social",
        "Mastodon.Social.",
        "mastodon.social/path",
    ],
)
def test_canonical_host__remembered_answer_is_the_full_parse(value: str) -> None:
    expected = _answer(hosts._canonical_host, value)
    assert _answer(canonical_host, value) == expected
    assert _answer(canonical_host, value) == expected  # again, from memory
    assert _answer(canonical_host, value + "/more") == _answer(
        hosts._canonical_host, value + "/more"
    )


@pytest.mark.parametrize(
    ("host", "domain", "expected"),
    [
        ("spam.example", "spam.example", True),
        ("a.b.spam.example", "spam.example", True),
        ("SPAM.example.", "spam.example", True),
        ("notspam.example", "spam.example", False),
        ("spam.example.org", "spam.example", False),
        ("spam.example:8443", "spam.example", True),
        ("spam.example:8443", "spam.example:443", False),
        ("münchen.de", "xn--mnchen-3ya.de", True),
        ("127.0.0.1", "127.0.0.1", True),
        ("[::1]:8443", "[::1]", True),
    ],
)
def test_domain_set__covers_domain_and_subdomains(host: str, domain: str, expected: bool) -> None:
    assert DomainSet([domain]).matches(host) is expected
    # Among thousands of other domains, the answer is the same.
    many = DomainSet([f"other{n}.example" for n in range(5000)] + [domain])
    assert many.matches(host) is expected


def test_domain_set__an_invalid_host_or_entry_matches_nothing() -> None:
    assert DomainSet(["spam.example"]).matches("user@spam.example") is False
    assert DomainSet(["user@spam.example", "spam.example"]).matches("a.spam.example") is True
    assert not DomainSet(["user@spam.example"])


def test_domain_set__a_port_narrows_only_its_own_entry() -> None:
    domains = DomainSet(["spam.example:443", "spam.example:8443"])
    assert domains.matches("a.spam.example:8443")
    assert domains.matches("spam.example:443")
    assert not domains.matches("spam.example")
    assert not domains.matches("spam.example:8080")
    assert DomainSet(["spam.example:8080", "spam.example"]).matches("x.spam.example:9000")


def test_domain_set__an_address_covers_itself_only() -> None:
    addresses = DomainSet(["10.0.0.1", "[::ffff:7f00:1]"])
    assert addresses.matches("10.0.0.1:8443")
    assert addresses.matches("[::ffff:127.0.0.1]")  # the same address, spelled otherwise
    assert not addresses.matches("10.0.0.2")
    assert not addresses.matches("x.10.0.0.1")  # no valid host


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.1", "10.1.0.1"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ],
)
def test_parse_ip_literal__understands_legacy_spellings(literal: str, expected: str) -> None:
    assert parse_ip_literal(literal) == ipaddress.ip_address(expected)


@pytest.mark.parametrize("host", ["example.org", "mastodon.social", "123.example", "localhost"])
def test_parse_ip_literal__returns_none_for_names(host: str) -> None:
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize("host", ["09.0.0.1", "1.2.3.4.5", "1.2.3.256", "[::g]"])
def test_parse_ip_literal__rejects_malformed_numbers(host: str) -> None:
    with pytest.raises(HostError):
        parse_ip_literal(host)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.1", "private 10.0.0.0/8"),
        ("172.16.0.1", "private 172.16.0.0/12"),
        ("172.31.255.255", "private 172.16.0.0/12"),
        ("192.168.1.1", "private 192.168.0.0/16"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.255", "carrier-grade NAT"),
        ("0.0.0.0", "'this network'"),
        ("0.1.2.3", "'this network'"),
        ("192.0.0.8", "IETF protocol"),
        ("192.0.2.1", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.9", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("::", "unspecified"),
        ("::1", "loopback ::1"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("64:ff9b::7f00:1", "NAT64"),
        ("64:ff9b::808:808", "NAT64"),
        ("64:ff9b:1::1", "local NAT64"),
        ("2002:7f00:1::", "6to4"),
        ("2002:808:808::", "6to4"),
        ("2001::1", "Teredo"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo"),
        ("2001:2::1", "benchmarking"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("fc00::1", "unique-local"),
        ("fd00::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("100::1", "discard-only"),
    ],
)
def test_is_forbidden_address__names_the_range(address: str, reason: str) -> None:
    found = is_forbidden_address(ipaddress.ip_address(address))
    assert found is not None
    assert reason in found


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:127.0.0.1", "embeds 127.0.0.1, which is loopback"),
        ("64:ff9b::a00:1", "embeds 10.0.0.1, which is private"),
        ("2002:a9fe:a9fe::", "embeds 169.254.169.254, which is link-local"),
    ],
)
def test_is_forbidden_address__reports_embedded_ipv4(address: str, embedded: str) -> None:
    found = is_forbidden_address(ipaddress.ip_address(address))
    assert found is not None
    assert embedded in found


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "2a01:4f8::1"]
)
def test_is_forbidden_address__allows_global_unicast(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is None
