"""SSRF protection for callback and input URLs (see docs/ssrf.md).

A URL is refused when its host is, or resolves to, a loopback, private, shared (CGNAT),
link-local, multicast, unspecified, reserved or cloud-metadata address, or is a cloud
metadata name, unless the operator allows it. Three layers apply the same rule:

* ``check`` at submit time and before every redirect hop (resolves names with ``dns``);
* ``resolver()``, an aiohttp resolver that drops refused addresses at connect time, so a
  DNS answer that changes after ``check`` (rebinding) is refused too;
* ``middleware``, run by aiohttp for every request it sends (redirect hops included),
  which refuses IP-literal hosts: aiohttp never asks a resolver about those.

The operator's allow-list: ``allow_private`` lets every non-metadata address through;
``allowed_hosts`` holds host names and IP literals (the URL's host must equal one; it is
then not checked at all) and CIDR networks (``10.1.0.0/16``: addresses inside are allowed,
whatever name led there). Legacy IPv4 spellings (``2130706433``, ``0x7f.1``,
``0177.0.0.1``) are read the way ``getaddrinfo`` reads them. IPv6 addresses that embed an
IPv4 one (``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by
the embedded address.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_middlewares import ClientHandlerType
from aiohttp.resolver import ThreadedResolver
from yarl import URL

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_NAMES",
    "AddressRefused",
    "UrlGuard",
    "UrlRefused",
    "classify",
    "parse_host",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack, Oracle, Huawei
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS pod identity
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server (a public address)
        "192.0.0.192",  # Oracle Cloud
    )
)
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
_METADATA = "a cloud metadata address"
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fec0::/10")
)
# Not global whatever the Python version says (older ones call some of these global).
_RESERVED = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.0.0/24", "64:ff9b:1::/48", "2001::/32", "2001:db8::/32", "100::/64")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlRefused(Exception):
    """The URL is not one the gateway will call."""


class AddressRefused(OSError):
    """Raised by the guarded resolver: every address of the host is refused."""

    def __init__(self, host: str, message: str) -> None:
        super().__init__(f"connection to {host} refused: not a public address ({message})")
        self.host = host
        self.message = message


def parse_host(host: str) -> IPAddress | None:
    """The address an IP-literal host stands for (legacy IPv4 forms too), else ``None``."""
    text = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not text or ":" in text or not text[0].isdigit():
        return None
    try:  # 2130706433, 0x7f.1, 0177.0.0.1, 127.1: what getaddrinfo would connect to
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, UnicodeError):
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def classify(ip: IPAddress) -> str | None:
    """Why the gateway must not connect to ``ip`` (``"a loopback address"``...), or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ipaddress.IPv6Address(int(ip))  # drop any %scope
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = classify(embedded)
            return f"{reason} ({embedded} embedded in IPv6)" if reason else None
    if ip in METADATA_ADDRESSES:
        return _METADATA
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if any(ip in net for net in _PRIVATE):
        return "a private address"
    if ip.is_private or ip.is_reserved or not ip.is_global or any(ip in n for n in _RESERVED):
        return "a reserved address"
    return None


def _name(host: str) -> str:
    """A host name as DNS sees it: lower case, no trailing dot, IDNA-encoded."""
    name = host.strip().lower().rstrip(".")
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


