"""Near-duplicate clustering over distinct frames: paraphrased templates and system
prompt families, by MinHash-LSH over word shingles; a system prompt made of a large
family's words also joins that family."""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan import _core
from distillscan.graph import component_frame
from distillscan.model.templates import MIN_TEMPLATE_REQUESTS

# Signatures of MINHASH_PERMUTATIONS hashes, compared in bands of MINHASH_BAND_ROWS;
# a bucket of more than ALL_PAIRS_BUCKET_SIZE frames pairs each with its smallest.
MINHASH_PERMUTATIONS: Final[int] = _core.MINHASH_PERMUTATIONS
MINHASH_BAND_ROWS: Final[int] = _core.MINHASH_BAND_ROWS
ALL_PAIRS_BUCKET_SIZE: Final[int] = _core.ALL_PAIRS_BUCKET
SHINGLE_WORDS: Final = 3
NEAR_DUPLICATE_JACCARD: Final = 0.5
# Rounds of clustering what the last round's templates left out (see `cluster_templates`).
TEMPLATE_ROUNDS: Final = 2


def cluster_templates(frames: pl.DataFrame) -> pl.DataFrame:
    """Merge near-duplicate frames (paraphrased templates) into template clusters.

    `frames` holds one row per distinct frame: frame_fp, skeleton, n_requests.
    Only frames seen in at least MIN_TEMPLATE_REQUESTS requests take part (a one-off
    prompt is no template). Returns frame_fp → template_fp for the frames merged into a
    cluster of two or more (the template is represented by its most-requested member,
    ties: smallest skeleton); any other frame is its own template. The map stays as small
    as the clusters, so joining it (left, then `fill_null(frame_fp)`) is cheap even when
    millions of one-off frames exist.

    Every member of a template is a near duplicate of its representative. Single linkage
    chains frames that share little: one frame shares a campaign's system prompt, the
    next its wrapper's opening words, and on the generator's 1M-request log (seed 5) a
    low-and-slow account's template of 41 frames took in a writing coach app's user
    through "answer in plain text, no markdown. ask a clarifying question …" (Jaccard
    0.33 to the template's representative) and joined it to the campaign, high. So a
    cluster keeps the members at NEAR_DUPLICATE_JACCARD or more to its representative,
    and those left out are clustered again among themselves, for TEMPLATE_ROUNDS rounds
    (on that log 20,134 of 33,250 clustered frames stay in the first round, 3,664 join
    templates in the second and 9,452 are left their own). The core does the rounds
    (`_core.template_representatives`): on the 10M-request real-text log (362k repeated
    frames) one round takes 2.3 s, each more about 0.6 s; a third and a fourth put 7,698
    more frames in templates, which moved no evaluation figure at 1M.
    """
    repeated = (
        frames.filter(pl.col("n_requests") >= MIN_TEMPLATE_REQUESTS)
        .select("frame_fp", "skeleton", "n_requests")
        .sort("frame_fp")
    )
    if repeated.height < 2:
        return pl.DataFrame(schema={"frame_fp": pl.UInt64, "template_fp": pl.UInt64})
    rows = pl.DataFrame(
        _core.template_representatives(
            repeated.get_column("skeleton"), repeated.get_column("n_requests").cast(pl.Float64), SHINGLE_WORDS,
            NEAR_DUPLICATE_JACCARD, TEMPLATE_ROUNDS,
        )
    ).get_column("rep")
    ids = repeated.get_column("frame_fp")
    mapped = pl.DataFrame({"frame_fp": ids, "template_fp": ids.gather(rows)})
    representatives = mapped.filter(pl.col("frame_fp") != pl.col("template_fp")).get_column("template_fp")
    return mapped.filter(pl.col("template_fp").is_in(representatives.unique().implode())).cast(pl.UInt64)


_NO_EDGES: Final = pl.DataFrame(schema={"a": pl.UInt64, "b": pl.UInt64})


