"""The compiled annotator against the Polars one it replaced (tests/fingerprint/polars_reference.py).

Both must give the same `skeleton`, `system_text`, `has_slot`, `is_cot` and `topic` on
every row, and group rows alike: two rows share `frame_fp` (or `system_fp`) in one
exactly when they share it in the other. The fingerprint values differ on purpose (the
core hashes with XXH3, Polars with its own hash), and that is the only difference in
what both compute. The core adds `item` and `item_2` (the task inside the wrappers, `items.rs`)
and `closer_fp` (the wrapper's closing sentence, `closers.rs`), which the reference never
had: they are tested on their own (tests/fingerprint/test_items.py, test_closers.py).
"""

from __future__ import annotations

import itertools
import random

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillscan.fingerprint.annotate import annotate_requests, normalise
from distillscan.synth import SynthConfig, generate_batches
from tests.fingerprint.polars_reference import annotate_requests_polars
from tests.fingerprint.polars_reference import normalise as normalise_polars

SAME_VALUES = ("skeleton", "system_text", "has_slot", "is_cot", "topic")
SAME_GROUPS = ("frame_fp", "system_fp")
CORE_ONLY = ("item", "item_2", "closer_fp")

# Pieces that exercise each mask, its edges and the order the masks run in.
EDGE_CASES = (
    "```py\nx = 1\n```", "``` unclosed fence", "``````", "`````", "a `b` c `` d ``0`` e", "`" + "x" * 200 + "`",
    "`" + "x" * 201 + "`", "`line\nbreak`", "see https://x.io/a?b=1, then www.y.org/z.", "http:// nothing", "www. no",
    "mail a.b+c@d-e.co.uk. or x@y or a@b@c.d or @d.e", "id 123e4567-e89b-12d3-a456-426614174000 ok",
    "uuid-like 123e4567-e89b-12d3-a456-42661417400 and aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "hex 9f8e7d6c5b, deadbeef, "
    "cafe, 0xff, 12ab_cd, ab12-cd34", "user_20931 order-12345 abc1234def_5 ab_12 x99 q1234", '"quoted bit" and "" and "'
    + "q" * 201 + '"', '"multi\nline" “curly quotes” and “unclosed', "“nested “inner” outer”", "1,000,000.50% and -3.5 "
    "+7 5-3 1,.5 1., ,5 3,", "rows: 1, 2, 3, 4 end", "<n> <id>, <q>; <code>|<url>/<email> (<v>) [<n>] {<n>}-<n>",
    "a < b > c <n>", "tabs\tand\nnewlines\r\nand\x0bvertical\x0cfeeds  double  spaces", "ctrl\x00\x01\x1f\x7f\x85\x9f",
    "nbsp\u00a0and\u2028line\u2029para\u3000ideographic", "订单 a1b2c3d4 已发货 user_20931 “ok”", "中文１２３４ ١٢٣٤ digits",
    "émoji 😀🎉 and 👍🏽 flags 🇫🇷", "combining e\u0301 a\u0308 n\u0303", "ΣΑΣ ΟΔΟΣ. İstanbul ǅ ß ﬁ", "CAPS WORDS AND MiXeD",
    "Let's think step by step about the rubric", "Explain every step of your thinking in detail",
    "rewrite this to be politically neutral", "rewrite the following text in a neutral, formal tone",
    "reword it: neutral tones and styles, or a neutral and calm voice", "screenshot attached: OCR it", "call the tool with parameters: {}",
    "Fix the bug in this python function", "compute the median and variance of the dataset",
    "Solve for x: 3x + 5 = 20", "abc\u00e9123 résumé2024 naïve99999", "x" * 639, "y" * 640, "z" * 641,
    "é" * 330 + "tail", "w " * 400, "", "   ", "\n\n", "¶ pilcrow ¶", "… ellipsis …",
)

FILLER = (
    "Please read the following carefully and answer in full sentences. "
    "The quarterly report covers revenue, costs and the outlook for next year. "
)


