"""The emulator's conversations in memory: lookups, updates, deletion, ordered search slices.

Every read and write holds one lock, and answers are encoded to JSON under it, so a response is
always one consistent state of a conversation. Conversations are built from the seed when first
asked for; only their changes are kept (see :class:`ConversationStore`).
"""

from __future__ import annotations

import bisect
import copy
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from airflow_provider_intercom.testing.emulator.data import seeded_conversation
from airflow_provider_intercom.testing.emulator.markup import to_plaintext
from airflow_provider_intercom.testing.emulator.mutations import newest_parts, touch

__all__ = ["Conversation", "ConversationStore", "PartIds", "SearchSlice", "order_key"]

Conversation = dict[str, Any]
#: Hands out a new, unique conversation part id each call.
PartIds = Callable[[], str]
R = TypeVar("R")
_LIST_ITEM_OMITS = ("conversation_parts",)


def _plaintext_copy(conversation: Conversation) -> Conversation:
    result = copy.deepcopy(conversation)
    source = result.get("source")
    if isinstance(source, dict):
        for key in ("body", "subject"):
            if isinstance(source.get(key), str):
                source[key] = to_plaintext(source[key])
    parts = (result.get("conversation_parts") or {}).get("conversation_parts") or []
    for part in parts:
        if isinstance(part.get("body"), str):
            part["body"] = to_plaintext(part["body"])
    return result


def order_key(conversation: Conversation) -> tuple[int, int]:
    """Where a conversation stands in search results: ``(updated_at in ms, numeric id)``.

    An assumption: Intercom documents no order, but its cursors decode to
    ``[timestamp_ms, conversation_id, n]``, i.e. results ordered by a timestamp with the id
    breaking ties. The emulator uses ``updated_at``, oldest first.

    :param conversation: a stored conversation.
    """
    return int(conversation["updated_at"]) * 1000, int(conversation["id"])


@dataclass(frozen=True)
class SearchSlice:
    """One page of search results.

    :param total_count: how many conversations match now.
    :param remaining: how many matching conversations come after the cursor, this page included.
    :param items_json: the page's list items, encoded as a JSON array.
    :param last_key: :func:`order_key` of the page's last item; ``None`` for an empty page.
    """

    total_count: int
    remaining: int
    items_json: str
    last_key: tuple[int, int] | None


