"""feedscrub.netguard: the SSRF guard checks resolved addresses at connect time, before any packet.

Only loopback servers are used. Refused non-loopback addresses (10.0.0.1, 169.254.169.254) go
through ``LoopbackOnlyBackend``, which fails the test if it is ever asked to connect anywhere but
loopback: the refusal must come before connecting.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer

from feedscrub.errors import ConfigError, FetchError
from feedscrub.netguard import (
    AddressRefused,
    GuardedNetworkBackend,
    GuardedTransport,
    address_refusal,
    parse_allowed_networks,
    url_refusal,
)
from feedscrub.settings import FetchSettings

sys.path.insert(0, str(Path(__file__).parent))  # the shared test helpers beside this file
from loopback import LoopbackOnlyBackend

LOOPBACK_ONLY = parse_allowed_networks(["127.0.0.1/32"])


class _NoTlsStream(httpcore.AsyncNetworkStream):
    """A stream that records the TLS server name it is asked for, then fails the handshake."""

    def __init__(self, seen: dict[str, Any]) -> None:
        self.seen = seen

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # pragma: no cover
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # pragma: no cover
        return None

    async def aclose(self) -> None:
        return None

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        self.seen["server_hostname"] = server_hostname
        raise httpcore.ConnectError("no TLS in this test")


class _RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        self.seen["connect"] = (host, port)
        return _NoTlsStream(self.seen)

    async def sleep(self, seconds: float) -> None:  # pragma: no cover
        await asyncio.sleep(seconds)


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, list[str]], None]:
    """Map a host name to addresses (what a rebinding DNS server would answer); others resolve normally."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if isinstance(host, bytes):
            host = host.decode()
        if host in names:
            if not names[host]:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            out = []
            for addr in names[host]:
                ip = ipaddress.ip_address(addr)
                fam = socket.AF_INET if ip.version == 4 else socket.AF_INET6
                sockaddr = (addr, int(port or 0)) if ip.version == 4 else (addr, int(port or 0), 0, 0)
                out.append((fam, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
            return out
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def add(name: str, addrs: list[str]) -> None:
        names[name] = addrs

    return add


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    s = HTTPServer(host="127.0.0.1", port=0)
    s.start()
    yield s
    s.clear()
    s.stop()


def get(url: str, allowed: Any = (), backend: httpcore.AsyncNetworkBackend | None = None,
        **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=GuardedTransport(allowed, network_backend=backend)) as client:
            return await client.get(url, **kwargs)

    return asyncio.run(go())


# --- the address rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("10.0.0.1", "private"), ("172.16.5.4", "private"),
    ("192.168.1.1", "private"), ("169.254.169.254", "link-local"), ("100.64.0.1", "non-global"),
    ("0.0.0.0", "unspecified"), ("224.0.0.251", "multicast"), ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.2.7", "private"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("fd12:3456::1", "private"), ("ff02::1", "multicast"), ("fec0::1", "site-local"), ("2001:db8::1", "private"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"),
    ("2002:7f00:1::", "loopback"), ("2002:a9fe:a9fe::1", "link-local"), ("64:ff9b::a9fe:a9fe", "link-local"),
])
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    why = address_refusal(address)
    assert why is not None and why.endswith(f"({kind})"), why


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.215.14",
                                     "64:ff9b::5db8:d70e"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(address) is None


def test_allowed_networks_open_exactly_their_addresses() -> None:
    allowed = parse_allowed_networks(["127.0.0.1/32", "10.1.0.0/16", "fd00::/8"])
    assert address_refusal("127.0.0.1", allowed) is None
    assert address_refusal("::ffff:127.0.0.1", allowed) is None  # the mapped form of an allowed address
    assert address_refusal("10.1.200.3", allowed) is None
    assert address_refusal("fd00::5", allowed) is None
    assert address_refusal("127.0.0.2", allowed) == "127.0.0.2 (loopback)"
    assert address_refusal("10.2.0.1", allowed) == "10.2.0.1 (private)"
    assert address_refusal("::1", allowed) == "::1 (loopback)"


def test_bad_cidrs_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match=r"10\.0\.0\.0/33"):
        parse_allowed_networks(["10.0.0.0/33"])
    with pytest.raises(ValidationError, match="allow_private_addresses"):
        FetchSettings(allow_private_addresses=["not-a-network"])
    assert FetchSettings(allow_private_addresses=["127.0.0.1/32", "::1"]).allow_private_addresses


@pytest.mark.parametrize(("url", "refused"), [
    ("http://127.0.0.1/", True), ("http://[::1]:8080/", True), ("http://169.254.169.254/latest/meta-data/", True),
    ("http://10.0.0.1/", True), ("http://[::ffff:10.0.0.1]/", True), ("http://localhost:9/", True),
    ("http://LOCALHOST./", True), ("http://api.localhost/", True), ("https://example.org/a", False),
    ("https://93.184.215.14/", False), ("http://rebind.example/", False),  # names are checked at connect
])
def test_url_refusal_checks_literals_only(url: str, refused: bool) -> None:
    assert (url_refusal(url) is not None) is refused
    assert url_refusal("http://localhost:9/", LOOPBACK_ONLY) is None


# --- at connect time, against a loopback server ---------------------------------------------------


