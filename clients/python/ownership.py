"""Which files of ``src/apiinone`` belong to the client distribution (``apiinone``).

The client and the server are built from one source tree. The client owns the ``apiinone``
package's ``__init__.py`` and ``py.typed``, the ``apiinone.client`` packages and the API
users' commands (``apiinone/cli/__init__.py`` and ``apiinone/cli/user*.py``); the server
distribution (``apiinone-server``, the repository's root) ships everything else, so no file is
installed by both. Both ``setup.py`` files read this module.
"""

from __future__ import annotations


def is_client_module(package: str, module: str) -> bool:
    """Whether module ``module`` of package ``package`` ships in the client distribution."""
    if package == "apiinone.client" or package.startswith("apiinone.client."):
        return True
    if package == "apiinone":
        return module == "__init__"
    if package == "apiinone.cli":
        return module == "__init__" or module.startswith("user")
    return False
