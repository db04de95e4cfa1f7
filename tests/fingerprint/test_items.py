"""Item anchors: the task inside a request's wrappers as numbers (a bottom-2 min-hash of
its word shingles), shared by the same task under any greeting, label or reasoning ask,
and the account × item table that keeps each account's smallest first-turn anchors."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl

from distillscan.aggregate.partial import batch_aggregates
from distillscan.aggregate.tables import ITEMS_PER_ACCOUNT, smallest_items
from distillscan.fingerprint.annotate import annotate_requests
from distillscan.schema import CANONICAL_SCHEMA

TASK = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?"
)


def _anchors(prompts: list[str]) -> list[set[int]]:
    frame = pl.DataFrame({"prompt": prompts, "system": [None] * len(prompts)},
                         schema={"prompt": pl.String, "system": pl.String})
    annotated = annotate_requests(frame.lazy()).collect()
    return [{value for value in row if value is not None} for row in annotated.select("item", "item_2").iter_rows()]


def test_one_task_under_other_wrappers_shares_an_anchor() -> None:
    bare, *wrapped = _anchors([
        TASK,
        f"Hi there, could you help me with: {TASK}\n\nPlease show all your reasoning, step-by-step.",
        f"Quick one for you, my friend: {TASK} Walk me through your thinking carefully!",
        TASK.upper(),
        f"{TASK}\n\nI want to understand your logic, so lay it out bit by bit.",
    ])
    assert len(bare) == 2
    assert all(anchors & bare for anchors in wrapped)
    other = _anchors(["A train leaves the station at noon going east at sixty miles an hour; when does it arrive?"])
    assert not other[0] & bare


def test_items_one_template_writes_with_other_numbers_are_other_items() -> None:
    # Every shingle of these holds a number: masked, they were one item, and a grammar's
    # (or a templated dataset's) problems were each other's (see `items.rs`).
    first, second, again = _anchors(["Compute 48 plus 17 now.", "Compute 49 plus 17 now.", "compute 48 plus 17 now."])
    assert first and first == again
    assert not first & second


def test_short_and_long_prompts() -> None:
    long_task = " ".join(f"word{i} is followed by another" for i in range(200))
    short, empty, framed, bare = _anchors(
        ["thanks, that fixed it", "", f"Summarise this: {long_task} Be brief.", long_task]
    )
    assert short == set() and empty == set()
    assert framed & bare


def _canonical(annotated: pl.DataFrame) -> pl.DataFrame:
    """The columns the batch queries read, filled as a bare log has them."""
    filled = {name: pl.lit(None, dtype=dtype) for name, dtype in CANONICAL_SCHEMA.items() if name not in annotated.columns}
    filled["timestamp"] = pl.lit(datetime(2026, 5, 1, tzinfo=timezone.utc)).cast(CANONICAL_SCHEMA["timestamp"])
    return annotated.with_columns(**filled)


def _letters(number: int) -> str:
    """A word of letters for a number (digits would be masked)."""
    return "".join(chr(ord("a") + number // 26**place % 26) for place in range(4))


def test_each_account_keeps_its_smallest_first_turn_anchors() -> None:
    n = ITEMS_PER_ACCOUNT
    prompts = [f"Task: {' '.join(_letters(i * 12 + j) for j in range(12))}" for i in range(n)]
    frame = pl.DataFrame({
        "account_id": ["a"] * n + ["b"] * 3,
        "prompt": prompts + prompts[:3],
        "system": [None] * (n + 3),
        "turn": [1] * n + [2] * 3,
    }, schema_overrides={"system": pl.String, "turn": pl.Int32})
    annotated = annotate_requests(frame.lazy()).collect()
    # A batch's partial table holds every anchor; merging and completing cut it.
    batch = batch_aggregates(_canonical(annotated)).account_items
    items = smallest_items(batch.lazy()).collect()
    of_a = annotated.filter(pl.col("account_id") == "a")
    distinct = pl.concat([of_a["item"], of_a["item_2"]]).drop_nulls().unique().sort()
    assert distinct.len() > ITEMS_PER_ACCOUNT
    assert batch.filter(pl.col("account_id") == "a")["item"].sort().to_list() == distinct.to_list()
    kept = items.filter(pl.col("account_id") == "a")["item"].sort()
    assert kept.to_list() == distinct.head(ITEMS_PER_ACCOUNT).to_list()
    # Account b sends only later turns: no items.
    assert items.filter(pl.col("account_id") == "b").is_empty()
