//! distillscan's compiled core (`distillscan._core`): per-request annotation in one pass
//! over Arrow buffers, on all cores, without the GIL.
//!
//! Every entry point (`entry`) runs its work under `guarded`, which turns a panic into a
//! `RuntimeError` carrying the panic's message and place: a bug here must reach the
//! CLI as one line, like any other internal error, and never abort the interpreter.

mod annotate;
mod batch;
mod classes;
mod closers;
mod components;
mod counting;
mod entry;
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

use pyo3::prelude::*;

use crate::interop::ArrowColumns;

#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(entry::requests::annotate_batch, module)?)?;
    module.add_function(wrap_pyfunction!(entry::requests::normalise_texts, module)?)?;
    module.add_function(wrap_pyfunction!(entry::linking::component_roots, module)?)?;
    module.add_function(wrap_pyfunction!(entry::linking::score_pairs, module)?)?;
    module.add_function(wrap_pyfunction!(entry::linking::count_shared, module)?)?;
    module.add_function(wrap_pyfunction!(entry::linking::window_pairs, module)?)?;
    module.add_function(wrap_pyfunction!(entry::linking::window_pair_keys, module)?)?;
    module.add_function(wrap_pyfunction!(
        entry::linking::strongest_partners,
        module
    )?)?;
    module.add_function(wrap_pyfunction!(entry::linking::expected_shared, module)?)?;
    module.add_function(wrap_pyfunction!(entry::linking::count_items, module)?)?;
    module.add_function(wrap_pyfunction!(entry::requests::merge_sorted, module)?)?;
    module.add_function(wrap_pyfunction!(entry::requests::first_sightings, module)?)?;
    module.add_function(wrap_pyfunction!(
        entry::linking::near_duplicate_roots,
        module
    )?)?;
    module.add_function(wrap_pyfunction!(
        entry::linking::template_representatives,
        module
    )?)?;
    module.add_function(wrap_pyfunction!(entry::requests::reduce_batch, module)?)?;
    module.add_class::<ArrowColumns>()?;
    module.add("ANNOTATION_COLUMNS", batch::COLUMNS.to_vec())?;
    module.add("REDUCE_INPUTS", reduce::INPUTS.to_vec())?;
    module.add(
        "REDUCE_TEXT_INPUTS",
        reduce::INPUTS[..reduce::TEXT_KEYS].to_vec(),
    )?;
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
