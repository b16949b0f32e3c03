"""The URL guard (docs/ssrf.md): one case per address class, legacy IPv4 spellings, IPv6
forms, metadata, the allow-list, and the connect-time checks (DNS rebinding, redirects to
IP literals) with real aiohttp requests to a server on 127.0.0.1. Names resolve through a
fake DNS table; nothing leaves loopback."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from apiinone.db.migrate import upgrade
from apiinone.errors import InvalidRequest
from apiinone.gateway import Gateway
from apiinone.net.fetch import fetch_input
from apiinone.net.guard import AddressRefused, UrlGuard, UrlRefused, classify, parse_host
from apiinone.settings import Settings
from apiinone.webhooks.queries import deliveries_for_task
from tests.net.fake_dns import FakeDNS
from tests.support.db import new_account, open_db
from tests.webhooks.conftest import World, add_delivery, dispatcher_for, insert_task

PUBLIC = "93.184.215.14"

# (address, what the refusal says): one or more cases per class.
CLASSES = [
    # loopback
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),
    # private: 10/8, 172.16/12, 192.168/16, fc00::/7 (and the old site-local fec0::/10)
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456:789a::1", "private"),
    ("fec0::1", "private"),
    ("::ffff:10.1.2.3", "private"),
    # link-local
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    # multicast
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    # unspecified
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    # cloud metadata
    ("169.254.169.254", "metadata"),
    ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"),
    ("168.63.129.16", "metadata"),
    ("192.0.0.192", "metadata"),
    ("::ffff:169.254.169.254", "metadata"),
    # shared address space (carrier-grade NAT)
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    # IPv4 embedded in 6to4 and NAT64
    ("2002:7f00:1::", "loopback"),
    ("2002:a00:1::", "private"),
    ("64:ff9b::7f00:1", "loopback"),
    ("64:ff9b::a9fe:a9fe", "metadata"),
    # everything else that is not globally reachable
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("198.18.0.1", "reserved"),
    ("192.0.2.1", "reserved"),
    ("2001:db8::1", "reserved"),
    ("2001::1", "reserved"),
    ("64:ff9b:1::a00:1", "reserved"),
    ("::7f00:1", "reserved"),
]


@pytest.mark.parametrize(("address", "reason"), CLASSES)
def test_each_class_is_refused(address: str, reason: str) -> None:
    refusal = classify(ipaddress.ip_address(address))
    assert refusal is not None and reason in refusal


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"]
)
def test_public_addresses_pass(address: str) -> None:
    assert classify(ipaddress.ip_address(address)) is None


def test_nat64_of_a_public_address_passes() -> None:
    # An IPv6-only network reaches IPv4-only sites through DNS64/NAT64: 64:ff9b::8.8.8.8.
    assert classify(ipaddress.ip_address("64:ff9b::808:808")) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("167772161", "10.0.0.1"),
        ("2852039166", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("[fe80::1%eth0]", "fe80::1"),
    ],
)
def test_ip_spellings_are_read_like_getaddrinfo(host: str, address: str) -> None:
    assert parse_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "1e100.net", "1.2.3.4.nip.io", "localhost"])
def test_names_are_not_literals(host: str) -> None:
    assert parse_host(host) is None


async def _refusal(guard: UrlGuard, url: str) -> str:
    with pytest.raises(UrlRefused) as info:
        await guard.check(url)
    return str(info.value)


@pytest.mark.parametrize(("address", "reason"), CLASSES)
async def test_check_refuses_literals_and_names_of_each_class(address: str, reason: str) -> None:
    dns = FakeDNS({"evil.test": [[address]]})
    guard = UrlGuard(dns=dns)
    literal = f"[{address}]" if ":" in address else address
    assert reason in await _refusal(guard, f"http://{literal}/x.png")
    assert dns.asked == []  # literals need no DNS
    message = await _refusal(guard, "https://evil.test/x.png")
    assert f"evil.test resolves to {ipaddress.ip_address(address)}" in message
    assert reason in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://2130706433/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://127.1:8080/", "loopback"),
        ("http://167772161/", "private"),
        ("http://0xa.0.0.1/", "private"),
        ("http://012.0.0.1/", "private"),
        ("http://2852039166/latest/meta-data/", "metadata"),
        ("http://0xa9fea9fe/", "metadata"),
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://[0:0:0:0:0:ffff:127.0.0.1]/", "loopback"),
        ("http://[fe80::1%25eth0]/", "link-local"),
        ("http://0/", "unspecified"),
    ],
)
async def test_encoded_addresses_are_refused_without_dns(url: str, reason: str) -> None:
    dns = FakeDNS({})
    assert reason in await _refusal(UrlGuard(dns=dns), url)
    assert dns.asked == []


@pytest.mark.parametrize(
    "host",
    [
        "metadata.google.internal",
        "METADATA.google.internal.",
        "metadata.goog",
        "metadata",
        "instance-data.ec2.internal",
    ],
)
async def test_metadata_names_are_refused_whatever_they_resolve_to(host: str) -> None:
    dns = FakeDNS({host.lower().rstrip("."): [[PUBLIC]]})
    message = await _refusal(UrlGuard(dns=dns, allow_private=True), f"http://{host}/v1/")
    assert "cloud metadata service" in message


async def test_a_name_with_one_forbidden_address_is_refused_at_submit() -> None:
    dns = FakeDNS({"mixed.test": [[PUBLIC, "10.0.0.7"]]})
    assert "10.0.0.7, a private address" in await _refusal(UrlGuard(dns=dns), "http://mixed.test/")


async def test_names_that_do_not_resolve_and_bad_urls_are_refused() -> None:
    guard = UrlGuard(dns=FakeDNS({}))
    assert "does not resolve" in await _refusal(guard, "http://nowhere.test/")
    assert "only http and https" in await _refusal(guard, "file:///etc/passwd")
    assert "only http and https" in await _refusal(guard, "gopher://10.0.0.1:70/")
    assert "credentials" in await _refusal(guard, f"http://user:pw@{PUBLIC}/")
    assert "no host" in await _refusal(guard, "http:///x")
    assert "malformed" in await _refusal(guard, "http://[::1/")


async def test_localhost_resolves_locally_and_is_refused() -> None:
    # The real resolver (getaddrinfo): localhost is in /etc/hosts, so no network is used.
    message = await _refusal(UrlGuard(), "http://localhost:8080/x.png")
    assert "localhost resolves to" in message and "loopback" in message


async def test_public_urls_pass() -> None:
    dns = FakeDNS({"cdn.test": [[PUBLIC, "2606:4700::1111"]]})
    guard = UrlGuard(dns=dns)
    await guard.check("https://cdn.test/a.png")
    await guard.check(f"http://{PUBLIC}:8080/a.png")
    await guard.check("http://[2606:4700::1111]/a.png")


# -- the allow-list ------------------------------------------------------------------


async def test_allowed_hosts_let_the_same_url_through() -> None:
    dns = FakeDNS({"intranet.corp": [["10.1.2.3"]], "other.corp": [["10.1.2.4"]]})
    refused = UrlGuard(dns=dns)
    assert "private" in await _refusal(refused, "http://intranet.corp/a.png")
    assert "private" in await _refusal(refused, "http://10.1.2.3/a.png")

    guard = UrlGuard(dns=dns, allowed_hosts=["Intranet.CORP", "10.1.2.3", "[fd00::5]"])
    await guard.check("http://intranet.corp/a.png")
    await guard.check("http://intranet.corp./a.png")
    await guard.check("http://10.1.2.3/a.png")
    await guard.check("http://167838211/a.png")  # 10.1.2.3 spelled as one number
    await guard.check("http://[fd00::5]/a.png")
    # Only those hosts: a name is not allowed because its address is listed.
    assert "private" in await _refusal(guard, "http://other.corp/a.png")
    assert "private" in await _refusal(guard, "http://10.1.2.4/a.png")


async def test_cidr_entries_allow_addresses_whatever_the_name() -> None:
    dns = FakeDNS({"a.corp": [["10.1.7.7"]], "b.corp": [["10.2.0.1"]]})
    guard = UrlGuard(dns=dns, allowed_hosts=["10.1.0.0/16", "fd00:1::/32"])
    await guard.check("http://a.corp/")
    await guard.check("http://10.1.200.1/")
    await guard.check("http://[fd00:1::9]/")
    assert "private" in await _refusal(guard, "http://b.corp/")
    assert "private" in await _refusal(guard, "http://[fd00:2::9]/")
    with pytest.raises(ValueError, match="not a network"):
        UrlGuard(allowed_hosts=["10.1.0.0/33"])


async def test_allow_private_allows_all_but_metadata() -> None:
    dns = FakeDNS({"box.lan": [["192.168.1.20"]], "imds.lan": [["169.254.169.254"]]})
    guard = UrlGuard(dns=dns, allow_private=True)
    for url in ("http://box.lan/", "http://127.0.0.1:9/", "http://[::1]/", "http://100.64.1.1/"):
        await guard.check(url)
    assert "metadata" in await _refusal(guard, "http://169.254.169.254/latest/")
    assert "metadata" in await _refusal(guard, "http://imds.lan/latest/")
    assert "metadata" in await _refusal(guard, "http://[::ffff:a9fe:a9fe]/")
    # Listing the exact host is the only way to reach a metadata address.
    await UrlGuard(allowed_hosts=["169.254.169.254"]).check("http://169.254.169.254/")


# -- connect time: real requests to 127.0.0.1 -----------------------------------------


class Origin:
    """A real HTTP server on 127.0.0.1 counting the requests it serves."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.port = 0
        self._server: TestServer | None = None

    async def start(self) -> Origin:
        async def image(request: web.Request) -> web.Response:
            self.hits.append(request.path_qs)
            return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")

        async def away(request: web.Request) -> web.Response:
            self.hits.append(request.path_qs)
            raise web.HTTPFound(request.query["to"].replace("PORT", str(self.port)))

        app = web.Application()
        app.router.add_get("/image.png", image)
        app.router.add_get("/away", away)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self.port = self._server.port or 0
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    server = await Origin().start()
    yield server
    await server.close()


