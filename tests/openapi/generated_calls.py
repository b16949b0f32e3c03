"""Run by tests/openapi/test_generated_client_e2e.py with the generated package on the path:
account, a task submission and a task poll through the generated client only.

Usage: generated_calls.py PACKAGE BASE_URL KEY. Prints one JSON object: for each call its
HTTP status, the parsed model's class name, whether the parsed model gives back the JSON
body exactly (``to_dict() == body``), and the values the test compares.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import typing
from typing import Any

POLL_SECONDS = 60.0


def call(package: str, module: str, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    endpoint = importlib.import_module(f"{package}.api.{module}")
    response = endpoint.sync_detailed(**kwargs)
    body = json.loads(response.content)
    parsed = response.parsed
    seen = {
        "http": int(response.status_code),
        "parsed": type(parsed).__name__,
        "round_trip": parsed is not None and parsed.to_dict() == body,
    }
    return parsed, seen


def body_type(package: str, module: str) -> Any:
    endpoint = importlib.import_module(f"{package}.api.{module}")
    return typing.get_type_hints(endpoint.sync_detailed)["body"]


def main(package: str, base_url: str, key: str) -> None:
    client_module = importlib.import_module(f"{package}.client")
    client = client_module.AuthenticatedClient(base_url=base_url, token=key, timeout=30.0)
    out: dict[str, Any] = {}

    account, out["account"] = call(
        package, "account.read_account_api_v1_account_get", client=client
    )
    out["account"].update(account_id=account.data.account_id, balance=account.data.balance)

    speech = "generation.create_audio_speech_api_v1_audio_speech_post"
    request = body_type(package, speech).from_dict(
        {"model": "elevenlabs-v3", "dialogue": [{"text": "Generated clients work."}]}
    )
    created, out["submit"] = call(package, speech, client=client, body=request)
    task_id = created.data.task_id
    out["submit"].update(task_id=task_id, task_status=created.data.status)

    poll = "tasks.get_task_api_v1_tasks_task_id_get"
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        task, out["poll"] = call(package, poll, task_id=task_id, client=client)
        if task.data.status != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    out["poll"].update(
        task_id=task.data.task_id,
        task_status=task.data.status,
        consumed_credits=task.data.consumed_credits,
        estimated_credits=task.data.estimated_credits,
        response=list(task.data.response),
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])
