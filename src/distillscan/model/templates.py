"""What makes a frame a template and how a template is named in every report.

The public template id is a fingerprint of the skeleton text; it must not change
across versions, since reports, baselines and shared indicators quote it.
"""

from __future__ import annotations

import hashlib
from typing import Final, Literal

import polars as pl

# A frame needs this many requests to be a template (and to take part in clustering).
MIN_TEMPLATE_REQUESTS: Final = 3
# A template counts as "repeated" in a key's traffic once it carries this many requests.
REPEATED_TEMPLATE_MIN_REQUESTS: Final = MIN_TEMPLATE_REQUESTS


def carries(requests: pl.Expr, total: pl.Expr, share: float) -> pl.Expr:
    """Whether a value on `requests` of an account's `total` requests carries `share` of
    them and REPEATED_TEMPLATE_MIN_REQUESTS at least: what the account sends most of the
    time, not a coincidence of a few requests."""
    return (requests >= REPEATED_TEMPLATE_MIN_REQUESTS) & (requests >= share * total)


def stable_fp(text: str) -> str:
    """A short fingerprint of skeleton text that is stable across versions and platforms."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def with_template_fp(
    frames: pl.LazyFrame, templates: pl.DataFrame | pl.LazyFrame, keep_order: bool = False
) -> pl.LazyFrame:
    """`frames` (rows with a `frame_fp`) with `template_fp`: the template each frame was
    merged into (`templates`: frame_fp → template_fp), or the frame itself where it was
    merged into none. Rows keep their order only where `keep_order` asks: the hot callers
    join millions of (account, frame) rows and need no order."""
    order: Literal["left", "none"] = "left" if keep_order else "none"
    return frames.join(templates.lazy(), on="frame_fp", how="left", maintain_order=order).with_columns(
        template_fp=pl.col("template_fp").fill_null(pl.col("frame_fp"))
    )
