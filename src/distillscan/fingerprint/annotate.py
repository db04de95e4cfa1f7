"""Stage 2: fingerprint the stable frame of each request and classify what it asks for.

A distillation campaign sends the same *frame* again and again — a system prompt and a
wrapper of instructions around a varying task. The normaliser masks the parts that
vary (numbers, ids, quoted and code spans, URLs), and the frame keeps the system prompt
plus the first and last words of the user text, where wrappers live. Requests with
the same frame share `frame_fp`; paraphrased variants of one frame are merged later by
`cluster_templates` (MinHash over word shingles, run over distinct frames only).

The work is done by the compiled core (`distillscan._core`, the Rust crate under
rust/) in one pass over the batch's Arrow buffers, on all cores and without the GIL:
the expressions of `patterns` are its specification, and the tests hold it to the
Polars annotator it replaced (tests/fingerprint/polars_reference.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from distillscan import _core

# Words of the normalised user text kept at each end of the frame.
FRAME_EDGE_WORDS: Final[int] = _core.FRAME_EDGE_WORDS
# Characters of raw text normalised at each end: masking runs on slices, not on
# whole (possibly huge) prompts, so its cost is bounded per request.
EDGE_CHARS: Final[int] = _core.EDGE_CHARS
SYSTEM_CHARS: Final[int] = _core.SYSTEM_CHARS
# Words of the normalised system prompt shown in a template skeleton.
SKELETON_SYSTEM_WORDS: Final[int] = _core.SKELETON_SYSTEM_WORDS
# Words of the normalised system prompt compared when grouping paraphrased system prompts.
SYSTEM_FAMILY_WORDS: Final[int] = _core.SYSTEM_FAMILY_WORDS


def normalise(texts: Sequence[str | None]) -> list[str]:
    """Each text lower-cased, its variable spans masked and its whitespace folded (None
    reads as empty)."""
    return _core.normalise(texts)


def annotate_requests(requests: pl.LazyFrame) -> pl.LazyFrame:
    """Add `frame_fp`, `system_fp`, `system_text`, `skeleton`, `has_slot`, `is_cot` and
    `topic` to canonical requests (one batch: it is collected).

    `frame_fp` hashes the system prompt's fingerprint with the first and last
    FRAME_EDGE_WORDS words of the normalised user text; `skeleton` is the readable form
    of that frame. A prompt of at most 2 × EDGE_CHARS characters is normalised whole,
    a longer one by its first and last EDGE_CHARS; each distinct piece and system
    prompt is normalised once per batch. `system_text` is the normalised head of the
    system prompt (SYSTEM_FAMILY_WORDS words), `system_fp` its fingerprint (null when it
    is empty). A template frames varying content, so `has_slot` says the prompt runs past
    its frame or the frame holds masked values; `is_cot` is a chain-of-thought ask in the
    user's text only (a product's system prompt is configuration, not a per-request ask);
    `topic` is the most specific topic matching the system skeleton or the user text.
    Rows keep their order.

    Fingerprints are XXH3 with fixed seeds: the same on every run, platform and thread
    count. User-facing fingerprints come from the skeleton text via `stable_fp`.
    """
    batch = requests.collect()
    annotations = pl.DataFrame(_core.annotate(_text(batch.get_column("prompt")), _text(batch.get_column("system"))))
    return pl.concat([batch, annotations], how="horizontal").lazy()


def _text(column: pl.Series) -> pl.Series:
    """A column as the core reads it: Polars exports the Null type (a column of nothing but
    nulls) with a buffer that Arrow readers reject, so it goes as String."""
    return column.cast(pl.String) if column.dtype == pl.Null else column
