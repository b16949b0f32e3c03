"""Task webhooks: an outbox of deliveries, signed per Standard Webhooks, retried with backoff.

``outbox.enqueue`` writes a delivery in the transaction that ends a task;
``dispatcher.WebhookDispatcher`` claims due deliveries with a lease, POSTs them and records
every attempt (``store``); ``retry`` is the backoff policy; ``signing`` and ``secrets`` the
signature and the per-account secret; ``queries`` what the API lists.
"""
