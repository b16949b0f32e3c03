"""SSRF protection for callback and input URLs.

A URL is refused when its host is, or resolves to, a private, loopback, link-local,
multicast, reserved, unspecified or cloud-metadata address, unless the operator allows
it (``allow_private_urls``, or a host in ``allowed_hosts``). ``check`` runs at submit
time; ``resolver()`` gives an aiohttp resolver that applies the same rule at connect
time, so DNS answers that change after the check, and redirects, are covered too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

__all__ = ["UrlGuard", "UrlRefused"]

_METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


class UrlRefused(Exception):
    """The URL is not one the gateway will call."""


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "a private address"
    return None


class UrlGuard:
    def __init__(self, *, allow_private: bool = False, allowed_hosts: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)

    def _host_allowed(self, host: str) -> bool:
        return self.allow_private or host.lower() in self.allowed_hosts

    def check_syntax(self, url: str) -> str:
        """Scheme and host checks that need no DNS; returns the host."""
        if len(url) > 2048:
            raise UrlRefused("the URL is longer than 2048 characters")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UrlRefused("only http and https URLs are accepted")
        host = parts.hostname
        if not host:
            raise UrlRefused("the URL has no host")
        if parts.username or parts.password:
            raise UrlRefused("URLs with credentials are not accepted")
        return host

    def check_ip(self, host: str, ip_text: str) -> None:
        if self._host_allowed(host):
            return
        reason = _forbidden(ipaddress.ip_address(ip_text.split("%", 1)[0]))
        if reason is not None:
            raise UrlRefused(f"the host {host} resolves to {reason}")

    async def check(self, url: str) -> None:
        """Refuse the URL unless every address its host resolves to is public."""
        host = self.check_syntax(url)
        if self._host_allowed(host):
            return
        try:
            ipaddress.ip_address(host.strip("[]"))
            addresses = [host.strip("[]")]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, None, type=socket.SOCK_STREAM
                )
            except OSError as exc:
                raise UrlRefused(f"the host {host} does not resolve") from exc
            addresses = [str(info[4][0]) for info in infos]
        for address in addresses:
            self.check_ip(host, address)

    def resolver(self) -> AbstractResolver:
        return _GuardedResolver(self)


class _GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then drops forbidden addresses."""

    def __init__(self, guard: UrlGuard) -> None:
        self._guard = guard
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = []
        for result in results:
            try:
                self._guard.check_ip(host, result["host"])
            except UrlRefused:
                continue
            allowed.append(result)
        if not allowed:
            raise OSError(f"connection to {host} refused: not a public address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - passthrough
        return getattr(self._inner, name)