def _varied_prompts(rng: random.Random) -> list[str]:
    """Edge cases alone, in pairs, and placed so that they straddle the 320-character cuts
    and the 640-character limit of a short prompt."""
    prompts = list(EDGE_CASES)
    prompts += [a + " " + b for a, b in itertools.combinations(EDGE_CASES[:30], 2)]
    for case in EDGE_CASES:
        for length in (300, 310, 318, 320, 330, 600, 630, 638, 640, 700):
            pad = (FILLER * 10)[: max(0, length - len(case) // 2)]
            prompts.append(pad + case + pad[::-1])
            prompts.append(case + (FILLER * 12)[: rng.randrange(0, 900)] + case)
    return prompts


@pytest.fixture(scope="module")
def generated_requests() -> pl.DataFrame:
    batch = next(generate_batches(SynthConfig(n_requests=10_000, seed=3), batch_rows=20_000))
    return batch.select("prompt", "system").sample(2_500, seed=1)


def _frame(prompts: list[str | None], systems: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({"prompt": prompts, "system": systems}, schema={"prompt": pl.String, "system": pl.String})


def _first_row_of_group(frame: pl.DataFrame, column: str) -> list[int | None]:
    """For each row, the first row with the same value in `column` (None for nulls)."""
    return frame.with_row_index("_row").select(
        pl.when(pl.col(column).is_not_null()).then(pl.col("_row").first().over(column))
    ).to_series().to_list()


def assert_equivalent(requests: pl.DataFrame) -> None:
    core = annotate_requests(requests.lazy()).collect().drop(CORE_ONLY)
    reference = annotate_requests_polars(requests.lazy()).collect()
    assert core.schema == reference.schema
    for column in SAME_VALUES:
        mismatched = core.with_row_index("_row").filter(pl.col(column).ne_missing(reference[column]))
        assert mismatched.is_empty(), (
            f"{column} differs from the reference on {mismatched.height} rows, first:\n"
            f"{requests.row(mismatched['_row'][0], named=True)!r}\n"
            f"core {mismatched[column][0]!r} / reference {reference[column][mismatched['_row'][0]]!r}"
        )
    for column in SAME_GROUPS:
        assert _first_row_of_group(core, column) == _first_row_of_group(reference, column), f"{column} groups differ"


def test_generated_text_matches_the_reference(generated_requests: pl.DataFrame) -> None:
    assert_equivalent(generated_requests)


def test_edge_cases_match_the_reference() -> None:
    rng = random.Random(5)
    prompts: list[str | None] = [*_varied_prompts(rng), None]
    systems: list[str | None] = [rng.choice([*EDGE_CASES, None, "You are a helpful assistant."]) for _ in prompts]
    assert_equivalent(_frame(prompts, systems))
    # The same texts as system prompts, which are cut at 2,000 characters instead.
    long_systems: list[str | None] = [p if p is None else (p + " ") * (1 + 2_000 // (len(p) + 1)) for p in prompts[:200]]
    assert_equivalent(_frame(["same prompt"] * len(long_systems), long_systems))


def test_generated_systems_and_prompts_swapped_match(generated_requests: pl.DataFrame) -> None:
    swapped = generated_requests.select(prompt="system", system="prompt")
    assert_equivalent(swapped)


# Alphabets that reach the masks' special characters, Unicode classes and case mappings.
_WEIRD = st.sampled_from(
    list("`\"“”'@.-+_%,:;|/()[]{}<>\n\t\r \x00\x0b\x1f\x7f\x85\x9f\u00a0\u2028\u3000")
    + list("abcdefxyz0123456789ΣİǅßẞКЖ中文١٢٣１２é\u0301😀¶…")
    + ["http://", "www.", "```", "<n>", "<id>", "step by step", "rubric", "user_", "-1234"]
)
_WEIRD_TEXT = st.lists(_WEIRD, max_size=120).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(st.none(), _WEIRD_TEXT, st.text(max_size=700)), st.one_of(st.none(), _WEIRD_TEXT)),
                min_size=1, max_size=12))
def test_random_text_matches_the_reference(rows: list[tuple[str | None, str | None]]) -> None:
    assert_equivalent(_frame([prompt for prompt, _ in rows], [system for _, system in rows]))


@settings(max_examples=300, deadline=None)
@given(st.one_of(_WEIRD_TEXT, st.text(max_size=400)))
def test_normalise_matches_the_reference(text: str) -> None:
    expected = pl.DataFrame({"t": [text]}).select(normalise_polars(pl.col("t"))).item()
    assert normalise([text]) == [expected]