def test_loopback_server_refused_by_default(server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_data("secret")
    with pytest.raises(AddressRefused) as info:
        get(server.url_for("/a"))
    assert info.value.kind == "refused" and isinstance(info.value, FetchError)
    assert info.value.address == "127.0.0.1"
    assert "127.0.0.1 (loopback)" in str(info.value) and "allow_private_addresses" in str(info.value)
    assert server.log == []


def test_loopback_server_allowed_by_cidr(server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_data("hello")
    assert get(server.url_for("/a"), LOOPBACK_ONLY).text == "hello"


def test_localhost_name_refused(server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_data("secret")
    with pytest.raises(AddressRefused, match=r"localhost resolves to (127\.0\.0\.1|::1) \(loopback\)"):
        get(f"http://localhost:{server.port}/a")
    assert server.log == []


def test_a_public_looking_name_that_resolves_to_loopback_is_refused(
    server: HTTPServer, fake_dns: Callable[[str, list[str]], None]
) -> None:
    """DNS rebinding: the URL's text is harmless, its answer is not."""
    fake_dns("news.example", ["127.0.0.1"])
    server.expect_request("/a").respond_with_data("secret")
    url = f"http://news.example:{server.port}/a"
    assert url_refusal(url) is None  # the text check cannot know
    with pytest.raises(AddressRefused, match=r"news\.example resolves to 127\.0\.0\.1 \(loopback\)"):
        get(url)
    assert server.log == []
    server.clear()
    # allowed, it connects to the checked address and keeps the name in the Host header
    server.expect_request("/a", headers={"Host": f"news.example:{server.port}"}).respond_with_data("hello")
    assert get(url, LOOPBACK_ONLY).text == "hello"


def test_only_allowed_addresses_of_an_answer_are_tried(
    server: HTTPServer, fake_dns: Callable[[str, list[str]], None]
) -> None:
    fake_dns("mixed.example", ["10.0.0.1", "169.254.169.254", "127.0.0.1"])
    server.expect_request("/a").respond_with_data("hello")
    backend = LoopbackOnlyBackend()
    assert get(f"http://mixed.example:{server.port}/a", LOOPBACK_ONLY, backend).text == "hello"
    assert backend.asked == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                                 "http://[::ffff:169.254.169.254]/", "http://[fd00::1]:8080/", "http://0.0.0.0:80/"])
def test_private_literals_refused_without_any_traffic(url: str) -> None:
    backend = LoopbackOnlyBackend()
    with pytest.raises(AddressRefused):
        get(url, LOOPBACK_ONLY, backend)
    assert backend.asked == []


def test_names_resolving_to_private_addresses_refused_without_any_traffic(
    fake_dns: Callable[[str, list[str]], None]
) -> None:
    fake_dns("metadata.example", ["169.254.169.254"])
    fake_dns("intranet.example", ["10.0.0.1", "fd00::1"])
    backend = LoopbackOnlyBackend()
    with pytest.raises(AddressRefused, match=r"169\.254\.169\.254 \(link-local\)"):
        get("http://metadata.example/latest/meta-data/", LOOPBACK_ONLY, backend)
    with pytest.raises(AddressRefused, match=r"10\.0\.0\.1 \(private\) and 1 more refused"):
        get("https://intranet.example/", LOOPBACK_ONLY, backend)
    assert backend.asked == []


def test_ipv6_loopback_refused_and_allowed() -> None:
    backend = LoopbackOnlyBackend()
    with pytest.raises(AddressRefused, match=r"::1 \(loopback\)"):
        get("http://[::1]:9/", LOOPBACK_ONLY, backend)
    assert backend.asked == []
    try:
        server = HTTPServer(host="::1", port=0)
        server.start()
    except OSError:  # pragma: no cover - a machine without IPv6 loopback
        pytest.skip("no IPv6 loopback here")
    try:
        server.expect_request("/six").respond_with_data("over ipv6")
        allowed = parse_allowed_networks(["::1/128"])
        assert get(f"http://[::1]:{server.port}/six", allowed).text == "over ipv6"
    finally:
        server.stop()


def test_tls_keeps_the_host_name_for_sni(fake_dns: Callable[[str, list[str]], None]) -> None:
    """The socket goes to the checked address; the TLS handshake still names the host (SNI, certificate)."""
    fake_dns("secure.example", ["127.0.0.1"])
    backend = _RecordingBackend()
    with pytest.raises(httpx.ConnectError):
        get("https://secure.example:8443/a", LOOPBACK_ONLY, backend)
    assert backend.seen == {"connect": ("127.0.0.1", 8443), "server_hostname": "secure.example"}


def test_dns_failure_is_a_connect_error(fake_dns: Callable[[str, list[str]], None]) -> None:
    fake_dns("nowhere.example", [])
    with pytest.raises(httpx.ConnectError, match=r"cannot resolve nowhere\.example"):
        get("http://nowhere.example/")


def test_unix_sockets_are_refused() -> None:
    async def go() -> None:
        await GuardedNetworkBackend().connect_unix_socket("/var/run/docker.sock")

    with pytest.raises(AddressRefused, match="Unix sockets"):
        asyncio.run(go())


def test_the_guard_is_in_the_transport_path() -> None:
    """If an httpx upgrade stops using the pool we install, this fails instead of silently unguarding."""
    transport = GuardedTransport()
    assert transport._pool._network_backend is transport.network_backend  # type: ignore[attr-defined]
