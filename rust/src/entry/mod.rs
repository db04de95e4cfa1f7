//! How every entry point runs: its work under `guarded` (a panic becomes a Python
//! exception), on the worker pool or the calling thread, without the GIL, its columns
//! imported and returned through the Arrow C stream interface.

pub mod linking;
pub mod requests;

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Once, OnceLock};

use arrow_array::ArrayRef;
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
pub(crate) fn guarded<T>(work: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
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
pub(crate) fn pool() -> &'static ThreadPool {
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
pub(crate) enum Threads {
    /// On the worker pool (`pool`): the work may run in parallel.
    Pool,
    /// On the calling thread: sequential work called from a thread that must not wait for
    /// the pool while it is busy (the scan's reading thread, see `membership`).
    Caller,
}

pub(crate) fn value_error(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// A column of texts read from its chunks, or a message naming it (`name`).
pub(crate) fn text_column(chunks: &[ArrayData], name: &str) -> Result<TextColumn, String> {
    TextColumn::new(chunks).map_err(|error| format!("column \"{name}\" is not text: {:?}", error.0))
}

/// `words` as a shingle width the core takes: 1 to 64 words.
pub(crate) fn check_shingle_words(words: usize) -> PyResult<()> {
    if (1..=64).contains(&words) {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "words must be 1 to 64, not {words}"
        )))
    }
}

/// Imports the named columns' Arrow chunks, runs `work` on them on the worker threads
/// without the GIL and lays its columns out under `names`: every entry point that takes
/// and returns columns goes through here, so a panic or an error in the work becomes a
/// Python exception (see `guarded`) the same way everywhere.
pub(crate) fn detached<const N: usize, E: std::fmt::Display + Send>(
    py: Python<'_>,
    columns: [(&Bound<'_, PyAny>, &str); N],
    names: &[&str],
    work: impl FnOnce(&[Vec<ArrayData>; N]) -> Result<Vec<ArrayRef>, E> + Send,
) -> PyResult<ArrowColumns> {
    detached_on(Threads::Pool, py, columns, names, work)
}

/// `detached`, with the work run where `threads` says.
pub(crate) fn detached_on<const N: usize, E: std::fmt::Display + Send>(
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
