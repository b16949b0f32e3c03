"""Durable async tasks: states, the store, submission, the worker, events."""
