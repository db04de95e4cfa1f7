"""Near-duplicate clustering over distinct frames: paraphrased templates and system
prompt families, by MinHash-LSH over word shingles."""

from __future__ import annotations

import hashlib
from typing import Final

import polars as pl

from distillscan.graph import component_frame
from distillscan.model.templates import MIN_TEMPLATE_REQUESTS

MINHASH_PERMUTATIONS: Final = 32
MINHASH_BAND_ROWS: Final = 2
SHINGLE_WORDS: Final = 3
NEAR_DUPLICATE_JACCARD: Final = 0.5
ALL_PAIRS_BUCKET_SIZE: Final = 32


def _shingles(items: pl.LazyFrame, shingle_words: int) -> pl.LazyFrame:
    """(frame_fp, shingle: list of word n-grams of each `skeleton`)."""
    words = pl.col("skeleton").str.split(" ")
    return items.select(
        "frame_fp",
        shingle=words.list.eval(
            pl.concat_str(
                [pl.element().shift(-offset) for offset in range(shingle_words)], separator=" "
            ).drop_nulls()
        ),
    ).with_columns(
        # Frames shorter than one shingle use their whole skeleton as the only shingle.
        shingle=pl.when(pl.col("shingle").list.len() == 0)
        .then(pl.concat_list(pl.lit("")))
        .otherwise(pl.col("shingle"))
    )


def _minhash_signatures(items: pl.LazyFrame, shingle_words: int) -> pl.LazyFrame:
    """Wide table (frame_fp, h0 … h31): MinHash of word n-gram shingles of each `skeleton`."""
    exploded = _shingles(items, shingle_words).explode("shingle").with_columns(base=pl.col("shingle").hash(seed=3))
    return exploded.group_by("frame_fp").agg(
        [
            (pl.col("base") ^ pl.lit(_perm_mask(perm), dtype=pl.UInt64))
            .hash(seed=perm)
            .min()
            .alias(f"h{perm}")
            for perm in range(MINHASH_PERMUTATIONS)
        ]
    )


def _perm_mask(perm: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"perm{perm}".encode(), digest_size=8).digest(), "big")


def cluster_templates(frames: pl.DataFrame) -> pl.DataFrame:
    """Merge near-duplicate frames (paraphrased templates) into template clusters.

    `frames` holds one row per distinct frame: frame_fp, skeleton, n_requests.
    Only frames seen in at least MIN_TEMPLATE_REQUESTS requests take part (a one-off
    prompt is no template). Returns frame_fp → template_fp for the frames merged into a
    cluster of two or more (the template is represented by its most-requested member,
    ties: smallest skeleton); any other frame is its own template. The map stays as small
    as the clusters, so joining it (left, then `fill_null(frame_fp)`) is cheap even when
    millions of one-off frames exist.
    """
    repeated = frames.filter(pl.col("n_requests") >= MIN_TEMPLATE_REQUESTS).select(
        "frame_fp", "skeleton"
    )
    edges = _near_duplicate_edges(repeated, SHINGLE_WORDS, NEAR_DUPLICATE_JACCARD)
    return _cluster_representatives(frames, edges).select("frame_fp", template_fp="rep")


_NO_EDGES: Final = pl.DataFrame(schema={"a": pl.UInt64, "b": pl.UInt64})
# Work is cut so that memory stays flat as templates grow: signatures are computed for
# SIGNATURE_CHUNK items at a time, candidate pairs are found BANDS_PER_PASS bands at a
# time and verified VERIFY_CHUNK pairs at a time. On the 609k repeated frames of a
# 30M-row log, one pass over everything peaked at 2.9 GB above the frames themselves;
# 8 bands a pass, 1.6 GB; 2 bands a pass with the verification below and a final
# de-duplication of the verified pairs, 1.1 GB, for about 4 s more (32 s against 28 s).
SIGNATURE_CHUNK: Final = 200_000
BANDS_PER_PASS: Final = 2
VERIFY_CHUNK: Final = 1_000_000
# Verified pairs held before they are folded into a spanning forest (or the number of
# items, if larger). On the 609k repeated frames of the 30M-row benchmark log, whose
# 5.3M verified pairs peaked at 1.2 GB while connected at once, clustering peaked at
# 1.05 GB folding every 1M pairs and 1.16 GB every 2M, against 1.4-1.8 GB before, for
# about 10 s more (43 s).
FOREST_PAIRS: Final = 1_000_000


# Candidate pairs whose shingle sets are compared exactly at a time (each pair carries
# both sets, as 64-bit hashes).
EXACT_VERIFY_CHUNK: Final = 100_000


