"""Stage 2: fingerprint the stable frame of each request and classify what it asks for.

A distillation campaign sends the same *frame* again and again — a system prompt and a
wrapper of instructions around a varying task. The normaliser masks the parts that
vary (numbers, ids, quoted and code spans, URLs), and the frame keeps the system prompt
plus the first and last words of the user text, where wrappers live. Requests with
the same frame share `frame_fp`; paraphrased variants of one frame are merged later by
`cluster_templates` (MinHash over word shingles, run over distinct frames only).

Everything here is a Polars expression over the canonical request frame, so it runs
inside the streaming engine; nothing loops over rows in Python.
"""

from __future__ import annotations

import hashlib
from typing import Final

import polars as pl

from distillscan.graph import component_frame
from distillscan.model.templates import MIN_TEMPLATE_REQUESTS
from distillscan.model.topics import GENERAL_TOPIC

# Words of the normalised user text kept at each end of the frame.
FRAME_EDGE_WORDS: Final = 6
# Characters of raw text normalised at each end: masking runs on slices, not on
# whole (possibly huge) prompts, so its cost is bounded per request.
EDGE_CHARS: Final = 320
SYSTEM_CHARS: Final = 2_000
# Words of the normalised system prompt shown in a template skeleton.
SKELETON_SYSTEM_WORDS: Final = 24
# Words of the normalised system prompt compared when grouping paraphrased system prompts.
SYSTEM_FAMILY_WORDS: Final = 96

# Ordered masks over lower-cased text: earlier ones must run first (code before numbers,
# ids before numbers). The last one folds whitespace; it matches only runs that are not
# already a single space, which keeps the number of replacements (its cost) low.
# Id masks use ASCII word boundaries (`_B`): with Unicode ones the regex engine leaves
# its fast automaton on any text with a non-ASCII character (a curly quote, any CJK),
# measured 2.6x slower on real English prompts and 20x on text with CJK characters.
_B: Final = r"(?-u:\b)"
_MASKS: Final[tuple[tuple[str, str], ...]] = (
    (r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " "),
    (r"```[\s\S]*?```", " <code> "),
    (r"`[^`\n]{1,200}`", " <code> "),
    (r"https?://\S+|www\.\S+", " <url> "),
    (r"[\w.+-]+@[\w-]+\.[\w.-]+", " <email> "),
    (rf"{_B}[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}{_B}", " <id> "),
    (rf"{_B}(?:[0-9a-f]*[0-9][0-9a-f]*[a-f][0-9a-f]*|[0-9a-f]*[a-f][0-9a-f]*[0-9][0-9a-f]*){_B}", "<id>"),
    (rf"{_B}[a-z]+[_-]?\d{{3,}}\w*{_B}", "<id>"),
    (r"\"[^\"\n]{0,200}\"|“[^”\n]{0,200}”", " <q> "),
    (r"[-+]?\d[\d,]*(?:\.\d+)?%?", "<n>"),
    (r"(?:<(?:n|id|q|code|url|email)>[\s,;:|/()\[\]{}-]*){2,}", "<v> "),
    (r"[^\S ]\s*| \s+", " "),
)

# Asks for chain-of-thought, matched against lower-cased text (no case-insensitive flag:
# it doubles the regex's cost and lower-casing happens once anyway).
COT_PATTERN: Final = (
    r"step[- ]by[- ]step|chain[- ]of[- ](?:thought|reasoning)|let'?s think|<think>|thinking content"
    # an asking verb, a few words, then what is asked for: "explain every step of your
    # thinking", "show all of your work", "give a detailed chain of reasoning"
    r"|\b(?:explain|show|describe|detail|give|provide|write out|lay out|spell out|walk (?:me )?through"
    r"|reconstruct|justify|outline)\b(?:\s+[\w']+){0,5}?\s+(?:reasoning|thinking|thoughts"
    r"|thought process|work|working|steps|derivation|rationale)\b"
    r"|reason(?:ing)? (?:through|carefully|step)|think (?:it |this |things )?(?:through|carefully|aloud|out loud)"
    r"|before (?:giving |stating |writing )?(?:the |your )?final answer|thought process|justify (?:each|every|your)"
)

