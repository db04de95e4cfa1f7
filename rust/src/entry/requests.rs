//! Entry points over requests: annotating a batch, reducing it to partial tables, and the
//! repeat check's sorted runs of request keys.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, UInt64Array};
use pyo3::prelude::*;

use super::{detached, detached_on, guarded, pool, text_column, value_error, Threads};
use crate::interop::{import_chunks, ArrowColumns};
use crate::{batch, membership, normalise, pairs, reduce};

/// Annotate a batch of requests: `prompt` and `system` are columns of equal length that
/// export Arrow C streams (string, large string, string view, or the binary forms,
/// decoded lossily). Returns the columns named in `ANNOTATION_COLUMNS`.
#[pyfunction]
#[pyo3(name = "annotate")]
pub(crate) fn annotate_batch(
    py: Python<'_>,
    prompt: &Bound<'_, PyAny>,
    system: &Bound<'_, PyAny>,
) -> PyResult<ArrowColumns> {
    detached(
        py,
        [(prompt, "prompt"), (system, "system")],
        &batch::COLUMNS,
        |[prompts, systems]| {
            let (prompts, systems) = (
                text_column(prompts, "prompt")?,
                text_column(systems, "system")?,
            );
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

/// The normalised form of each text (None reads as empty): lower-cased, variable spans
/// masked, whitespace folded. For tests and for looking at what the annotator sees.
#[pyfunction]
#[pyo3(name = "normalise")]
pub(crate) fn normalise_texts(py: Python<'_>, texts: Vec<Option<String>>) -> PyResult<Vec<String>> {
    py.detach(|| {
        guarded(|| {
            Ok(texts
                .iter()
                .map(|text| normalise::normalise(text.as_deref().unwrap_or("")))
                .collect())
        })
    })
}

/// A batch of annotated requests reduced to its partial aggregate tables: `columns` are
/// the series named in `REDUCE_INPUTS`, in that order; returns each table by name (see
/// `reduce`), its groups' first rows in `row` for the caller to gather the keys.
#[pyfunction]
#[pyo3(name = "reduce_batch")]
pub(crate) fn reduce_batch(
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

/// Two sorted non-null UInt64 columns merged into one sorted column `key`.
#[pyfunction]
#[pyo3(name = "merge_sorted")]
pub(crate) fn merge_sorted(
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
pub(crate) fn first_sightings(
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
