"""The SSRF guard of article fetching: connect only to addresses that are public or explicitly allowed.

A feed names the article URLs we fetch for full text, so a hostile or compromised feed could point
us at ``http://169.254.169.254/`` (cloud metadata), ``http://localhost:8080/admin`` or a name whose
DNS answer is ``127.0.0.1`` (DNS rebinding), and the store would then keep an internal page. The
check therefore happens where the socket is opened, not on the URL's text:

- ``GuardedNetworkBackend`` (an ``httpcore.AsyncNetworkBackend``) resolves the host itself, checks
  every address of the answer, and connects to a checked *address*, so the name cannot resolve
  differently between the check and the connect. TLS still uses the URL's host name for SNI and
  certificate checks, and the ``Host`` header is untouched: httpcore takes both from the request.
- ``GuardedTransport`` is an ``httpx.AsyncHTTPTransport`` whose connection pool uses that backend.
  Every connection it opens, redirects included, passes the check.
- ``url_refusal`` is the cheap early check on the URL's text (IP literals, ``localhost``), used
  before a request so a literal is refused without any traffic even with an injected transport.

Refused: loopback, private (RFC 1918, ULA ``fc00::/7``), link-local (``169.254/16``, ``fe80::/10``),
multicast, reserved, unspecified, shared (``100.64/10``) and any other non-global address, for IPv4
and IPv6. An IPv4-mapped (``::ffff:a.b.c.d``) or NAT64 (``64:ff9b::/96``) address is judged as the IPv4
address it stands for; a 6to4 or Teredo address by both its own range and the IPv4 address it embeds. An address inside one of the CIDRs
of ``FetchSettings.allow_private_addresses`` is allowed (an intranet feed, the tests' 127.0.0.1/32).
When a name resolves to several addresses, only the allowed ones are tried; the name is refused
when none is.

What it is not for: fetching feeds themselves (``feedscrub.fetch`` trusts the operator's feed list
and only refuses redirects to private literals), proxies (the guarded transport never uses one:
a proxy would resolve names on our behalf, unchecked), or Unix sockets (refused).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from feedscrub.errors import ConfigError, FetchError

__all__ = [
    "AddressRefused",
    "GuardedNetworkBackend",
    "GuardedTransport",
    "IPAddress",
    "IPNetwork",
    "address_refusal",
    "parse_allowed_networks",
    "url_refusal",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressRefused(FetchError):
    """A connection was refused by the SSRF guard before any packet was sent (kind ``refused``).

    ``url`` is ``host:port`` as the connection saw it (the caller knows the article URL and names it
    in its own message); ``address`` is the first refused address.
    """

    def __init__(self, target: str, address: str, message: str) -> None:
        super().__init__(target, "refused", message)
        self.address = address


def parse_allowed_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``FetchSettings.allow_private_addresses`` as networks; a bad entry raises ``ConfigError``."""
    nets: list[IPNetwork] = []
    for cidr in cidrs:
        try:
            nets.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"fetch.allow_private_addresses: {cidr!r} is not a CIDR: {exc}") from None
    return tuple(nets)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address; the server half is public by construction
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address (``loopback``, ``private``...), or None when it is."""
    for name in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if not ip.is_global:
        return "non-global"
    return None


def address_refusal(ip: IPAddress | str, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Why connecting to ``ip`` is refused, e.g. ``"127.0.0.1 (loopback)"``; None when it may be used.

    An address inside one of ``allowed`` is always usable. An IPv4-mapped or NAT64 address is judged
    as its IPv4 address; a 6to4 or Teredo address is refused when it or its IPv4 address is, and
    allowed when either is inside ``allowed``.
    """
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        v4 = _embedded_ipv4(ip)
        if v4 is not None and (ip.ipv4_mapped is not None or ip in _NAT64):
            candidates = [v4]  # only a way of writing an IPv4 address (the v6 prefix itself is "reserved")
        elif v4 is not None:
            candidates.insert(0, v4)  # name the IPv4 address's kind: "= 127.0.0.1 (loopback)"
    if any(c in net for c in candidates for net in allowed if c.version == net.version):
        return None
    for c in candidates:
        kind = _kind(c)
        if kind is not None:
            shown = str(ip) if c is ip else f"{ip} = {c}"
            return f"{shown} ({kind})"
    return None


