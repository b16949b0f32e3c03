"""The synchronous client of the native API."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from apiinone.client._base import (
    DEFAULT_TIMEOUT,
    ClientCore,
    partial_path,
    raise_for_stream,
    unwrap,
)
from apiinone.client.resources.account import Account
from apiinone.client.resources.admin import Admin
from apiinone.client.resources.chat import Chat
from apiinone.client.resources.images import Images
from apiinone.client.resources.keys import Keys
from apiinone.client.resources.models import Models
from apiinone.client.resources.music import Music
from apiinone.client.resources.quotes import Quotes
from apiinone.client.resources.speech import Speech
from apiinone.client.resources.tasks import Tasks
from apiinone.client.resources.tools import Tools
from apiinone.client.resources.uploads import Uploads
from apiinone.client.resources.videos import Videos
from apiinone.client.tasks import Task
from apiinone.client.transport import RetryPolicy, SyncTransport, mapped_transport_errors

__all__ = ["Client"]


class Client:
    """API in One's native API::

        from apiinone import Client

        client = Client()  # APIINONE_API_KEY / APIINONE_BASE_URL, or `apiinone login`
        task = client.images.generate(model="flux-2", prompt="A lighthouse at dusk")
        task.wait(progress=True).download("lighthouse.png")

    Requests that fail with 429, 5xx or a connection error are retried ``max_retries``
    times with backoff (honouring ``Retry-After``); every POST carries an
    ``Idempotency-Key``, so a retry never runs or charges a request twice.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._core = ClientCore(
            api_key, base_url, timeout=timeout, max_retries=max_retries, retry=retry
        )
        self._http = http_client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._owns_http = http_client is None
        self._transport = SyncTransport(self._http, self._core.retry)
        self.account = Account(self)
        self.admin = Admin(self)
        self.chat = Chat(self)
        self.images = Images(self)
        self.keys = Keys(self)
        self.models = Models(self)
        self.music = Music(self)
        self.quotes = Quotes(self)
        self.speech = Speech(self)
        self.tasks = Tasks(self)
        self.tools = Tools(self)
        self.uploads = Uploads(self)
        self.videos = Videos(self)

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def api_key(self) -> str:
        return self._core.api_key

    def health(self) -> dict[str, Any]:
        """``GET /healthz``: ``{"status": "ok"}`` while the gateway is up."""
        data: dict[str, Any] = self._request("GET", "/healthz", authenticated=False)
        return data

    def ready(self) -> dict[str, Any]:
        """``GET /readyz``: raises ServiceUnavailableError when the database is down."""
        data: dict[str, Any] = self._request("GET", "/readyz", authenticated=False)
        return data

    def task(self, task_id: str) -> Task:
        """The task ``task_id``, fetched now."""
        return self.tasks.get(task_id)

    def download(self, url: str, path: str | Path) -> Path:
        """Save a result URL to ``path``."""
        return self._download(url, Path(path))

    # The plumbing the resources share.

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
    ) -> Any:
        request = self._core.build(
            method,
            path,
            json_body=json_body,
            params=params,
            files=files,
            idempotency_key=idempotency_key,
            authenticated=authenticated,
        )
        return unwrap(self._transport.send(request))

    def _create_task(self, path: str, body: Mapping[str, Any], idempotency_key: str | None) -> Task:
        return self._task(
            self._request("POST", path, json_body=body, idempotency_key=idempotency_key)
        )

    def _task(self, data: Mapping[str, Any]) -> Task:
        return Task(self, data)

    @contextmanager
    def _open_stream(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Iterator[Iterator[str]]:
        """The lines of a streamed answer (Server-Sent Events); an error status raises."""
        request = self._core.build(method, path, json_body=json_body, timeout=timeout, stream=True)
        response = self._transport.send(request, stream=True)
        try:
            if response.status_code >= 400:
                with mapped_transport_errors():
                    body = response.read()
                raise_for_stream(response, body)
            yield _lines(response)
        finally:
            response.close()

    def _download(self, url: str, dest: Path) -> Path:
        """Stream a result to ``dest`` (through a ``.part`` file, so a failure leaves none).
        Result URLs are capabilities: no API key is sent with them."""
        request = self._core.build("GET", url, authenticated=False)
        request.headers["Accept"] = "*/*"
        response = self._transport.send(request, stream=True)
        try:
            if response.status_code >= 400:
                with mapped_transport_errors():
                    body = response.read()
                raise_for_stream(response, body)
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = partial_path(dest)
            try:
                with part.open("wb") as handle, mapped_transport_errors():
                    for chunk in response.iter_bytes():
                        handle.write(chunk)
                part.replace(dest)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
        finally:
            response.close()
        return dest

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Client {self.base_url}>"


def _lines(response: httpx.Response) -> Iterator[str]:
    with mapped_transport_errors():
        yield from response.iter_lines()