# Capability taxonomy over lower-cased text, most specific first: a request takes the
# first topic that matches anywhere in its system prompt or the ends of its user text.
# Names and order: `model.topics.CAPABILITY_TOPICS`.
TOPIC_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    ("grading", r"\brubric\b|\bgrade (?:this|the following|each)|score (?:this|the|each)[\w ]{0,30}(?:from|on a|out of|1-10|1 to 10)|evaluate the (?:following )?(?:response|answer|completion)s?\b|reward model|which (?:response|answer) is better"),
    ("sensitive_rewrite", r"politically sensitive|censorship|\b(?:rewrite|rephrase|reword)\b.*\b(?:neutral|sensitive|censor\w*|politic\w*|controversial|government|acceptable)\b"),
    ("vision", r"\b(?:image|photo|picture|screenshot|diagram|chart|figure|scan)s? (?:attached|above|below|provided|shows|of)\b|\battached (?:image|photo|picture|screenshot|chart)|\bin (?:this|the) (?:image|photo|picture|screenshot)|\bocr\b"),
    ("agentic", r"\btools?\b[\w ]{0,20}(?:available|access|call)|function[_ ]call|tool[_ ]call|\"?parameters\"?\s*:|json schema|\bagent\b|\bshell command|execute (?:the|this|a) (?:plan|command|step)|multi-step plan|\bapi (?:call|endpoint)s?\b|<tool"),
    ("coding", r"```|\bcode\b|\bfunction\b|\bpython\b|\bjavascript\b|\btypescript\b|\brust\b|\bjava\b|\bc\+\+|\bsql\b|\bregex\b|\bbug\b|\bcompile|\bstack trace|\bunit tests?\b|\brefactor|\bclass\b|\balgorithm|\bgit\b|\bdebug"),
    ("data_analysis", r"\bdata ?set\b|\bcsv\b|\bspreadsheet|\bcolumns?\b|\bstatistic|\bregression\b|\bcorrelat|\bmedian\b|\baverage\b|\bpandas\b|\bpivot\b|\bcohort|\bkpi\b|\bquarterly\b|\bvariance\b"),
    ("math_reasoning", r"\bsolve\b|\bequation|\bprove\b|\bproof\b|\bprobability|\bhow many\b|\bcalculate|\bpuzzle|\blogic\b|\btheorem|\binteger|\bderivative|\bintegral|\bremainder\b|\bsequence\b"),
)


def _mask(lowered: pl.Expr) -> pl.Expr:
    for pattern, replacement in _MASKS:
        lowered = lowered.str.replace_all(pattern, replacement)
    return lowered.str.strip_chars()


def normalise(text: pl.Expr) -> pl.Expr:
    """Lower-case, mask variable spans and fold whitespace; idempotent on its output."""
    return _mask(text.fill_null("").str.to_lowercase())


# The whole match (group 0) rather than a capture group: the regex engine then finds it
# with its fast automata, about three times quicker on a batch of prompts.
def _head_words(text: pl.Expr, words: int) -> pl.Expr:
    return text.str.extract(rf"^\S+(?:\s\S+){{0,{words - 1}}}", 0).fill_null("")


def _tail_words(text: pl.Expr, words: int) -> pl.Expr:
    return text.str.extract(rf"\S+(?:\s\S+){{0,{words - 1}}}$", 0).fill_null("")


def _topic_bits(lowered: pl.Expr) -> pl.Expr:
    """One bit per topic pattern that matches (bit i: TOPIC_PATTERNS[i])."""
    return pl.sum_horizontal(
        [lowered.str.contains(pattern).cast(pl.UInt8) * (1 << index)
         for index, (_, pattern) in enumerate(TOPIC_PATTERNS)]
    ).cast(pl.UInt8)


def _topic_of(bits: pl.Expr) -> pl.Expr:
    """The most specific topic whose bit is set; general chat when none is."""
    chain = pl.when((bits & 1) > 0).then(pl.lit(TOPIC_PATTERNS[0][0]))
    for index, (name, _) in enumerate(TOPIC_PATTERNS[1:], start=1):
        chain = chain.when((bits & (1 << index)) > 0).then(pl.lit(name))
    return chain.otherwise(pl.lit(GENERAL_TOPIC))


_PIECE_FIELDS: Final = ("cot", "bits", "first", "last", "masked", "wordy")
_KEY_SEED: Final = 17


