"""Walk everything an exception can reach, as an error tracker or an ``on_failure_callback`` could.

From the exception: ``__cause__``, ``__context__``, ``args``, ``__notes__``, every attribute
(``__dict__`` and ``__slots__``), and on into whatever objects those hold (a ``requests``
``PreparedRequest``, an ``aiohttp`` ``RequestInfo``, dicts, lists), to a bounded depth.
Tracebacks are not followed: their frames hold the caller's own objects, not the error's.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Any

_ATOMS = (str, bytes, int, float, bool, type(None))
_SKIP = (types.TracebackType, types.FrameType, types.ModuleType, type, types.FunctionType, types.MethodType)


def reachable(root: Any, depth: int = 8) -> Iterator[tuple[str, Any]]:
    """Yield ``(path, value)`` for ``root`` and every object it reaches within ``depth`` hops."""
    seen: set[int] = set()
    pending: list[tuple[str, Any, int]] = [("error", root, 0)]
    while pending:
        path, value, level = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        yield path, value
        if isinstance(value, (*_ATOMS, *_SKIP)) or level >= depth:
            continue
        pending += [(f"{path}{name}", child, level + 1) for name, child in _children(value)]


def _children(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, BaseException):
        yield ".__cause__", value.__cause__
        yield ".__context__", value.__context__
        yield ".args", value.args
        yield ".__notes__", getattr(value, "__notes__", None)
    if isinstance(value, Mapping):
        for key, child in list(value.items()):
            yield f"[{key!r}]", child
            yield f"<key {key!r}>", key
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, child in enumerate(list(value)):
            yield f"[{index}]", child
    for name, child in _attributes(value):
        yield f".{name}", child


def _attributes(value: Any) -> Iterator[tuple[str, Any]]:
    if hasattr(value, "__dict__"):
        yield from vars(value).items()
    for cls in type(value).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if hasattr(value, name):
                yield name, getattr(value, name)


def find_secret(error: BaseException, secret: str) -> list[str]:
    """The paths from ``error`` at which ``secret`` shows: in a value, its ``repr`` or its ``str``."""
    found = []
    for path, value in reachable(error):
        shown = [repr(value), str(value)] if not isinstance(value, bytes) else [value.decode("latin-1")]
        if any(secret in text for text in shown):
            found.append(path)
    return found


#: Exceptions the failure callbacks of tests/dags/test_intercom_network.py received, in order.
FAILURES: list[BaseException] = []
