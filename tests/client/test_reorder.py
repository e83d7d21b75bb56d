"""Sends that reach Intercom out of order: the budget never counts on one that may not be counted yet."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.client._ratelimit import REORDER_SPAN, RateLimitState
from airflow_provider_intercom.client._reorder import ReorderGroups

LIMIT = 1000
RESET = 2_000_000_010.0
START = 2_000_000_000.0


def _headers(remaining: int) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(LIMIT), "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(RESET)}


@given(
    batches=st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=6),
    arrival=st.randoms(use_true_random=False),
    answers=st.randoms(use_true_random=False),
    lost=st.sets(st.integers(min_value=1, max_value=48)),
)
def test_the_budget_never_exceeds_what_intercom_has_left(
    batches: list[int], arrival: object, answers: object, lost: set[int]
) -> None:
    # Batches sent 0.1 s apart arrive in order; within a batch, in any order. Intercom answers each
    # with what was left when it arrived; the answers come back in any order, some not at all.
    state = RateLimitState()
    now = START
    figure: dict[int, int] = {}
    count = 0
    for size in batches:
        batch = [state.on_send(now + i * REORDER_SPAN / 10) for i in range(size)]
        arrival.shuffle(batch)  # type: ignore[attr-defined]
        for seq in batch:
            count += 1
            figure[seq] = LIMIT - count
        now += 0.1
    pending = list(figure)
    answers.shuffle(pending)  # type: ignore[attr-defined]
    for seq in pending:
        headers = None if seq in lost else _headers(figure[seq])
        state.on_answer(headers, 200 if headers else None, seq, now=now)
        left = state.window_left(now)
        # Every request sent is counted by Intercom, now or when it arrives.
        assert left is None or left <= LIMIT - count


def test_once_a_batch_is_all_answered_its_lowest_figure_is_trusted_in_full() -> None:
    groups = ReorderGroups(REORDER_SPAN)
    for seq in (1, 2, 3):
        groups.sent(seq, 100.0)
    groups.sent(4, 100.5)  # a later batch
    assert groups.answered(2, figured=True) == (0, None)
    assert groups.answered(3, figured=True) == (0, None)
    assert groups.answered(1, figured=True) == (0, 3)
    assert groups.answered(4, figured=True) == (3, 4)


def test_a_batch_with_an_answer_that_carried_no_figure_is_never_trusted_in_full() -> None:
    groups = ReorderGroups(REORDER_SPAN)
    groups.sent(1, 100.0)
    groups.sent(2, 100.0)
    assert groups.answered(1, figured=False) == (0, None)
    assert groups.answered(2, figured=True) == (0, None)


def test_sends_further_apart_than_the_span_are_batches_of_their_own() -> None:
    groups = ReorderGroups(REORDER_SPAN)
    groups.sent(1, 100.0)
    groups.sent(2, 100.0 + REORDER_SPAN / 2)
    groups.sent(3, 100.0 + 2 * REORDER_SPAN)
    assert groups.answered(3, figured=True) == (2, 3)
    assert groups.answered(2, figured=True) == (0, None)