SHORT = aiohttp.ClientTimeout(total=5)


async def test_rebinding_between_check_and_connect_is_refused(origin: Origin) -> None:
    # The first answer (at the check) is public, every later one (at connect) loopback.
    dns = FakeDNS({"rebind.test": [[PUBLIC], ["127.0.0.1"]]})
    guard = UrlGuard(dns=dns)
    url = f"http://rebind.test:{origin.port}/image.png"
    await guard.check(url)
    async with guard.session(timeout=SHORT) as session:
        with pytest.raises(aiohttp.ClientConnectorDNSError) as info:
            await session.get(url)
    error = info.value.os_error
    assert isinstance(error, AddressRefused)
    assert "rebind.test resolves to 127.0.0.1, a loopback address" in error.message
    assert dns.asked == ["rebind.test", "rebind.test"] and origin.hits == []

    # The same fake answer reaches the real server once the operator allows the host or
    # its network: the connector really resolves through the guard's DNS.
    for allowed in (["rebind.test"], ["127.0.0.0/8"]):
        trusting = UrlGuard(dns=dns, allowed_hosts=allowed)
        async with trusting.session(timeout=SHORT) as session, session.get(url) as response:
            assert response.status == 200
    assert len(origin.hits) == 2


async def test_resolver_keeps_only_acceptable_addresses() -> None:
    dns = FakeDNS({"mixed.test": [[PUBLIC, "127.0.0.1", "fd00::1"]], "bad.test": [["::1"]]})
    resolver = UrlGuard(dns=dns).resolver()
    assert [r["host"] for r in await resolver.resolve("mixed.test", 443)] == [PUBLIC]
    with pytest.raises(AddressRefused, match=r"bad\.test resolves to ::1, a loopback"):
        await resolver.resolve("bad.test", 443)
    with pytest.raises(AddressRefused, match="cloud metadata service"):
        await resolver.resolve("metadata.google.internal", 80)
    with pytest.raises(AddressRefused, match="loopback"):
        await resolver.resolve("0x7f.1", 80)  # should a legacy spelling reach the resolver
    await resolver.close()


