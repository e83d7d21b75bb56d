"""Rendering a literal list of conversation ids without one Jinja template per id.

Airflow renders a list field item by item, every string a Jinja template of its own: 15,000 to
20,000 literal ids took 3 to 6 s on every try, and a million would take minutes. A string that
holds none of the Jinja environment's delimiters renders to itself, so only the items that do
(and those that are not strings) go through Airflow's rendering; the others are kept as given.
A list with no template at all is returned as it is, without a pass over its items.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["render_literal_ids", "template_markers"]

#: Joins the ids for one scan of them all; no delimiter contains it, so none can form across two ids.
_SEPARATOR = "\x00"


class _JinjaSyntax(Protocol):
    """What a ``jinja2.Environment`` says about its syntax (Airflow lets a DAG change it)."""

    block_start_string: str
    variable_start_string: str
    comment_start_string: str
    line_statement_prefix: str | None
    line_comment_prefix: str | None


def template_markers(env: _JinjaSyntax) -> tuple[str, ...]:
    """What a string must contain for ``env`` to render it as anything but itself.

    A line end counts too: Jinja drops a trailing one (LF, CRLF or CR; ``keep_trailing_newline``
    is off in Airflow's environments), so an id read with its line end was always rendered without it.

    :param env: the Jinja environment the task renders with.
    """
    starts = (env.block_start_string, env.variable_start_string, env.comment_start_string)
    prefixes = (env.line_statement_prefix, env.line_comment_prefix)
    return (*starts, *(prefix for prefix in prefixes if prefix), "\n", "\r")


def needs_rendering(item: Any, markers: tuple[str, ...]) -> bool:
    """Whether ``item`` may render to something else than itself.

    :param item: one item of the list as given.
    :param markers: :func:`template_markers` of the environment.
    """
    return not isinstance(item, str) or any(marker in item for marker in markers)


def render_literal_ids(
    items: list[Any] | tuple[Any, ...], markers: tuple[str, ...], render: Callable[[Any], Any]
) -> list[Any] | tuple[Any, ...]:
    """``items`` with each item that needs it rendered by ``render``, the others as given.

    :param items: the list (or tuple) of ids as the DAG gave it.
    :param markers: :func:`template_markers` of the environment.
    :param render: Airflow's rendering of one item.
    :return: ``items`` itself when no item needs rendering (it is not changed afterwards), else a
        new list or tuple.
    """
    try:
        joined = _SEPARATOR.join(items)  # one scan of them all; a TypeError unless all are strings
    except TypeError:
        joined = None
    if joined is not None and not any(marker in joined for marker in markers):
        return items
    rendered = [render(item) if needs_rendering(item, markers) else item for item in items]
    return rendered if isinstance(items, list) else tuple(rendered)
