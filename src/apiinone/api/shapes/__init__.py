"""What the API's bodies look like, for the OpenAPI document: one small module per area.

These models describe; they never parse. The routes read their bodies and render their
answers as they always have (raw JSON, ``envelope``); the models are named in each route's
``responses`` (and, for bodies read raw, in ``openapi_extra``), so ``/openapi.json`` types
every request and answer. ``tests/openapi`` checks real answers against them.
"""
