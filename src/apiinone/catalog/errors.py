"""The one exception of the catalog: a catalog file that cannot be served."""

from __future__ import annotations

__all__ = ["CatalogError"]


class CatalogError(Exception):
    """A malformed catalog or override file, refused at load time.

    The message names the model (``slug``) and the field (a dotted path such as
    ``params.resolution.default``) so an operator can find the mistake.
    """

    def __init__(self, message: str, *, model: str | None = None, field: str | None = None) -> None:
        where = ".".join(part for part in (model, field) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.model = model
        self.field = field
