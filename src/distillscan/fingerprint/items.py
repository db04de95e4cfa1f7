"""Task items: fingerprints of the varying content a request carries, robust to wrappers.

A campaign that spreads a dataset over many accounts sends the same task items from
different accounts, each inside its own (often paraphrased) wrapper. A request's item
fingerprints are chosen from the content alone, so a wrapper cannot move them: the
prompt's words (lower-cased, letters and digits only, numbers kept since they tell
dataset items apart) form shingles of ITEM_SHINGLE_WORDS words, and a shingle is an
*anchor* when its hash falls in one of ITEM_SAMPLE buckets — a choice that depends on
the shingle's own words, so two requests carrying one item pick the same anchors
whatever surrounds it. Each request keeps its ITEMS_PER_REQUEST smallest anchors.

Only the first ITEM_CHARS characters are read: the work per request is bounded.
"""

from __future__ import annotations

from typing import Final

import polars as pl

ITEM_CHARS: Final = 2_000
ITEM_SHINGLE_WORDS: Final = 5
ITEM_SAMPLE: Final = 16
ITEMS_PER_REQUEST: Final = 2
_WORD_SEED: Final = 29
# Odd multipliers mixing the word hashes of a shingle in order (wrapping u64 arithmetic).
_MIX: Final = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD)


def item_anchors(prompts: pl.Series) -> pl.Series:
    """Up to ITEMS_PER_REQUEST anchor hashes (UInt64, ascending) per prompt, as a list
    per row; an empty list when the prompt holds no anchor."""
    words = (
        prompts.fill_null("").str.slice(0, ITEM_CHARS).str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars().str.split(" ")
    )
    exploded = pl.DataFrame({"row": pl.int_range(0, len(prompts), eager=True, dtype=pl.UInt32), "word": words})
    exploded = exploded.explode("word").drop_nulls("word").filter(pl.col("word") != "")
    word_hash = pl.col("word").hash(seed=_WORD_SEED)
    shingle = pl.lit(0, dtype=pl.UInt64)
    for offset, multiplier in enumerate(_MIX[:ITEM_SHINGLE_WORDS]):
        shingle = shingle + word_hash.shift(-offset) * pl.lit(multiplier, dtype=pl.UInt64)
    anchors = (
        exploded.select("row", shingle=shingle, whole=pl.col("row").shift(-(ITEM_SHINGLE_WORDS - 1)) == pl.col("row"))
        .filter(pl.col("whole") & (pl.col("shingle") % ITEM_SAMPLE == 0))
        .group_by("row")
        .agg(pl.col("shingle").unique().sort().head(ITEMS_PER_REQUEST))
    )
    every_row = pl.DataFrame({"row": pl.int_range(0, len(prompts), eager=True, dtype=pl.UInt32)})
    joined = every_row.join(anchors, on="row", how="left", maintain_order="left")
    return joined["shingle"].fill_null(pl.lit([], dtype=pl.List(pl.UInt64))).alias("items")
