//! Entry points of linking: account tokens and candidate pairs, item counts,
//! components, and near-duplicate text clusters.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, UInt16Array, UInt32Array, UInt64Array};
use pyo3::prelude::*;

use super::{check_shingle_words, detached, guarded, pool, text_column, value_error};
use crate::interop::{import_chunks, ArrowColumns};
use crate::{components, counting, near, pairs, windows};

/// The root of every node code below `nodes` (a column `root`): its connected
/// component's smallest code, given the edges as two UInt32 columns of codes (Arrow C
/// streams). Memory grows with the nodes; the edges are read once, in place.
#[pyfunction]
#[pyo3(name = "component_roots")]
pub(crate) fn component_roots(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    nodes: usize,
) -> PyResult<ArrowColumns> {
    detached(py, [(a, "a"), (b, "b")], &["root"], |[a, b]| {
        let roots = components::component_roots(a, b, nodes)?;
        Ok::<_, components::EdgeError>(vec![Arc::new(UInt32Array::from(roots)) as ArrayRef])
    })
}

/// The candidate pairs (`pair`, keys a·2³² + b of account codes) that share a specific
/// token and reach `min_similarity`, as columns `pair`, `similarity`, `kinds` (bit k:
/// kind k), in the order given. Accounts' tokens come as (`account`, `token`) rows of
/// codes below `accounts` and token indexes; token k's kind, miss and whether it is
/// specific are row k of `kind`, `miss`, `specific`; kind k's cap is `caps[k]` and its
/// family `families[k]` (below `n_families`). See `pairs::score`.
#[pyfunction]
#[pyo3(name = "score_pairs")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn score_pairs(
    py: Python<'_>,
    pair: &Bound<'_, PyAny>,
    account: &Bound<'_, PyAny>,
    token: &Bound<'_, PyAny>,
    accounts: usize,
    kind: &Bound<'_, PyAny>,
    miss: &Bound<'_, PyAny>,
    specific: &Bound<'_, PyAny>,
    caps: Vec<f64>,
    families: Vec<u8>,
    n_families: usize,
    min_similarity: f64,
) -> PyResult<ArrowColumns> {
    let columns = [
        (pair, "pair"),
        (account, "account"),
        (token, "token"),
        (kind, "kind"),
        (miss, "miss"),
        (specific, "specific"),
    ];
    let names = ["pair", "similarity", "kinds"];
    detached(
        py,
        columns,
        &names,
        |[pair, account, token, kind, miss, specific]| {
            let evidence = pairs::TokenEvidence::new(kind, miss, specific)?;
            let weights = pairs::Weights {
                cap: caps,
                family: families,
                families: n_families,
            };
            let table = pairs::AccountTokens::new(account, token, accounts, evidence.kind.len())?;
            let scored = pairs::score(pair, &table, &evidence, &weights, min_similarity)?;
            Ok::<_, pairs::PairError>(vec![
                Arc::new(UInt64Array::from_iter_values(scored.iter().map(|s| s.0))) as ArrayRef,
                Arc::new(Float64Array::from_iter_values(scored.iter().map(|s| s.1))),
                Arc::new(UInt16Array::from_iter_values(scored.iter().map(|s| s.2))),
            ])
        },
    )
}

/// How many tokens each pair of `pair` (UInt64 keys a·2³² + b of account codes) shares
/// (a column `shared`, in the order given), given the accounts' tokens as (`account`,
/// `token`) UInt32 rows of codes below `accounts` and token numbers below `tokens`.
#[pyfunction]
#[pyo3(name = "count_shared")]
pub(crate) fn count_shared(
    py: Python<'_>,
    pair: &Bound<'_, PyAny>,
    account: &Bound<'_, PyAny>,
    token: &Bound<'_, PyAny>,
    accounts: usize,
    tokens: usize,
) -> PyResult<ArrowColumns> {
    let columns = [(pair, "pair"), (account, "account"), (token, "token")];
    detached(py, columns, &["shared"], |[pair, account, token]| {
        let table = pairs::AccountTokens::new(account, token, accounts, tokens)?;
        let counts = windows::count_shared(pair, &table)?;
        Ok::<_, pairs::PairError>(vec![Arc::new(UInt32Array::from(counts)) as ArrayRef])
    })
}

