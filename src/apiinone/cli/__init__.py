"""The ``apiinone`` command line.

The API users' commands (``user*.py``) and this file ship in the client distribution; the
server's commands (``main``, ``operator``, ...) ship in the server distribution, found through
:func:`apiinone._server_portions` where they lie elsewhere on ``sys.path``.
"""

from apiinone import _server_portions

__path__ = _server_portions(__path__, __name__)
