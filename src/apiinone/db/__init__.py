"""Database: tables, the engine wrapper and migrations."""

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import metadata

__all__ = ["Database", "metadata", "now_ms"]
