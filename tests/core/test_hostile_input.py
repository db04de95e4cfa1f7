"""The compiled core on hostile input: every Arrow text layout, invalid UTF-8, nulls, empty
and sliced arrays, huge prompts and random bytes. It must never crash the interpreter;
what it cannot read becomes a normal exception with a message."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillscan import _core
from distillscan.fingerprint.annotate import annotate_requests

PROMPTS = ["Solve 3x + 5 = 20 step by step", None, "", "订单 a1b2c3d4 “ok” 😀", "x" * 700]
SYSTEMS = ["You are a tutor.", None, "sys", "", None]


def _annotations(prompt: object, system: object) -> pl.DataFrame:
    return pl.DataFrame(_core.annotate(prompt, system))  # type: ignore[arg-type]


def _expected() -> pl.DataFrame:
    return _annotations(pl.Series(PROMPTS, dtype=pl.String), pl.Series(SYSTEMS, dtype=pl.String))


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string(), pa.string_view(), pa.binary(),
                                        pa.large_binary(), pa.binary_view()])
def test_every_text_layout_reads_alike(arrow_type: pa.DataType) -> None:
    def column(values: list[str | None]) -> pa.ChunkedArray:
        encoded = [v if v is None or pa.types.is_unicode(arrow_type) or pa.types.is_large_unicode(arrow_type)
                   or pa.types.is_string_view(arrow_type) else v.encode() for v in values]
        return pa.chunked_array([pa.array(encoded[:2], arrow_type), pa.array(encoded[2:], arrow_type)])

    assert _annotations(column(PROMPTS), column(SYSTEMS)).equals(_expected())


def test_sliced_arrays_read_from_their_offset() -> None:
    padded = pa.array(["pad", "pad", *PROMPTS, "pad"], pa.string())[2:-1]
    systems = pa.array(["pad", *SYSTEMS], pa.large_string())[1:]
    assert _annotations(pa.chunked_array([padded]), pa.chunked_array([systems])).equals(_expected())


def test_invalid_utf8_is_read_lossily() -> None:
    raw = [b"caf\xe9 \xff\xfe order 12345", b"\xed\xa0\x80 surrogate", b"\xf0\x9f\x98", b"ok"]
    out = _annotations(pa.chunked_array([pa.array(raw, pa.binary())]),
                       pa.chunked_array([pa.array([b"\xc3\x28 sys"] * 4, pa.binary())]))
    lossy = [value.decode("utf-8", errors="replace") for value in raw]
    expected = _annotations(pl.Series(lossy), pl.Series(["\ufffd( sys"] * 4))
    assert out.equals(expected)


def test_empty_and_all_null_columns() -> None:
    empty = _annotations(pl.Series([], dtype=pl.String), pl.Series([], dtype=pl.String))
    assert empty.height == 0 and empty.columns == _core.ANNOTATION_COLUMNS
    nulls = _annotations(pl.Series([None, None], dtype=pl.String), pl.Series([None, None], dtype=pl.Binary))
    assert nulls["system_fp"].null_count() == 2 and nulls["skeleton"].to_list() == ["…", "…"]
    # A column of the Null type (Polars' type for nothing but nulls) reads as nulls too.
    frame = pl.DataFrame({"prompt": [None, None], "system": [None, None]})
    assert annotate_requests(frame.lazy()).collect().select(_core.ANNOTATION_COLUMNS).equals(nulls)


def test_a_20_mb_prompt_reads_only_its_ends() -> None:
    huge = "HEAD words here " + "filler " * 3_000_000 + "the tail end"
    out = _annotations(pl.Series([huge]), pl.Series([None], dtype=pl.String))
    assert out["skeleton"].item().startswith("head words here") and out["skeleton"].item().endswith("the tail end")


def test_unreadable_input_is_a_normal_exception() -> None:
    with pytest.raises(ValueError, match="not text"):
        _annotations(pl.Series([1, 2]), pl.Series(["a", "b"]))
    with pytest.raises(ValueError, match="differ in length"):
        _annotations(pl.Series(["a"]), pl.Series(["a", "b"]))
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        _annotations(["a"], ["b"])


def test_annotate_requests_keeps_rows_and_adds_the_columns() -> None:
    requests = pl.DataFrame({"account_id": ["a", "b"], "prompt": ["hi", None], "system": [None, "s"]})
    out = annotate_requests(requests.lazy()).collect()
    assert out.columns == [*requests.columns, *_core.ANNOTATION_COLUMNS]
    assert out.schema["frame_fp"] == pl.UInt64 and out.schema["has_slot"] == pl.Boolean


_HOSTILE = st.lists(
    st.sampled_from(["\x00", "\x1f", "\x7f", "\x85", "\u2028", "\ufeff", "中", "😀", "e\u0301", "`", '"', "<n>", "1,2"])
    | st.text(max_size=5),
    max_size=400,
).map("".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.binary(max_size=3_000), _HOSTILE.map(str.encode)), min_size=0, max_size=8))
def test_random_bytes_never_crash(values: list[bytes | None]) -> None:
    column = pa.chunked_array([pa.array(values, pa.binary())], pa.binary())
    out = _annotations(column, column)
    assert out.height == len(values)
    lossy = pl.Series([None if v is None else v.decode("utf-8", errors="replace") for v in values], dtype=pl.String)
    assert out.equals(_annotations(lossy, lossy))


def test_template_representatives_refuse_mismatched_input_with_a_normal_exception() -> None:
    texts = pl.Series(["a b c", "a b d"])
    reps = pl.DataFrame(_core.template_representatives(texts, pl.Series([2.0, 1.0]), 3, 0.5, 2))["rep"]
    assert reps.to_list() == [0, 1]
    with pytest.raises(ValueError, match="one weight a text"):
        _core.template_representatives(texts, pl.Series([1.0]), 3, 0.5, 2)
    with pytest.raises(ValueError, match="Float64"):
        _core.template_representatives(texts, pl.Series([1, 2]), 3, 0.5, 2)
    with pytest.raises(ValueError, match="words must be 1 to 64"):
        _core.template_representatives(texts, pl.Series([2.0, 1.0]), 0, 0.5, 2)
