"""The per-request log of chat: one row per chat completion a customer can see."""

from apiinone.requestlog.queries import RequestFilter, iter_requests, request_page
from apiinone.requestlog.writer import RequestLog

__all__ = ["RequestFilter", "RequestLog", "iter_requests", "request_page"]
