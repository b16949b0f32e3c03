"""Anthropic's Messages API (``POST /v1/messages``) translated onto the chat core.

``request`` turns an Anthropic request into the Chat Completions body the chat service
validates and runs; ``answer`` and ``stream`` turn its answer back into a message object or
Anthropic's stream events; ``errors`` gives every failure on these paths Anthropic's error
shape; ``service`` ties them to ``run_chat``.
"""