@pytest.mark.parametrize(
    ("target", "error", "reason"),
    [
        ("http://[::1]:PORT/image.png", UrlRefused, "loopback"),
        ("http://[::ffff:127.0.0.1]:PORT/image.png", UrlRefused, "loopback"),
        ("http://127.0.0.2:PORT/image.png", UrlRefused, "loopback"),
        ("http://2130706434:PORT/image.png", UrlRefused, "loopback"),
        ("http://10.0.0.1/image.png", UrlRefused, "private"),
        ("http://169.254.169.254/latest/meta-data/", UrlRefused, "metadata"),
        ("http://metadata.google.internal/", UrlRefused, "metadata"),
        ("http://0x7f.2:PORT/image.png", UrlRefused, "loopback"),
        ("http://localhost:PORT/image.png", aiohttp.ClientConnectorDNSError, "loopback"),
    ],
)
async def test_guarded_session_refuses_redirect_hops(
    origin: Origin, target: str, error: type[Exception], reason: str
) -> None:
    # aiohttp follows these redirects itself; the middleware (IP literals) and the
    # resolver (names) refuse each hop before it connects.
    guard = UrlGuard(allowed_hosts=["127.0.0.1"])
    url = f"http://127.0.0.1:{origin.port}/away?to={target}"
    async with guard.session(timeout=SHORT) as session:
        with pytest.raises(error) as info:
            await session.get(url)
    text = str(info.value)
    if isinstance(info.value, aiohttp.ClientConnectorDNSError):
        text = str(info.value.os_error)
    assert reason in text
    assert len(origin.hits) == 1 and origin.hits[0].startswith("/away")