def _annotate_pieces(pieces: pl.LazyFrame) -> pl.LazyFrame:
    """Per distinct piece of user text (a short prompt, or one end of a long one), by
    its `key`: its first and last frame words after masking, whether masks fired, its
    CoT ask and topic bits."""
    return (
        pieces.with_columns(_lowered=pl.col("piece").str.to_lowercase())
        .with_columns(
            _norm=_mask(pl.col("_lowered")),
            cot=pl.col("_lowered").str.contains(COT_PATTERN),
            bits=_topic_bits(pl.col("_lowered")),
        )
        .with_columns(
            first=_head_words(pl.col("_norm"), FRAME_EDGE_WORDS),
            last=_tail_words(pl.col("_norm"), FRAME_EDGE_WORDS),
        )
        .select(
            "key",
            "cot",
            "bits",
            "first",
            "last",
            masked=pl.col("_norm").str.contains("<", literal=True),
            # More words than both ends hold (normalised text has single spaces, so the
            # ends plus one space fall short of the whole exactly when words are left over).
            wordy=pl.col("first").str.len_bytes() + pl.col("last").str.len_bytes() + 1
            < pl.col("_norm").str.len_bytes(),
        )
    )


def _annotate_systems(systems: pl.LazyFrame) -> pl.LazyFrame:
    """Per distinct system prompt: its fingerprint, family text, skeleton head and topic bits."""
    return (
        systems.with_columns(_system_norm=normalise(pl.col("system").str.slice(0, SYSTEM_CHARS)))
        .with_columns(
            system_text=_head_words(pl.col("_system_norm"), SYSTEM_FAMILY_WORDS),
            _system_skeleton=_head_words(pl.col("_system_norm"), SKELETON_SYSTEM_WORDS),
            system_fp=pl.when(pl.col("_system_norm") != "")
            .then(pl.col("_system_norm").hash(seed=11))
            .otherwise(None),
        )
        .with_columns(_system_bits=_topic_bits(pl.col("_system_skeleton")))
        .drop("_system_norm")
    )


def annotate_requests(requests: pl.LazyFrame) -> pl.LazyFrame:
    """Add `frame_fp`, `system_fp`, `system_text`, `skeleton`, `has_slot`, `is_cot` and
    `topic` to canonical requests.

    `frame_fp` hashes the system prompt's fingerprint with the first and last
    FRAME_EDGE_WORDS words of the normalised user text; `skeleton` is the readable form
    of that frame. Only the ends of a prompt are read (EDGE_CHARS each), and each
    distinct end and each distinct system prompt is normalised once and joined back:
    templated traffic repeats its wrappers, so the regex work shrinks with repetition.
    Rows keep their order. Hashes are Polars' (fast,
    stable within one Polars version); user-facing fingerprints come from the skeleton
    text via `stable_fp`.

    Pieces and system prompts are looked up by a 64-bit hash of their text rather than
    by the text. Two
    distinct pieces of one batch share a hash with odds about n² / 2⁶⁵ (10⁻⁹ for a
    batch's 200k pieces); the cost of one would be a single request taking another
    piece's frame words.
    """
    prompt = pl.col("prompt").fill_null("")
    short = prompt.str.len_chars() <= 2 * EDGE_CHARS
    # The lookups run on a narrow frame of keys and the result is laid beside the
    # requests: joining the requests themselves copied every column (prompt text
    # included) three times. Measured 0.83 -> 0.74 s per 200k-row batch.
    keys = requests.select(
        _short=short,
        # A short prompt is one piece and serves as both ends of its frame.
        _head_piece=pl.when(short).then(prompt).otherwise(prompt.str.slice(0, EDGE_CHARS)),
        _tail_piece=pl.when(short).then(pl.lit("")).otherwise(prompt.str.slice(-EDGE_CHARS)),
        _system_key=pl.col("system").hash(seed=_KEY_SEED),
    ).with_columns(
        _head_key=pl.col("_head_piece").hash(seed=_KEY_SEED),
        _tail_key=pl.col("_tail_piece").hash(seed=_KEY_SEED),
    )
    pieces = _annotate_pieces(
        pl.concat([
            keys.select(key="_head_key", piece="_head_piece"),
            keys.select(key="_tail_key", piece="_tail_piece"),
        ]).unique(subset="key", keep="any")
    )
    systems = _annotate_systems(
        requests.select("system", _system_key=pl.col("system").hash(seed=_KEY_SEED))
        .unique(subset="_system_key", keep="any")
    ).drop("system")
    joined = (
        keys.select("_short", "_system_key", "_head_key", "_tail_key")
        .join(systems, on="_system_key", how="left", maintain_order="left")
        .join(pieces.rename({name: f"_h_{name}" for name in _PIECE_FIELDS}),
              left_on="_head_key", right_on="key", how="left", maintain_order="left")
        .join(pieces.rename({name: f"_t_{name}" for name in _PIECE_FIELDS}),
              left_on="_tail_key", right_on="key", how="left", maintain_order="left")
    )
    tail_words = pl.when(pl.col("_short")).then(pl.col("_h_last")).otherwise(pl.col("_t_last"))
    annotations = joined.select(
        "system_text",
        "system_fp",
        skeleton=pl.concat_str(
            [pl.col("_system_skeleton"), pl.lit(" ¶ "), pl.col("_h_first"), pl.lit(" … "), tail_words]
        ).str.strip_chars(" ¶"),
        # A template frames varying content: the prompt runs past its frame, or the
        # frame itself holds masked values. A short message repeated verbatim
        # ("thanks, that fixed it") is a repeat, not a template.
        has_slot=~pl.col("_short") | pl.col("_h_wordy") | pl.col("_h_masked") | pl.col("_t_masked"),
        # Chain-of-thought asks are counted in the user's text only: an instruction a
        # product sets once in its system prompt is configuration, not a per-request ask.
        is_cot=pl.col("_h_cot") | pl.col("_t_cot"),
        topic=_topic_of(pl.col("_system_bits").fill_null(0) | pl.col("_h_bits") | pl.col("_t_bits")),
        frame_fp=pl.struct(pl.col("system_fp"), pl.col("_h_first"), tail_words).hash(seed=7),
    )
    return pl.concat([requests, annotations], how="horizontal")