def url_refusal(url: str, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """The early, text-only check: why the URL's host is refused, or None (names are checked at connect).

    Catches IP literals (any spelling ``ipaddress`` reads) and ``localhost`` / ``*.localhost`` (which
    must resolve to loopback, RFC 6761). A name that merely *resolves* to a private address passes
    here and is refused by ``GuardedNetworkBackend`` when it connects.
    """
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return None  # malformed; the request itself reports it
    if host == "localhost" or host.endswith(".localhost"):
        if any(ipaddress.IPv4Address("127.0.0.1") in n for n in allowed if n.version == 4) or any(
            ipaddress.IPv6Address("::1") in n for n in allowed if n.version == 6
        ):
            return None
        return f"{host} (loopback name)"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address_refusal(ip, allowed)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, and connects to a checked address (never to a name).

    ``backend`` does the actual connecting (default ``httpcore.AnyIOBackend()``); tests pass one
    that records the addresses it is asked for, to prove a refused address got no traffic.
    """

    def __init__(self, allowed: Sequence[IPNetwork] = (), backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allowed = tuple(allowed)
        self._backend = backend if backend is not None else httpcore.AnyIOBackend()

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` (a literal resolves to itself), in the resolver's order, deduplicated."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        out: list[str] = []
        for family, _, _, _, sockaddr in infos:
            if family in (socket.AF_INET, socket.AF_INET6):
                addr = str(sockaddr[0])
                if addr not in out:
                    out.append(addr)
        return out

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        host = host.strip("[]")
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host}: timed out") from None
        except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no IPv4 or IPv6 address")
        usable: list[str] = []
        refused: list[str] = []
        for addr in addresses:
            why = address_refusal(addr, self.allowed)
            if why is None:
                usable.append(addr)
            else:
                refused.append(why)
        if not usable:
            shown = refused[0] if _is_literal(host) else f"{host} resolves to {refused[0]}"
            more = f" and {len(refused) - 1} more refused address(es)" if len(refused) > 1 else ""
            target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            raise AddressRefused(target, refused[0].split(" ", 1)[0],
                                 f"{shown}{more}: not a public address and not in allow_private_addresses")
        last: Exception | None = None
        for addr in usable:  # one by one: simple, and each try has the full connect timeout
            try:
                return await self._backend.connect_tcp(addr, port, timeout=timeout, local_address=local_address,
                                                       socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path, path, f"{path}: Unix sockets are refused by the SSRF guard")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An ``httpx.AsyncHTTPTransport`` whose every connection goes through ``GuardedNetworkBackend``.

    httpx has no public hook for httpcore's ``network_backend``; this builds the pool with httpcore's
    public ``AsyncConnectionPool(network_backend=...)`` and installs it where ``AsyncHTTPTransport``
    keeps its pool (``_pool``, the one attribute its request handling uses). ``test_netguard``
    checks the guard is really in the path, so an httpx upgrade that moves it fails loudly.
    Never uses a proxy or the environment (``trust_env=False``).
    """

    def __init__(
        self,
        allowed: Sequence[IPNetwork] = (),
        *,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),  # noqa: B008
        verify: bool = True,
        http2: bool = False,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        super().__init__(verify=verify, trust_env=False, http2=http2, limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):  # pragma: no cover
            raise RuntimeError("httpx.AsyncHTTPTransport no longer keeps an httpcore pool in _pool; "
                               "feedscrub.netguard needs updating")
        self.network_backend = GuardedNetworkBackend(allowed, network_backend)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=self.network_backend,
        )
