"""Third-party modules that others import but our paths never use: their cost paid only on first use.

detect-secrets imports `requests` at the top of its plugins and filters, for `verify()` (asking a
provider whether a secret is live), which this tool never calls: every use of it there is inside a
function or an `except` clause. Importing it (with urllib3, http.client, ...) costs 0.2 s on the thread
every audit waits for while it starts.

Inside `deferred("requests")`, the import statements that ask for it get a stand-in module, which
`sys.modules` holds only until the block ends. An attribute read from the stand-in inside the block (by
the importing modules' own top-level code: detect-secrets reads `requests.Response` for two return
annotations) gives a placeholder that reads the real attribute when it is called or read from; after the
block, any attribute read imports the real module (once) and reads it there, so detect-secrets would
still work if it did use it. Any import after the block (the registry client, the Docker SDK) is an
ordinary import of the real module: the stand-in is never left in `sys.modules`, where the import system
would load a submodule imported through it (`requests.adapters`) a second time.
(`importlib.util.LazyLoader` cannot do this on Python 3.11: the import statement reads the module's
`__spec__`, which loads it at once.)
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import types
from collections.abc import Iterator
from typing import Any

__all__ = ["deferred"]


class _StandIn(types.ModuleType):
    """A module not imported yet: an attribute read is answered by the real module, imported then, or
    inside the `deferred` block by a `_Later` for it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.deferring = True

    def __getattr__(self, attribute: str) -> Any:
        if self.deferring:
            return _Later(self, attribute)
        return getattr(importlib.import_module(self.__name__), attribute)


class _Later:
    """An attribute of a deferred module read before the module was imported: importing it on use."""

    def __init__(self, module: _StandIn, attribute: str) -> None:
        self._module = module
        self._attribute = attribute

    def _real(self) -> Any:
        return getattr(importlib.import_module(self._module.__name__), self._attribute)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._real()(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._real(), attribute)

    def __repr__(self) -> str:
        return f"{self._module.__name__}.{self._attribute}"


@contextlib.contextmanager
def deferred(name: str) -> Iterator[None]:
    """While the block runs, `import name` gives a stand-in that imports the module on first use; nothing
    changes if the module is imported already or not installed."""
    spec = None if name in sys.modules else importlib.util.find_spec(name)
    if spec is None:
        yield
        return
    stand_in = _StandIn(name)
    stand_in.__spec__ = spec  # not initialising: an import statement takes the stand-in as it is
    sys.modules[name] = stand_in
    try:
        yield
    finally:
        stand_in.deferring = False
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
