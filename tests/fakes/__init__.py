"""Fake upstream servers on loopback, each speaking one provider's documented wire format."""
