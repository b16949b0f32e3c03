"""OpenAI's Responses API (``POST /v1/responses``) as a surface of the one chat core.

A Responses request is translated into the Chat Completions body (``request``), run by the
chat service (holds, capture from usage, partial streams billed for what was delivered), and
its answer translated back (``output``) or re-emitted as typed Responses events
(``events``). ``store`` keeps answers for retrieval and ``previous_response_id``.
"""