# --- near-duplicate clustering over distinct frames -------------------------------------

MINHASH_PERMUTATIONS: Final = 32
MINHASH_BAND_ROWS: Final = 2
SHINGLE_WORDS: Final = 3
NEAR_DUPLICATE_JACCARD: Final = 0.5
ALL_PAIRS_BUCKET_SIZE: Final = 32


def _minhash_signatures(items: pl.LazyFrame, shingle_words: int) -> pl.LazyFrame:
    """Wide table (frame_fp, h0 … h31): MinHash of word n-gram shingles of each `skeleton`."""
    words = pl.col("skeleton").str.split(" ")
    shingles = items.select(
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
    exploded = shingles.explode("shingle").with_columns(base=pl.col("shingle").hash(seed=3))
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


def _near_duplicate_edges(items: pl.DataFrame, shingle_words: int, min_jaccard: float) -> pl.DataFrame:
    """Edges (a, b) between items (frame_fp ids) whose `skeleton` texts are near
    duplicates: enough of them to connect exactly the items that near-duplicate pairs
    connect, not every such pair (see `_spanning_forest`)."""
    if items.height < 2:
        return _NO_EDGES
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
        pending.append(_verified_pairs(signatures, hashes, starts[first : first + BANDS_PER_PASS], min_jaccard))
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
    signatures: pl.DataFrame, hashes: list[str], band_starts: list[int], min_jaccard: float
) -> pl.DataFrame:
    """Pairs that share a bucket in one of the bands starting at `band_starts` and whose
    signatures agree on at least `min_jaccard` of their hashes."""
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


# System prompts reworded per account (a sentence swapped, synonyms) share most of their
# words but few long shingles, so families compare word pairs at a lower bar. Short
# generic prompts ("you are a helpful assistant") are too common to say anything.
SYSTEM_FAMILY_SHINGLE_WORDS: Final = 2
SYSTEM_FAMILY_JACCARD: Final = 0.3
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
    edges = _near_duplicate_edges(
        eligible.select("frame_fp", "skeleton"), SYSTEM_FAMILY_SHINGLE_WORDS, SYSTEM_FAMILY_JACCARD
    )
    representative = _cluster_representatives(eligible, edges)
    families = eligible.join(representative, on="frame_fp", how="left", maintain_order="left").select(
        system_fp="frame_fp", family_fp=pl.col("rep").fill_null(pl.col("frame_fp"))
    )
    return families.with_columns(n_variants=pl.len().over("family_fp").cast(pl.UInt32))
