"""The server distribution leaves the client's modules to it (clients/python/ownership.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent / "clients" / "python"))
from ownership import is_client_module


class ServerModules(build_py):
    def find_package_modules(self, package: str, package_dir: str) -> list[Any]:
        found = super().find_package_modules(package, package_dir)
        return [(pkg, mod, path) for pkg, mod, path in found if not is_client_module(pkg, mod)]


setup(cmdclass={"build_py": ServerModules})