def _near_duplicate_edges(
    items: pl.DataFrame, shingle_words: int, min_jaccard: float, neighbours: int = 0
) -> pl.DataFrame:
    """Edges (a, b) joining each item (frame_fp ids) whose `skeleton` text is a near
    duplicate of another to the smallest id of its cluster: a spanning forest of the
    near-duplicate pairs, one edge per clustered item.

    The compiled core finds them (`near_duplicate_roots`): MinHash-LSH candidates, each
    checked on the true Jaccard similarity of its shingle sets and joined by union-find.
    Checked on the signatures' estimate instead, pairs well below the bar get through
    and single linkage chains them: on the 1M-request real-text log, system prompts
    compared as word sets at 0.33 fell into one family of 1,653 accounts of every kind;
    on the 200k-request log of seed 7 a hydra's template chained to ordinary users'
    frames and 283 strangers joined its group. Memory grows with the items (a signature
    of 32 hashes and the shingle hashes of each), never with the pairs: the 362k repeated
    frames of the 10M-request log take 2.4 s (7.7 s as Polars frames, estimated).
    `neighbours`: see the core's `near_duplicate_roots` (how far a large bucket's texts
    look beyond its first)."""
    if items.height < 2:
        return _NO_EDGES
    ordered = items.select("frame_fp", "skeleton").sort("frame_fp")
    roots = pl.DataFrame(
        _core.near_duplicate_roots(ordered.get_column("skeleton"), shingle_words, min_jaccard, neighbours)
    ).get_column("root")
    ids = ordered.get_column("frame_fp")
    return (
        pl.DataFrame({"a": ids.gather(roots), "b": ids})
        .filter(pl.col("a") != pl.col("b"))
        .cast(pl.UInt64)
    )


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
# Texts a system prompt is compared with in a large bucket beyond its first: thousands
# of wordings that share common words fall into a few large buckets, where a star
# compares each with one that may be least like it.
SYSTEM_FAMILY_NEIGHBOURS: Final = 8
# A wording whose nearest other is just below the bar can still be made of the words a
# large family's wordings use: on the 1M-request log five of the paraphrasing campaign's
# 400 wordings (two to five of its rules each, all reworded) were at 0.28-0.33 to their
# nearest, and every word of each was one that two or more of the family's 395 wordings
# use; no prompt outside the campaign had more than 42% of its words' weight in that
# vocabulary (34% at 10M requests; 53% in any large family's). So a prompt of
# SYSTEM_VOCABULARY_MIN_WORDS distinct words or more outside every family of
# SYSTEM_VOCABULARY_MIN_VARIANTS joins the one holding SYSTEM_VOCABULARY_SHARE of its
# words' weight, a word weighing its inverse document frequency over the log's prompts
# (a word every prompt uses weighs nothing), a word of the family being one that
# SYSTEM_VOCABULARY_MIN_USES of its wordings use.
SYSTEM_VOCABULARY_MIN_VARIANTS: Final = 10
SYSTEM_VOCABULARY_MIN_USES: Final = 2
SYSTEM_VOCABULARY_MIN_WORDS: Final = 16
SYSTEM_VOCABULARY_SHARE: Final = 0.9


def cluster_system_prompts(systems: pl.DataFrame) -> pl.DataFrame:
    """Group paraphrases of one system prompt into families: near duplicates chained
    (word-set Jaccard), then each prompt outside the large families that is made of one's
    words joined to it (`_joined_by_vocabulary`).

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
        eligible.select("frame_fp", words), SYSTEM_FAMILY_SHINGLE_WORDS, SYSTEM_FAMILY_JACCARD,
        SYSTEM_FAMILY_NEIGHBOURS,
    )
    representative = _cluster_representatives(eligible, edges)
    families = eligible.join(representative, on="frame_fp", how="left", maintain_order="left").select(
        system_fp="frame_fp", family_fp=pl.col("rep").fill_null(pl.col("frame_fp"))
    )
    prompt_words = (
        eligible.select(system_fp="frame_fp", word=words.str.split(" "))
        .explode("word")
        .filter(pl.col("word") != "")
        .unique()
    )
    return _joined_by_vocabulary(families, prompt_words).with_columns(
        n_variants=pl.len().over("family_fp").cast(pl.UInt32)
    )


def _joined_by_vocabulary(families: pl.DataFrame, prompt_words: pl.DataFrame) -> pl.DataFrame:
    """`families` (system_fp, family_fp, in order) with each prompt outside the large
    families moved into the large family whose vocabulary holds most of its words'
    weight, where that is SYSTEM_VOCABULARY_SHARE or more (ties: the smaller family_fp).
    `prompt_words`: each prompt's distinct words (system_fp, word)."""
    prompts = prompt_words.get_column("system_fp").n_unique()
    weights = prompt_words.group_by("word").agg(weight=(prompts / pl.len()).log())
    sized = families.with_columns(large=pl.len().over("family_fp") >= SYSTEM_VOCABULARY_MIN_VARIANTS)
    vocabulary = (
        prompt_words.join(sized.filter("large").select("system_fp", "family_fp"), on="system_fp")
        .group_by("family_fp", "word")
        .agg(uses=pl.len())
        .filter(pl.col("uses") >= SYSTEM_VOCABULARY_MIN_USES)
        .select("family_fp", "word")
    )
    if vocabulary.is_empty():
        return families
    tested = (
        prompt_words.join(sized.filter(~pl.col("large")).select("system_fp"), on="system_fp")
        .join(weights, on="word")
        .with_columns(
            total=pl.col("weight").sum().over("system_fp"), distinct=pl.len().over("system_fp")
        )
        .filter(pl.col("distinct") >= SYSTEM_VOCABULARY_MIN_WORDS, pl.col("total") > 0)
    )
    joined = (
        tested.join(vocabulary, on="word")
        .group_by("system_fp", "family_fp")
        .agg(share=pl.col("weight").sum() / pl.col("total").first())
        .filter(pl.col("share") >= SYSTEM_VOCABULARY_SHARE)
        .sort("system_fp", "share", "family_fp", descending=[False, True, False])
        .unique("system_fp", keep="first")
        .select("system_fp", joined="family_fp")
    )
    return families.join(joined, on="system_fp", how="left", maintain_order="left").select(
        "system_fp", family_fp=pl.col("joined").fill_null(pl.col("family_fp"))
    )
