"""One module per area of the native API, each with a sync and an async class."""
