"""A fake of the outside world's DNS: a table the test controls, so names can resolve to
any address (and change their answer, as a rebinding attacker's would) without a network."""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult


class FakeDNS(AbstractResolver):
    """``answers[name]`` is a list of answers, each a list of addresses; each lookup takes
    the next answer and the last one repeats. Unknown names do not resolve."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        queue = self.answers.get(host.lower().rstrip("."))
        if not queue:
            raise OSError(f"{host}: Name or service not known")
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        pass
