"""Names to ids, checked before any write: which tag a DAG means, and whether an assignee exists.

Pure functions over what ``GET /tags``, ``GET /admins`` and ``GET /teams`` answered, so that a
typo in a tag name or a departed teammate's id fails the task before the first conversation is
touched, with a message that says what there is instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._validation import _describe as describe

__all__ = ["check_assignee", "resolve_tag"]

#: How many close names a "no such tag" message suggests.
_SUGGESTIONS = 5


def resolve_tag(value: Any, tags: Sequence[Mapping[str, Any]], *, where: str = "tag") -> dict[str, str]:
    """The tag ``value`` means, as ``{"id": ..., "name": ...}``.

    A value equal to a tag's id is that tag. Otherwise it is matched by exact name, then
    case-insensitively if exactly one tag matches so.

    :param value: a tag id or name.
    :param tags: the workspace's tags (``GET /tags``'s ``data``).
    :param where: how messages name the value.
    :raises IntercomValidationError: if no tag, or more than one, matches.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise IntercomValidationError(f"{where} must be a tag's id or name; got {describe(value)}.")
    known = [(str(tag.get("id")), str(tag.get("name") or "")) for tag in tags if tag.get("id") is not None]
    for matches in (
        [t for t in known if t[0] == value],
        [t for t in known if t[1] == value],
        [t for t in known if t[1].casefold() == value.casefold()],
    ):
        if len(matches) == 1:
            return {"id": matches[0][0], "name": matches[0][1]}
        if len(matches) > 1:
            names = ", ".join(f"{name!r} (id {tid})" for tid, name in matches)
            raise IntercomValidationError(
                f"{where} {value!r} matches several tags when case is ignored: {names}. Give the exact name or the id."
            )
    close = difflib.get_close_matches(value, [name for _, name in known], n=_SUGGESTIONS, cutoff=0.5)
    hint = f" Closest names: {', '.join(map(repr, close))}." if close else ""
    raise IntercomValidationError(
        f"{where} {value!r} is neither the id nor the name of a tag in this workspace ({len(known)} tags).{hint} "
        "Tags are created in Intercom (Settings > Tags), not by this task."
    )


def check_assignee(
    assignee_id: str, assignee_type: str, candidates: Sequence[Mapping[str, Any]], *, where: str = "assignee_id"
) -> str:
    """Return the assignee's name if ``assignee_id`` is one of ``candidates``, else raise.

    :param assignee_id: the admin or team id to assign to.
    :param assignee_type: ``"admin"`` or ``"team"``, for the message.
    :param candidates: ``GET /admins``'s ``admins`` or ``GET /teams``'s ``teams``.
    :param where: how messages name the value.
    :raises IntercomValidationError: if no candidate has that id.
    """
    for candidate in candidates:
        if str(candidate.get("id")) == assignee_id:
            return str(candidate.get("name") or candidate.get("email") or assignee_id)
    listed = ", ".join(f"{c.get('id')} ({c.get('name')})" for c in candidates[:10])
    more = f" and {len(candidates) - 10} more" if len(candidates) > 10 else ""
    raise IntercomValidationError(
        f"{where} {assignee_id!r} is not {'an admin' if assignee_type == 'admin' else 'a team'} of this workspace. "
        f"{assignee_type.capitalize()}s: {listed or 'none'}{more}."
        + (" To assign to a team, set assignee_type='team'." if assignee_type == "admin" else "")
    )
