"""Messages: requests that post a part a person sees, and how a posted one is recognised.

Intercom's REST API has no idempotency key: a reply, a note, or a close or an assignment with a
``body``, sent twice, is two parts that the customer or the teammates see. So these requests are
never simply sent again after a failure whose outcome is unknown (:func:`is_ambiguous`): the
conversation is read back first, and the message is looked for (:func:`find_part`).

A part is recognised by what Intercom keeps of the request, never by the exact body, because
Intercom answers bodies as HTML and normalises the HTML it is sent (2.16 examples of
``replyConversation`` and ``manageConversation``: ``"Goodbye :)"`` comes back as
``"<p>Goodbye :)</p>"``). A part matches when all of these hold:

* its ``part_type`` is the action's (``comment``, ``note``, ``close``, an assignment's);
* its author is the admin the request was sent as;
* its body's :func:`normalize_text` (tags stripped, entities unescaped, whitespace collapsed)
  equals the sent body's, read as HTML or as plain text (:func:`body_matches`);
* its ``created_at`` is no earlier than the first send, minus :data:`~.facts.CLOCK_SKEW_SECONDS`.
  Replies also send ``created_at`` (a documented request field): Intercom stores it as given.

``GET /conversations/{id}`` answers at most the 500 newest parts: when all 500 are newer than the
first send, an older match could be hidden, and the id is reported as unverified, never re-sent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_intercom.client._error import IntercomError, IntercomValidationError
from airflow_provider_intercom.client._validation import _describe as describe
from airflow_provider_intercom.client.facts import (
    CLOCK_SKEW_SECONDS,
    MAX_ATTACHMENT_URLS,
    MAX_RETURNED_PARTS,
    REPLY_MESSAGE_TYPES,
)

__all__ = [
    "ASSIGNMENT_PART_TYPES",
    "MessageSpec",
    "Verdict",
    "body_matches",
    "find_part",
    "is_ambiguous",
    "normalize_text",
    "validate_attachment_urls",
    "validate_bodies",
    "validate_body",
    "validate_message_type",
]

#: The ``part_type`` an assignment with a body is recorded as: assigning a closed conversation
#: reopens it, and a snoozed one wakes.
ASSIGNMENT_PART_TYPES = frozenset({"assignment", "assign_and_reopen", "assign_and_unsnooze"})
#: What a read-back says about a message: there, not there, or not knowable from the answer.
Verdict = Literal["posted", "absent", "unverifiable"]

_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class MessageSpec:
    """What makes a request a message, and how its part is recognised.

    :param part_types: the ``part_type`` values the part may have.
    :param author_id: the admin it is sent as.
    :param stamp_created_at: send ``created_at`` (UNIX seconds of the id's first send) in the body.
    """

    part_types: frozenset[str]
    author_id: str
    stamp_created_at: bool = False


def normalize_text(text: str) -> str:
    """A body as compared: tags stripped, entities unescaped, whitespace collapsed.

    :param text: a body as sent (plain text or HTML) or as Intercom answers it (HTML).
    """
    return _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", text))).strip()


def body_matches(sent: str, answered: str) -> bool:
    """Whether a part's body (HTML, as Intercom answers it) is the body that was sent.

    The sent body is read both ways, as HTML and as plain text, since which one Intercom took it
    for is not known: plain text such as ``"a <b> c"`` or ``"<>"`` comes back escaped, and only
    its plain reading (whitespace collapsed, nothing stripped) matches it. A body that is missed
    would be posted twice.

    :param sent: the body as sent.
    :param answered: the part's body as Intercom answers it.
    """
    found = normalize_text(answered)
    return found in (normalize_text(sent), _SPACE_RE.sub(" ", sent).strip())


def validate_body(value: Any, *, where: str) -> str:
    """A message body: a string with some text in it.

    :param value: the body.
    :param where: how messages name it, e.g. ``"Task 'reply': body"``.
    :raises IntercomValidationError: if it is not one.
    """
    if isinstance(value, str) and normalize_text(value):
        return value
    raise IntercomValidationError(
        f"{where} must be a non-empty string (plain text or HTML); got {describe(value)}. "
        "Intercom refuses a message without text."
    )


def validate_bodies(value: Any, ids: Sequence[str], *, where: str) -> dict[str, str]:
    """Per-conversation bodies, e.g. generated upstream: one non-empty body for each id.

    :param value: a mapping from conversation id to body.
    :param ids: the run's validated ids.
    :param where: how messages name it.
    :raises IntercomValidationError: not a mapping, a bad body, or an id without a body.
    """
    if not isinstance(value, Mapping):
        raise IntercomValidationError(
            f"{where} must map conversation ids to bodies, e.g. {{'123': 'Hello'}}; got {describe(value)}."
        )
    bodies = {str(key).strip(): validate_body(body, where=f"{where}[{key!r}]") for key, body in value.items()}
    missing = [cid for cid in ids if cid not in bodies]
    if missing:
        raise IntercomValidationError(
            f"{where} has no body for {len(missing)} of the {len(ids)} conversations, e.g. "
            f"{', '.join(missing[:5])}: give one for each, or leave those ids out."
        )
    return bodies


def validate_message_type(value: Any, *, where: str) -> str:
    """``comment`` or ``note``.

    :param value: the message type.
    :param where: how messages name it.
    :raises IntercomValidationError: if it is neither.
    """
    if value in REPLY_MESSAGE_TYPES:
        return str(value)
    raise IntercomValidationError(
        f"{where} must be 'comment' (the customer sees it) or 'note' (teammates only); got {describe(value)}."
    )


def validate_attachment_urls(value: Any, *, where: str) -> list[str]:
    """At most 10 http(s) URLs.

    :param value: a list of URLs, or None.
    :param where: how messages name it.
    :raises IntercomValidationError: if it is not one.
    """
    urls = [] if value is None else value
    if (
        isinstance(urls, (str, bytes))
        or not isinstance(urls, Sequence)
        or not all(isinstance(url, str) and url.startswith(("https://", "http://")) for url in urls)
    ):
        raise IntercomValidationError(f"{where} must be a list of http(s) URLs; got {describe(value)}.")
    if len(urls) > MAX_ATTACHMENT_URLS:
        raise IntercomValidationError(
            f"{where} holds {len(urls)} URLs; Intercom takes at most {MAX_ATTACHMENT_URLS} per message."
        )
    return list(urls)


def is_ambiguous(error: IntercomError) -> bool:
    """Whether a failed send may still have been applied: its fate is unknown.

    No answer after the request was written (a timeout, a dropped connection), a 5xx (a proxy may
    answer 502 after Intercom applied it), and a 2xx that is not a readable Intercom answer are
    ambiguous. A failure before the request went out, a 429 and any 4xx are not: nothing was applied.

    :param error: what the send failed with.
    """
    if not error.sent:
        return False
    return error.status is None or error.status >= 500 or 200 <= error.status < 300


def _parts(conversation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    container = conversation.get("conversation_parts")
    parts = container.get("conversation_parts") if isinstance(container, Mapping) else None
    return [part for part in parts if isinstance(part, Mapping)] if isinstance(parts, list) else []


def _created(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def find_part(conversation: Mapping[str, Any], spec: MessageSpec, text: str, *, sent_after: float) -> Verdict:
    """Look for the message in a conversation read back with ``GET /conversations/{id}``.

    :param conversation: Intercom's answer.
    :param spec: the message's part types and author.
    :param text: the body that was sent.
    :param sent_after: UNIX seconds of the first send of this message; parts older than this
        (minus :data:`~.facts.CLOCK_SKEW_SECONDS`) do not count.
    """
    parts = _parts(conversation)
    since = sent_after - CLOCK_SKEW_SECONDS
    for part in parts:
        author = part.get("author")
        created = _created(part.get("created_at"))
        if (
            part.get("part_type") in spec.part_types
            and isinstance(author, Mapping)
            and str(author.get("id")) == spec.author_id
            and created is not None
            and created >= since
            and isinstance(part.get("body"), str)
            and body_matches(text, part["body"])
        ):
            return "posted"
    container = conversation.get("conversation_parts")
    total = container.get("total_count") if isinstance(container, Mapping) else None
    oldest = min((c for c in (_created(p.get("created_at")) for p in parts) if c is not None), default=None)
    hidden = isinstance(total, int) and total > len(parts)
    if (hidden or len(parts) >= MAX_RETURNED_PARTS) and oldest is not None and oldest >= since:
        # Every part shown is newer than the send: older ones, the message among them, are cut off.
        return "unverifiable"
    return "absent"


def is_conversation(answer: Mapping[str, Any], conversation_id: str) -> bool:
    """Whether a 2xx answer is the conversation asked about, with its parts: anything else (a
    proxy's JSON, another object) says nothing about whether the message was posted.

    :param answer: the parsed answer.
    :param conversation_id: the conversation the request named.
    """
    return (
        answer.get("type") == "conversation"
        and str(answer.get("id")) == conversation_id
        and isinstance(answer.get("conversation_parts"), Mapping)
    )