/// Pairs of accounts within `window` places of each other in the sorted holder lists of
/// at least `min_hits` tokens, sharing at least `min_shared` tokens in all: columns
/// `pair` (keys a·2³² + b, sorted) and `shared`. Tokens come as (`account`, `token`)
/// UInt32 rows of codes below `accounts` and token numbers below `tokens`.
#[pyfunction]
#[pyo3(name = "window_pairs")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn window_pairs(
    py: Python<'_>,
    account: &Bound<'_, PyAny>,
    token: &Bound<'_, PyAny>,
    accounts: usize,
    tokens: usize,
    window: usize,
    min_hits: u32,
    min_shared: u32,
) -> PyResult<ArrowColumns> {
    let columns = [(account, "account"), (token, "token")];
    detached(py, columns, &["pair", "shared"], |[account, token]| {
        let (table, holders) =
            pairs::AccountTokens::with_holders(account, token, accounts, tokens)?;
        let found = windows::window_pairs(&table, &holders, window, min_hits, min_shared);
        Ok::<_, pairs::PairError>(vec![
            Arc::new(UInt64Array::from_iter_values(found.iter().map(|p| p.0))) as ArrayRef,
            Arc::new(UInt32Array::from_iter_values(found.iter().map(|p| p.1))),
        ])
    })
}

/// The keys (a·2³² + b, sorted) of every pair of accounts within `window` places of each
/// other in the sorted holder list of some token: a column `pair`, see
/// `windows::window_pair_keys`. Tokens come as for `window_pairs`.
#[pyfunction]
#[pyo3(name = "window_pair_keys")]
pub(crate) fn window_pair_keys(
    py: Python<'_>,
    account: &Bound<'_, PyAny>,
    token: &Bound<'_, PyAny>,
    accounts: usize,
    tokens: usize,
    window: usize,
) -> PyResult<ArrowColumns> {
    let columns = [(account, "account"), (token, "token")];
    detached(py, columns, &["pair"], |[account, token]| {
        let (table, holders) =
            pairs::AccountTokens::with_holders(account, token, accounts, tokens)?;
        let keys = windows::window_pair_keys(&table, &holders, window);
        Ok::<_, pairs::PairError>(vec![Arc::new(UInt64Array::from(keys)) as ArrayRef])
    })
}

/// Each account's strongest partner (a column `partner`, one row per code below
/// `accounts`, null for an account in no pair): see `pairs::strongest_partners`. `pair`
/// holds UInt64 keys a·2³² + b, `similarity` one Float64 per pair.
#[pyfunction]
#[pyo3(name = "strongest_partners")]
pub(crate) fn strongest_partners(
    py: Python<'_>,
    pair: &Bound<'_, PyAny>,
    similarity: &Bound<'_, PyAny>,
    accounts: usize,
) -> PyResult<ArrowColumns> {
    let columns = [(pair, "pair"), (similarity, "similarity")];
    detached(py, columns, &["partner"], |[pair, similarity]| {
        let partners = pairs::strongest_partners(pair, similarity, accounts)?;
        Ok::<_, pairs::PairError>(vec![Arc::new(UInt32Array::from(partners)) as ArrayRef])
    })
}

/// How many of one account's items the other holds by chance, per pair (`pair`: UInt64
/// keys a·2³² + b): a column `expected`, see `windows::expected_shared`. `mass` and
/// `size` are Float64 columns of `len(rows)` values per account code, code after code.
#[pyfunction]
#[pyo3(name = "expected_shared")]
pub(crate) fn expected_shared(
    py: Python<'_>,
    pair: &Bound<'_, PyAny>,
    mass: &Bound<'_, PyAny>,
    size: &Bound<'_, PyAny>,
    rows: Vec<f64>,
) -> PyResult<ArrowColumns> {
    let columns = [(pair, "pair"), (mass, "mass"), (size, "size")];
    detached(py, columns, &["expected"], |[pair, mass, size]| {
        let mass = pairs::float_values(mass, "mass")?;
        let size = pairs::float_values(size, "size")?;
        let expected = windows::expected_shared(pair, &mass, &size, &rows)?;
        Ok::<_, pairs::PairError>(vec![Arc::new(Float64Array::from(expected)) as ArrayRef])
    })
}

