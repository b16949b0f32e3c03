"""The ``apiinone`` command line."""
