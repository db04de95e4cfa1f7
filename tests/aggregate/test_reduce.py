"""The core's batch reduction against the Polars group-bys it replaced."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from distillscan import _core
from distillscan.aggregate.partial import batch_aggregates, reduction_inputs
from distillscan.aggregate.tables import MERGE_KEYS, PARTIAL_SCHEMAS
from distillscan.fingerprint.annotate import annotate_requests
from distillscan.model.aggregates import TABLES
from tests.aggregate.polars_reference import shard_queries
from tests.helpers import at, campaign_rows, customer_rows, requests_frame


def _reference(annotated: pl.DataFrame) -> dict[str, pl.DataFrame]:
    queries = shard_queries(annotated.lazy())
    return dict(zip(queries, pl.collect_all(list(queries.values())), strict=True))


def _assert_same_tables(annotated: pl.DataFrame) -> None:
    reduced = batch_aggregates(annotated)
    for name, expected in _reference(annotated).items():
        keys = list(MERGE_KEYS[name])
        got = getattr(reduced, name)
        assert got.schema == expected.schema, name
        assert_frame_equal(got.sort(keys, nulls_last=True), expected.sort(keys, nulls_last=True), check_exact=True)


def _varied_rows(seed: int, rows: int) -> list[dict[str, object]]:
    """Requests whose every column is sometimes null, with repeated and unusual keys."""
    rng = random.Random(seed)

    def maybe(value: object, null_share: float = 0.2) -> object:
        return None if rng.random() < null_share else value

    temperatures = [0.0, -0.0, 0.7, 1.0, math.nan, 1e-300]
    prompts = ["Explain step by step: what is {n} plus 3?", "Summarise this article: {n}",
               "Translate <b>{n}</b> \x1b[31m into French", "写一首关于{n}的诗", ""]
    return [
        {
            "account_id": f"acct-{rng.randrange(40)}",
            "timestamp": maybe(at(minutes=rng.randrange(5_000)), 0.05),
            "prompt": maybe(rng.choice(prompts).format(n=rng.randrange(30)), 0.1),
            "system": maybe(rng.choice(["You are a tutor.", "You are a senior Python developer.", ""]), 0.4),
            "n_turns": maybe(rng.randrange(1, 4), 0.6),
            "turn": maybe(rng.randrange(1, 3), 0.7),
            "model": maybe(rng.choice(["m-1", "m-2"])),
            "ip": maybe(f"10.0.{rng.randrange(3)}.{rng.randrange(5)}"),
            "user_agent": maybe(rng.choice(["sdk/1", "curl/8"])),
            "org_id": maybe(rng.choice(["org-a", "org-b"]), 0.5),
            "payment_fingerprint": maybe(rng.choice(["card-1", "card-2"]), 0.5),
            "account_created_at": maybe(at(days=-rng.randrange(30)), 0.5),
            "input_tokens": maybe(rng.randrange(2_000)),
            "output_tokens": maybe(rng.randrange(2_000)),
            "temperature": maybe(rng.choice(temperatures)),
            "max_tokens": maybe(rng.choice([256, 1024])),
            "n_images": maybe(rng.randrange(2), 0.5),
            "n_tool_results": maybe(rng.randrange(2), 0.5),
        }
        for _ in range(rows)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_varied_batches_reduce_as_the_polars_group_bys_did(seed: int) -> None:
    _assert_same_tables(annotate_requests(requests_frame(_varied_rows(seed, 3_000)).lazy()).collect())


def test_campaign_and_customers_reduce_as_the_polars_group_bys_did() -> None:
    rows = campaign_rows(6) + customer_rows("cust", 1, [0, 1], "8.8.8.8", "card-9")
    _assert_same_tables(annotate_requests(requests_frame(rows).lazy()).collect())


def test_columns_of_nothing_but_nulls_and_an_empty_batch_reduce() -> None:
    frame = requests_frame([{"account_id": "a", "timestamp": at(), "prompt": "hi"}] * 3)
    annotated = annotate_requests(frame.lazy()).collect()
    nulls = ("ip", "model", "system_text")
    _assert_same_tables(annotated.with_columns(pl.lit(None, pl.String).alias(name) for name in nulls))
    # A column of Polars' Null type (nothing but nulls, untyped) reads as null text.
    untyped = batch_aggregates(annotated.with_columns(pl.lit(None).alias(name) for name in nulls))
    typed = batch_aggregates(annotated.with_columns(pl.lit(None, pl.String).alias(name) for name in nulls))
    for name in TABLES:
        assert_frame_equal(getattr(untyped, name), getattr(typed, name))
    empty = batch_aggregates(annotated.clear())
    for name in TABLES:
        assert getattr(empty, name).schema == pl.Schema(PARTIAL_SCHEMAS[name])
        assert getattr(empty, name).is_empty()


def test_timestamps_far_apart_land_in_their_own_slots() -> None:
    rows = [{"account_id": "a", "timestamp": at() + timedelta(days=365 * years), "prompt": "hi"} for years in range(3)]
    _assert_same_tables(annotate_requests(requests_frame(rows).lazy()).collect())


def test_a_wrong_column_is_an_error_naming_it() -> None:
    annotated = annotate_requests(requests_frame([{"account_id": "a", "timestamp": at(), "prompt": "hi"}]).lazy())
    inputs = reduction_inputs(annotated.collect())
    columns = [inputs.get_column(name) for name in _core.REDUCE_INPUTS]
    columns[_core.REDUCE_INPUTS.index("frame_fp")] = inputs.get_column("bucket")
    with pytest.raises(ValueError, match="frame_fp"):
        _core.reduce_batch(columns)
    with pytest.raises(ValueError, match=f"expected {len(_core.REDUCE_INPUTS)} columns, got 3"):
        _core.reduce_batch(columns[:3])
    with pytest.raises(ValueError, match=f"expected {len(_core.REDUCE_INPUTS)} columns, got {len(_core.REDUCE_INPUTS) + 1}"):
        _core.reduce_batch([*columns, columns[0]])


_TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "A", "\x1b[2J", "[bold]x[/]", "é", "\x00"]), st.text(max_size=6))


@settings(max_examples=40, deadline=None)
@given(st.lists(
    st.fixed_dictionaries({
        "account_id": st.sampled_from(["a", "b", "", "ä"]),
        "prompt": _TEXT,
        "system": _TEXT,
        "model": _TEXT,
        "ip": _TEXT,
        "user_agent": _TEXT,
        "temperature": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        "max_tokens": st.one_of(st.none(), st.integers(-(2**62), 2**62)),
        "input_tokens": st.one_of(st.none(), st.integers(0, 2**40)),
        "n_turns": st.one_of(st.none(), st.integers(-3, 3)),
        "minutes": st.integers(-10**6, 10**6),
    }),
    max_size=40,
))
def test_random_batches_reduce_as_the_polars_group_bys_did(rows: list[dict[str, object]]) -> None:
    requests = [{**row, "timestamp": at(minutes=float(row.pop("minutes")))} for row in rows]  # type: ignore[arg-type]
    _assert_same_tables(annotate_requests(requests_frame(requests).lazy()).collect())
