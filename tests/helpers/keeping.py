"""Operators that keep the exception their ``execute`` raises, for a test to read and walk.

That object is what Airflow hands a failure callback (``context["exception"]``), its log and an
error tracker. A failure callback cannot be used to get it: ``dag.test()`` on Airflow 3.0-3.2
leaves the exception out of that callback's context (a worker puts it in), and its task log can
be lost there (structlog writes to a closed pipe).
"""

from __future__ import annotations

from typing import Any, TypeVar

from tests.helpers.chain import FAILURES

T = TypeVar("T")


def keeping(operator: type[T]) -> type[T]:
    """A subclass of ``operator`` whose ``execute`` appends what it raises to :data:`FAILURES`.

    :param operator: an operator class.
    """

    def execute(self: Any, context: Any) -> Any:
        try:
            return super(kept, self).execute(context)  # type: ignore[misc]
        except BaseException as error:
            FAILURES.append(error)
            raise

    kept: type[T] = type(f"Keeping{operator.__name__}", (operator,), {"execute": execute, "__module__": __name__})
    return kept
