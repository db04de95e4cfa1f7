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
_ITEM_SEED: Final = 29


def item_words(prompt: pl.Expr) -> pl.Expr:
    """The words items are made of: letters and digits, lower-cased, as a list."""
    text = prompt.fill_null("").str.slice(0, ITEM_CHARS).str.to_lowercase()
    return text.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars().str.split(" ")


def item_anchors(prompt: pl.Expr) -> pl.Expr:
    """Up to ITEMS_PER_REQUEST anchor hashes (UInt64, ascending) of a prompt's items."""
    shingles = item_words(prompt).list.eval(
        pl.concat_str(
            [pl.element().shift(-offset) for offset in range(ITEM_SHINGLE_WORDS)], separator=" "
        ).drop_nulls()
    )
    hashes = shingles.list.eval(pl.element().hash(seed=_ITEM_SEED))
    return hashes.list.eval(
        pl.element().filter(pl.element() % ITEM_SAMPLE == 0).unique().sort().head(ITEMS_PER_REQUEST)
    )