class ConversationStore:
    """Seeded conversations keyed by id, built on first use.

    A million conversations fit in little memory: their ids are the numbers ``1`` .. ``count``,
    each is built from the seed when a request (or the state API) asks for it, and what is kept of
    it afterwards is only how it differs from the seeded one, as compact JSON (a mark-read keeps
    ``read`` and ``updated_at``: about 100 bytes). :meth:`search` and :meth:`select` build every
    conversation in turn (none is kept): fine for thousands, slow for a million.

    :param count: how many to create, with ids ``"1"`` .. ``str(count)``.
    :param seed: seed of the generated data.
    """

    def __init__(self, count: int, seed: int) -> None:
        if count < 0:
            raise ValueError("conversations must be >= 0")
        self._lock = threading.Lock()
        self._count = count
        self._seed = seed
        #: For each conversation that changed: ``[{key: value}, [removed keys]]`` as JSON, how it
        #: differs from the seeded one. Encoded, it takes a fraction of the dicts' memory, and
        #: decoding it is a fresh copy (the stored state is never shared with a caller).
        self._changes: dict[int, bytes] = {}
        self._deleted: set[int] = set()
        # Seeded parts of conversation n have ids 10n + k (k < 10): new ones start above them all.
        self._last_part_id = 10 * (count + 1)

    def _next_part_id(self) -> str:
        # Callers hold self._lock.
        self._last_part_id += 1
        return str(self._last_part_id)

    def _number(self, conversation_id: str) -> int:
        """The number of a stored conversation; KeyError for any other id (``"007"`` included)."""
        # Callers hold self._lock.
        if conversation_id.isascii() and conversation_id.isdigit() and not conversation_id.startswith("0"):
            number = int(conversation_id)
            if number <= self._count and number not in self._deleted:
                return number
        raise KeyError(conversation_id)

    def _load(self, number: int) -> Conversation:
        # Callers hold self._lock. A new dict every time: the caller may change it.
        conversation = seeded_conversation(number, self._seed)
        change = self._changes.get(number)
        if change is not None:
            changed, removed = json.loads(change)
            conversation.update(changed)
            for key in removed:
                conversation.pop(key, None)
        return conversation

    def _save(self, number: int, conversation: Conversation) -> None:
        # Callers hold self._lock.
        seeded = seeded_conversation(number, self._seed)
        changed = {key: value for key, value in conversation.items() if key not in seeded or seeded[key] != value}
        removed = [key for key in seeded if key not in conversation]
        if changed or removed:
            self._changes[number] = json.dumps([changed, removed], separators=(",", ":")).encode()
        else:
            self._changes.pop(number, None)

    def _numbers(self) -> list[int]:
        # Callers hold self._lock.
        return [number for number in range(1, self._count + 1) if number not in self._deleted]

    def ids(self) -> list[str]:
        """Ids of all stored conversations, in ascending numeric order."""
        with self._lock:
            return [str(number) for number in self._numbers()]

    def get(self, conversation_id: str) -> Conversation:
        """A copy of one conversation, the caller's to change.

        :param conversation_id: its id.
        :raises KeyError: when there is no such conversation.
        """
        with self._lock:
            return self._load(self._number(conversation_id))

    def exists(self, conversation_id: str) -> bool:
        """Tell whether a conversation is stored.

        :param conversation_id: its id.
        """
        with self._lock:
            try:
                self._number(conversation_id)
            except KeyError:
                return False
            return True

    def encode(self, conversation_id: str, *, plaintext: bool = False) -> bytes:
        """One conversation as the JSON body of an answer.

        :param conversation_id: its id.
        :param plaintext: render message bodies and subjects as plain text.
        :raises KeyError: when there is no such conversation.
        """
        with self._lock:
            return self._encode(self._load(self._number(conversation_id)), plaintext)

    def update(self, conversation_id: str, changes: Mapping[str, Any], *, plaintext: bool = False) -> bytes:
        """Apply validated changes of ``PUT /conversations/{id}`` and encode the result.

        ``custom_attributes`` are merged; ``company_id: null`` removes the company; ``updated_at``
        moves to now (never backwards).

        :param conversation_id: its id.
        :param changes: the request body, already validated.
        :param plaintext: render message bodies and subjects as plain text.
        :raises KeyError: when there is no such conversation (it may have been deleted meanwhile).
        """
        with self._lock:
            number = self._number(conversation_id)
            conversation = self._load(number)
            for key in ("read", "title"):
                if key in changes:
                    conversation[key] = changes[key]
            conversation["custom_attributes"].update(copy.deepcopy(changes.get("custom_attributes") or {}))
            if "company_id" in changes:
                company_id = changes["company_id"]
                if company_id is None:
                    # "Set to nil to remove company": the conversation then looks as if it never had one.
                    conversation.pop("company", None)
                else:
                    conversation["company"] = {"type": "company", "id": company_id, "name": f"Company {company_id}"}
            touch(conversation, int(time.time()))
            self._save(number, conversation)
            return self._encode(conversation, plaintext)

    def apply(
        self,
        conversation_id: str,
        change: Callable[[Conversation, PartIds], R],
        *,
        encode: bool = False,
        plaintext: bool = False,
    ) -> tuple[R, bytes | None]:
        """Change one conversation under the lock, and optionally encode the result under it too.

        :param conversation_id: its id.
        :param change: called with the stored conversation (to change in place) and a source of
            new part ids; what it returns is returned. It may raise to refuse the change, which
            then leaves the conversation as it was.
        :param encode: also encode the changed conversation, as GET answers it.
        :param plaintext: render message bodies and subjects as plain text.
        :raises KeyError: when there is no such conversation.
        """
        with self._lock:
            number = self._number(conversation_id)
            conversation = self._load(number)
            result = change(conversation, self._next_part_id)
            self._save(number, conversation)
            return result, self._encode(conversation, plaintext) if encode else None

    def select(self, predicate: Callable[[Conversation], bool]) -> list[str]:
        """Ids of the conversations a predicate accepts, in ascending numeric order.

        :param predicate: e.g. a compiled search query.
        """
        with self._lock:
            return [str(number) for number in self._numbers() if predicate(self._load(number))]

    def delete(self, conversation_id: str) -> bool:
        """Delete a conversation for good.

        :param conversation_id: its id.
        :return: whether it existed.
        """
        with self._lock:
            try:
                number = self._number(conversation_id)
            except KeyError:
                return False
            self._deleted.add(number)
            self._changes.pop(number, None)
            return True

    def search(
        self, predicate: Callable[[Conversation], bool], after: tuple[int, int] | None, per_page: int
    ) -> SearchSlice:
        """The page of matching conversations that follows ``after`` in :func:`order_key` order.

        The filter is evaluated on the data as it is now, so conversations changed since the
        previous page may move: one updated after it was returned comes again later (its
        ``updated_at`` moved past the cursor); one that stopped matching is left out. Every page
        builds every conversation once (keeping only the matches' positions).

        :param predicate: the compiled query.
        :param after: the cursor's position; ``None`` for the first page.
        :param per_page: the page size.
        """
        with self._lock:
            keys: list[tuple[int, int]] = []
            for number in self._numbers():
                conversation = self._load(number)
                if predicate(conversation):
                    keys.append(order_key(conversation))
            keys.sort()
            start = 0 if after is None else bisect.bisect_right(keys, after)
            page = keys[start : start + per_page]
            items = [{k: v for k, v in self._load(number).items() if k not in _LIST_ITEM_OMITS} for _, number in page]
            return SearchSlice(len(keys), len(keys) - start, json.dumps(items), page[-1] if page else None)

    @staticmethod
    def _encode(conversation: Conversation, plaintext: bool) -> bytes:
        shown = newest_parts(conversation)
        return json.dumps(_plaintext_copy(shown) if plaintext else shown).encode()