class UrlGuard:
    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_hosts: Iterable[str] = (),
        dns: AbstractResolver | None = None,
    ) -> None:
        """``dns`` resolves names for ``check`` and ``resolver()`` (default: the system's
        ``getaddrinfo``, through aiohttp's ``ThreadedResolver``)."""
        self.allow_private = allow_private
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in allowed_hosts:
            entry = entry.strip()
            if "/" in entry:
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError as exc:
                    raise ValueError(f"allowed URL host {entry!r} is not a network") from exc
                continue
            literal = parse_host(entry)
            names.add(str(literal) if literal is not None else _name(entry))
        self.allowed_hosts = frozenset(names)
        self.allowed_networks = tuple(networks)
        self._dns = dns

    # -- the rule --------------------------------------------------------------------

    def _trusted(self, host: str) -> bool:
        """The host is on the allow-list by name (or literal): no further checks."""
        literal = parse_host(host)
        return (str(literal) if literal is not None else _name(host)) in self.allowed_hosts

    def refusal(self, ip: IPAddress) -> str | None:
        """Why ``ip`` is refused under this guard's settings, or ``None``."""
        if any(ip in net for net in self.allowed_networks):
            return None
        reason = classify(ip)
        if reason is None or (self.allow_private and not reason.startswith(_METADATA)):
            return None
        return reason

    def _check_name(self, host: str) -> None:
        if _name(host) in METADATA_NAMES:
            raise UrlRefused(f"the host {host} is a cloud metadata service")

    def check_syntax(self, url: str) -> str:
        """Scheme and host checks that need no DNS; returns the host."""
        if len(url) > 2048:
            raise UrlRefused("the URL is longer than 2048 characters")
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as exc:
            raise UrlRefused("the URL is malformed") from exc
        if parts.scheme not in ("http", "https"):
            raise UrlRefused("only http and https URLs are accepted")
        if not host:
            raise UrlRefused("the URL has no host")
        if parts.username or parts.password:
            raise UrlRefused("URLs with credentials are not accepted")
        return host

    def check_ip(self, host: str, ip_text: str) -> None:
        """Refuse ``ip_text`` as an address of ``host`` (allowed hosts pass)."""
        if self._trusted(host):
            return
        ip = ipaddress.ip_address(ip_text.split("%", 1)[0])
        reason = self.refusal(ip)
        if reason is not None:
            raise UrlRefused(f"the host {host} resolves to {ip}, {reason}")

    def check_host(self, host: str) -> bool:
        """The checks that need no DNS. True when the host needs nothing more (it is
        trusted or an acceptable IP literal); False when it is a name to resolve."""
        if self._trusted(host):
            return True
        literal = parse_host(host)
        if literal is None:
            self._check_name(host)
            return False
        reason = self.refusal(literal)
        if reason is not None:
            raise UrlRefused(f"the host {host} is {reason}")
        return True

    async def check(self, url: str) -> None:
        """Refuse the URL unless every address its host resolves to is acceptable."""
        host = self.check_syntax(url)
        if self.check_host(host):
            return
        dns = self._dns or ThreadedResolver()
        try:
            results = await dns.resolve(host, 0, socket.AF_UNSPEC)
        except (OSError, UnicodeError) as exc:
            raise UrlRefused(f"the host {host} does not resolve") from exc
        if not results:
            raise UrlRefused(f"the host {host} does not resolve")
        for result in results:
            self.check_ip(host, result["host"])

    # -- connect time ----------------------------------------------------------------

    def resolver(self) -> AbstractResolver:
        """An aiohttp resolver that drops refused addresses (needs a running loop)."""
        return _GuardedResolver(self)

    async def middleware(
        self, request: aiohttp.ClientRequest, handler: ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """aiohttp client middleware: checks each request's host before it connects."""
        self.check_url(request.url)
        return await handler(request)

    def check_url(self, url: URL) -> None:
        """``check`` without DNS (names are the resolver's job), for an aiohttp URL."""
        if url.scheme not in ("http", "https"):
            raise UrlRefused("only http and https URLs are accepted")
        if not url.host:
            raise UrlRefused("the URL has no host")
        self.check_host(url.host)

    def session(
        self, *, limit: int = 100, timeout: aiohttp.ClientTimeout | None = None
    ) -> aiohttp.ClientSession:
        """A client session with every connect-time check (needs a running loop)."""
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=self.resolver(), limit=limit),
            middlewares=(self.middleware,),
            timeout=timeout or aiohttp.ClientTimeout(total=120, sock_connect=10),
            trust_env=False,
        )


class _GuardedResolver(AbstractResolver):
    """Resolves with the guard's DNS, then drops refused addresses."""

    def __init__(self, guard: UrlGuard) -> None:
        self._guard = guard
        self._owned = guard._dns is None
        self._inner = guard._dns or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        guard = self._guard
        try:
            if guard.check_host(host):
                return await self._inner.resolve(host, port, family)
        except UrlRefused as exc:
            raise AddressRefused(host, str(exc)) from exc
        results = await self._inner.resolve(host, port, family)
        allowed = []
        reasons = []
        for result in results:
            ip = ipaddress.ip_address(result["host"].split("%", 1)[0])
            reason = guard.refusal(ip)
            if reason is None:
                allowed.append(result)
            else:
                reasons.append(f"{ip}, {reason}")
        if not allowed:
            refused = "; ".join(reasons) or "no address"
            raise AddressRefused(host, f"the host {host} resolves to {refused}")
        return allowed

    async def close(self) -> None:
        if self._owned:
            await self._inner.close()

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - passthrough
        return getattr(self._inner, name)
