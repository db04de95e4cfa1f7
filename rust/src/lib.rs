//! distillscan's compiled core (`distillscan._core`): per-request annotation in one pass
//! over Arrow buffers, on all cores, without the GIL.
//!
//! Every entry point runs its work under `guarded`, which turns a panic into a
//! `RuntimeError` carrying the panic's message and place: a bug here must reach the
//! CLI as one line, like any other internal error, and never abort the interpreter.

mod annotate;
mod batch;
mod classes;
mod closers;
mod components;
mod counting;
mod fingerprint;
mod gate;
mod ids;
mod intern;
mod interop;
mod intersect;
mod items;
mod masks;
mod membership;
mod near;
mod normalise;
mod pairs;
mod patterns;
mod reduce;
mod text;
mod values;
mod windows;

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Once, OnceLock};

use arrow_array::{ArrayRef, BooleanArray, Float64Array, UInt16Array, UInt32Array, UInt64Array};
use arrow_data::ArrayData;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::interop::{import_chunks, ArrowColumns};
use crate::text::TextColumn;

thread_local! {
    /// Where the last panic on this thread happened, recorded by the panic hook.
    static PANIC_PLACE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Record where panics happen instead of printing them: the message reaches the user in
/// the exception `guarded` raises. This library's panics only: each Rust extension
/// module has its own hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let place = info
                .location()
                .map(|at| format!("{}:{}", at.file(), at.line()));
            PANIC_PLACE.with(|slot| *slot.borrow_mut() = place);
        }));
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    let place = PANIC_PLACE.with(|slot| slot.borrow_mut().take());
    match place {
        Some(place) => format!("{message} (at {place})"),
        None => message,
    }
}

/// Runs `work`, turning a panic into a RuntimeError with its message.
fn guarded<T>(work: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    install_panic_hook();
    match panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            Err(PyRuntimeError::new_err(format!(
                "distillscan core failed: {}",
                message.replace('\n', " ")
            )))
        }
    }
}

/// The worker threads: as many as POLARS_MAX_THREADS says (the CLI's `--threads` sets it),
/// else one per core.
fn pool() -> &'static ThreadPool {
    static POOL: OnceLock<ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::env::var("POLARS_MAX_THREADS")
            .ok()
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(0);
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|index| format!("distillscan-core-{index}"))
            .build()
            .unwrap_or_else(|error| panic!("cannot start the core's worker threads: {error}"))
    })
}

/// Where `detached` runs its work.
#[derive(Clone, Copy, PartialEq)]
enum Threads {
    /// On the worker pool (`pool`): the work may run in parallel.
    Pool,
    /// On the calling thread: sequential work called from a thread that must not wait for
    /// the pool while it is busy (the scan's reading thread, see `membership`).
    Caller,
}