def _near_duplicate_edges(
    items: pl.DataFrame, shingle_words: int, min_jaccard: float, exact: bool = False
) -> pl.DataFrame:
    """Edges (a, b) between items (frame_fp ids) whose `skeleton` texts are near
    duplicates: enough of them to connect exactly the items that near-duplicate pairs
    connect, not every such pair (see `_spanning_forest`).

    Candidates come from MinHash-LSH; they are verified on the signatures (an estimate
    of the Jaccard similarity) or, if `exact`, on the shingle sets themselves. At a low
    bar the estimate's noise lets through pairs well below it, and single linkage
    chains them: on the 1M-request real-text log, system prompts compared as word sets
    at 0.33 fell into one family of 1,653 accounts of every kind, estimated, and into
    families that keep campaigns and strangers apart, exactly."""
    if items.height < 2:
        return _NO_EDGES
    shingle_sets = (
        _shingles(items.lazy(), shingle_words)
        .select("frame_fp", shingle=pl.col("shingle").list.eval(pl.element().hash(seed=3)).list.unique())
        .collect()
        if exact
        else None
    )
    signatures = pl.concat(
        [
            _minhash_signatures(items.slice(offset, SIGNATURE_CHUNK).lazy(), shingle_words).collect(engine="streaming")
            for offset in range(0, items.height, SIGNATURE_CHUNK)
        ],
        rechunk=True,  # one chunk per column: `_agreeing` gathers from them by row number
    ).with_row_index("row")
    hashes = [f"h{perm}" for perm in range(MINHASH_PERMUTATIONS)]
    starts = list(range(0, MINHASH_PERMUTATIONS, MINHASH_BAND_ROWS))
    # Only the clusters are wanted, so verified pairs are folded into a spanning forest
    # (one edge per clustered item) whenever they pile up past FOREST_PAIRS: the edges
    # held follow the items, not how many pairs verify. A pair verified in several
    # passes is folded like any other, so the components are those of all pairs.
    forest, pending = _NO_EDGES, []
    for first in range(0, len(starts), BANDS_PER_PASS):
        band_starts = starts[first : first + BANDS_PER_PASS]
        pending.append(_verified_pairs(signatures, hashes, band_starts, min_jaccard, shingle_sets))
        if sum(pairs.height for pairs in pending) > max(items.height, FOREST_PAIRS):
            forest, pending = _spanning_forest(pl.concat([forest, *pending])), []
    return _spanning_forest(pl.concat([forest, *pending]))


def _spanning_forest(edges: pl.DataFrame) -> pl.DataFrame:
    """Edges (root, node) joining every node of `edges` to its component's smallest
    node: the same components from at most one edge per node."""
    return (
        component_frame(edges)
        .filter(pl.col("node") != pl.col("root"))
        .select(a=pl.col("root"), b=pl.col("node"))
    )


def _verified_pairs(
    signatures: pl.DataFrame,
    hashes: list[str],
    band_starts: list[int],
    min_jaccard: float,
    shingle_sets: pl.DataFrame | None,
) -> pl.DataFrame:
    """Pairs that share a bucket in one of the bands starting at `band_starts` and whose
    signatures agree on at least `min_jaccard` of their hashes (or, given `shingle_sets`,
    whose shingle sets have a Jaccard similarity of at least `min_jaccard`)."""
    bands = pl.concat(
        [
            signatures.lazy().select(
                "frame_fp",
                band=pl.lit(start, dtype=pl.UInt16),
                key=pl.struct(hashes[start : start + MINHASH_BAND_ROWS]).hash(seed=5),
            )
            for start in band_starts
        ]
    )
    # Within a small bucket every pair is checked; a large one pairs each member with the
    # bucket's smallest frame (a star), so candidates stay linear when thousands collide.
    bucketed = bands.with_columns(
        anchor=pl.col("frame_fp").min().over("band", "key"),
        bucket_size=pl.len().over("band", "key"),
    )
    small = bucketed.filter(pl.col("bucket_size") <= ALL_PAIRS_BUCKET_SIZE).select("band", "key", "frame_fp")
    all_pairs = (
        small.join(small, on=["band", "key"], suffix="_b")
        .filter(pl.col("frame_fp") < pl.col("frame_fp_b"))
        .select(a=pl.col("frame_fp"), b=pl.col("frame_fp_b"))
    )
    stars = (
        bucketed.filter(pl.col("bucket_size") > ALL_PAIRS_BUCKET_SIZE)
        .filter(pl.col("frame_fp") != pl.col("anchor"))
        .select(a=pl.col("anchor"), b=pl.col("frame_fp"))
    )
    candidates = pl.concat([all_pairs, stars]).unique().collect(engine="streaming")
    if shingle_sets is not None:
        return pl.concat(
            [
                _similar_sets(candidates.slice(offset, EXACT_VERIFY_CHUNK), shingle_sets, min_jaccard)
                for offset in range(0, candidates.height, EXACT_VERIFY_CHUNK)
            ]
            or [_NO_EDGES]
        )
    return pl.concat(
        [
            _agreeing(candidates.slice(offset, VERIFY_CHUNK), signatures, hashes, min_jaccard)
            for offset in range(0, candidates.height, VERIFY_CHUNK)
        ]
        or [_NO_EDGES]
    )