async def test_fetch_input_refuses_a_rebound_name(tmp_path: Path, origin: Origin) -> None:
    gateway = Gateway.open(Settings(data_dir=tmp_path / "gw"))
    try:
        await upgrade(gateway.db)
        # The gateway's own guard, with a DNS the test controls.
        gateway.guard = UrlGuard(dns=FakeDNS({"rebind.test": [[PUBLIC], ["127.0.0.1"]]}))
        with pytest.raises(InvalidRequest) as info:
            await fetch_input(
                gateway,
                f"http://rebind.test:{origin.port}/image.png",
                account_id=await new_account(gateway.db),
                max_bytes=10_000,
                param="image",
            )
        assert info.value.param == "image"
        assert info.value.message == (
            "'image' is not an acceptable URL: "
            "the host rebind.test resolves to 127.0.0.1, a loopback address"
        )
        assert origin.hits == []
    finally:
        await gateway.close()


async def test_webhook_to_a_rebound_name_fails_and_is_recorded(
    tmp_path: Path, origin: Origin
) -> None:
    db = await open_db(tmp_path / "hooks.db")
    try:
        account_id = await new_account(db)
        world = World(db=db, account_id=account_id, task_id=await insert_task(db, account_id))
        # Public at submit and at the dispatcher's check, loopback when it connects.
        dns = FakeDNS({"rebind.test": [[PUBLIC], [PUBLIC], ["127.0.0.1"]]})
        guard = UrlGuard(dns=dns)
        url = f"http://rebind.test:{origin.port}/hook"
        await guard.check(url)
        await add_delivery(world, url)
        async with guard.session(timeout=SHORT) as session:
            dispatcher = dispatcher_for(db, session, schedule=[0, 60], guard=guard)
            assert await dispatcher.run_once() == 1
        item = (await deliveries_for_task(db, account_id, world.task_id))[0]
        assert item["status"] == "retrying"
        [attempt] = item["attempt_log"]
        assert attempt["status_code"] is None and not attempt["success"]
        assert "rebind.test resolves to 127.0.0.1, a loopback address" in attempt["error"]
        assert origin.hits == []
    finally:
        await db.dispose()
