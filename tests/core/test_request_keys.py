"""The core's request keys group rows exactly as `read/dedupe.py`'s Polars keys do."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from distillscan import _core
from distillscan.read.dedupe import IDENTITY_COLUMNS, request_keys


def core_keys(frame: pl.DataFrame) -> pl.Series:
    return pl.DataFrame(_core.request_keys([frame.get_column(name) for name in IDENTITY_COLUMNS])).to_series()


def _groups(keys: pl.Series) -> list[int | None]:
    """For each row, the first row with its key (None for a null key)."""
    frame = pl.DataFrame({"key": keys}).with_row_index("row")
    return frame.select(pl.when(pl.col("key").is_not_null()).then(pl.col("row").first().over("key"))).to_series().to_list()


_VALUE = st.one_of(st.none(), st.sampled_from(["", " ", "a", "b", "ab", "\u3000", "a b", "中"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(*[_VALUE] * len(IDENTITY_COLUMNS)), max_size=30))
def test_core_keys_group_rows_as_the_polars_keys_do(rows: list[tuple[str | None, ...]]) -> None:
    frame = pl.DataFrame(rows, schema=dict.fromkeys(IDENTITY_COLUMNS, pl.String), orient="row")
    assert _groups(core_keys(frame)) == _groups(request_keys(frame))


def test_values_moved_between_columns_give_other_keys() -> None:
    frame = pl.DataFrame({"request_id": ["r", "r"], "account_id": ["ab", "a"], "model": ["", "b"],
                          "system": [None, None], "prompt": ["x", "x"]}, schema=dict.fromkeys(IDENTITY_COLUMNS, pl.String))
    keys = core_keys(frame).to_list()
    assert keys[0] != keys[1] and None not in keys