def _agreeing(
    candidates: pl.DataFrame, signatures: pl.DataFrame, hashes: list[str], min_jaccard: float
) -> pl.DataFrame:
    """The candidate pairs whose signatures (frame_fp, row: its row number, and the
    hashes) agree on at least `min_jaccard` of their hashes.

    Each pair's two signatures are gathered one hash column at a time by row number and
    only a running count of agreements is kept: joining the pairs to whole signatures
    built two copies of the signature table and carried 64 hashes per pair (+0.4 GB on
    the 609k repeated frames of a 30M-row log)."""
    rows = signatures.select("frame_fp", "row")
    located = (
        candidates.join(rows.rename({"frame_fp": "a", "row": "row_a"}), on="a")
        .join(rows.rename({"frame_fp": "b", "row": "row_b"}), on="b")
    )
    agreements = pl.zeros(located.height, dtype=pl.UInt8, eager=True)
    for name in hashes:
        column = signatures[name]
        agreements += (column.gather(located["row_a"]) == column.gather(located["row_b"])).cast(pl.UInt8)
    return located.filter(agreements >= min_jaccard * len(hashes)).select("a", "b")


def _similar_sets(candidates: pl.DataFrame, shingle_sets: pl.DataFrame, min_jaccard: float) -> pl.DataFrame:
    """The candidate pairs (a, b) whose shingle sets (frame_fp, shingle: distinct hashes)
    have a Jaccard similarity of at least `min_jaccard`."""
    located = candidates.join(shingle_sets.rename({"frame_fp": "a", "shingle": "set_a"}), on="a").join(
        shingle_sets.rename({"frame_fp": "b", "shingle": "set_b"}), on="b"
    )
    shared = pl.col("set_a").list.set_intersection(pl.col("set_b")).list.len()
    union = pl.col("set_a").list.len() + pl.col("set_b").list.len() - shared
    return located.filter(shared >= min_jaccard * union).select("a", "b")


def _cluster_representatives(frames: pl.DataFrame, edges: pl.DataFrame) -> pl.DataFrame:
    """(frame_fp, rep): each clustered frame and its cluster's most-requested frame
    (ties: smallest skeleton)."""
    members = component_frame(edges).rename({"node": "frame_fp"}).join(
        frames.select("frame_fp", "skeleton", "n_requests"), on="frame_fp"
    )
    best = (
        members.sort(["root", "n_requests", "skeleton"], descending=[False, True, False])
        .group_by("root", maintain_order=True)
        .agg(rep=pl.col("frame_fp").first())
    )
    return members.join(best, on="root").select("frame_fp", "rep")


# System prompts reworded per account (sentences swapped and rewritten, synonyms, a
# new layout) keep their key words but few word pairs, so families compare the sets of
# words (letters only: layout and punctuation are what a rewording changes first). On
# the 1M-request real-text log, a paraphrasing campaign's 400 wordings of one prompt
# have a nearest other wording at word Jaccard 0.37 or more for 90% of them, and 0.24
# or less to any prompt outside the campaign (90%); at this bar 395 of them form one
# family and no other prompt joins it. Compared on word pairs at 0.3, the family held
# 247, and 112 wordings stood alone. Short generic prompts ("you are a helpful
# assistant") are too common to say anything.
SYSTEM_FAMILY_SHINGLE_WORDS: Final = 1
SYSTEM_FAMILY_JACCARD: Final = 0.33
SYSTEM_FAMILY_MIN_WORDS: Final = 12


def cluster_system_prompts(systems: pl.DataFrame) -> pl.DataFrame:
    """Group paraphrases of one system prompt into families.

    `systems` holds one row per distinct system prompt: system_fp, system_text, n.
    Returns system_fp → family_fp (the family's most-used variant) and n_variants,
    for prompts of at least SYSTEM_FAMILY_MIN_WORDS words; others are left out.
    """
    eligible = systems.filter(
        pl.col("system_text").str.count_matches(r"\S+") >= SYSTEM_FAMILY_MIN_WORDS
    ).select(frame_fp="system_fp", skeleton="system_text", n_requests="n")
    if eligible.height == 0:
        return pl.DataFrame(schema={"system_fp": pl.UInt64, "family_fp": pl.UInt64, "n_variants": pl.UInt32})
    words = pl.col("skeleton").str.replace_all(r"[^\p{L}]+", " ").str.strip_chars()
    edges = _near_duplicate_edges(
        eligible.select("frame_fp", words), SYSTEM_FAMILY_SHINGLE_WORDS, SYSTEM_FAMILY_JACCARD, exact=True
    )
    representative = _cluster_representatives(eligible, edges)
    families = eligible.join(representative, on="frame_fp", how="left", maintain_order="left").select(
        system_fp="frame_fp", family_fp=pl.col("rep").fill_null(pl.col("frame_fp"))
    )
    return families.with_columns(n_variants=pl.len().over("family_fp").cast(pl.UInt32))
