"""Types of distillscan's compiled core (the Rust crate under rust/)."""

from collections.abc import Sequence
from typing import Final, Protocol

ANNOTATION_COLUMNS: Final[list[str]]
REDUCE_INPUTS: Final[list[str]]
REDUCE_TEXT_INPUTS: Final[list[str]]
MASKS: Final[list[tuple[str, str]]]
COT_PATTERN: Final[str]
TOPIC_PATTERNS: Final[list[tuple[str, str]]]
TOPIC_EXCEPTIONS: Final[list[tuple[str, str]]]
GENERAL_TOPIC: Final[str]
EDGE_CHARS: Final[int]
SYSTEM_CHARS: Final[int]
FRAME_EDGE_WORDS: Final[int]
SKELETON_SYSTEM_WORDS: Final[int]
SYSTEM_FAMILY_WORDS: Final[int]
MINHASH_PERMUTATIONS: Final[int]
MINHASH_BAND_ROWS: Final[int]
ALL_PAIRS_BUCKET: Final[int]

class ArrowColumns:
    """Columns of one record batch, read by Polars with `pl.DataFrame(columns)`."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __len__(self) -> int: ...

class _ArrowStreamExporter(Protocol):
    """A column that exports an Arrow C stream (a Polars series, a pyarrow array)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

def annotate(prompt: _ArrowStreamExporter, system: _ArrowStreamExporter) -> ArrowColumns:
    """The ANNOTATION_COLUMNS of a batch of requests from its prompt and system columns."""

def normalise(texts: Sequence[str | None]) -> list[str]:
    """Each text lower-cased, its variable spans masked and its whitespace folded."""

def component_roots(a: _ArrowStreamExporter, b: _ArrowStreamExporter, nodes: int) -> ArrowColumns:
    """A column `root`: for every node code below `nodes`, its connected component's
    smallest code, given edges as two UInt32 columns of codes below `nodes`."""

def score_pairs(
    pair: _ArrowStreamExporter,
    account: _ArrowStreamExporter,
    token: _ArrowStreamExporter,
    accounts: int,
    kind: _ArrowStreamExporter,
    miss: _ArrowStreamExporter,
    specific: _ArrowStreamExporter,
    caps: Sequence[float],
    families: Sequence[int],
    n_families: int,
    min_similarity: float,
) -> ArrowColumns:
    """Columns `pair`, `similarity`, `kinds`: the candidate pairs (UInt64 keys a·2³² + b)
    that share a specific token and reach `min_similarity`, in the order given. Tokens
    are (`account`, `token`) rows (UInt32 codes below `accounts`, token indexes); token k's
    kind, miss and specificity are row k of `kind` (UInt8), `miss` (Int64), `specific`."""

def count_shared(
    pair: _ArrowStreamExporter, account: _ArrowStreamExporter, token: _ArrowStreamExporter, accounts: int, tokens: int
) -> ArrowColumns:
    """A column `shared`: how many tokens each pair (UInt64 keys a·2³² + b) shares, in the
    order given; tokens are (`account`, `token`) UInt32 rows below `accounts` / `tokens`."""

def strongest_partners(pair: _ArrowStreamExporter, similarity: _ArrowStreamExporter, accounts: int) -> ArrowColumns:
    """Column `partner` (UInt32, one row per account code below `accounts`, null for an
    account in no pair): the other end of each account's pair (UInt64 keys a·2³² + b) of
    highest Float64 `similarity`, ties to the smaller partner."""

def window_pair_keys(
    account: _ArrowStreamExporter,
    token: _ArrowStreamExporter,
    accounts: int,
    tokens: int,
    window: int,
) -> ArrowColumns:
    """Column `pair` (UInt64 keys a·2³² + b, sorted): every pair of accounts within
    `window` places of each other in the sorted holder list of some token; tokens are
    (`account`, `token`) UInt32 rows of codes below `accounts`, numbers below `tokens`."""

def window_pairs(
    account: _ArrowStreamExporter,
    token: _ArrowStreamExporter,
    accounts: int,
    tokens: int,
    window: int,
    min_hits: int,
    min_shared: int,
) -> ArrowColumns:
    """Columns `pair` (UInt64 keys a·2³² + b, sorted) and `shared`: the pairs within `window`
    places of each other in the sorted holder lists of at least `min_hits` tokens that
    share at least `min_shared` tokens; tokens are (`account`, `token`) UInt32 rows."""

def expected_shared(
    pair: _ArrowStreamExporter, mass: _ArrowStreamExporter, size: _ArrowStreamExporter, rows: Sequence[float]
) -> ArrowColumns:
    """A column `expected` per pair (UInt64 keys a·2³² + b): the larger of
    Σ_t mass[a][t]·size[b][t]/rows[t] and its mirror; `mass` and `size` are Float64
    columns of len(rows) values per account code, code after code."""

def count_items(
    account: _ArrowStreamExporter,
    topic: _ArrowStreamExporter,
    item: _ArrowStreamExporter,
    n: _ArrowStreamExporter,
    topics: int,
    max_repeat: float,
    first_token: int,
) -> tuple[ArrowColumns, ArrowColumns, int]:
    """One share of the item table counted: (`size`: account, topic, size; `shared`:
    account, topic, holders, token, sorted by token then account; tokens numbered from
    `first_token` in (topic, item) order, how many). Columns: UInt32 account codes,
    UInt32 topic indexes below `topics`, UInt64 items, UInt32 counts."""

def merge_sorted(older: _ArrowStreamExporter, newer: _ArrowStreamExporter) -> ArrowColumns:
    """Column `key`: two sorted non-null UInt64 columns merged into one sorted column (an
    unsorted one is a ValueError)."""

def first_sightings(
    keys: _ArrowStreamExporter, runs: Sequence[_ArrowStreamExporter]
) -> tuple[ArrowColumns, ArrowColumns]:
    """(`kept`: Boolean, one row per key; `fresh`: UInt64, sorted): which rows of a batch
    repeat no earlier row of it nor any key of `runs` (sorted non-null UInt64 columns),
    rows without a key (null) always kept; and the keys first seen in the batch, each once."""

def near_duplicate_roots(
    texts: _ArrowStreamExporter, words: int, min_jaccard: float, neighbours: int = 0
) -> ArrowColumns:
    """Column `root` (UInt32, one row per text): the smallest row of each text's cluster
    of near duplicates, by MinHash-LSH over `words`-word shingles (1 to 64), candidate
    pairs joined when their shingle sets have a Jaccard similarity of `min_jaccard`."""

def template_representatives(
    texts: _ArrowStreamExporter, weights: _ArrowStreamExporter, words: int, min_jaccard: float, rounds: int
) -> ArrowColumns:
    """Column `rep` (UInt32, one row per text): the row of each text's template
    representative (its own where it joins no template). Near duplicates (`words`-word
    shingles, Jaccard `min_jaccard`) are clustered, each cluster keeps the texts as near
    to its representative (largest Float64 `weights`, ties: smallest text, then row), and
    the rest are clustered again among themselves, for `rounds` rounds."""

def reduce_batch(columns: Sequence[_ArrowStreamExporter]) -> list[tuple[str, ArrowColumns]]:
    """A batch of annotated requests (the columns of REDUCE_INPUTS, in order) reduced to
    its partial aggregate tables, by name: each group's first row (`row`) and measures."""
