"""The dashboard's routers, one per page (or group of pages)."""