fn value_error(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// Imports the named columns' Arrow chunks, runs `work` on them on the worker threads
/// without the GIL and lays its columns out under `names`: every entry point that takes
/// and returns columns goes through here, so a panic or an error in the work becomes a
/// Python exception (see `guarded`) the same way everywhere.
fn detached<const N: usize, E: std::fmt::Display + Send>(
    py: Python<'_>,
    columns: [(&Bound<'_, PyAny>, &str); N],
    names: &[&str],
    work: impl FnOnce(&[Vec<ArrayData>; N]) -> Result<Vec<ArrayRef>, E> + Send,
) -> PyResult<ArrowColumns> {
    detached_on(Threads::Pool, py, columns, names, work)
}

/// `detached`, with the work run where `threads` says.
fn detached_on<const N: usize, E: std::fmt::Display + Send>(
    threads: Threads,
    py: Python<'_>,
    columns: [(&Bound<'_, PyAny>, &str); N],
    names: &[&str],
    work: impl FnOnce(&[Vec<ArrayData>; N]) -> Result<Vec<ArrayRef>, E> + Send,
) -> PyResult<ArrowColumns> {
    guarded(|| {
        let mut chunks = Vec::with_capacity(N);
        for (column, name) in columns {
            chunks.push(import_chunks(column, name)?);
        }
        let chunks: [Vec<ArrayData>; N] = chunks
            .try_into()
            .map_err(|_| PyValueError::new_err("a column went missing on import"))?;
        py.detach(|| {
            guarded(|| {
                let out = match threads {
                    Threads::Pool => pool().install(|| work(&chunks)),
                    Threads::Caller => work(&chunks),
                }
                .map_err(value_error)?;
                ArrowColumns::new(names, out).map_err(value_error)
            })
        })
    })
}

/// Annotate a batch of requests: `prompt` and `system` are columns of equal length that
/// export Arrow C streams (string, large string, string view, or the binary forms,
/// decoded lossily). Returns the columns named in `ANNOTATION_COLUMNS`.
#[pyfunction]
#[pyo3(name = "annotate")]
fn annotate_batch(
    py: Python<'_>,
    prompt: &Bound<'_, PyAny>,
    system: &Bound<'_, PyAny>,
) -> PyResult<ArrowColumns> {
    detached(
        py,
        [(prompt, "prompt"), (system, "system")],
        &batch::COLUMNS,
        |[prompts, systems]| {
            let text = |chunks, name: &str| {
                TextColumn::new(chunks)
                    .map_err(|error| format!("column \"{name}\" is not text: {:?}", error.0))
            };
            let (prompts, systems) = (text(prompts, "prompt")?, text(systems, "system")?);
            if prompts.len() != systems.len() {
                return Err(format!(
                    "columns \"prompt\" and \"system\" differ in length: {} and {}",
                    prompts.len(),
                    systems.len()
                ));
            }
            batch::annotate(&prompts, &systems)
                .map_err(|_| "a text column points outside its Arrow buffers".to_owned())
        },
    )
}

/// The root of every node code below `nodes` (a column `root`): its connected
/// component's smallest code, given the edges as two UInt32 columns of codes (Arrow C
/// streams). Memory grows with the nodes; the edges are read once, in place.
#[pyfunction]
#[pyo3(name = "component_roots")]
fn component_roots(
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
fn score_pairs(
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
fn count_shared(
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
fn window_pairs(
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
fn window_pair_keys(
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
fn strongest_partners(
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
fn expected_shared(
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
fn count_items(
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

/// Two sorted non-null UInt64 columns merged into one sorted column `key`.
#[pyfunction]
#[pyo3(name = "merge_sorted")]
fn merge_sorted(
    py: Python<'_>,
    older: &Bound<'_, PyAny>,
    newer: &Bound<'_, PyAny>,
) -> PyResult<ArrowColumns> {
    // A merge is sequential, and the scan merges from the thread that reads ahead while
    // the pool annotates (see `first_sightings`).
    let columns = [(older, "older"), (newer, "newer")];
    detached_on(Threads::Caller, py, columns, &["key"], |[older, newer]| {
        let keys = membership::merged_columns(older, newer)?;
        Ok::<_, pairs::PairError>(vec![Arc::new(UInt64Array::from(keys)) as ArrayRef])
    })
}

/// The rows of a batch that repeat no earlier request (see `membership::first_sightings`):
/// `keys` is the batch's UInt64 request keys (null: no id), `runs` the sorted UInt64 runs
/// of keys seen before. Returns a Boolean column `kept` and the new sorted run `fresh`.
#[pyfunction]
#[pyo3(name = "first_sightings")]
fn first_sightings(
    py: Python<'_>,
    keys: &Bound<'_, PyAny>,
    runs: Vec<Bound<'_, PyAny>>,
) -> PyResult<(ArrowColumns, ArrowColumns)> {
    guarded(|| {
        let keys = import_chunks(keys, "keys")?;
        let runs = runs
            .iter()
            .map(|run| import_chunks(run, "run"))
            .collect::<PyResult<Vec<_>>>()?;
        py.detach(|| {
            guarded(|| {
                // On this thread, not the worker pool (see `membership::first_sightings`).
                let found =
                    membership::first_sightings_columns(&keys, &runs).map_err(value_error)?;
                let columns = |name: &str, column: ArrayRef| {
                    ArrowColumns::new(&[name], vec![column]).map_err(value_error)
                };
                Ok((
                    columns("kept", Arc::new(BooleanArray::from(found.kept)))?,
                    columns("fresh", Arc::new(UInt64Array::from(found.fresh)))?,
                ))
            })
        })
    })
}

/// The root of each text of `texts` (a column `root`: the smallest row of its cluster of
/// near duplicates, see `near::near_duplicate_roots`), shingled by `words` words (1 to
/// 64) and joined at a Jaccard similarity of `min_jaccard`.
#[pyfunction]
#[pyo3(name = "near_duplicate_roots", signature = (texts, words, min_jaccard, neighbours = 0))]
fn near_duplicate_roots(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    words: usize,
    min_jaccard: f64,
    neighbours: usize,
) -> PyResult<ArrowColumns> {
    if !(1..=64).contains(&words) {
        return Err(PyValueError::new_err(format!(
            "words must be 1 to 64, not {words}"
        )));
    }
    detached(py, [(texts, "texts")], &["root"], |[texts]| {
        let texts = TextColumn::new(texts)
            .map_err(|error| format!("column \"texts\" is not text: {:?}", error.0))?;
        if u32::try_from(texts.len()).is_err() {
            return Err(format!("{} texts do not fit 32-bit rows", texts.len()));
        }
        let roots = near::near_duplicate_roots(&texts, words, min_jaccard, neighbours)
            .map_err(|_| "a text column points outside its Arrow buffers".to_owned())?;
        Ok(vec![Arc::new(UInt32Array::from(roots)) as ArrayRef])
    })
}

/// A batch of annotated requests reduced to its partial aggregate tables: `columns` are
/// the series named in `REDUCE_INPUTS`, in that order; returns each table by name (see
/// `reduce`), its groups' first rows in `row` for the caller to gather the keys.
#[pyfunction]
#[pyo3(name = "reduce_batch")]
fn reduce_batch(
    py: Python<'_>,
    columns: Vec<Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, ArrowColumns)>> {
    guarded(|| {
        if columns.len() != reduce::INPUTS.len() {
            return Err(value_error(reduce::ReduceError::Columns(columns.len())));
        }
        let chunks = columns
            .iter()
            .zip(reduce::INPUTS)
            .map(|(column, name)| import_chunks(column, name))
            .collect::<PyResult<Vec<_>>>()?;
        py.detach(|| {
            guarded(|| {
                let tables = pool()
                    .install(|| reduce::reduce(&chunks))
                    .map_err(value_error)?;
                release_free_memory();
                tables
                    .into_iter()
                    .map(|table| {
                        let (names, arrays): (Vec<&str>, Vec<ArrayRef>) =
                            table.columns.into_iter().unzip();
                        let columns = ArrowColumns::new(&names, arrays).map_err(value_error)?;
                        Ok((table.name, columns))
                    })
                    .collect()
            })
        })
    })
}

/// Hand the allocator's free pages back to the system. glibc keeps what the worker
/// threads free in their arenas, between the blocks of the reduced tables that Polars
/// holds until they are spilled: a 10M-request scan's resident set then stayed
/// 150-350 MB higher through every later stage. Trimming once a batch costs about a
/// millisecond.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The normalised form of each text (None reads as empty): lower-cased, variable spans
/// masked, whitespace folded. For tests and for looking at what the annotator sees.
#[pyfunction]
#[pyo3(name = "normalise")]
fn normalise_texts(py: Python<'_>, texts: Vec<Option<String>>) -> PyResult<Vec<String>> {
    py.detach(|| {
        guarded(|| {
            Ok(texts
                .iter()
                .map(|text| normalise::normalise(text.as_deref().unwrap_or("")))
                .collect())
        })
    })
}

#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(annotate_batch, module)?)?;
    module.add_function(wrap_pyfunction!(normalise_texts, module)?)?;
    module.add_function(wrap_pyfunction!(component_roots, module)?)?;
    module.add_function(wrap_pyfunction!(score_pairs, module)?)?;
    module.add_function(wrap_pyfunction!(count_shared, module)?)?;
    module.add_function(wrap_pyfunction!(window_pairs, module)?)?;
    module.add_function(wrap_pyfunction!(window_pair_keys, module)?)?;
    module.add_function(wrap_pyfunction!(strongest_partners, module)?)?;
    module.add_function(wrap_pyfunction!(expected_shared, module)?)?;
    module.add_function(wrap_pyfunction!(count_items, module)?)?;
    module.add_function(wrap_pyfunction!(merge_sorted, module)?)?;
    module.add_function(wrap_pyfunction!(first_sightings, module)?)?;
    module.add_function(wrap_pyfunction!(near_duplicate_roots, module)?)?;
    module.add_function(wrap_pyfunction!(reduce_batch, module)?)?;
    module.add_class::<ArrowColumns>()?;
    module.add("ANNOTATION_COLUMNS", batch::COLUMNS.to_vec())?;
    module.add("REDUCE_INPUTS", reduce::INPUTS.to_vec())?;
    module.add("MASKS", patterns::MASKS.to_vec())?;
    module.add("COT_PATTERN", patterns::COT_PATTERN)?;
    module.add("TOPIC_PATTERNS", patterns::TOPIC_PATTERNS.to_vec())?;
    module.add("TOPIC_EXCEPTIONS", patterns::TOPIC_EXCEPTIONS.to_vec())?;
    module.add("GENERAL_TOPIC", patterns::GENERAL_TOPIC)?;
    module.add("EDGE_CHARS", text::EDGE_CHARS)?;
    module.add("SYSTEM_CHARS", text::SYSTEM_CHARS)?;
    module.add("FRAME_EDGE_WORDS", annotate::FRAME_EDGE_WORDS)?;
    module.add("SKELETON_SYSTEM_WORDS", annotate::SKELETON_SYSTEM_WORDS)?;
    module.add("SYSTEM_FAMILY_WORDS", annotate::SYSTEM_FAMILY_WORDS)?;
    module.add("MINHASH_PERMUTATIONS", near::PERMUTATIONS)?;
    module.add("MINHASH_BAND_ROWS", near::BAND_ROWS)?;
    module.add("ALL_PAIRS_BUCKET", near::ALL_PAIRS_BUCKET)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_not_an_abort() {
        let result: PyResult<()> = guarded(|| panic!("boom"));
        assert!(result.is_err());
        let nested: PyResult<u32> =
            guarded(|| Ok(pool().install(|| rayon::join(|| 1, || panic!("in a worker")).0)));
        assert!(nested.is_err());
        assert_eq!(guarded(|| Ok(7)).ok(), Some(7));
    }
}