/// One share of the item table counted (see `counting::count_items`): non-null columns
/// `account` (UInt32 codes), `topic` (UInt32 indexes below `topics`), `item` (UInt64) and
/// `n` (UInt32). Returns the `size` table (account, topic, size), the `shared` table
/// (account, topic, holders, token; tokens numbered from `first_token`) and how many
/// tokens were numbered.
#[pyfunction]
#[pyo3(name = "count_items")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn count_items(
    py: Python<'_>,
    account: &Bound<'_, PyAny>,
    topic: &Bound<'_, PyAny>,
    item: &Bound<'_, PyAny>,
    n: &Bound<'_, PyAny>,
    topics: usize,
    max_repeat: f64,
    first_token: u32,
) -> PyResult<(ArrowColumns, ArrowColumns, u32)> {
    guarded(|| {
        let chunks = [
            import_chunks(account, "account")?,
            import_chunks(topic, "topic")?,
            import_chunks(item, "item")?,
            import_chunks(n, "n")?,
        ];
        py.detach(|| {
            guarded(|| {
                let [account, topic, item, n] = &chunks;
                let counted = pool()
                    .install(|| {
                        counting::count_items(
                            account,
                            topic,
                            item,
                            n,
                            topics,
                            max_repeat,
                            first_token,
                        )
                    })
                    .map_err(value_error)?;
                let u32s = |values: Vec<u32>| Arc::new(UInt32Array::from(values)) as ArrayRef;
                let size = ArrowColumns::new(
                    &["account", "topic", "size"],
                    vec![
                        u32s(counted.size.iter().map(|s| s.0).collect()),
                        u32s(counted.size.iter().map(|s| s.1).collect()),
                        u32s(counted.size.iter().map(|s| s.2).collect()),
                    ],
                );
                let shared = ArrowColumns::new(
                    &["account", "topic", "holders", "token"],
                    vec![
                        u32s(counted.shared.iter().map(|s| s.0).collect()),
                        u32s(counted.shared.iter().map(|s| s.1).collect()),
                        u32s(counted.shared.iter().map(|s| s.2).collect()),
                        u32s(counted.shared.iter().map(|s| s.3).collect()),
                    ],
                );
                match (size, shared) {
                    (Ok(size), Ok(shared)) => Ok((size, shared, counted.tokens)),
                    (Err(error), _) | (_, Err(error)) => Err(value_error(error)),
                }
            })
        })
    })
}

/// Column `rep` (UInt32, one row per text): the row of each text's template
/// representative, its own where it joins no template (see
/// `near::template_representatives`); `weights` is a Float64 column, one per text.
#[pyfunction]
#[pyo3(name = "template_representatives")]
pub(crate) fn template_representatives(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    weights: &Bound<'_, PyAny>,
    words: usize,
    min_jaccard: f64,
    rounds: usize,
) -> PyResult<ArrowColumns> {
    check_shingle_words(words)?;
    detached(
        py,
        [(texts, "texts"), (weights, "weights")],
        &["rep"],
        |[texts, weights]| {
            let texts = text_column(texts, "texts")?;
            let weights = pairs::float_values(weights, "weights").map_err(|e| e.to_string())?;
            if weights.len() != texts.len() || u32::try_from(texts.len()).is_err() {
                return Err(format!(
                    "{} texts and {} weights: one weight a text, under 2^32 texts",
                    texts.len(),
                    weights.len()
                ));
            }
            let reps = near::template_representatives(&texts, &weights, words, min_jaccard, rounds)
                .map_err(|_| "a text column points outside its Arrow buffers".to_owned())?;
            Ok(vec![Arc::new(UInt32Array::from(reps)) as ArrayRef])
        },
    )
}

/// The root of each text of `texts` (a column `root`: the smallest row of its cluster of
/// near duplicates, see `near::near_duplicate_roots`), shingled by `words` words (1 to
/// 64) and joined at a Jaccard similarity of `min_jaccard`.
#[pyfunction]
#[pyo3(name = "near_duplicate_roots", signature = (texts, words, min_jaccard, neighbours = 0))]
pub(crate) fn near_duplicate_roots(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    words: usize,
    min_jaccard: f64,
    neighbours: usize,
) -> PyResult<ArrowColumns> {
    check_shingle_words(words)?;
    detached(py, [(texts, "texts")], &["root"], |[texts]| {
        let texts = text_column(texts, "texts")?;
        if u32::try_from(texts.len()).is_err() {
            return Err(format!("{} texts do not fit 32-bit rows", texts.len()));
        }
        let roots = near::near_duplicate_roots(&texts, words, min_jaccard, neighbours)
            .map_err(|_| "a text column points outside its Arrow buffers".to_owned())?;
        Ok(vec![Arc::new(UInt32Array::from(roots)) as ArrayRef])
    })
}
